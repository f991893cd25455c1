/**
 * `--hash-password [PW]`: print the SHA-512 crypt hash (`$6$<16-char salt>$…`) of a password, alone on stdout.
 * Without PW, on a terminal it asks `Password: ` without echo (again while the answer is empty), then
 * `Confirm password: `, and refuses a mismatch (exit 1, nothing printed on stdout): a typo would otherwise become
 * the cluster's password unnoticed. From a non-interactive stdin it reads one line, once (an empty line is an error,
 * exit 1).
 */
import type { CommandContext } from '../cli/context.js';
import { ExitCode } from '../exit-codes.js';
import { InputError } from '../errors.js';
import { hashPassword } from '../config/sha512-crypt.js';

const EMPTY = 'Must provide a non-empty password';
const MISMATCH = 'The two passwords do not match; nothing was hashed';

/** Asks one question on the terminal without echo; tests give their own. */
export type PromptHidden = (question: string) => Promise<string>;

export async function run(
  ctx: CommandContext,
  prompt: PromptHidden = (question) => promptHidden(ctx, question),
): Promise<ExitCode> {
  ctx.stderr.write('====> HASHING PASSWORD TO SHA512\n');
  let password = ctx.options.actionArg;
  if (password === undefined) {
    if (ctx.interactive) {
      for (;;) {
        password = await prompt('Password: ');
        if (password !== '') break;
        ctx.stderr.write(`${EMPTY}\n`);
      }
      const again = await prompt('Confirm password: ');
      if (again !== password)
        throw new InputError(MISMATCH, undefined, 'run --hash-password again and type the same password twice');
    } else password = await readLine(process.stdin);
  }
  if (password === '') throw new InputError(EMPTY);
  ctx.stdout.write(`${hashPassword(password)}\n`);
  return ExitCode.OK;
}

/** One line from a stream (without its line ending); '' at end of input. */
export function readLine(input: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const finish = (): void => {
      input.off('data', onData);
      input.off('end', finish);
      input.off('error', reject);
      input.pause();
      resolve(buf.split(/\r?\n/)[0] ?? '');
    };
    const onData = (chunk: Buffer | string): void => {
      buf += chunk.toString();
      if (buf.includes('\n')) finish();
    };
    input.on('data', onData);
    input.once('end', finish);
    input.once('error', reject);
    input.resume();
  });
}

/** Read a line from the terminal in raw mode, echoing nothing. Ctrl-C aborts like a signal would. */
function promptHidden(ctx: CommandContext, prompt: string): Promise<string> {
  const stdin = process.stdin;
  ctx.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    stdin.setRawMode?.(true);
    stdin.resume();
    const done = (err?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      ctx.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new InputError('interrupted'));
        if (ch === '\u0004') return done();
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
