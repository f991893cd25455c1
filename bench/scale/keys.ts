/**
 * Host keys for the bench farm: one ed25519 key per farm address, generated once and cached in a temp directory
 * (about 1 ms a key here, so 10,000 keys cost ~11 s the first time and a file read after). Every address gets a key
 * of its own; none is shared, so known_hosts checking on the client does the same work as against real hosts.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';

const { utils } = ssh2;

export interface PoolKey {
  /** OpenSSH private key text, as the ssh2 Server takes it. */
  private: string;
  /** The public key blob (SSH wire format), base64: the third field of a known_hosts line. */
  publicB64: string;
}

export function defaultKeyDir(): string {
  return path.join(os.tmpdir(), 'genconf-bench-farm-keys');
}

function parse(pem: string): ParsedKey | undefined {
  const k = utils.parseKey(pem);
  return k instanceof Error || Array.isArray(k) ? undefined : k;
}

/** One new key that ssh2 reads back (its generator writes an unreadable key a few times in 1000: draw again). */
export function newKey(): PoolKey {
  for (let i = 0; i < 20; i++) {
    const pem = utils.generateKeyPairSync('ed25519').private;
    const k = parse(pem);
    if (k) return { private: pem, publicB64: k.getPublicSSH().toString('base64') };
  }
  throw new Error('ssh2 could not read back 20 generated keys in a row');
}

/** `count` distinct host keys, from the cache in `dir` (grown and rewritten atomically when it holds fewer). */
export function hostKeyPool(count: number, dir = defaultKeyDir()): PoolKey[] {
  const file = path.join(dir, 'ed25519.json');
  let keys: PoolKey[] = [];
  if (existsSync(file)) {
    try {
      keys = JSON.parse(readFileSync(file, 'utf8')) as PoolKey[];
    } catch {
      keys = []; // a torn or foreign file: regenerate
    }
  }
  if (keys.length < count) {
    while (keys.length < count) keys.push(newKey());
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(keys), { mode: 0o600 });
    renameSync(tmp, file);
  }
  return keys.slice(0, count);
}
