/**
 * The floor of the scale bench: a bare ssh2 client doing on every host exactly what genconf's preflight or deploy
 * sends (the same commands, wrapped and quoted the same way, the same stdin, the same SFTP requests), in a window of
 * `parallelism` hosts, with the host key checked against known_hosts. No steps, no judging beyond the exit codes and
 * the checksum, no events, no logs, no reports: what is left is the least a Node client pays for the protocol.
 *
 * usage: node dist/bench/scale/floor-client.js PLAN.json     (exit 0 when every host succeeded)
 */
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { ClientChannel, ParsedKey, PublicKeyAuthMethod, SFTPWrapper } from 'ssh2';
import { INSTALLED_PROBE } from '../../src/stages/installed.js';
import { preflightStdin } from './preflight-stdin.js';

const { Client, utils } = ssh2;

export interface ScaleFloorPlan {
  stage: 'preflight' | 'deploy';
  hosts: { address: string; port: number; role: 'master' | 'slave' | 'slave_public' }[];
  user: string;
  keyPath: string;
  knownHostsFile: string;
  parallelism: number;
  stagingDir: string;
  /** preflight: templates/remote/preflight.sh, ip-detect, dcos_install.sh */
  preflightScript?: string;
  ipDetect?: string;
  installScript?: string;
  /** deploy: the bundle and its SHA-256 */
  bundleTar?: string;
  bundleSha256?: string;
}

/** As src/transport/quote.ts: single quotes unless the word is plainly safe. */
function q(arg: string): string {
  return /^[A-Za-z0-9_@%+,./:-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** As src/transport/exec.ts wrapCommand: the same bytes go over the wire. */
function wrapped(argv: string[]): string {
  const inner = argv.map(q).join(' ');
  return `exec env GENCONF_RUN=${randomBytes(8).toString('hex')} "\${SHELL:-/bin/sh}" -c ${q(inner)}`;
}

function exec(
  conn: InstanceType<typeof Client>,
  argv: string[],
  stdin?: Buffer,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    conn.exec(wrapped(argv), (err: Error | undefined, ch: ClientChannel) => {
      if (err) return reject(err);
      let out = '';
      let code: number | null = null;
      ch.on('data', (d: Buffer) => (out += d.toString()));
      ch.stderr.on('data', () => undefined);
      ch.on('exit', (c: number | null) => (code = c));
      ch.on('close', () => resolve({ code, out }));
      ch.end(stdin);
    });
  });
}

function call<T = void>(fn: (cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v as T))));
}

/**
 * As src/transport/sftp.ts does with a bundle it shares (shared-files.ts): the same bytes for every host, read once,
 * written as 8 requests of 128 KiB in flight into a file created with the mode, then close, chmod and rename.
 */
async function put(conn: InstanceType<typeof Client>, data: Buffer, remote: string): Promise<void> {
  const sftp = await new Promise<SFTPWrapper>((resolve, reject) =>
    conn.sftp((err, s) => (err ? reject(err) : resolve(s))),
  );
  const tmp = `${remote}.genconf-part-${randomBytes(4).toString('hex')}`;
  try {
    const handle = await call<Buffer>((cb) => sftp.open(tmp, 'w', { mode: 0o644 }, cb));
    await new Promise<void>((resolve, reject) => {
      const chunk = 128 * 1024;
      let next = 0;
      let written = 0;
      const send = (): void => {
        const len = Math.min(chunk, data.length - next);
        const at = next;
        next += len;
        sftp.write(handle, data, at, len, at, (e) => {
          if (e) return reject(e);
          written += len;
          if (written === data.length) return resolve();
          if (next < data.length) send();
        });
      };
      for (let i = 0; i < 8 && next < data.length; i++) send();
    });
    await call((cb) => sftp.close(handle, cb));
    await call((cb) => sftp.chmod(tmp, 0o644, cb));
    try {
      await call((cb) => sftp.ext_openssh_rename(tmp, remote, cb));
    } catch (e) {
      if (!/does not support/i.test((e as Error).message)) throw e;
      await call((cb) => sftp.unlink(remote, cb)).catch(() => undefined);
      await call((cb) => sftp.rename(tmp, remote, cb));
    }
  } finally {
    sftp.end();
  }
}

function loadKnownHosts(file: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [name, , b64] = line.trim().split(/\s+/);
    if (name && b64) m.set(name, b64);
  }
  return m;
}

async function main(): Promise<number> {
  const plan = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as ScaleFloorPlan;
  const parsed = utils.parseKey(readFileSync(plan.keyPath));
  if (parsed instanceof Error || Array.isArray(parsed)) throw new Error('cannot read the key');
  // Signing with a KeyObject made once, as genconf does (ssh2's own sign() re-parses the PEM each time, 1.3 ms a
  // connection here): the floor is the least a Node client can do, so it gets every trick genconf has.
  const keyObject = createPrivateKey(parsed.getPrivatePEM());
  const key = Object.create(parsed) as ParsedKey;
  key.sign = (data: Buffer, algo?: string) => sign(algo ?? null, data, keyObject);
  const known = loadKnownHosts(plan.knownHostsFile);
  const d = plan.stagingDir;
  const stdin = plan.stage === 'preflight' ? preflightStdin(plan) : undefined;
  const remoteTar = `${d}/dcos-install.tar`;
  const bundle = plan.stage === 'deploy' ? readFileSync(plan.bundleTar!) : undefined;

  const one = async (h: ScaleFloorPlan['hosts'][number]): Promise<string | null> => {
    const conn = new Client();
    const name = h.port === 22 ? h.address : `[${h.address}]:${h.port}`;
    const ready = new Promise<void>((resolve, reject) => {
      conn.once('ready', resolve);
      conn.once('error', reject);
    });
    conn.connect({
      host: h.address,
      port: h.port,
      username: plan.user,
      // The key parsed once for every host, as genconf does (ssh2's `privateKey` would parse it per connection).
      authHandler: [{ type: 'publickey', username: plan.user, key } as PublicKeyAuthMethod],
      readyTimeout: 60_000,
      hostVerifier: (k: Buffer) => known.get(name) === k.toString('base64'),
    });
    conn.setNoDelay(true);
    try {
      await ready;
      if (plan.stage === 'preflight') {
        // The script removes its own directory: genconf runs its rm only after a step that did not finish.
        const r = await exec(conn, ['sudo', '-n', 'bash', '-s', '--', d, h.role], stdin);
        return r.code === 0 ? null : `preflight exit ${r.code}`;
      }
      const steps = async (): Promise<string | null> => {
        // genconf's deploy looks for an earlier install first (read-only, no sudo): the floor pays the same round trip.
        if ((await exec(conn, ['sh', '-c', INSTALLED_PROBE])).code !== 0) return 'install probe failed';
        if ((await exec(conn, ['sudo', '-n', 'install', '-d', '-o', plan.user, '-m', '0755', d])).code !== 0)
          return 'mkdir failed';
        await put(conn, bundle!, remoteTar);
        const sum = await exec(conn, ['sha256sum', remoteTar]);
        if (sum.code !== 0 || !sum.out.startsWith(plan.bundleSha256!)) return 'checksum mismatch';
        if ((await exec(conn, ['tar', '-xf', remoteTar, '-C', d])).code !== 0) return 'tar failed';
        const inst = await exec(conn, ['sudo', '-n', 'bash', `${d}/dcos_install.sh`, h.role]);
        return inst.code === 0 ? null : `install exit ${inst.code}`;
      };
      const err = await steps();
      await exec(conn, ['sudo', '-n', 'rm', '-rf', '--one-file-system', d]);
      return err;
    } catch (e) {
      return (e as Error).message;
    } finally {
      conn.end();
    }
  };

  const pool = async (hosts: ScaleFloorPlan['hosts']): Promise<(string | null)[]> => {
    const out = new Array<string | null>(hosts.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < hosts.length) {
        const i = next++;
        out[i] = await one(hosts[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(plan.parallelism, hosts.length)) }, worker));
    return out;
  };
  // Deploy: masters first, then the rest (part of the work, as in genconf's deploy).
  const phases =
    plan.stage === 'deploy'
      ? [plan.hosts.filter((h) => h.role === 'master'), plan.hosts.filter((h) => h.role !== 'master')]
      : [plan.hosts];
  const errors: string[] = [];
  for (const p of phases) for (const e of await pool(p)) if (e !== null) errors.push(e);
  for (const e of errors.slice(0, 5)) process.stderr.write(`FAIL ${e}\n`);
  process.stdout.write(`${plan.hosts.length - errors.length} of ${plan.hosts.length} hosts ok\n`);
  return errors.length === 0 ? 0 : 1;
}

process.exitCode = await main();
