/** `--hash-password`: glibc-compatible SHA-512 crypt, the hash alone on stdout, empty passwords refused. */
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readLine } from '../../src/commands/hash-password.js';
import { hashPassword, randomSalt, sha512Crypt } from '../../src/config/sha512-crypt.js';
import { main } from '../../src/main.js';

describe('sha512Crypt', () => {
  // The first is the specification's own example; the others come from glibc's crypt(3).
  it.each([
    [
      'Hello world!',
      'saltstring',
      5000,
      '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
    ],
    [
      'Hello world!',
      'saltstringsaltstring',
      10000,
      '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.',
    ],
    ['', 'abc', 5000, '$6$abc$mJP3a6FyA8uCnzRtlnNypPwjnvpi5TP9qOrInzrfDmwxUQG38PkpCPdqfTb8JQfAngapMxeim4AZ..hSdRRzD.'],
    [
      'pässwörd',
      '0123456789abcdef',
      5000,
      '$6$0123456789abcdef$SbYrq9vmP3mhdocMu6pAC/f.xWxY2daFD3BB.LQwWeU2vm9Kk529r2RRD35SLt1PrlKfEVlyiymFPnfNDWfx6.',
    ],
    [
      'x'.repeat(100),
      'saltsaltsaltsalt',
      5000,
      '$6$saltsaltsaltsalt$.1EZzog1wcpq5JIvV/WT92D.QlINyy6tvU1yafc6nBj5ZGWbzJr6R8/b3LyvPLfO6XPaCrkn5TU0aah/u95/F.',
    ],
  ])('%j with salt %s (%i rounds)', (pw, salt, rounds, expected) => {
    expect(sha512Crypt(pw, salt, rounds)).toBe(expected);
  });
  it('uses a fresh 16-character salt each time', () => {
    const a = hashPassword('secret');
    const b = hashPassword('secret');
    expect(a).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    expect(a).not.toBe(b);
    const salt = a.split('$')[2]!;
    expect(sha512Crypt('secret', salt)).toBe(a);
    expect(randomSalt()).toHaveLength(16);
  });
});

describe('--hash-password', () => {
  let out = '';
  let err = '';
  beforeEach(() => {
    out = '';
    err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  });
  afterEach(() => vi.restoreAllMocks());

  it('prints only the hash on stdout', async () => {
    expect(await main(['--hash-password', 'hunter2'], '/')).toBe(0);
    expect(out).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}\n$/);
    const [, , salt] = out.trim().split('$');
    expect(out.trim()).toBe(sha512Crypt('hunter2', salt!));
    expect(err).toContain('====> HASHING PASSWORD TO SHA512');
  });

  it('an empty password argument is refused with exit 1', async () => {
    expect(await main(['--hash-password', ''], '/')).toBe(1);
    expect(out).toBe('');
    expect(err).toContain('Must provide a non-empty password');
  });

  it('reads one line from a non-interactive stdin', async () => {
    const input = new PassThrough();
    const line = readLine(input);
    input.write('pass');
    input.write('word\nignored\n');
    expect(await line).toBe('password');
    const empty = new PassThrough();
    const none = readLine(empty);
    empty.end();
    expect(await none).toBe('');
  });
});

describe('--hash-password on a terminal asks twice', () => {
  async function ask(answers: string[], argv = ['--hash-password']) {
    const { run } = await import('../../src/commands/hash-password.js');
    const { parseArgs } = await import('../../src/cli/args.js');
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    const asked: string[] = [];
    const queue = [...answers];
    const ctx = {
      options: parseArgs(argv, process.cwd(), {}),
      signal: new AbortController().signal,
      stdout,
      stderr,
      interactive: true,
    };
    // The prompt reader is injected: no real terminal is needed.
    const prompt = (q: string): Promise<string> => {
      asked.push(q);
      return Promise.resolve(queue.shift() ?? '');
    };
    try {
      const code = await run(ctx, prompt);
      return { code, out, err, asked, error: undefined as Error | undefined };
    } catch (e) {
      return { code: undefined, out, err, asked, error: e as Error };
    }
  }

  it('hashes when both answers match', async () => {
    const r = await ask(['s3cret', 's3cret']);
    expect(r.code).toBe(0);
    expect(r.asked).toEqual(['Password: ', 'Confirm password: ']);
    const hash = r.out.trim();
    expect(sha512Crypt('s3cret', hash.split('$')[2]!)).toBe(hash);
  });

  it('refuses a mismatch: exit 1, nothing on stdout', async () => {
    const { InputError } = await import('../../src/errors.js');
    const r = await ask(['s3cret', 's3cert']);
    expect(r.error).toBeInstanceOf(InputError);
    expect((r.error as InstanceType<typeof InputError>).exitCode).toBe(1);
    expect(r.error!.message).toMatch(/do not match/);
    expect(r.out).toBe('');
  });

  it('asks again after an empty answer, then confirms', async () => {
    const r = await ask(['', 'pw', 'pw']);
    expect(r.code).toBe(0);
    expect(r.asked).toEqual(['Password: ', 'Password: ', 'Confirm password: ']);
  });

  it('never asks when the password is on the command line', async () => {
    const r = await ask([], ['--hash-password', 'pw']);
    expect(r.code).toBe(0);
    expect(r.asked).toEqual([]);
  });
});
