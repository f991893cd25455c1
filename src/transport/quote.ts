/**
 * POSIX shell quoting. Every remote command is built as an argv and joined here, so no config text (paths, user
 * names, addresses) ever reaches the remote shell unescaped. The output is valid for sh, dash, bash, zsh and ksh:
 * single quotes are the only quoting that makes every byte literal in all of them.
 */

/** Words that need no quotes: conservative on purpose (no `=`, which makes a leading word an assignment; no `~`). */
const SAFE = /^[A-Za-z0-9_@%+,./:-]+$/;

/** Quote one argument so that the shell passes it through as exactly one word, byte for byte. */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new Error('a shell argument cannot contain a NUL byte');
  if (arg === '') return "''";
  if (SAFE.test(arg)) return arg;
  // Inside '…' nothing is special except the closing quote: end the quote, add an escaped ', reopen.
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Join an argv into one command line for a remote shell: `command(['ls', '-l', "it's"])` → `ls -l 'it'\''s'`. */
export function command(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('command: empty argv');
  return argv.map(shellQuote).join(' ');
}

/** `sudo -n <argv>`: run as root without ever waiting for a password prompt (fails at once instead). */
export function sudoCommand(argv: readonly string[]): string {
  return command(['sudo', '-n', '--', ...argv]);
}
