/**
 * `npm run bench -- --only=pull`: one deploy of the same artifacts to the same lab hosts, pushed (SFTP, `--deploy`)
 * and pulled (nginx, `--deploy --pull`), in one run. Measured on the bootstrap node (this machine's processes that
 * serve the bundle): wall time, CPU seconds (genconf, plus nginx's master and workers for the pull), and payload
 * bytes sent (the tar over SFTP per host; the sum of nginx's access log for the pull).
 *
 * Both sides stop once the bundle is on the node and checked, so the numbers compare delivery, not the install: the
 * push runs the bench's verify-only dcos_install.sh stand-in (sha256sum -c of every file), the pull runs the real
 * dcos_install.sh cut after fetch_artifacts (each file downloaded and its sha256 checked).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Lab } from '../test/lab/harness/index.js';
import { renderNginxConf } from '../src/serve/nginx-conf.js';
import { measure } from './lib/proc.js';
import { buildBundle, useInstallStandIn, writeGenconfDir } from './lib/workspace.js';

export interface PullRow {
  hosts: number;
  side: 'push (SFTP)' | 'pull (nginx)';
  wallS: number;
  /** genconf's own CPU (and its children's), seconds. */
  genconfCpuS: number;
  /** nginx master + workers, seconds (pull only). */
  serverCpuS: number;
  bytesSent: number;
  exitCode: number | null;
  /** The machine's 1-minute load average when the side started and when it ended (it is shared: say so). */
  loadStart: number;
  loadEnd: number;
}

export interface PullContext {
  lab: Lab;
  cli: string;
  artifacts: string;
  work: string;
  parallelism: number;
  reset: (n: number) => Promise<void>;
  log: (line: string) => void;
}

const TICK = 100; // USER_HZ on Linux: /proc/<pid>/stat counts CPU time in these ticks

/** user+sys seconds of a process and its children threads' owners: nginx's master and every worker it forked. */
function nginxCpuS(masterPid: number): number {
  const pids = [masterPid];
  try {
    for (const t of readdirSync(`/proc/${masterPid}/task`)) {
      const kids = readFileSync(`/proc/${masterPid}/task/${t}/children`, 'utf8').trim();
      if (kids) pids.push(...kids.split(/\s+/).map(Number));
    }
  } catch {
    return NaN;
  }
  let ticks = 0;
  for (const pid of pids) {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
  }
  return ticks / TICK;
}

function load1(): number {
  return Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** The real dcos_install.sh, stopped after every artifact is downloaded and checked (the pull side's work). */
async function downloadOnly(script: string): Promise<void> {
  const text = await readFile(script, 'utf8');
  if (!/\nmain\n$/.test(text)) throw new Error(`${script} does not end with 'main'`);
  await writeFile(
    script,
    text.replace(/\nmain\n$/, '\nfetch_artifacts "bench"\necho "bench: every artifact downloaded and verified"\n'),
  );
}

function accessBytes(file: string): number {
  let sum = 0;
  for (const m of readFileSync(file, 'utf8').matchAll(/" (\d{3}) (\d+) range=/g)) sum += Number(m[2]);
  return sum;
}

export async function pullRun(ctx: PullContext, n: number): Promise<PullRow[]> {
  const hosts = ctx.lab.hosts.slice(0, n);
  const rows: PullRow[] = [];
  const common = {
    hosts,
    user: ctx.lab.sudoUser,
    keyFile: ctx.lab.keys.ed25519,
    knownHostsFile: ctx.lab.knownHostsFile,
    parallelism: ctx.parallelism,
  };

  // Push: the same deploy the deploy section measures.
  const pushWork = path.join(ctx.work, `pull-n${n}`, 'push');
  await mkdir(pushWork, { recursive: true });
  const pushGenconf = await writeGenconfDir(pushWork, common);
  buildBundle(ctx.cli, pushWork, pushGenconf, ctx.artifacts);
  const tar = path.join(pushGenconf, 'serve', 'dcos-install.tar');
  await useInstallStandIn(tar);
  await ctx.reset(n);
  ctx.log(`pull n=${n}: push (SFTP)`);
  const pushLoad = load1();
  const push = await measure(
    [
      process.execPath,
      ctx.cli,
      '--deploy',
      '--genconf-dir',
      pushGenconf,
      '--host-key-checking',
      'strict',
      '--no-color',
    ],
    { cwd: pushWork, timeoutMs: 30 * 60_000 },
  );
  rows.push({
    hosts: n,
    side: 'push (SFTP)',
    wallS: push.wallMs / 1000,
    genconfCpuS: push.cpuMs / 1000,
    serverCpuS: 0,
    bytesSent: (await stat(tar)).size * n,
    exitCode: push.exitCode,
    loadStart: pushLoad,
    loadEnd: load1(),
  });
  if (push.exitCode !== 0) ctx.log(`push failed: ${push.stdout.slice(-2000)}`);

  // Pull: an http bootstrap_url served by nginx with genconf's configuration.
  const port = await freePort();
  const pullWork = path.join(ctx.work, `pull-n${n}`, 'pull');
  await mkdir(pullWork, { recursive: true });
  const pullGenconf = await writeGenconfDir(pullWork, common);
  const cfg = path.join(pullGenconf, 'config.yaml');
  await writeFile(
    cfg,
    (await readFile(cfg, 'utf8')).replace(/^bootstrap_url: .*$/m, `bootstrap_url: http://127.0.0.1:${port}`),
  );
  buildBundle(ctx.cli, pullWork, pullGenconf, ctx.artifacts);
  await downloadOnly(path.join(pullGenconf, 'serve', 'dcos_install.sh'));
  const state = path.join(pullGenconf, 'nginx');
  await mkdir(path.join(state, 'tmp'), { recursive: true });
  const conf = path.join(state, 'nginx.conf');
  await writeFile(
    conf,
    renderNginxConf({ root: path.join(pullGenconf, 'serve'), bind: '127.0.0.1', port, stateDir: state, user: 'root' }),
  );
  const nginx = spawn('/usr/sbin/nginx', ['-e', path.join(state, 'error.log'), '-c', conf], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 500 && !existsSync(path.join(state, 'nginx.pid')); i++)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    await ctx.reset(n);
    ctx.log(`pull n=${n}: pull (nginx)`);
    const pullLoad = load1();
    const cpu0 = nginxCpuS(nginx.pid!);
    const pull = await measure(
      [
        process.execPath,
        ctx.cli,
        '--deploy',
        '--pull',
        '--genconf-dir',
        pullGenconf,
        '--host-key-checking',
        'strict',
        '--no-color',
      ],
      { cwd: pullWork, timeoutMs: 30 * 60_000 },
    );
    const cpu1 = nginxCpuS(nginx.pid!);
    rows.push({
      hosts: n,
      side: 'pull (nginx)',
      wallS: pull.wallMs / 1000,
      genconfCpuS: pull.cpuMs / 1000,
      serverCpuS: cpu1 - cpu0,
      bytesSent: accessBytes(path.join(state, 'access.log')),
      exitCode: pull.exitCode,
      loadStart: pullLoad,
      loadEnd: load1(),
    });
    if (pull.exitCode !== 0) ctx.log(`pull failed: ${pull.stdout.slice(-2000)}`);
  } finally {
    nginx.kill('SIGQUIT');
    await new Promise((r) => nginx.once('exit', r));
    spawnSync('true');
  }
  await rm(path.join(ctx.work, `pull-n${n}`), { recursive: true, force: true });
  return rows;
}

export function pullTable(rows: readonly PullRow[]): string {
  const lines = [
    '| hosts | side | wall s | genconf CPU s | nginx CPU s | bootstrap CPU s | CPU s per node | payload sent MB | exit | load (1 min) start → end |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    const total = r.genconfCpuS + r.serverCpuS;
    lines.push(
      `| ${r.hosts} | ${r.side} | ${r.wallS.toFixed(1)} | ${r.genconfCpuS.toFixed(2)} | ${r.serverCpuS.toFixed(2)} | ${total.toFixed(2)} | ${(total / r.hosts).toFixed(3)} | ${(r.bytesSent / 1e6).toFixed(1)} | ${r.exitCode} | ${r.loadStart} → ${r.loadEnd} |`,
    );
  }
  return lines.join('\n');
}
