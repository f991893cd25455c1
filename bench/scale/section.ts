/**
 * `npm run bench -- --only=scale [--sizes=N,…] [--parallelism=P,…]`: genconf's preflight and deploy (a 1 MiB bundle)
 * against the bench host farm (farm.ts, one process answering for N loopback addresses), beside the floor
 * (floor-client.ts, a bare ssh2 client doing the identical protocol) at the same parallelism. Client and farm run as
 * separate processes, pinned with taskset to different cores when the machine has two or more. No root needed.
 *
 * Per run: wall, user+sys CPU (/usr/bin/time), peak RSS, event-loop delay p99 (probe.ts, inside the client), and for
 * genconf the sizes of its NDJSON (stdout with --json), JUnit and human output (stderr: progress and summary) and of
 * its per-host logs. Writes bench/results/scale.{json,md}; the last lines on stdout are one plain line per case.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseTimeOutput, TIME_BIN } from '../lib/proc.js';
import { buildBundle, writeGenconfDir } from '../lib/workspace.js';
import { farmAddress } from './farm.js';
import type { ScaleFloorPlan } from './floor-client.js';
import { newKey } from './keys.js';
import {
  mergeCases,
  renderScale,
  scaleLine,
  type ScaleCase,
  type ScaleMeasured,
  type ScaleRun,
  type ScaleResults,
} from './report.js';

export interface ScaleOptions {
  sizes: number[];
  parallelism: number[];
  stages: ('preflight' | 'deploy')[];
  runs: number;
  /** Remote work on the farm per preflight/install, ms. */
  workMs: number;
  /** Preflight cases also measure the client's two halves alone (parts.ts): where the cost above the floor is. */
  parts?: boolean;
  root: string;
  resultsDir: string;
  log: (line: string) => void;
}

const NET = '127.201';
const USER = 'centos';
const STAGING = '/opt/dcos_install_tmp';
const BUNDLE_BYTES = 1 << 20;

interface Pinning {
  client: string[];
  farm: string[];
  note: string;
}

function pinning(): Pinning {
  const cpus = os.cpus().length;
  if (cpus >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0)
    return {
      client: ['taskset', '-c', '0'],
      farm: ['taskset', '-c', '1'],
      note: 'client on CPU 0, farm on CPU 1 (taskset)',
    };
  return { client: [], farm: [], note: 'not pinned (taskset or a second CPU missing)' };
}

/** Bytes and file count under a directory (the per-host logs). */
function du(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  if (!existsSync(dir)) return { bytes, files };
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    files++;
    bytes += statSync(path.join(e.parentPath, e.name)).size;
  }
  return { bytes, files };
}

/**
 * CPU (user+sys) to create one empty file in a new directory under `parent`, in µs: what each per-host log file
 * costs the client on this disk. On ext4 without a journal, a block group with many recently deleted inodes (a test
 * suite's or an earlier run's temporary files) makes each create scan them: ~1 ms instead of ~30 µs. The figure goes
 * with each case so a ratio inflated by the disk is told apart from one inflated by the client.
 */
function createCostUs(parent: string, files = 200): number {
  const dir = mkdtempSync(path.join(parent, 'create-probe-'));
  const before = process.cpuUsage();
  for (let i = 0; i < files; i++) closeSync(openSync(path.join(dir, `f${i}`), 'a', 0o600));
  const used = process.cpuUsage(before);
  // The files stay until the work directory goes: deleting them now would slow the creates that follow.
  return Math.round((used.user + used.system) / files);
}

/**
 * The filesystem type under `dir` (Linux: the longest mount point in /proc/mounts that holds it), else 'unknown'.
 * It goes with each case beside the create cost: the same build's ratio differs by ~0.3× between this machine's
 * ext4 /tmp and tmpfs (`TMPDIR=/dev/shm`), because the floor writes no logs.
 */
function fsType(dir: string): string {
  try {
    const real = realpathSync(dir);
    let best = { at: '', type: 'unknown' };
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [, at, type] = line.split(' ');
      if (at === undefined || type === undefined) continue;
      const inside = at === '/' || real === at || real.startsWith(`${at}/`);
      if (inside && at.length >= best.at.length) best = { at, type };
    }
    return best.type;
  } catch {
    return 'unknown';
  }
}

function size(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

type Measured = ScaleMeasured;

/** The loop thread's CPU per tick and the GC pauses, for the per-run log line. */
function loopCpuText(m: Measured): string {
  const cpu = m.loopCpu
    ? `loop-thread cpu/tick p99 ${m.loopCpu.p99} ms max ${m.loopCpu.max} ms (${m.loopCpu.over50} > 50 ms)`
    : 'loop-thread cpu n/a';
  const gc = m.gc
    ? `gc ${m.gc.count} pauses ${m.gc.total} ms max ${m.gc.max} ms (full: ${m.gc.major ?? '?'}, ${m.gc.majorTotal ?? '?'} ms, max ${m.gc.majorMax ?? '?'} ms)`
    : 'gc n/a';
  const long = (m.loopCpu?.longTicks ?? [])
    .slice(0, 12)
    .map((t) => `${(t.at / 1000).toFixed(1)}s:${t.cpu}(gc ${t.gc})`)
    .join(' ');
  return `${cpu}, ${gc}${long ? `, long ticks ${long}` : ''}`;
}

/** One whole-process run under /usr/bin/time, with the probe preloaded; stdout and stderr go to files. */
async function measure(
  argv: string[],
  pin: string[],
  files: { stdout: string; stderr: string; dir: string },
  timeoutMs: number,
): Promise<Measured> {
  const timeFile = path.join(files.dir, 'time');
  const probeFile = path.join(files.dir, 'probe.json');
  await rm(probeFile, { force: true });
  const out = openSync(files.stdout, 'w');
  const err = openSync(files.stderr, 'w');
  const probe = path.join(import.meta.dirname, 'probe.js');
  // GENCONF_BENCH_NODE_ARGS: extra Node flags for both measured sides, e.g. '--cpu-prof --cpu-prof-dir=/tmp/p' to
  // profile exactly the runs the bench times (bench/scale/cpuprofile.ts summarises the profiles).
  const nodeArgs = (process.env.GENCONF_BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const t0 = process.hrtime.bigint();
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(
      TIME_BIN,
      ['-f', 'BENCHTIME %U %S %M', '-o', timeFile, ...pin, process.execPath, ...nodeArgs, '--import', probe, ...argv],
      { stdio: ['ignore', out, err], detached: true, env: { ...process.env, GENCONF_BENCH_PROBE: probeFile } },
    );
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  closeSync(out);
  closeSync(err);
  let cpuMs = NaN;
  let maxRssKiB = NaN;
  try {
    ({ cpuMs, maxRssKiB } = parseTimeOutput(await readFile(timeFile, 'utf8')));
  } catch {
    /* killed: no time line */
  }
  let eventLoopP99Ms: number | null = null;
  let loopCpu: Measured['loopCpu'];
  let gc: Measured['gc'];
  try {
    const seen = JSON.parse(await readFile(probeFile, 'utf8')) as {
      eventLoopDelayMs: { p99: number };
      loopCpuPerTickMs?: Measured['loopCpu'];
      gcMs?: Measured['gc'];
    };
    eventLoopP99Ms = seen.eventLoopDelayMs.p99;
    if (seen.loopCpuPerTickMs) {
      const { p99, max, over50, longTicks } = seen.loopCpuPerTickMs;
      loopCpu = { p99, max, over50, ...(longTicks ? { longTicks } : {}) };
    }
    gc = seen.gcMs;
  } catch {
    /* no probe output */
  }
  const stderr = await readFile(files.stderr, 'utf8').catch(() => '');
  return {
    wallMs,
    cpuMs,
    maxRssKiB,
    exitCode: code,
    eventLoopP99Ms,
    ...(loopCpu ? { loopCpu } : {}),
    ...(gc ? { gc } : {}),
    stderrTail: stderr.slice(-600),
  };
}

interface FarmProc {
  child: ChildProcess;
  stop: () => Promise<Record<string, number>>;
}

async function startFarmProcess(
  n: number,
  port: number,
  pubFile: string,
  knownHosts: string,
  workMs: number,
  pin: string[],
): Promise<FarmProc> {
  const script = path.join(import.meta.dirname, 'farm.js');
  const child = spawn(
    pin[0] ?? process.execPath,
    [
      ...pin.slice(1),
      ...(pin.length > 0 ? [process.execPath] : []),
      script,
      `--hosts=${n}`,
      `--port=${port}`,
      `--net=${NET}`,
      `--authorized=${pubFile}`,
      `--known-hosts=${knownHosts}`,
      `--work-ms=${workMs}`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the farm did not get ready within 10 minutes')), 600_000);
    const check = (): void => {
      if (/^ready \d+$/m.test(out)) {
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (c) => {
      clearTimeout(timer);
      reject(new Error(`the farm exited (${c}) before it was ready`));
    });
  });
  return {
    child,
    stop: async () => {
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await done;
      const last = out.trim().split('\n').at(-1) ?? '{}';
      try {
        return JSON.parse(last) as Record<string, number>;
      } catch {
        return {};
      }
    },
  };
}

const roleOf = (i: number, n: number): 'master' | 'slave' | 'slave_public' =>
  i < (n >= 3 ? 3 : 1) ? 'master' : n >= 5 && i === n - 1 ? 'slave_public' : 'slave';

export async function scaleSection(o: ScaleOptions): Promise<string[]> {
  // GENCONF_BENCH_CLI: another build of the CLI to measure, e.g. dist/src/main.js (the tsc output, one file per
  // module) so that a profile names genconf's own modules instead of the bundle's chunks.
  const cli = process.env.GENCONF_BENCH_CLI ?? path.join(o.root, 'dist', 'cli', 'main.js');
  const floor = path.join(o.root, 'dist', 'bench', 'scale', 'floor-client.js');
  const partsScript = path.join(o.root, 'dist', 'bench', 'scale', 'parts.js');
  const pin = pinning();
  // GENCONF_BENCH_KEEP=1: leave the work directory (config, keys, plans, known_hosts) to rerun a side by hand.
  const keep = process.env.GENCONF_BENCH_KEEP === '1';
  const work = await mkdtemp(path.join(os.tmpdir(), 'genconf-scale-'));
  const port = 20000 + Math.floor(Math.random() * 10000);
  let spent = 0;
  const results: ScaleResults = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
      node: process.version,
      loadAvgAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    },
    pinning: pin.note,
    workMs: o.workMs,
    bundleBytes: BUNDLE_BYTES,
    runs: o.runs,
    cases: [],
  };
  // Cases measured earlier (other sizes, other parallelisms) stay in the file; a case measured again is replaced.
  const previousFile = path.join(o.resultsDir, 'scale.json');
  const previous = existsSync(previousFile)
    ? ((JSON.parse(await readFile(previousFile, 'utf8')) as ScaleResults).cases ?? [])
    : [];
  const load1 = (): number => Math.round(os.loadavg()[0]! * 100) / 100;
  const save = async (): Promise<void> => {
    results.machine.loadAvgAtEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);
    await mkdir(o.resultsDir, { recursive: true });
    const merged = { ...results, cases: mergeCases(previous, results.cases) };
    for (const [name, text] of [
      ['scale.json', JSON.stringify(merged, null, 2) + '\n'],
      ['scale.md', renderScale(merged)],
    ] as const) {
      const tmp = path.join(o.resultsDir, `.${name}.tmp-${process.pid}`);
      await writeFile(tmp, text);
      await rename(tmp, path.join(o.resultsDir, name));
    }
  };
  try {
    // The client's key, and a bundle built once by --genconf (its dcos_install.sh is what preflight sends).
    const key = newKey();
    const keyFile = path.join(work, 'id_ed25519');
    await writeFile(keyFile, key.private, { mode: 0o600 });
    const pubFile = `${keyFile}.pub`;
    const { utils } = (await import('ssh2')).default;
    const parsed = utils.parseKey(key.private);
    if (parsed instanceof Error || Array.isArray(parsed)) throw new Error('bad client key');
    await writeFile(pubFile, `ssh-ed25519 ${parsed.getPublicSSH().toString('base64')} bench\n`);
    const template = path.join(work, 'template');
    await mkdir(template, { recursive: true });
    const emptyKh = path.join(work, 'kh-empty');
    await writeFile(emptyKh, '');
    const tplHosts = [0, 1, 2].map((i) => ({ address: farmAddress(NET, i), port }));
    const tplGenconf = await writeGenconfDir(template, {
      hosts: tplHosts,
      user: USER,
      keyFile,
      knownHostsFile: emptyKh,
      parallelism: 20,
    });
    const artifacts = path.join(work, 'artifacts');
    const { writeExampleArtifacts } = await import('../../scripts/example-artifacts.js');
    await writeExampleArtifacts(artifacts);
    o.log('scale: building a bundle with genconf --genconf (not measured)');
    buildBundle(cli, template, tplGenconf, artifacts);
    // Deploy sends a 1 MiB bundle: incompressible bytes (the farm hashes, never unpacks, it).
    const bundle = randomBytes(BUNDLE_BYTES);
    await writeFile(path.join(tplGenconf, 'serve', 'dcos-install.tar'), bundle);
    const bundleSha = createHash('sha256').update(bundle).digest('hex');

    for (const n of o.sizes) {
      const dir = path.join(work, `n${n}`);
      await mkdir(dir, { recursive: true });
      const genconf = path.join(dir, 'genconf');
      await cp(tplGenconf, genconf, { recursive: true });
      const hosts = Array.from({ length: n }, (_, i) => ({ address: farmAddress(NET, i), port }));
      o.log(`scale n=${n}: starting the farm (${n} addresses, own host key each)`);
      const t0 = Date.now();
      const farm = await startFarmProcess(n, port, pubFile, path.join(dir, 'known_hosts'), o.workMs, pin.farm);
      o.log(`scale n=${n}: farm ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      try {
        await writeGenconfDir(dir, {
          hosts,
          user: USER,
          keyFile,
          knownHostsFile: path.join(dir, 'known_hosts'),
          parallelism: 20,
        });
        const knownHosts = path.join(genconf, 'known_hosts');
        const files = { stdout: path.join(dir, 'stdout'), stderr: path.join(dir, 'stderr'), dir };
        const timeout = Math.max(600_000, n * 200);
        // The client with the config loaded and no connection: what RSS per in-flight host is counted from.
        const idle = await measure(
          [cli, '--validate-config', '--genconf-dir', genconf, '--no-color'],
          pin.client,
          files,
          timeout,
        );
        for (const p of o.parallelism) {
          for (const stage of o.stages) {
            const plan: ScaleFloorPlan = {
              stage,
              hosts: hosts.map((h, i) => ({ ...h, role: roleOf(i, n) })),
              user: USER,
              keyPath: keyFile,
              knownHostsFile: knownHosts,
              parallelism: p,
              stagingDir: STAGING,
              ...(stage === 'preflight'
                ? {
                    preflightScript: path.join(o.root, 'templates', 'remote', 'preflight.sh'),
                    ipDetect: existsSync(path.join(genconf, 'serve', 'detect_ip'))
                      ? path.join(genconf, 'serve', 'detect_ip')
                      : path.join(genconf, 'ip-detect'),
                    installScript: path.join(genconf, 'serve', 'dcos_install.sh'),
                  }
                : { bundleTar: path.join(genconf, 'serve', 'dcos-install.tar'), bundleSha256: bundleSha }),
            };
            const planFile = path.join(dir, `floor-${stage}.json`);
            await writeFile(planFile, JSON.stringify(plan));
            const loadBefore = load1();
            const c: ScaleCase = {
              stage,
              hosts: n,
              parallelism: p,
              idleRssKiB: idle.maxRssKiB,
              ours: [],
              floor: [],
              measuredAt: new Date().toISOString(),
              logCreateUs: createCostUs(genconf),
              logFs: fsType(genconf),
            };
            o.log(
              `scale n=${n} p=${p} ${stage}: creating a file beside the logs (${c.logFs}) costs ${c.logCreateUs} µs of CPU`,
            );
            for (let r = 0; r < o.runs; r++) {
              const junit = path.join(dir, 'junit.xml');
              const ours = await measure(
                [
                  cli,
                  `--${stage}`,
                  '--genconf-dir',
                  genconf,
                  '--host-key-checking',
                  'strict',
                  '--parallelism',
                  String(p),
                  // The floor waits 60 s for a handshake: the same here, so a saturated machine fails neither side.
                  '--connect-timeout',
                  '60',
                  '--json',
                  '--junit',
                  junit,
                  '--no-color',
                ],
                pin.client,
                files,
                timeout,
              );
              const logs = du(path.join(genconf, 'logs'));
              const run: ScaleRun = {
                ...ours,
                outputs: {
                  ndjsonBytes: size(files.stdout),
                  junitBytes: size(junit),
                  humanBytes: size(files.stderr),
                  logBytes: logs.bytes,
                  logFiles: logs.files,
                },
              };
              c.ours.push(run);
              // Moved aside, not deleted: on some file systems freshly freed inodes make the next run's creates
              // dearer (createCostUs); the work directory goes at the end.
              await rename(path.join(genconf, 'logs'), path.join(work, `spent-logs-${spent++}`)).catch(() => undefined);
              o.log(
                `scale n=${n} p=${p} ${stage} genconf run ${r + 1}: ${(ours.wallMs / 1000).toFixed(2)} s wall, ${(ours.cpuMs / 1000).toFixed(2)} s cpu, ${(ours.maxRssKiB / 1024).toFixed(0)} MiB, loop p99 ${ours.eventLoopP99Ms} ms, ${loopCpuText(ours)}, exit ${ours.exitCode}`,
              );
              const fl = await measure([floor, planFile], pin.client, files, timeout);
              c.floor.push(fl);
              o.log(
                `scale n=${n} p=${p} ${stage} floor run ${r + 1}: ${(fl.wallMs / 1000).toFixed(2)} s wall, ${(fl.cpuMs / 1000).toFixed(2)} s cpu, ${(fl.maxRssKiB / 1024).toFixed(0)} MiB, loop p99 ${fl.eventLoopP99Ms} ms, ${loopCpuText(fl)}, exit ${fl.exitCode}`,
              );
              if (o.parts && stage === 'preflight') {
                // The two halves alone, in the same window as the whole and the floor (the machine drifts).
                c.parts ??= { transport: [], runner: [] };
                const tp = await measure([partsScript, 'transport', `--plan=${planFile}`], pin.client, files, timeout);
                c.parts.transport.push(tp);
                const rp = await measure(
                  [partsScript, 'runner', `--genconf-dir=${genconf}`, `--parallelism=${p}`, `--junit=${junit}`],
                  pin.client,
                  files,
                  timeout,
                );
                c.parts.runner.push(rp);
                await rename(path.join(genconf, 'logs'), path.join(work, `spent-logs-${spent++}`)).catch(
                  () => undefined,
                );
                o.log(
                  `scale n=${n} p=${p} ${stage} parts run ${r + 1}: transport ${(tp.cpuMs / 1000).toFixed(2)} s cpu (exit ${tp.exitCode}), runner ${(rp.cpuMs / 1000).toFixed(2)} s cpu (exit ${rp.exitCode})`,
                );
              }
            }
            c.load = [loadBefore, load1()];
            results.cases.push(c);
            await save();
          }
        }
      } finally {
        const counters = await farm.stop();
        o.log(`scale n=${n}: farm stopped: ${JSON.stringify(counters)}`);
        for (const c of results.cases) if (c.hosts === n) c.farm = counters;
      }
      if (!keep) await rm(dir, { recursive: true, force: true });
    }
  } finally {
    await save();
    if (keep) o.log(`scale: GENCONF_BENCH_KEEP: the work directory stays: ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
  return results.cases.map(scaleLine);
}
