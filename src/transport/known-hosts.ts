/**
 * OpenSSH known_hosts: read (plain and hashed `|1|` host fields, `[host]:port` for ports other than 22, wildcard and
 * negated patterns, @revoked and @cert-authority markers) and write (accept-new appends one plain line, atomically).
 *
 * Policy, as in OpenSSH's StrictHostKeyChecking:
 *   strict      a host must already be listed with the key it presents;
 *   accept-new  an unlisted host is recorded; a listed host must present the listed key;
 *   off         nothing is checked or written.
 * A CHANGED key is never overwritten: the host fails with the file, line, both fingerprints and the command that
 * removes the old entry, because only the operator can tell a reinstalled host from a man in the middle.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** `--host-key-checking`: OpenSSH's StrictHostKeyChecking values that genconf supports. */
export type HostKeyChecking = 'strict' | 'accept-new' | 'off';

export interface KnownHostEntry {
  /** 1-based line number in the file. */
  line: number;
  marker?: 'cert-authority' | 'revoked';
  /** The host field as written (comma-separated patterns, or one `|1|salt|hash`). */
  hosts: string;
  keyType: string;
  /** The key blob (SSH wire format), decoded from base64. */
  key: Buffer;
}

export type HostKeyVerdict =
  | { ok: true; /** The key was appended to the file (accept-new, unseen host). */ recorded: boolean }
  | { ok: false; kind: 'host-key-changed' | 'host-key-unknown'; message: string; hint: string };

/** `SHA256:<base64 without padding>` of a key blob, exactly as `ssh-keygen -l` prints it. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The algorithm name inside a key blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, …). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const len = key.readUInt32BE(0);
  if (len > 64 || key.length < 4 + len) return 'unknown';
  return key.subarray(4, 4 + len).toString('latin1');
}

/** How OpenSSH names a host in known_hosts: the bare host on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Parse known_hosts text. Comments, blank and malformed lines are skipped (OpenSSH does the same). */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@cert-authority' || fields[0] === '@revoked') {
      marker = fields.shift() === '@revoked' ? 'revoked' : 'cert-authority';
    }
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    const key = Buffer.from(b64, 'base64');
    // A line whose blob does not say its own type is corrupt: ignore it rather than match it.
    if (keyTypeOf(key) !== keyType) continue;
    entries.push({ line: n + 1, ...(marker ? { marker } : {}), hosts, keyType, key });
  }
  return entries;
}

const globCache = new Map<string, RegExp>();

function globToRegExp(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (!re) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, 'i');
    globCache.set(pattern, re);
  }
  return re;
}

/**
 * Entries indexed for lookup. Plain host names (the common case, and every line accept-new writes) go into a map,
 * so judging 1000 hosts against a 1000-line file is not a million pattern matches; hashed, wildcard and negated
 * fields still have to be tried one by one.
 */
class EntryIndex {
  private readonly byName = new Map<string, KnownHostEntry[]>();
  private readonly patterned: KnownHostEntry[] = [];

  constructor(entries: KnownHostEntry[]) {
    for (const e of entries) this.add(e);
  }

  add(e: KnownHostEntry): void {
    const names = e.hosts.startsWith('|1|') ? undefined : e.hosts.split(',');
    if (!names || names.some((n) => /[*?!]/.test(n))) {
      this.patterned.push(e);
      return;
    }
    for (const n of new Set(names.map((x) => x.toLowerCase()))) {
      const list = this.byName.get(n);
      if (list) list.push(e);
      else this.byName.set(n, [e]);
    }
  }

  /** Entries whose host field matches `name`, in file order. */
  forHost(name: string): KnownHostEntry[] {
    const exact = this.byName.get(name.toLowerCase()) ?? [];
    const matched = this.patterned.filter((e) => hostFieldMatches(e.hosts, name));
    if (matched.length === 0) return exact;
    return [...exact, ...matched].sort((a, b) => a.line - b.line);
  }
}

/** Does the host field of an entry match `name` (already in `[host]:port` form when the port is not 22)? */
export function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const pattern of hosts.split(',')) {
    if (pattern.startsWith('!')) {
      // A matching negation excludes the host whatever else matches.
      if (globToRegExp(pattern.slice(1)).test(name)) return false;
    } else if (globToRegExp(pattern).test(name)) {
      matched = true;
    }
  }
  return matched;
}

/** Key types that `ssh-rsa` lines cover: RSA host keys are offered under their signature algorithm names. */
function sameKeyFamily(a: string, b: string): boolean {
  const norm = (t: string): string => (t === 'rsa-sha2-256' || t === 'rsa-sha2-512' ? 'ssh-rsa' : t);
  return norm(a) === norm(b);
}

interface PendingRecord {
  name: string;
  key: Buffer;
  done: (v: HostKeyVerdict) => void;
  fail: (e: Error) => void;
}

/**
 * Appends are batched per file: while one write is in flight, new hosts queue up and the next write adds them all.
 * First contact with 1000 hosts is then a handful of rewrites, not 1000 (each rewrite is the whole file: temp + rename).
 */
class Recorder {
  private pending: PendingRecord[] = [];
  private running = false;

  constructor(private readonly file: string) {}

  record(name: string, key: Buffer): Promise<HostKeyVerdict> {
    return new Promise((done, fail) => {
      this.pending.push({ name, key, done, fail });
      if (!this.running) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.running = true;
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        // Re-read: another process may have written meanwhile. Judge each host against the file plus the lines
        // of this batch, so the same host met twice at once is written once (and a second key for it is a change).
        const current = await readText(this.file);
        const index = new EntryIndex(parseKnownHosts(current));
        const lines: string[] = [];
        const existingLines = current === '' ? 0 : current.replace(/\n$/, '').split('\n').length;
        const verdicts: HostKeyVerdict[] = [];
        for (const p of batch) {
          const v = judge(index, p.name, p.key, this.file);
          if (v !== 'unknown') {
            verdicts.push(v);
            continue;
          }
          const line = `${p.name} ${keyTypeOf(p.key)} ${p.key.toString('base64')}`;
          lines.push(line);
          index.add({ line: existingLines + lines.length, hosts: p.name, keyType: keyTypeOf(p.key), key: p.key });
          verdicts.push({ ok: true, recorded: true });
        }
        if (lines.length > 0) await writeAtomically(this.file, current, lines);
        batch.forEach((p, i) => p.done(verdicts[i]!));
      } catch (err) {
        for (const p of batch) p.fail(err as Error);
      }
    }
    this.running = false;
  }
}

const recorders = new Map<string, Recorder>();

export class KnownHosts {
  /**
   * The file, read and indexed once for every host of the run. The promise is what is kept: hundreds of dials start
   * at once, and keeping only the result made each of them read and parse the whole file again (500 parses of a
   * 10,000-line file at --parallelism 500).
   */
  private index: Promise<EntryIndex> | undefined;

  constructor(
    readonly file: string,
    readonly mode: HostKeyChecking,
  ) {}

  private load(): Promise<EntryIndex> {
    if (!this.index) {
      const p = readText(this.file).then((text) => new EntryIndex(parseKnownHosts(text)));
      this.index = p;
      // A failed read is not kept: the next host tries again (and reports its own error).
      p.catch(() => {
        if (this.index === p) this.index = undefined;
      });
    }
    return this.index;
  }

  /** Key types listed for a host, in file order: the client offers these first so a known key gets negotiated. */
  async knownKeyTypes(host: string, port: number): Promise<string[]> {
    if (this.mode === 'off') return [];
    const name = knownHostsName(host, port);
    const types = (await this.load())
      .forHost(name)
      .filter((e) => !e.marker)
      .map((e) => e.keyType);
    return [...new Set(types)];
  }

  /** Judge the key a host presented; in accept-new mode an unseen host is recorded before this resolves. */
  async verify(host: string, port: number, key: Buffer): Promise<HostKeyVerdict> {
    if (this.mode === 'off') return { ok: true, recorded: false };
    const name = knownHostsName(host, port);
    const judged = judge(await this.load(), name, key, this.file);
    if (judged !== 'unknown') return judged;
    if (this.mode === 'strict') {
      return {
        ok: false,
        kind: 'host-key-unknown',
        message: `host key of ${name} is not in ${this.file} (${keyTypeOf(key)} ${fingerprint(key)}), and --host-key-checking is strict`,
        hint: `verify the fingerprint, then add the host with: ssh-keyscan -p ${port} ${host} >> '${this.file}' — or run with --host-key-checking accept-new`,
      };
    }
    let recorder = recorders.get(this.file);
    if (!recorder) {
      recorder = new Recorder(this.file);
      recorders.set(this.file, recorder);
    }
    const verdict = await recorder.record(name, key);
    this.index = undefined; // re-read on next use: the file has grown
    return verdict;
  }
}

function judge(index: EntryIndex, name: string, key: Buffer, file: string): HostKeyVerdict | 'unknown' {
  const type = keyTypeOf(key);
  const forHost = index.forHost(name);
  const revoked = forHost.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) {
    return {
      ok: false,
      kind: 'host-key-changed',
      message: `host key of ${name} (${type} ${fingerprint(key)}) is marked @revoked in ${file} line ${revoked.line}`,
      hint: 'the key was revoked on purpose: give the host a new host key, or remove the @revoked line if that was a mistake',
    };
  }
  const plain = forHost.filter((e) => !e.marker);
  if (plain.some((e) => e.key.equals(key))) return { ok: true, recorded: false };
  if (plain.length === 0) return 'unknown';
  // Listed, but not with this key. Prefer reporting a line of the same type: that is the key that changed.
  const old = plain.find((e) => sameKeyFamily(e.keyType, type)) ?? plain[0]!;
  const removeCmd = `ssh-keygen -f '${file}' -R '${name}'`;
  return {
    ok: false,
    kind: 'host-key-changed',
    message:
      `HOST KEY CHANGED for ${name}: ${file} line ${old.line} has ${old.keyType} ${fingerprint(old.key)}, ` +
      `but the host presented ${type} ${fingerprint(key)}. Someone may be intercepting the connection, or the host ` +
      `was reinstalled. The recorded key was left unchanged`,
    // The fix is said once, in the hint: the runner prints the message and the hint together.
    hint: `if the change is expected, remove the old key with: ${removeCmd} — then run again to record the new one`,
  };
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/** Append lines: write the whole new file beside the old one (mode 0600), then rename over it. */
async function writeAtomically(file: string, current: string, lines: string[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const text = `${current}${current === '' || current.endsWith('\n') ? '' : '\n'}${lines.join('\n')}\n`;
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
