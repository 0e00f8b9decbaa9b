// A worker whose sessions cannot create user namespaces (so no unprivileged mount namespace
// either): the kernel's own limit, not a fake `unshare` on PATH. The sshd runs in a user
// namespace A (this user mapped to root there) whose user.max_user_namespaces is set to 1, then
// in a child namespace B that maps the user's own ids back, so sshd and its sessions are the
// worker user as usual. A limit counts every namespace created below it: B takes A's only one,
// so any `unshare --user` in a session fails ("No space left on device"), as on a host where
// unprivileged user namespaces are off.

/** Run as A's root: cap A, then run the command in B as the user ($1 $2: its uid and gid). */
const INNER =
  'u=$1 g=$2 && shift 2 && echo 1 >/proc/sys/user/max_user_namespaces && exec unshare --user --map-user="$u" --map-group="$g" -- "$@"';

/** argv that runs `cmd`, as the current user, inside the limited namespaces. */
export function withoutUserNamespaces(cmd: readonly string[]): string[] {
  return [
    "sh",
    "-c",
    'u=$(id -u) && g=$(id -g) && exec unshare --user --map-root-user sh -c "$0" rch-bed "$u" "$g" "$@"',
    INNER,
    ...cmd,
  ];
}
