// POSIX sh single-quoting. Every word rch puts in front of a shell goes through here.
const safe = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shQuote(word: string): string {
  if (word.length > 0 && safe.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Always quoted, even when not needed: for the rch path in rewrites, where it must look the same every time. */
export function shQuoteAlways(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shJoin(argv: readonly string[]): string {
  return argv.map(shQuote).join(" ");
}
