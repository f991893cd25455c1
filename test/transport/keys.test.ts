import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InputError, InterruptedError } from '../../src/errors.js';
import {
  PASSPHRASE_ENV,
  agentSocket,
  clearKeyCache,
  loadPrivateKey,
  terminalPrompt,
} from '../../src/transport/keys.js';

let dir: string;
const PASS = 'correct horse battery';

function keygen(name: string, args: string[], passphrase = ''): string {
  const file = path.join(dir, name);
  // -a 2: few bcrypt rounds, so the tests do not spend seconds in the KDF.
  execFileSync('ssh-keygen', ['-q', '-N', passphrase, '-a', '2', '-f', file, ...args]);
  return file;
}

function sshFingerprint(file: string): string {
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file], { encoding: 'utf8' }).split(' ')[1]!;
}

async function inputError(p: Promise<unknown>): Promise<InputError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(InputError);
  return e as InputError;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'genconf-keys-'));
});
afterEach(() => clearKeyCache());

describe('loadPrivateKey', () => {
  it.each([
    ['ed25519 (OpenSSH)', ['-t', 'ed25519'], 'ssh-ed25519'],
    ['RSA (PEM)', ['-t', 'rsa', '-b', '2048', '-m', 'PEM'], 'ssh-rsa'],
    ['RSA (OpenSSH)', ['-t', 'rsa', '-b', '2048'], 'ssh-rsa'],
    ['ECDSA (PEM)', ['-t', 'ecdsa', '-b', '256', '-m', 'PEM'], 'ecdsa-sha2-nistp256'],
    ['ECDSA P-384 (OpenSSH)', ['-t', 'ecdsa', '-b', '384'], 'ecdsa-sha2-nistp384'],
    ['RSA (PKCS#8)', ['-t', 'rsa', '-b', '2048', '-m', 'PKCS8'], 'ssh-rsa'],
    ['ECDSA (PKCS#8)', ['-t', 'ecdsa', '-b', '256', '-m', 'PKCS8'], 'ecdsa-sha2-nistp256'],
  ])('reads %s keys', async (label, args, type) => {
    const file = keygen(label.replace(/\W+/g, '_'), args);
    const k = await loadPrivateKey(file, { env: {} });
    expect(k.type).toBe(type);
    expect(k.fingerprint).toBe(sshFingerprint(file));
    expect(k.encrypted).toBe(false);
    expect(k.parsed.isPrivateKey()).toBe(true);
    expect(k.warnings).toEqual([]);
    // The loaded key signs with a KeyObject made once; what it signs verifies against the key's own public half,
    // for each hash ssh2 may ask for, so servers accept it exactly as they accepted ssh2's own signatures.
    const data = Buffer.from('session id and userauth request');
    const hashes = type === 'ssh-rsa' ? ['sha256', 'sha512', undefined] : [undefined];
    for (const h of hashes) {
      const sig = k.parsed.sign(data, h);
      expect(sig).toBeInstanceOf(Buffer);
      expect(k.parsed.verify(data, sig, h)).toBe(true);
      expect(k.parsed.verify(Buffer.from('something else'), sig, h)).toBe(false);
    }
    expect(k.parsed.getPublicSSH()).toEqual(Buffer.from(readFileSync(`${file}.pub`, 'utf8').split(' ')[1]!, 'base64'));
  });

  it('decrypts an encrypted key with the passphrase from GENCONF_SSH_KEY_PASSPHRASE', async () => {
    const file = keygen('enc_env', ['-t', 'ed25519'], PASS);
    const k = await loadPrivateKey(file, { env: { [PASSPHRASE_ENV]: PASS } });
    expect(k.encrypted).toBe(true);
    expect(k.fingerprint).toBe(sshFingerprint(`${file}.pub`));
  });

  it('decrypts encrypted PEM keys too', async () => {
    const file = keygen('enc_pem', ['-t', 'rsa', '-b', '2048', '-m', 'PEM'], PASS);
    const k = await loadPrivateKey(file, { env: { [PASSPHRASE_ENV]: PASS } });
    expect(k.type).toBe('ssh-rsa');
  });

  it('asks once per run when there is no environment variable', async () => {
    const file = keygen('enc_prompt', ['-t', 'ed25519'], PASS);
    const questions: string[] = [];
    const prompt = async (q: string): Promise<string> => {
      questions.push(q);
      return PASS;
    };
    const [a, b] = await Promise.all([
      loadPrivateKey(file, { env: {}, prompt }),
      loadPrivateKey(file, { env: {}, prompt }),
    ]);
    await loadPrivateKey(file, { env: {}, prompt });
    expect(questions).toHaveLength(1);
    expect(questions[0]).toContain(file);
    expect(a).toBe(b);
  });

  it('fails clearly without a passphrase source, and on a wrong passphrase, never echoing it', async () => {
    const file = keygen('enc_fail', ['-t', 'ed25519'], PASS);
    const none = await inputError(loadPrivateKey(file, { env: {} }));
    expect(none.message).toContain(file);
    expect(none.message).toContain('encrypted');
    expect(none.hint).toContain(PASSPHRASE_ENV);
    const wrong = await inputError(loadPrivateKey(file, { env: { [PASSPHRASE_ENV]: 'not-it-at-all' } }));
    expect(wrong.message).toContain(PASSPHRASE_ENV);
    expect(`${wrong.message} ${wrong.hint}`).not.toContain('not-it-at-all');
    const typed = await inputError(loadPrivateKey(file, { env: {}, prompt: async () => 'typed-wrong' }));
    expect(typed.message).toContain('terminal');
    expect(`${typed.message} ${typed.hint}`).not.toContain('typed-wrong');
  });

  it('warns (without failing) when the key is readable by group or others', async () => {
    const file = keygen('loose', ['-t', 'ed25519']);
    chmodSync(file, 0o644);
    const k = await loadPrivateKey(file, { env: {} });
    expect(k.warnings).toHaveLength(1);
    expect(k.warnings[0]).toContain('0644');
    expect(k.warnings[0]).toContain(`chmod 600 '${file}'`);
  });

  it('rejects missing files, public keys and garbage with the path in the message', async () => {
    const missing = await inputError(loadPrivateKey(path.join(dir, 'nope'), { env: {} }));
    expect(missing.message).toMatch(/nope does not exist/);
    const pub = keygen('pubonly', ['-t', 'ed25519']);
    const pubErr = await inputError(loadPrivateKey(`${pub}.pub`, { env: {} }));
    expect(pubErr.message).toContain('is a public key');
    expect(pubErr.hint).toContain(pub);
    const junk = path.join(dir, 'junk');
    writeFileSync(junk, 'not a key\n');
    const junkErr = await inputError(loadPrivateKey(junk, { env: {} }));
    expect(junkErr.message).toContain(junk);
    expect(junkErr.message).not.toContain('not a key\n');
    const asDir = await inputError(loadPrivateKey(dir, { env: {} }));
    expect(asDir.message).toContain('is not a file');
  });

  it('never puts key material in messages', async () => {
    const file = keygen('secret', ['-t', 'ed25519']);
    const body = readFileSync(file, 'utf8').split('\n')[1]!;
    const k = await loadPrivateKey(file, { env: {} });
    expect(JSON.stringify({ ...k, parsed: undefined })).not.toContain(body);
  });
});

describe('agent and terminal prompt', () => {
  it('takes the agent socket from SSH_AUTH_SOCK', () => {
    expect(agentSocket({ SSH_AUTH_SOCK: '/run/agent.sock' })).toBe('/run/agent.sock');
    expect(agentSocket({ SSH_AUTH_SOCK: '' })).toBeUndefined();
    expect(agentSocket({})).toBeUndefined();
  });

  function fakeTty(): { stdin: NodeJS.ReadStream; raw: boolean[] } {
    const s = new PassThrough() as unknown as NodeJS.ReadStream & { isRaw: boolean };
    const raw: boolean[] = [];
    Object.assign(s, {
      isTTY: true,
      isRaw: false,
      setRawMode(v: boolean) {
        raw.push(v);
        s.isRaw = v;
        return s;
      },
    });
    return { stdin: s, raw };
  }

  it('reads a line with echo off and restores the terminal', async () => {
    const { stdin, raw } = fakeTty();
    const out = new PassThrough();
    let shown = '';
    out.on('data', (d: Buffer) => (shown += d.toString()));
    const prompt = terminalPrompt(stdin, out)!;
    const answer = prompt('Passphrase: ');
    (stdin as unknown as PassThrough).write('sekrit\u007fT\r');
    expect(await answer).toBe('sekriT');
    expect(shown).toBe('Passphrase: \n');
    expect(raw).toEqual([true, false]);
  });

  it('Ctrl-C while typing interrupts', async () => {
    const { stdin } = fakeTty();
    const prompt = terminalPrompt(stdin, new PassThrough())!;
    const answer = prompt('Passphrase: ');
    (stdin as unknown as PassThrough).write('ab\u0003');
    await expect(answer).rejects.toBeInstanceOf(InterruptedError);
  });

  it('is unavailable without a terminal', () => {
    expect(terminalPrompt(new PassThrough() as unknown as NodeJS.ReadStream)).toBeUndefined();
  });
});
