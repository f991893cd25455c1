/**
 * SshTransport against in-process servers (no root, no lab): failure classification at every step, host-key policy
 * wiring, auth messages, and the concurrency primitives. The real-sshd behaviour is covered in test/lab/transport*.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { AuthContext, Connection as ServerConnection, ParsedKey } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../src/transport/dial.js';
import { ConnectError, kindOfSocketError } from '../../src/transport/errors.js';
import { fingerprint } from '../../src/transport/known-hosts.js';
import {
  Semaphore,
  SshTransport,
  hostKeyAlgorithms,
  wrapCommand,
  type SshTransportOptions,
} from '../../src/transport/ssh.js';
import type { HostTarget } from '../../src/transport/transport.js';

const { Server, utils } = ssh2;

let dir: string;
let hostKey: string;
let clientKey: ParsedKey;
let strangerKey: ParsedKey;
let server: InstanceType<typeof Server>;
let port: number;

function parse(pem: string): ParsedKey {
  const k = utils.parseKey(pem);
  if (k instanceof Error || Array.isArray(k)) throw new Error('bad key');
  return k;
}

/**
 * A new ed25519 key that ssh2 can read back. ssh2's own generateKeyPairSync writes a key its parser calls
 * "Malformed OpenSSH private key" about 4 times in 1000 (measured: 20 of 5000); draw again rather than fail at random.
 */
function freshKey(): { pem: string; parsed: ParsedKey } {
  for (let i = 0; i < 20; i++) {
    const pem = utils.generateKeyPairSync('ed25519').private;
    const k = utils.parseKey(pem);
    if (!(k instanceof Error) && !Array.isArray(k)) return { pem, parsed: k };
  }
  throw new Error('ssh2 could not read back 20 generated keys in a row');
}

function target(p: number, user = 'root'): HostTarget {
  return { address: '127.0.0.1', port: p, user, label: `127.0.0.1:${p}` };
}

function transport(over: Partial<SshTransportOptions> = {}): SshTransport {
  return new SshTransport({
    connectTimeoutMs: 3000,
    keepaliveIntervalMs: 1000,
    keepaliveCountMax: 3,
    hostKeyChecking: 'accept-new',
    knownHostsFile: path.join(dir, `kh-${Math.random()}`),
    privateKey: clientKey,
    env: {},
    // Pre-banner drops are retried; keep the waits short here (the lab test runs the defaults).
    connectRetryBackoffMs: 2,
    ...over,
  });
}

async function connectError(p: Promise<unknown>): Promise<ConnectError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ConnectError);
  return e as ConnectError;
}

/** A TCP server doing `onSocket` with every connection; resolves with its port. */
async function rawServer(onSocket: (s: net.Socket) => void): Promise<{ port: number; close: () => void }> {
  const srv = net.createServer(onSocket);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, close: () => srv.close() };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'genconf-ssh-'));
  hostKey = freshKey().pem;
  clientKey = freshKey().parsed;
  strangerKey = freshKey().parsed;
  // A tiny SSH server: publickey auth for root with clientKey; `exec` answers a few fixed commands.
  server = new Server({ hostKeys: [hostKey] }, (conn: ServerConnection) => {
    conn.on('authentication', (ctx: AuthContext) => {
      if (ctx.method === 'publickey' && ctx.username === 'root' && ctx.key.data.equals(clientKey.getPublicSSH()))
        return ctx.accept();
      ctx.reject(['publickey']);
    });
    conn.on('ready', () => {
      conn.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec, _reject, info) => {
          const ch = acceptExec();
          // The transport wraps every command; unwrap to answer the inner one.
          const quoted = info.command.replace(/^exec env GENCONF_RUN=\w+ "\$\{SHELL:-\/bin\/sh\}" -c /, '');
          const inner = /^'.*'$/.test(quoted) ? quoted.slice(1, -1) : quoted;
          if (inner === 'split') {
            ch.write('to stdout\n');
            ch.stderr.write('to stderr\n');
            ch.exit(7);
          } else {
            ch.write(`ran: ${inner}\n`);
            ch.exit(0);
          }
          ch.end();
        });
      });
    });
    conn.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(() => {
  server?.close();
});

describe('SshTransport (in-process servers)', () => {
  it('connects, records the host as [127.0.0.1]:port, runs commands with stdout/stderr/exit code apart', async () => {
    const file = path.join(dir, 'accept-new');
    const t = transport({ knownHostsFile: file });
    const c = await t.connect(target(port));
    expect(await c.exec('split')).toMatchObject({
      exitCode: 7,
      stdout: 'to stdout\n',
      stderr: 'to stderr\n',
      timedOut: false,
    });
    expect((await c.exec('hello world')).stdout).toBe('ran: hello world\n');
    await c.close();
    const pub = parse(hostKey).getPublicSSH();
    expect(readFileSync(file, 'utf8')).toBe(`[127.0.0.1]:${port} ssh-ed25519 ${pub.toString('base64')}\n`);
  });

  it('strict refuses the unknown host; a wrong recorded key is a change naming both fingerprints', async () => {
    const unknown = await connectError(transport({ hostKeyChecking: 'strict' }).connect(target(port)));
    expect(unknown.kind).toBe('host-key-unknown');
    const file = path.join(dir, 'wrong');
    const other = freshKey().parsed.getPublicSSH();
    writeFileSync(file, `[127.0.0.1]:${port} ssh-ed25519 ${other.toString('base64')}\n`);
    const changed = await connectError(transport({ knownHostsFile: file }).connect(target(port)));
    expect(changed.kind).toBe('host-key-changed');
    expect(changed.message).toContain(fingerprint(other));
    expect(changed.message).toContain(fingerprint(parse(hostKey).getPublicSSH()));
    expect(changed.message).toContain(`${file} line 1`);
  });

  it('auth failure names the user, the methods tried and what the host accepts', async () => {
    const err = await connectError(
      transport({ privateKey: strangerKey, agent: path.join(dir, 'no-agent.sock') }).connect(target(port, 'centos')),
    );
    expect(err.kind).toBe('auth');
    expect(err.message).toContain("user 'centos'");
    expect(err.message).toContain(`publickey with the ssh-ed25519 key ${fingerprint(strangerKey.getPublicSSH())}`);
    expect(err.message).toContain('the host accepts: publickey');
    expect(err.message).toMatch(/then ssh-agent \(.*no-agent\.sock\) \(unusable/);
    expect(err.hint).toContain('authorized_keys');
  });

  it('no key and no agent is an auth failure before any connection', async () => {
    const err = await connectError(transport({ privateKey: undefined }).connect(target(port)));
    expect(err.kind).toBe('auth');
    expect(err.hint).toContain('ssh_key_path');
  });

  it('classifies refused, silent, hanging-up and non-SSH peers', async () => {
    const closed = await rawServer(() => undefined);
    closed.close();
    await new Promise((r) => setTimeout(r, 50));
    const refused = await connectError(transport().connect(target(closed.port)));
    expect(refused.kind).toBe('refused');
    expect(refused.message).toContain(`127.0.0.1:${closed.port}`);

    const silent = await rawServer(() => undefined);
    const timeout = await connectError(transport({ connectTimeoutMs: 400 }).connect(target(silent.port)));
    expect(timeout.kind).toBe('timeout');
    expect(timeout.message).toContain('SSH handshake');
    expect(timeout.hint).toContain('--connect-timeout');
    silent.close();

    const hangup = await rawServer((s) => s.destroy());
    const closedEarly = await connectError(transport().connect(target(hangup.port)));
    expect(closedEarly.kind).toBe('network');
    expect(`${closedEarly.message} ${closedEarly.hint}`).toMatch(/MaxStartups/);
    hangup.close();

    const http = await rawServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const notSsh = await connectError(transport().connect(target(http.port)));
    expect(notSsh.kind).toBe('network');
    http.close();
  });

  it('a connection sshd drops before its banner (MaxStartups) is retried with a note, then connects', async () => {
    let seen = 0;
    // Drops the first 3 connections as sshd does above MaxStartups, then forwards to the real server.
    const flaky = await rawServer((s) => {
      seen++;
      if (seen <= 3) return void s.end('Exceeded MaxStartups\r\n');
      const up = net.connect(port, '127.0.0.1');
      s.pipe(up).pipe(s);
      up.on('error', () => s.destroy());
      s.on('error', () => up.destroy());
    });
    const notes: string[] = [];
    const c = await transport({ knownHostsFile: path.join(dir, 'kh-flaky') }).connect(target(flaky.port), {
      onNote: (m) => notes.push(m),
    });
    expect((await c.exec('hello')).stdout).toBe('ran: hello\n');
    await c.close();
    expect(seen).toBe(4);
    expect(notes).toHaveLength(4);
    expect(notes[0]).toMatch(
      /dropped the connection before its banner \(attempt 1 of 7; .*MaxStartups\); retrying in \d+ ms/,
    );
    expect(notes[3]).toContain('connected on attempt 4 of 7');
    flaky.close();
  });

  it('pre-banner drops are retried a bounded number of times; auth and host-key failures never', async () => {
    let hangups = 0;
    const hangup = await rawServer((s) => {
      hangups++;
      s.destroy();
    });
    const err = await connectError(transport({ connectRetries: 2 }).connect(target(hangup.port)));
    expect(hangups).toBe(3);
    expect(err.message).toContain('3 attempts, each dropped before the SSH banner');
    hangup.close();

    let logins = 0;
    const counting = await rawServer((s) => {
      logins++;
      const up = net.connect(port, '127.0.0.1');
      s.pipe(up).pipe(s);
      up.on('error', () => s.destroy());
      s.on('error', () => up.destroy());
    });
    const auth = await connectError(transport({ privateKey: strangerKey }).connect(target(counting.port)));
    expect(auth.kind).toBe('auth');
    const strict = await connectError(transport({ hostKeyChecking: 'strict' }).connect(target(counting.port)));
    expect(strict.kind).toBe('host-key-unknown');
    expect(logins).toBe(2);
    counting.close();
  });

  it('the retry backoff doubles, is capped and jittered to 50-150 %', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => retryDelayMs(a, 100, () => 0.5))).toEqual([100, 200, 400, 800, 1600, 1600]);
    expect(retryDelayMs(1, 100, () => 0)).toBe(50);
    expect(retryDelayMs(1, 100, () => 0.999)).toBe(150);
  });

  it('maps socket error codes to kinds', () => {
    expect(kindOfSocketError('ECONNREFUSED')).toBe('refused');
    expect(kindOfSocketError('ETIMEDOUT')).toBe('timeout');
    expect(kindOfSocketError('ENOTFOUND')).toBe('dns');
    expect(kindOfSocketError('EAI_AGAIN')).toBe('dns');
    expect(kindOfSocketError('EHOSTUNREACH')).toBe('network');
    expect(kindOfSocketError(undefined)).toBe('network');
  });

  it('rejects an impossible channel limit', () => {
    expect(() => transport({ maxChannels: 11 })).toThrow(/1\.\.10/);
    expect(() => transport({ maxChannels: 0 })).toThrow(/1\.\.10/);
  });
});

describe('building blocks', () => {
  it('Semaphore: grants in order, never more than its size, and drops aborted waiters', async () => {
    const sem = new Semaphore(2);
    const r1 = await sem.acquire();
    const r2 = await sem.acquire();
    const order: string[] = [];
    const ac = new AbortController();
    const w3 = sem.acquire().then((r) => (order.push('3'), r));
    const w4 = sem.acquire(ac.signal).then(
      () => order.push('4'),
      () => order.push('4 aborted'),
    );
    const w5 = sem.acquire().then((r) => (order.push('5'), r));
    expect(sem.active).toBe(2);
    ac.abort();
    await w4;
    r1();
    r1(); // releasing twice is harmless
    const r3 = await w3;
    expect(sem.active).toBe(2);
    r2();
    const r5 = await w5;
    expect(order).toEqual(['4 aborted', '3', '5']);
    r3();
    r5();
    expect(sem.active).toBe(0);
  });

  it('offers known host key types first', () => {
    expect(hostKeyAlgorithms(['ecdsa-sha2-nistp256'])[0]).toBe('ecdsa-sha2-nistp256');
    expect(hostKeyAlgorithms(['ssh-rsa']).slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(new Set(hostKeyAlgorithms(['ssh-ed25519', 'bogus'])).size).toBe(hostKeyAlgorithms([]).length);
  });

  it('wraps commands so the login shell still runs them, with a marker only in the environment', () => {
    const w = wrapCommand("echo 'hi'", 'abc123');
    expect(w).toBe(`exec env GENCONF_RUN=abc123 "\${SHELL:-/bin/sh}" -c 'echo '\\''hi'\\'''`);
  });
});
