import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  KnownHosts,
  fingerprint,
  hostFieldMatches,
  keyTypeOf,
  knownHostsName,
  parseKnownHosts,
} from '../../src/transport/known-hosts.js';
import { hostKeyAlgorithms } from '../../src/transport/ssh.js';

let dir: string;
/** Real public keys made by ssh-keygen: type → { line: "type base64", blob }. */
const keys: Record<string, { line: string; blob: Buffer; file: string }> = {};

function newKey(name: string, args: string[]): { line: string; blob: Buffer; file: string } {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-N', '', '-f', file, ...args]);
  const line = readFileSync(`${file}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
  return { line, blob: Buffer.from(line.split(' ')[1]!, 'base64'), file };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'genconf-kh-'));
  keys.ed = newKey('ed', ['-t', 'ed25519']);
  keys.ed2 = newKey('ed2', ['-t', 'ed25519']);
  keys.ecdsa = newKey('ecdsa', ['-t', 'ecdsa', '-b', '256']);
  keys.rsa = newKey('rsa', ['-t', 'rsa', '-b', '2048']);
});

function file(name: string, text?: string): string {
  const f = path.join(dir, name);
  if (text !== undefined) writeFileSync(f, text);
  return f;
}

describe('known_hosts parsing and matching', () => {
  it('computes fingerprints exactly like ssh-keygen -l', () => {
    for (const k of Object.values(keys)) {
      const ssh = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${k.file}.pub`], { encoding: 'utf8' }).split(
        ' ',
      )[1];
      expect(fingerprint(k.blob)).toBe(ssh);
    }
    expect(keyTypeOf(keys.ecdsa!.blob)).toBe('ecdsa-sha2-nistp256');
    expect(keyTypeOf(keys.rsa!.blob)).toBe('ssh-rsa');
    expect(keyTypeOf(Buffer.from([1, 2]))).toBe('unknown');
  });

  it('names hosts as OpenSSH does', () => {
    expect(knownHostsName('10.0.0.1', 22)).toBe('10.0.0.1');
    expect(knownHostsName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
  });

  it('parses entries with line numbers, markers and comments; skips malformed and mistyped lines', () => {
    const text = [
      '# comment',
      '',
      `10.0.0.1,master-1 ${keys.ed!.line} some comment`,
      `@revoked 10.0.0.2 ${keys.ecdsa!.line}`,
      'garbage line',
      `10.0.0.3 ssh-rsa ${keys.ed!.line.split(' ')[1]}`, // blob says ed25519: corrupt
      `@cert-authority *.example.com ${keys.rsa!.line}`,
    ].join('\n');
    const e = parseKnownHosts(text);
    expect(e.map((x) => [x.line, x.marker ?? '', x.hosts, x.keyType])).toEqual([
      [3, '', '10.0.0.1,master-1', 'ssh-ed25519'],
      [4, 'revoked', '10.0.0.2', 'ecdsa-sha2-nistp256'],
      [7, 'cert-authority', '*.example.com', 'ssh-rsa'],
    ]);
  });

  it('matches patterns: lists, wildcards, negation, case-insensitive names, [host]:port', () => {
    expect(hostFieldMatches('10.0.0.1,master-1', 'master-1')).toBe(true);
    expect(hostFieldMatches('10.0.0.*', '10.0.0.77')).toBe(true);
    expect(hostFieldMatches('10.0.0.?', '10.0.0.77')).toBe(false);
    expect(hostFieldMatches('10.0.0.*,!10.0.0.5', '10.0.0.5')).toBe(false);
    expect(hostFieldMatches('Master-1', 'master-1')).toBe(true);
    expect(hostFieldMatches('10.0.0.1', '[10.0.0.1]:2222')).toBe(false);
    expect(hostFieldMatches('[10.0.0.1]:2222', '[10.0.0.1]:2222')).toBe(true);
    expect(hostFieldMatches('10.0.0.1.', '10.0.0.1x')).toBe(false);
  });

  it('matches hashed entries written by ssh-keygen -H (port 22 and other ports)', () => {
    const f = file('hashed', `10.1.2.3 ${keys.ed!.line}\n[10.1.2.3]:2222 ${keys.ecdsa!.line}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', f], { stdio: 'ignore' });
    const e = parseKnownHosts(readFileSync(f, 'utf8'));
    expect(e).toHaveLength(2);
    expect(e.every((x) => x.hosts.startsWith('|1|'))).toBe(true);
    expect(hostFieldMatches(e[0]!.hosts, '10.1.2.3')).toBe(true);
    expect(hostFieldMatches(e[0]!.hosts, '10.1.2.4')).toBe(false);
    expect(hostFieldMatches(e[1]!.hosts, '[10.1.2.3]:2222')).toBe(true);
    expect(hostFieldMatches(e[1]!.hosts, '10.1.2.3')).toBe(false);
  });

  it('offers the host key types known_hosts lists for a host first', async () => {
    const f = file('types', `10.0.0.9 ${keys.rsa!.line}\n10.0.0.9 ${keys.ecdsa!.line}\n`);
    const kh = new KnownHosts(f, 'strict');
    const types = await kh.knownKeyTypes('10.0.0.9', 22);
    expect(types).toEqual(['ssh-rsa', 'ecdsa-sha2-nistp256']);
    expect(hostKeyAlgorithms(types).slice(0, 5)).toEqual([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
      'ecdsa-sha2-nistp256',
      'ssh-ed25519',
    ]);
    expect(hostKeyAlgorithms([])[0]).toBe('ssh-ed25519');
    expect(await new KnownHosts(f, 'off').knownKeyTypes('10.0.0.9', 22)).toEqual([]);
  });
});

describe('KnownHosts policy', () => {
  it('accepts a listed key in every mode (plain or hashed, any line)', async () => {
    const f = file('ok', `# x\n10.0.0.1 ${keys.ed2!.line}\n10.0.0.1 ${keys.ed!.line}\n`);
    for (const mode of ['strict', 'accept-new'] as const) {
      expect(await new KnownHosts(f, mode).verify('10.0.0.1', 22, keys.ed!.blob)).toEqual({
        ok: true,
        recorded: false,
      });
    }
  });

  it('strict refuses an unknown host and writes nothing', async () => {
    const f = file('strict', `10.0.0.1 ${keys.ed!.line}\n`);
    const v = await new KnownHosts(f, 'strict').verify('10.0.0.2', 22, keys.ed!.blob);
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.kind).toBe('host-key-unknown');
    expect(v.message).toContain('10.0.0.2');
    expect(v.message).toContain(fingerprint(keys.ed!.blob));
    expect(readFileSync(f, 'utf8')).toBe(`10.0.0.1 ${keys.ed!.line}\n`);
  });

  it('accept-new records an unseen host atomically with mode 0600, creating the directory, keeping old lines', async () => {
    const f = path.join(dir, 'fresh', 'sub', 'known_hosts');
    const kh = new KnownHosts(f, 'accept-new');
    expect(await kh.verify('10.0.0.5', 2222, keys.ecdsa!.blob)).toEqual({ ok: true, recorded: true });
    expect(readFileSync(f, 'utf8')).toBe(`[10.0.0.5]:2222 ${keys.ecdsa!.line}\n`);
    expect(statSync(f).mode & 0o777).toBe(0o600);
    // Second time: known, nothing appended.
    expect(await kh.verify('10.0.0.5', 2222, keys.ecdsa!.blob)).toEqual({ ok: true, recorded: false });
    // A file without a final newline keeps its last line intact.
    const g = file('nonl', `10.0.0.1 ${keys.ed!.line}`);
    await new KnownHosts(g, 'accept-new').verify('10.0.0.2', 22, keys.ed2!.blob);
    expect(readFileSync(g, 'utf8')).toBe(`10.0.0.1 ${keys.ed!.line}\n10.0.0.2 ${keys.ed2!.line}\n`);
  });

  it('accept-new records many hosts met at once, each exactly once', async () => {
    const f = path.join(dir, 'parallel_known_hosts');
    const kh = new KnownHosts(f, 'accept-new');
    const addrs = Array.from({ length: 40 }, (_, i) => `10.9.0.${i + 1}`);
    await Promise.all([...addrs, ...addrs].map((a) => kh.verify(a, 22, keys.ed!.blob)));
    const lines = readFileSync(f, 'utf8').trim().split('\n');
    expect(lines.sort()).toEqual(addrs.map((a) => `${a} ${keys.ed!.line}`).sort());
  });

  it('a changed key fails with host, file, line, both fingerprints and the ssh-keygen -R fix, and is never overwritten', async () => {
    const text = `# header\n10.0.0.7 ${keys.ed!.line}\n`;
    const f = file('changed', text);
    for (const mode of ['strict', 'accept-new'] as const) {
      const v = await new KnownHosts(f, mode).verify('10.0.0.7', 22, keys.ed2!.blob);
      expect(v.ok).toBe(false);
      if (v.ok) return;
      expect(v.kind).toBe('host-key-changed');
      expect(v.message).toContain('10.0.0.7');
      expect(v.message).toContain(`${f} line 2`);
      expect(v.message).toContain(fingerprint(keys.ed!.blob));
      expect(v.message).toContain(fingerprint(keys.ed2!.blob));
      // The fix is given exactly once across what the runner prints (message; hint).
      expect(v.hint).toContain(`ssh-keygen -f '${f}' -R '10.0.0.7'`);
      expect(`${v.message}; ${v.hint}`.split('ssh-keygen').length - 1).toBe(1);
    }
    expect(readFileSync(f, 'utf8')).toBe(text);
  });

  it('a host listed only with another key type counts as changed, not as new', async () => {
    const f = file('othertype', `10.0.0.8 ${keys.rsa!.line}\n`);
    const v = await new KnownHosts(f, 'accept-new').verify('10.0.0.8', 22, keys.ed!.blob);
    expect(v).toMatchObject({ ok: false, kind: 'host-key-changed' });
    expect(readFileSync(f, 'utf8')).toBe(`10.0.0.8 ${keys.rsa!.line}\n`);
  });

  it('a changed key on a non-standard port names [host]:port in the fix', async () => {
    const f = file('changedport', `[10.0.0.7]:2222 ${keys.ed!.line}\n`);
    const v = await new KnownHosts(f, 'accept-new').verify('10.0.0.7', 2222, keys.ed2!.blob);
    expect(v).toMatchObject({ ok: false, kind: 'host-key-changed' });
    if (!v.ok) expect(v.hint).toContain(`-R '[10.0.0.7]:2222'`);
  });

  it('a @revoked key fails even when also listed as valid', async () => {
    const f = file('revoked', `10.0.0.1 ${keys.ed!.line}\n@revoked * ${keys.ed!.line}\n`);
    const v = await new KnownHosts(f, 'accept-new').verify('10.0.0.1', 22, keys.ed!.blob);
    expect(v).toMatchObject({ ok: false, kind: 'host-key-changed' });
    if (!v.ok) expect(v.message).toContain('@revoked');
  });

  it('off checks and writes nothing', async () => {
    const f = path.join(dir, 'never', 'known_hosts');
    expect(await new KnownHosts(f, 'off').verify('10.0.0.1', 22, keys.ed!.blob)).toEqual({ ok: true, recorded: false });
    expect(() => statSync(f)).toThrow();
  });
});
