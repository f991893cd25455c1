/** POSIX single-quoting for the few words the benchmark puts into remote commands (user names, paths). */
export function shq(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
