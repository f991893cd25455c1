/**
 * The client's identity: the private key at `ssh_key_path` (OpenSSH or PEM; RSA, ECDSA, ed25519) and/or an
 * ssh-agent. A key is parsed — and, if encrypted, decrypted — once per run and handed to every connection as a
 * parsed key, so a bcrypt-protected key costs its KDF once, not once per host. The passphrase comes from
 * GENCONF_SSH_KEY_PASSPHRASE (CI), else from one prompt on the terminal, else the run stops with a clear error.
 * Neither the passphrase nor key material ever reaches a message or a log.
 */
import { createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { INPUT_LIMITS, InputFileError, readInputFile } from '../config/input-file.js';
import { InputError, InterruptedError } from '../errors.js';
import { fingerprint } from './known-hosts.js';

export const PASSPHRASE_ENV = 'GENCONF_SSH_KEY_PASSPHRASE';

/** Ask a question on the terminal without echoing the answer. */
export type PassphrasePrompt = (question: string) => Promise<string>;

export interface LoadedKey {
  path: string;
  parsed: ParsedKey;
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, … */
  type: string;
  /** SHA256 fingerprint of the public half, for messages. */
  fingerprint: string;
  encrypted: boolean;
  /** Things the operator should fix but that do not stop the run (e.g. a key readable by others). */
  warnings: string[];
}

export interface LoadKeyOptions {
  env?: NodeJS.ProcessEnv;
  /** Asked at most once per key per run; leave out when there is no terminal. */
  prompt?: PassphrasePrompt;
}

const cache = new Map<string, Promise<LoadedKey>>();

/** Forget keys loaded so far (tests; a long-lived process that wants to re-read a key). */
export function clearKeyCache(): void {
  cache.clear();
}

/** Load and parse a private key once per run (later calls for the same file share the first result). */
export function loadPrivateKey(file: string, opts: LoadKeyOptions = {}): Promise<LoadedKey> {
  const abs = path.resolve(file);
  let p = cache.get(abs);
  if (!p) {
    p = load(abs, opts);
    cache.set(abs, p);
    // A failed load may be retried (e.g. after the operator fixed the file); success is final.
    p.catch(() => cache.delete(abs));
  }
  return p;
}

function isEncryptedError(err: Error): boolean {
  return /no passphrase given/i.test(err.message);
}

function parse(data: Buffer, passphrase?: string): ParsedKey | Error {
  const r = ssh2.utils.parseKey(data, passphrase) as ParsedKey | ParsedKey[] | Error;
  if (Array.isArray(r)) return r[0] ?? new Error('no key in file');
  if (r instanceof Error && /BEGIN (ENCRYPTED )?PRIVATE KEY/.test(data.toString('latin1')))
    return fromPkcs8(data, passphrase);
  return r;
}

/**
 * PKCS#8 (`BEGIN PRIVATE KEY`, e.g. from openssl genpkey) is not read by ssh2: re-encode RSA and EC keys as the
 * PKCS#1/SEC1 PEM that it reads. Only in memory; the file is never rewritten.
 */
function fromPkcs8(data: Buffer, passphrase?: string): ParsedKey | Error {
  const encrypted = data.toString('latin1').includes('BEGIN ENCRYPTED PRIVATE KEY');
  if (encrypted && !passphrase) return new Error('Encrypted PKCS#8 private key detected, but no passphrase given');
  try {
    const key = createPrivateKey({ key: data, format: 'pem', ...(passphrase ? { passphrase } : {}) });
    const type = key.asymmetricKeyType;
    if (type !== 'rsa' && type !== 'ec') {
      return new Error(
        `PKCS#8 ${type} keys are not supported; convert the key to OpenSSH format with: ssh-keygen -p -f <file>`,
      );
    }
    const pem = key.export({ format: 'pem', type: type === 'rsa' ? 'pkcs1' : 'sec1' });
    const r = ssh2.utils.parseKey(pem) as ParsedKey | ParsedKey[] | Error;
    return Array.isArray(r) ? (r[0] ?? new Error('no key')) : r;
  } catch (err) {
    return new Error(encrypted ? 'PKCS#8 key: bad passphrase?' : (err as Error).message);
  }
}

async function load(file: string, opts: LoadKeyOptions): Promise<LoadedKey> {
  const env = opts.env ?? process.env;
  const warnings: string[] = [];
  let data: Buffer;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new InputError(`ssh_key_path ${file} is not a file`, file);
    // OpenSSH itself refuses such keys; we only warn, but say how to fix it.
    if ((st.mode & 0o077) !== 0) {
      warnings.push(
        `SSH key ${file} is readable by group/other (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); restrict it with: chmod 600 '${file}'`,
      );
    }
    data = await readInputFile(file, INPUT_LIMITS.sshKey);
  } catch (err) {
    if (err instanceof InputError) throw err;
    if (err instanceof InputFileError && err.problem === 'too-big')
      throw new InputError(`ssh_key_path ${file} ${err.reason}`, file);
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'is not readable by this user'
          : (err as Error).message;
    throw new InputError(
      `ssh_key_path ${file} ${why}`,
      file,
      'set ssh_key_path in config.yaml to the private key used to log in to the hosts',
    );
  }

  let parsed = parse(data);
  let encrypted = false;
  if (parsed instanceof Error && isEncryptedError(parsed)) {
    encrypted = true;
    let passphrase = env[PASSPHRASE_ENV];
    let source = `the environment variable ${PASSPHRASE_ENV}`;
    if (passphrase === undefined || passphrase === '') {
      if (!opts.prompt) {
        throw new InputError(
          `SSH key ${file} is encrypted and no passphrase is available`,
          file,
          `set ${PASSPHRASE_ENV} in the environment, run genconf in a terminal to be asked for it, or load the key into ssh-agent (SSH_AUTH_SOCK)`,
        );
      }
      source = 'the terminal';
      try {
        passphrase = await opts.prompt(`Enter passphrase for SSH key ${file}: `);
      } catch (err) {
        if (err instanceof InterruptedError) throw err;
        throw new InputError(
          `SSH key ${file} is encrypted and reading its passphrase failed: ${(err as Error).message}`,
          file,
        );
      }
    }
    parsed = parse(data, passphrase);
    if (parsed instanceof Error) {
      throw new InputError(
        `SSH key ${file}: the passphrase from ${source} does not decrypt it`,
        file,
        `check ${PASSPHRASE_ENV} or the passphrase typed`,
      );
    }
  }
  if (parsed instanceof Error) {
    throw new InputError(
      `ssh_key_path ${file} is not a private key ssh can use (${parsed.message})`,
      file,
      'supported: OpenSSH and PEM private keys (RSA, ECDSA, ed25519); convert others with: ssh-keygen -p -f <file>',
    );
  }
  if (!parsed.isPrivateKey()) {
    throw new InputError(
      `ssh_key_path ${file} is a public key; it must name the private key`,
      file,
      file.endsWith('.pub') ? `use ${file.slice(0, -4)}` : undefined,
    );
  }
  return {
    path: file,
    parsed: withKeyObject(parsed),
    type: parsed.type,
    fingerprint: fingerprint(parsed.getPublicSSH()),
    encrypted,
    warnings,
  };
}

/** The hash each key type signs with when ssh2 names none (RFC 4253, 5656, 8709); RSA gets it from the server. */
const SIGN_HASH: Record<string, string | null> = {
  'ssh-ed25519': null,
  'ssh-rsa': 'sha1',
  'ecdsa-sha2-nistp256': 'sha256',
  'ecdsa-sha2-nistp384': 'sha384',
  'ecdsa-sha2-nistp521': 'sha512',
};

/**
 * The same key, signing with a KeyObject made once. ssh2's ParsedKey.sign() hands crypto.sign() the PEM text, which
 * is parsed again on every call: 1.3 ms of the ~10 ms of client CPU a whole connection costs here, against 0.1 ms
 * with a KeyObject. Everything else (public blob, type, the private PEM) is the original key's, through the
 * prototype; a key type not listed above keeps ssh2's own sign().
 */
export function withKeyObject(key: ParsedKey): ParsedKey {
  if (!(key.type in SIGN_HASH) || !key.isPrivateKey()) return key;
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(key.getPrivatePEM());
  } catch {
    return key;
  }
  const fast = Object.create(key) as ParsedKey;
  // ssh2 expects an Error returned, not thrown, when signing fails (its typings say Buffer only).
  fast.sign = ((data: string | Buffer, algo?: string): Buffer | Error => {
    try {
      return cryptoSign(algo || SIGN_HASH[key.type]!, typeof data === 'string' ? Buffer.from(data) : data, keyObject);
    } catch (err) {
      return err as Error;
    }
  }) as ParsedKey['sign'];
  return fast;
}

/** The ssh-agent socket from SSH_AUTH_SOCK, if set. */
export function agentSocket(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const sock = env.SSH_AUTH_SOCK;
  return sock && sock.trim() !== '' ? sock : undefined;
}

/**
 * A prompt on the controlling terminal with echo off, or undefined when stdin is not a terminal (CI, pipes).
 * Ctrl-C while typing rejects with InterruptedError.
 */
export function terminalPrompt(
  stdin: NodeJS.ReadStream = process.stdin,
  out: NodeJS.WritableStream = process.stderr,
): PassphrasePrompt | undefined {
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') return undefined;
  return (question) =>
    new Promise<string>((resolve, reject) => {
      out.write(question);
      const wasRaw = stdin.isRaw;
      stdin.setRawMode(true);
      stdin.resume();
      let answer = '';
      const finish = (err?: Error): void => {
        stdin.off('data', onData);
        stdin.setRawMode(wasRaw);
        stdin.pause();
        out.write('\n');
        if (err) reject(err);
        else resolve(answer);
      };
      const onData = (chunk: Buffer | string): void => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
          if (ch === '\u0003') return finish(new InterruptedError());
          if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
          else answer += ch;
        }
      };
      stdin.on('data', onData);
    });
}
