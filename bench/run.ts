/**
 * `npm run bench`: what operators wait for, measured as whole processes, side by side with the floor (a bare ssh2
 * client doing the same remote work) and with the original installer's mechanics (one ssh/scp process per step).
 * Brings up its own loopback sshd hosts with the project's lab harness (blocks 10 and 11) and takes them down.
 * Needs root and openssh-server, like the SSH test tier (the import section needs neither). Writes
 * bench/results/latest.{json,md}.
 *
 *   npm run bench [-- --quick] [-- --only=cli,preflight,deploy,scale,import,jump] [-- --import-mib=1024] [-- --jump-hosts=50] [-- --runs=N --sizes=10,50,100 --scale-hosts=1000]
 *   npm run bench -- --only=scale [--sizes=1000,3000,10000] [--parallelism=20,100,500] [--runs=N] [--work-ms=0] [--scale-stages=preflight,deploy]
 *                 [--scale-parts]   (preflight also as its two halves alone: genconf's transport against the farm,
 *                                    genconf's runner and reports over an in-process transport; scale/parts.ts)
 *                 (the host farm of bench/scale: no root, no sshd; writes bench/results/scale.{json,md})
 *   npm run bench -- --only=start [--runs=N]     (CLI start: --version, --validate-config vs node -e 0; no root;
 *                                                  writes bench/results/start.{json,md})
 *   npm run bench -- --only=report [--report-hosts=10000]   (the reports of N synthetic hosts: size, time, peak
 *                                                  RSS; no root; writes bench/results/report.{json,md})
 *                 [-- --original-runs=N --original-deploy-all --merge --real-install]
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants as fsConstants, createReadStream, existsSync, rmSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderMarkdown } from './lib/markdown.js';
import type { FloorPlan, OriginalPlan, PlanHost } from './lib/plan.js';
import { deployFloor, deployOriginal, preflightFloor, preflightOriginal, type Common } from './lib/remote-work.js';
import {
  deriveTargets,
  mergeResults,
  originalLowerBound,
  summaryOf,
  type BastionComparison,
  type BenchResults,
  type Comparison,
  type ImportComparison,
  type SingleResult,
} from './lib/results.js';
import { importMethod, importSection } from './import-section.js';
import { jumpSection } from './jump-section.js';
import { sampleSides, type SideSpec } from './lib/sampler.js';
import {
  buildBundle,
  installRoles,
  unpackBundle,
  useInstallStandIn,
  writeGenconfDir,
  writeSyntheticArtifacts,
} from './lib/workspace.js';
import type { Lab } from '../test/lab/harness/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = path.join(ROOT, 'dist');
const CLI = path.join(DIST, 'cli', 'main.js');
const FLOOR = path.join(DIST, 'bench', 'floor.js');
const ORIGINAL = path.join(DIST, 'bench', 'original-mechanics.js');
const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
const EXAMPLE = path.join(ROOT, 'genconf-examples', '3-masters-static');
const SECTIONS = ['cli', 'preflight', 'deploy', 'scale', 'import', 'jump', 'pull', 'start', 'report'] as const;
type Section = (typeof SECTIONS)[number];
const LAB_BLOCK = 10;
const DEPLOY_PACKAGES = 50;
const DEPLOY_BYTES = 20 * 1024 * 1024;

interface Options {
  quick: boolean;
  only: Section[];
  runs: number;
  warmup: number;
  sizes: number[];
  parallelism: number;
  /** Deploy runs the bundle's real dcos_install.sh instead of the verify-only stand-in. */
  realInstall: boolean;
  /** Keep what this run does not measure from the previous bench/results/latest.json. */
  merge: boolean;
  /** Counted runs of the original's preflight above the smallest size (no warm-up there): it is the slow side. */
  originalRuns: number;
  /** Run the original's deploy (once) at every size, not only the smallest: minutes per size on a quiet machine. */
  originalDeployAll: boolean;
  /** Size of the synthetic installer of the import section. */
  importMiB: number;
  /** Hosts behind the bastion in the jump section. */
  jumpHosts: number;
  /** Synthetic hosts of the report section. */
  reportHosts: number;
  /** --only=scale: farm sizes, parallelisms, stages and the farm's remote work (--sizes, --parallelism lists). */
  scale: {
    sizes: number[];
    parallelism: number[];
    stages: ('preflight' | 'deploy')[];
    workMs: number;
    runs: number;
    /** Also measure the client's two halves alone (scale/parts.ts), for preflight: --scale-parts. */
    parts: boolean;
  };
}

class BenchUsage extends Error {}

export function parseOptions(argv: readonly string[]): Options {
  const quick = argv.includes('--quick');
  const o: Options = {
    quick,
    // pull (push against pull on one set of hosts) runs only when asked for: --only=pull.
    // start (CLI start against node -e 0) and report (the reports of 10,000 synthetic hosts) likewise.
    only: SECTIONS.filter((s) => s !== 'pull' && s !== 'start' && s !== 'report'),
    runs: quick ? 2 : 5,
    warmup: 1,
    sizes: quick ? [10] : [10, 50, 100],
    parallelism: 20,
    realInstall: false,
    merge: false,
    originalRuns: quick ? 2 : 5,
    originalDeployAll: false,
    importMiB: 1024,
    jumpHosts: quick ? 10 : 50,
    reportHosts: 10_000,
    scale: { sizes: [1000], parallelism: [100], stages: ['preflight', 'deploy'], workMs: 0, runs: 1, parts: false },
  };
  const int = (v: string, name: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new BenchUsage(`${name} needs a positive integer, got '${v}'`);
    return Number(v);
  };
  for (const a of argv) {
    const [k, v = ''] = a.split('=', 2) as [string, string?];
    if (a === '--quick') continue;
    else if (a === '--real-install') o.realInstall = true;
    else if (a === '--merge') o.merge = true;
    else if (a === '--original-deploy-all') o.originalDeployAll = true;
    else if (a === '--scale-parts') o.scale.parts = true;
    else if (k === '--only') {
      const want = v.split(',').filter(Boolean);
      const bad = want.filter((s) => !(SECTIONS as readonly string[]).includes(s));
      if (bad.length > 0 || want.length === 0)
        throw new BenchUsage(`--only takes a comma list of ${SECTIONS.join(', ')}; got '${v}'`);
      o.only = want as Section[];
    } else if (k === '--runs') o.runs = o.scale.runs = int(v, k);
    else if (k === '--original-runs') o.originalRuns = int(v, k);
    else if (k === '--warmup') o.warmup = /^\d+$/.test(v) ? Number(v) : int(v, k);
    else if (k === '--sizes') o.sizes = o.scale.sizes = v.split(',').map((s) => int(s, k));
    else if (k === '--work-ms') o.scale.workMs = /^\d+$/.test(v) ? Number(v) : int(v, k);
    else if (k === '--scale-stages') {
      const want = v.split(',').filter(Boolean);
      if (want.length === 0 || want.some((s) => s !== 'preflight' && s !== 'deploy'))
        throw new BenchUsage(`--scale-stages takes preflight, deploy or both; got '${v}'`);
      o.scale.stages = want as ('preflight' | 'deploy')[];
    } else if (k === '--scale-hosts') o.scale.sizes = [int(v, k)];
    else if (k === '--import-mib') o.importMiB = int(v, k);
    else if (k === '--jump-hosts') o.jumpHosts = int(v, k);
    else if (k === '--report-hosts') o.reportHosts = int(v, k);
    else if (k === '--parallelism') {
      // A list for --only=scale; the lab sections use the first value.
      o.scale.parallelism = v.split(',').map((s) => int(s, k));
      o.parallelism = o.scale.parallelism[0]!;
    } else if (k === '--scale-parallelism') o.scale.parallelism = [int(v, k)];
    else throw new BenchUsage(`unknown option ${a}`);
  }
  return o;
}

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function executable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The harness is TypeScript under test/, compiled into dist/test/lab/harness by tsconfig.json; it finds the node
 * stand-ins and its delay proxy next to itself, so put those beside the compiled copy before loading it.
 */
async function loadHarness(): Promise<typeof import('../test/lab/harness/index.js')> {
  await cp(path.join(ROOT, 'test', 'support', 'stubs'), path.join(DIST, 'test', 'support', 'stubs'), {
    recursive: true,
    preserveTimestamps: true,
  });
  await cp(
    path.join(ROOT, 'test', 'lab', 'harness', 'delay-proxy.mjs'),
    path.join(DIST, 'test', 'lab', 'harness', 'delay-proxy.mjs'),
  );
  return import('../test/lab/harness/index.js');
}

async function prerequisites(o: Options): Promise<string[]> {
  const missing: string[] = [];
  for (const f of [CLI, FLOOR, ORIGINAL])
    if (!existsSync(f)) missing.push(`${path.relative(ROOT, f)} (run npm run build)`);
  if (!executable('/usr/bin/time')) missing.push('/usr/bin/time (apt-get install time)');
  const needsLab = o.only.some((s) => !['cli', 'import', 'scale', 'start', 'report'].includes(s));
  if (needsLab) {
    for (const f of ['/usr/bin/ssh', '/usr/bin/scp'])
      if (!executable(f)) missing.push(`${f} (apt-get install openssh-client)`);
    if (spawnSync('xz', ['--version']).status !== 0) missing.push('xz (apt-get install xz-utils)');
    if (process.getuid?.() !== 0) {
      // Checked before the harness is loaded: it needs root even to put its node stand-ins in place.
      missing.push('root (the lab starts sshd hosts in their own mount namespaces)');
      if (!executable('/usr/sbin/sshd')) missing.push('/usr/sbin/sshd (apt-get install openssh-server)');
    } else {
      const { labPrerequisites } = await loadHarness();
      missing.push(...labPrerequisites().missing);
    }
  }
  return missing;
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Undo an install on the lab hosts (not timed), so that every deploy run starts from the same clean hosts: the
 * directories dcos_install.sh and pkgpanda write, and the stand-in systemctl's unit state (it would otherwise skip
 * units it remembers as active, and a second install would do less work than the first).
 */
export const RESET_DIRS = ['opt', 'etc/mesosphere', 'var/lib/dcos', 'etc/systemd', 'etc/profile.d', 'etc/rexray'];

async function resetHosts(lab: Lab, count: number): Promise<void> {
  await Promise.all(
    lab.hosts.slice(0, count).map(async (h) => {
      for (const dir of RESET_DIRS) {
        const full = path.join(h.fsRoot, dir);
        if (!existsSync(full)) continue;
        // The directory itself is a bind mount inside the host: empty it, never remove it.
        for (const name of await readdir(full)) await rm(path.join(full, name), { recursive: true, force: true });
      }
      await mkdir(path.join(h.fsRoot, 'etc', 'systemd', 'system'), { recursive: true });
      await rm(path.join(h.fsRoot, 'tmp', 'bootstrap.tar.xz'), { force: true });
    }),
  );
}

/** True when something accepts TCP connections on host:port within 2 s. */
function listening(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: address, port, timeout: 2000 });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
    sock.once('timeout', () => done(false));
  });
}

/** Every host of the first `count` must have its sshd up before a measurement; a dead one is restarted. */
async function ensureHostsUp(lab: Lab, count: number): Promise<void> {
  for (const h of lab.hosts.slice(0, count)) {
    if (await listening(h.address, h.port)) continue;
    log(`host ${h.index} (${h.address}) is not listening: healing it`);
    await lab.heal(h.index);
  }
}

function machine(): BenchResults['machine'] {
  const ssh = spawnSync('/usr/bin/ssh', ['-V'], { encoding: 'utf8' });
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    openssh: (ssh.stderr || ssh.stdout || 'no ssh').trim().split(',')[0] ?? 'unknown',
    kernel: os.release(),
    loadAvg: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

async function writePlan(file: string, plan: FloorPlan | OriginalPlan): Promise<string> {
  await writeFile(file, JSON.stringify(plan));
  return file;
}

const node = (script: string, ...args: string[]): string[] => [process.execPath, script, ...args];

// ------------------------------------------------------------------ sections

async function cliSection(o: Options, work: string, singles: SingleResult[]): Promise<void> {
  if (!existsSync(path.join(EXAMPLE, 'genconf', 'config.yaml'))) {
    for (const name of ['validate-config', 'genconf'])
      singles.push({ name, result: { error: `${path.relative(ROOT, EXAMPLE)} is missing` } });
    return;
  }
  const dir = path.join(work, 'cli');
  await cp(EXAMPLE, dir, { recursive: true });
  const { writeExampleArtifacts } = await import('../scripts/example-artifacts.js');
  await writeExampleArtifacts(path.join(dir, 'artifacts'));
  // --validate-config checks that ssh_key_path names a file (it does not read it).
  await writeFile(
    path.join(dir, 'genconf', 'ssh_key'),
    'placeholder: validation only checks that the key file exists\n',
    { mode: 0o600 },
  );
  const runs = Math.max(o.runs, 5);
  for (const [name, flag] of [
    ['validate-config', '--validate-config'],
    ['genconf', '--genconf'],
  ] as const) {
    const r = await sampleSides([{ side: 'ours', argv: node(CLI, flag, '--no-color'), cwd: dir }], {
      warmup: o.warmup,
      runs,
      timeoutMs: 60_000,
      log,
      label: name,
    });
    singles.push({ name, result: r.ours! });
  }
}

interface StageWork {
  work: string;
  genconf: string;
  hosts: PlanHost[];
  common: Common;
  knownHosts: string;
}

async function prepareSize(
  lab: Lab,
  n: number,
  o: Options,
  root: string,
  artifacts: string,
  parallelism: number,
): Promise<StageWork> {
  const work = path.join(root, `n${n}`);
  await mkdir(work, { recursive: true });
  const labHosts = lab.hosts.slice(0, n);
  const genconf = await writeGenconfDir(work, {
    hosts: labHosts,
    user: lab.sudoUser,
    keyFile: lab.keys.ed25519,
    knownHostsFile: lab.knownHostsFile,
    parallelism,
  });
  log(`n=${n}: building the bundle with genconf --genconf (not measured)`);
  buildBundle(CLI, work, genconf, artifacts);
  const hosts = installRoles(labHosts).map(({ host, role }) => ({ address: host.address, port: host.port, role }));
  return {
    work,
    genconf,
    hosts,
    knownHosts: path.join(genconf, 'known_hosts'),
    common: { hosts, user: lab.sudoUser, keyPath: path.join(genconf, 'ssh_key'), parallelism },
  };
}

function oursArgv(s: StageWork, stage: 'preflight' | 'deploy'): string[] {
  return node(CLI, `--${stage}`, '--genconf-dir', s.genconf, '--host-key-checking', 'strict', '--no-color');
}

async function preflightRun(s: StageWork, o: Options, n: number): Promise<Comparison> {
  const serve = path.join(s.genconf, 'serve');
  const installScript = path.join(serve, 'dcos_install.sh');
  const ipDetect = existsSync(path.join(serve, 'detect_ip'))
    ? path.join(serve, 'detect_ip')
    : path.join(s.genconf, 'ip-detect');
  const floorPlan = await writePlan(
    path.join(s.work, 'floor-preflight.json'),
    preflightFloor(s.common, s.knownHosts, installScript, ipDetect),
  );
  const origPlan = await writePlan(
    path.join(s.work, 'original-preflight.json'),
    preflightOriginal(s.common, installScript, ipDetect),
  );
  const sides: SideSpec[] = [
    { side: 'ours', argv: oursArgv(s, 'preflight'), cwd: s.work },
    { side: 'floor', argv: node(FLOOR, floorPlan), cwd: s.work },
    {
      side: 'original',
      argv: node(ORIGINAL, origPlan),
      cwd: s.work,
      ...(n > 10 && o.originalRuns < o.runs ? { runs: o.originalRuns, warmup: 0 } : {}),
    },
  ];
  const r = await sampleSides(sides, {
    warmup: o.warmup,
    runs: o.runs,
    timeoutMs: 30 * 60_000,
    log,
    label: `preflight n=${n}`,
  });
  return { stage: 'preflight', hosts: n, sides: r };
}

async function deployRun(
  lab: Lab,
  s: StageWork,
  o: Options,
  n: number,
  earlier: readonly Comparison[],
): Promise<Comparison> {
  const tar = path.join(s.genconf, 'serve', 'dcos-install.tar');
  if (!o.realInstall) await useInstallStandIn(tar);
  const unpacked = path.join(s.work, 'unpacked');
  await mkdir(unpacked, { recursive: true });
  unpackBundle(tar, unpacked);
  const floorPlan = await writePlan(
    path.join(s.work, 'floor-deploy.json'),
    deployFloor(s.common, s.knownHosts, tar, await sha256File(tar)),
  );
  const origPlan = await writePlan(path.join(s.work, 'original-deploy.json'), deployOriginal(s.common, unpacked));
  const reset = (): Promise<void> => resetHosts(lab, n);
  // The original's mechanics start ~110 ssh/scp processes per host for 50 packages: minutes at 10 hosts, over an
  // hour at 100 under load. It runs once at the smallest size (every size with --original-deploy-all); larger sizes
  // get a lower bound from that run.
  const smallest = Math.min(...o.sizes);
  const origBudget: Partial<SideSpec> =
    n === smallest || o.originalDeployAll
      ? { warmup: 0, runs: 1 }
      : { skip: `too slow to run here (about ${n * 110} ssh/scp processes)` };
  const sides: SideSpec[] = [
    { side: 'ours', argv: oursArgv(s, 'deploy'), cwd: s.work, reset },
    { side: 'floor', argv: node(FLOOR, floorPlan), cwd: s.work, reset },
    { side: 'original', argv: node(ORIGINAL, origPlan), cwd: s.work, reset, ...origBudget },
  ];
  const r = await sampleSides(sides, {
    warmup: o.warmup,
    runs: o.runs,
    timeoutMs: 60 * 60_000,
    log,
    label: `deploy n=${n}`,
  });
  await reset();
  const c: Comparison = { stage: 'deploy', hosts: n, sides: r };
  const base = earlier.find((e) => e.stage === 'deploy' && e.hosts === smallest);
  const baseOriginal = base ? summaryOf(base.sides.original) : undefined;
  if (n !== smallest && baseOriginal)
    c.originalLowerBound = originalLowerBound(baseOriginal, smallest, n, os.cpus().length);
  return c;
}

/** CLI start against `node -e 0`: bench/results/start.{json,md}; its plain lines join the scale lines at the end. */
async function startSection(o: Options, lines: string[]): Promise<void> {
  const { startRun, startTable, startLines } = await import('./start-section.js');
  const r = await startRun({ root: ROOT, runs: o.quick ? 5 : Math.max(o.runs, 15), warmup: 2, log });
  await writeFile(path.join(RESULTS_DIR, 'start.json'), `${JSON.stringify(r, null, 2)}\n`);
  await writeFile(path.join(RESULTS_DIR, 'start.md'), `${startTable(r)}\n`);
  process.stdout.write(`${startTable(r)}\n`);
  lines.push(...startLines(r));
}

/** The reports of --report-hosts synthetic hosts: bench/results/report.{json,md}. */
async function reportSection(o: Options, lines: string[]): Promise<void> {
  const { reportRun, reportTable, reportLines } = await import('./report-section.js');
  const r = await reportRun({ root: ROOT, hosts: o.reportHosts, runs: o.quick ? 1 : 3, log });
  await writeFile(path.join(RESULTS_DIR, 'report.json'), `${JSON.stringify(r, null, 2)}\n`);
  await writeFile(path.join(RESULTS_DIR, 'report.md'), `${reportTable(r)}\n`);
  process.stdout.write(`${reportTable(r)}\n`);
  lines.push(...reportLines(r));
}

/** Push (SFTP) against pull (nginx) at each size, on one lab of its own (an automatically claimed block). */
async function pullSection(o: Options, work: string): Promise<void> {
  const { pullRun, pullTable } = await import('./pull-section.js');
  const { startLab } = await loadHarness();
  const max = Math.max(...o.sizes);
  log(`pull: bringing up ${max} lab hosts (node stand-ins)`);
  const lab = await startLab({ count: max, nodeStubs: true });
  const rows: Awaited<ReturnType<typeof pullRun>> = [];
  try {
    const artifacts = path.join(work, 'pull-artifacts');
    log(
      `pull: writing a synthetic artifacts set: ${DEPLOY_PACKAGES} packages, ${DEPLOY_BYTES >> 20} MiB of random payload`,
    );
    await writeSyntheticArtifacts(artifacts, DEPLOY_PACKAGES, DEPLOY_BYTES);
    for (const n of o.sizes) {
      await ensureHostsUp(lab, n);
      rows.push(
        ...(await pullRun(
          { lab, cli: CLI, artifacts, work, parallelism: o.parallelism, reset: (k) => resetHosts(lab, k), log },
          n,
        )),
      );
      const table = pullTable(rows);
      await writeFile(
        path.join(RESULTS_DIR, 'pull.json'),
        JSON.stringify(
          { date: new Date().toISOString(), machine: machine(), parallelism: o.parallelism, rows },
          null,
          2,
        ) + '\n',
      );
      await writeFile(path.join(RESULTS_DIR, 'pull.md'), `${table}\n`);
      log(`pull:\n${table}`);
    }
    process.stdout.write(`${pullTable(rows)}\n`);
  } finally {
    await lab.down();
  }
}

async function labSections(
  o: Options,
  work: string,
  comparisons: Comparison[],
  save: () => Promise<void>,
): Promise<void> {
  const { startLab } = await loadHarness();
  const max = Math.max(...o.sizes);
  log(`bringing up ${max} lab hosts (block ${LAB_BLOCK}, node stand-ins)`);
  const lab = await startLab({ count: max, block: LAB_BLOCK, nodeStubs: true });
  try {
    const artifacts = path.join(work, 'artifacts');
    if (o.only.includes('deploy')) {
      log(
        `writing a synthetic artifacts set: ${DEPLOY_PACKAGES} packages, ${DEPLOY_BYTES >> 20} MiB of random payload`,
      );
      await writeSyntheticArtifacts(artifacts, DEPLOY_PACKAGES, DEPLOY_BYTES);
    } else {
      // Preflight sends dcos_install.sh and ip-detect only: the small example set builds the same script faster.
      const { writeExampleArtifacts } = await import('../scripts/example-artifacts.js');
      await writeExampleArtifacts(artifacts);
    }
    for (const n of o.sizes) {
      const s = await prepareSize(lab, n, o, work, artifacts, o.parallelism);
      await ensureHostsUp(lab, n);
      if (o.only.includes('preflight')) {
        comparisons.push(await preflightRun(s, o, n));
        await save();
      }
      if (o.only.includes('deploy')) {
        comparisons.push(await deployRun(lab, s, o, n, comparisons));
        await save();
      }
    }
  } finally {
    log('taking the lab down');
    await lab.down();
  }
}

/** The many-host bench against the farm (bench/scale): no lab, no root. */
async function scaleSection(o: Options, lines: string[]): Promise<void> {
  const { scaleSection: run } = await import('./scale/section.js');
  lines.push(...(await run({ ...o.scale, root: ROOT, resultsDir: RESULTS_DIR, log })));
}

async function jumpLab(o: Options, work: string, jumps: BastionComparison[]): Promise<void> {
  const { startLab } = await loadHarness();
  log(`bringing up ${o.jumpHosts + 1} lab hosts (a free block): a bastion and ${o.jumpHosts} behind it`);
  const lab = await startLab({ count: o.jumpHosts + 1, nodeStubs: true });
  try {
    const root = path.join(work, 'jump');
    const artifacts = path.join(root, 'artifacts');
    const { writeExampleArtifacts } = await import('../scripts/example-artifacts.js');
    await writeExampleArtifacts(artifacts);
    await ensureHostsUp(lab, o.jumpHosts + 1);
    jumps.push(
      await jumpSection(
        { hosts: o.jumpHosts, runs: o.runs, warmup: o.warmup, parallelism: o.parallelism, cli: CLI, log },
        lab,
        root,
        artifacts,
      ),
    );
  } finally {
    log('taking the jump lab down');
    await lab.down();
  }
}

// ------------------------------------------------------------------ main

async function writeResults(results: BenchResults): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const md = renderMarkdown(results);
  for (const [name, text] of [
    ['latest.json', JSON.stringify(results, null, 2) + '\n'],
    ['latest.md', md],
  ] as const) {
    const tmp = path.join(RESULTS_DIR, `.${name}.tmp-${process.pid}`);
    await writeFile(tmp, text);
    await rename(tmp, path.join(RESULTS_DIR, name));
  }
  return md;
}

function method(o: Options): string[] {
  return [
    `Hosts: the project's lab harness (test/lab/harness), real sshd per host on 127.${20 + LAB_BLOCK}.x.y, node stand-ins (systemctl, docker, …), user centos with sudo, ed25519 key; 3 masters, 1 public agent, the rest agents. The hosts share the client's CPUs.`,
    `genconf: \`node dist/cli/main.js --preflight|--deploy --host-key-checking strict\` with ssh_parallelism ${o.parallelism}, a genconf dir built by --genconf.`,
    `ssh2 floor (bench/floor.ts): one bare ssh2 client per host (TCP_NODELAY, known_hosts checked), same window of ${o.parallelism}; preflight = one exec (mkdir+chown, ip-detect inline, dcos_install.sh on stdin, ip-detect and --preflight-only <role> as root, rm); deploy = mkdir+chown exec, SFTP fastPut of dcos-install.tar (64 × 32 KiB), one exec (sha256sum -c, tar -x, dcos_install.sh <role>, rm), masters before agents like genconf.`,
    `original's mechanics (bench/original-mechanics.ts): one /usr/bin/ssh (-tt) or /usr/bin/scp process per step with the original's SSH options, TERM=linux, window of ${o.parallelism} hosts; preflight = mkdir, chown, scp dcos_install.sh, scp ip-detect, ip-detect, --preflight-only <role>, rm (7 processes/host); deploy = mkdir, chown, scp dcos_install.sh, then per bundle directory a mkdir and one scp per file (every package, bootstrap, package list, checksums), dcos_install.sh <role>, rm. Its deploy runs once (no warm-up) ${o.originalDeployAll ? 'at every size' : 'at the smallest size of a run only'}; at sizes it did not run the table shows a lower bound from that run's client CPU (CPU grows linearly with hosts, and wall ≥ CPU / cores), and the ratio is marked est.`,
    `Deploy: a synthetic artifacts set of ${DEPLOY_PACKAGES} packages (the 3 example packages + random incompressible payloads, ${DEPLOY_BYTES >> 20} MiB in all), built into dcos-install.tar by --genconf. ` +
      (o.realInstall
        ? 'dcos_install.sh <role> really installs on every host (pkgpanda stand-in, stand-in systemctl).'
        : "What is measured is transfer + verification: in the bundle, dcos_install.sh is replaced by a stand-in that checks every artifact against SHA256SUMS and exits (the real install's pkgpanda unpacking on hosts that share the client's CPUs would dominate every side alike); --real-install runs the real one.") +
      ' Hosts are reset (outside the timing) before every run.',
    `Scale: see bench/results/scale.md (genconf against the bench host farm, bench/scale).`,
    `CLI: \`genconf --validate-config\` and \`genconf --genconf\` in a copy of genconf-examples/3-masters-static with the example artifacts set.`,
    ...(o.only.includes('import') ? [importMethod(o.importMiB)] : []),
    ...(o.only.includes('jump')
      ? [
          `Jump: genconf --preflight on ${o.jumpHosts} lab hosts through one bastion (one more lab host; an ssh_config with \`Host * !<bastion>\` / \`ProxyJump centos@<bastion>\`, given by --ssh-config) against the same hosts with --ssh-config none, interleaved, ssh_parallelism ${o.parallelism}. Bastion connections are counted in the bastion's sshd log.`,
        ]
      : []),
  ];
}

async function main(argv: readonly string[]): Promise<number> {
  let o: Options;
  try {
    o = parseOptions(argv);
  } catch (err) {
    if (err instanceof BenchUsage) {
      process.stderr.write(
        `bench: ${err.message}\nusage: npm run bench -- [--quick] [--only=${SECTIONS.join(',')}] [--runs=N] [--sizes=10,50,100] [--scale-hosts=N] [--parallelism=N] [--original-runs=N] [--real-install] [--merge]\n`,
      );
      return 2;
    }
    throw err;
  }
  const missing = await prerequisites(o);
  if (missing.length > 0) {
    process.stderr.write(
      `bench: cannot run here. npm run bench needs root and openssh-server (it starts real sshd hosts on loopback addresses), like the SSH test tier.\nmissing:\n${missing.map((m) => `  - ${m}`).join('\n')}\n`,
    );
    return 2;
  }
  const startedAt = new Date().toISOString();
  const loadAtStart = os.loadavg().map((l) => Math.round(l * 100) / 100);
  const work = await mkdtemp(path.join(os.tmpdir(), 'genconf-bench-'));
  // Ctrl-C: remove the scratch directory and exit; the lab harness takes its hosts down on 'exit'.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      rmSync(work, { recursive: true, force: true });
      process.exit(130);
    });
  }
  const comparisons: Comparison[] = [];
  const singles: SingleResult[] = [];
  const imports: ImportComparison[] = [];
  const jumps: BastionComparison[] = [];
  const sectionErrors: string[] = [];
  const scaleLines: string[] = [];
  // --only=scale, start and report write bench/results/<section>.* alone and leave latest.* as they are.
  const scaleOnly = o.only.every((s) => s === 'scale' || s === 'start' || s === 'report');
  let md = '';
  // Results are rewritten after every section, so a run cut short still leaves what it measured.
  const previousFile = path.join(RESULTS_DIR, 'latest.json');
  const previous =
    o.merge && existsSync(previousFile)
      ? (JSON.parse(await readFile(previousFile, 'utf8')) as BenchResults)
      : undefined;
  const save = async (): Promise<void> => {
    if (scaleOnly) return;
    const results: BenchResults = {
      version: 1,
      startedAt,
      finishedAt: new Date().toISOString(),
      machine: { ...machine(), loadAvgAtStart: loadAtStart },
      options: {
        quick: o.quick,
        only: o.only,
        runs: o.runs,
        warmup: o.warmup,
        sizes: o.sizes,
        scaleHosts: o.scale.sizes[0] ?? 0,
        parallelism: o.parallelism,
      },
      method: [...method(o), ...sectionErrors.map((e) => `Section failed: ${e}`)],
      comparisons,
      singles,
      targets: deriveTargets({ comparisons, singles }, Math.max(...o.sizes)),
      ...(imports.length > 0 ? { imports } : {}),
      ...(jumps.length > 0 ? { jumps } : {}),
    };
    md = await writeResults(previous ? mergeResults(previous, results) : results);
  };
  const section = async (name: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      // One section's failure (a lab that would not start, a bundle that would not build) must not lose the others.
      const msg = err instanceof Error ? err.message : String(err);
      log(`${name} failed: ${msg}`);
      sectionErrors.push(`${name}: ${msg.slice(0, 500)}`);
    }
    await save();
  };
  try {
    if (o.only.includes('cli')) await section('cli', () => cliSection(o, work, singles));
    if (o.only.includes('preflight') || o.only.includes('deploy'))
      await section('preflight/deploy', () => labSections(o, work, comparisons, save));
    if (o.only.includes('scale')) await section('scale', () => scaleSection(o, scaleLines));
    if (o.only.includes('jump')) await section('jump', () => jumpLab(o, work, jumps));
    if (o.only.includes('pull')) await section('pull', () => pullSection(o, work));
    if (o.only.includes('start')) await section('start', () => startSection(o, scaleLines));
    if (o.only.includes('report')) await section('report', () => reportSection(o, scaleLines));
    if (o.only.includes('import')) {
      await section('import', async () => {
        const io = {
          mib: o.importMiB,
          runs: o.quick ? 1 : Math.min(o.runs, 3),
          warmup: o.quick ? 0 : 1,
          cli: CLI,
          log,
        };
        for (const bigFirst of [false, true]) imports.push(await importSection(io, work, bigFirst));
      });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  if (!scaleOnly) {
    process.stdout.write(md);
    log(`wrote ${path.relative(process.cwd(), path.join(RESULTS_DIR, 'latest.json'))} and latest.md`);
  }
  // CI reads these last lines: one per scale case.
  if (scaleLines.length > 0) process.stdout.write(scaleLines.join('\n') + '\n');
  // A side skipped on purpose (the original's deploy above the smallest size) is reported, not a failure of the run.
  const unmeasured = [...comparisons.flatMap((c) => Object.values(c.sides)), ...singles.map((s) => s.result)].filter(
    (r) => r && 'error' in r && r.skipped !== true,
  );
  return unmeasured.length > 0 || sectionErrors.length > 0 ? 1 : 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 70;
}
