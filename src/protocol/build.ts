// Which rch this is. A compiled binary carries the identity `scripts/build.sh` stamps into it
// (`--define`); run from source it is a "dev" build. The daemon reports its identity in every
// hello, so a client can tell that rch was upgraded under a running daemon and have it replaced
// (client/link.ts) instead of being served by the old code for days.

declare const RCH_BUILD_ID: string | undefined;
declare const RCH_BUILT_AT: number | undefined;

export const RCH_VERSION = "0.1.0";

export interface BuildIdentity {
  /** `<version>+<git commit>.<build time>` for a compiled binary, `<version>+dev` from source. */
  id: string;
  /** Build time (ms since the epoch); 0 from source. */
  builtAt: number;
}

export const BUILD: BuildIdentity = {
  id: typeof RCH_BUILD_ID === "string" ? RCH_BUILD_ID : `${RCH_VERSION}+dev`,
  builtAt: typeof RCH_BUILT_AT === "number" ? RCH_BUILT_AT : 0,
};

/**
 * Should a client of build `mine` replace a daemon that reported `theirs`? Only a compiled
 * client replaces, and only a daemon built earlier (or one too old to report its build): a dev
 * daemon someone started from source is left alone, and a client older than its daemon (a
 * process that started before the upgrade) never drags the fleet back to its own code.
 */
export function daemonIsOutdated(mine: BuildIdentity, theirs: Partial<BuildIdentity>): boolean {
  if (mine.builtAt <= 0 || theirs.id === mine.id) return false;
  if (theirs.builtAt === undefined) return true;
  return theirs.builtAt > 0 && theirs.builtAt < mine.builtAt;
}
