/**
 * `npm run bench -- --only=start`: how long the CLI takes to start, as whole processes, against Node's own start
 * (`node -e 0`) in the same run. Sides: `node -e 0`; `--version` and `--validate-config` through the bundled CLI
 * (dist/cli/main.js, what package.json's bin and dcos_generate_config.sh run); and, for comparison, the same two
 * through tsc's unbundled output (dist/src/main.js). `--validate-config` runs on a copy of
 * genconf-examples/3-masters-static (with a placeholder SSH key file, which validation only checks exists), so it
 * judges a valid config and exits 0. Rounds are interleaved: round r runs every side once, so the machine's drift
 * hits every side alike. Ratios: min/min (the least disturbed run of each side) and median/median.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { measure, type Measured } from './lib/proc.js';
import { ratio, summarize, type Summary } from './lib/stats.js';

export interface StartSide {
  id: string;
  label: string;
  argv: string[];
}

export interface StartRow {
  id: string;
  label: string;
  summary: Summary;
  /** min wall / min wall of `node -e 0`, and the same for the medians. */
  minRatio: number | null;
  medianRatio: number | null;
}

export interface StartResults {
  startedAt: string;
  node: string;
  cores: number;
  /** /proc/loadavg at the start and at the end: the machine is shared. */
  loadBefore: string;
  loadAfter: string;
  warmup: number;
  runs: number;
  /** Set in the environment: Node then reads extra CA certificates at every start (every side pays it). */
  extraCaCerts: boolean;
  rows: StartRow[];
}

function loadavg(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

export function startSides(root: string): StartSide[] {
  const bundled = path.join(root, 'dist', 'cli', 'main.js');
  const tsc = path.join(root, 'dist', 'src', 'main.js');
  const node = process.execPath;
  return [
    { id: 'floor', label: 'node -e 0', argv: [node, '-e', '0'] },
    { id: 'version', label: 'genconf --version (bundle)', argv: [node, bundled, '--version'] },
    { id: 'validate', label: 'genconf --validate-config (bundle)', argv: [node, bundled, '--validate-config'] },
    { id: 'version-tsc', label: 'genconf --version (tsc output)', argv: [node, tsc, '--version'] },
    {
      id: 'validate-tsc',
      label: 'genconf --validate-config (tsc output)',
      argv: [node, tsc, '--validate-config'],
    },
  ];
}

export async function startRun(opts: {
  root: string;
  runs: number;
  warmup: number;
  log: (line: string) => void;
}): Promise<StartResults> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'genconf-bench-start-'));
  try {
    await cp(path.join(opts.root, 'genconf-examples', '3-masters-static', 'genconf'), path.join(work, 'genconf'), {
      recursive: true,
    });
    await writeFile(path.join(work, 'genconf', 'ssh_key'), 'placeholder: validation only checks it exists\n', {
      mode: 0o600,
    });
    const sides = startSides(opts.root);
    const samples = new Map<string, Measured[]>(sides.map((s) => [s.id, []]));
    const loadBefore = loadavg();
    const env = { ...process.env, NO_COLOR: '1' };
    for (let round = 0; round < opts.warmup + opts.runs; round++) {
      for (const side of sides) {
        const m = await measure(side.argv, { cwd: work, env, timeoutMs: 30_000 });
        if (m.exitCode !== 0) throw new Error(`${side.label} exited ${m.exitCode}: ${m.stderr.slice(-400)}`);
        if (round >= opts.warmup) samples.get(side.id)!.push(m);
      }
      if (round === opts.warmup - 1 || (round + 1) % 5 === 0) opts.log(`start: round ${round + 1} done`);
    }
    const summaries = new Map(sides.map((s) => [s.id, summarize(samples.get(s.id)!)]));
    const floor = summaries.get('floor')!;
    return {
      startedAt: new Date().toISOString(),
      node: process.version,
      cores: os.cpus().length,
      loadBefore,
      loadAfter: loadavg(),
      warmup: opts.warmup,
      runs: opts.runs,
      extraCaCerts: process.env.NODE_EXTRA_CA_CERTS !== undefined,
      rows: sides.map((s) => {
        const summary = summaries.get(s.id)!;
        return {
          id: s.id,
          label: s.label,
          summary,
          minRatio: ratio(summary.wallMs.min, floor.wallMs.min),
          medianRatio: ratio(summary.wallMs.median, floor.wallMs.median),
        };
      }),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const ms = (n: number): string => `${n.toFixed(0)} ms`;
const x = (r: number | null): string => (r === null ? '–' : `${r.toFixed(2)}×`);

export function startTable(r: StartResults): string {
  const lines = [
    `Node ${r.node}, ${r.cores} cores (shared), load ${r.loadBefore} → ${r.loadAfter}; ${r.runs} counted runs per side after ${r.warmup} warm-up, interleaved${r.extraCaCerts ? '; NODE_EXTRA_CA_CERTS set (every side reads it)' : ''}.`,
    '',
    '| command | wall min | wall median | CPU median | peak RSS | ratio min/min | ratio median/median |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const row of r.rows) {
    const s = row.summary;
    lines.push(
      `| ${row.label} | ${ms(s.wallMs.min)} | ${ms(s.wallMs.median)} | ${ms(s.cpuMs.median)} | ${(s.maxRssKiB.median / 1024).toFixed(0)} MiB | ${x(row.minRatio)} | ${x(row.medianRatio)} |`,
    );
  }
  return lines.join('\n');
}

/** One plain line per command, for CI logs. */
export function startLines(r: StartResults): string[] {
  const floor = r.rows.find((row) => row.id === 'floor')!.summary;
  return r.rows
    .filter((row) => row.id !== 'floor')
    .map(
      (row) =>
        `start ${row.label}: wall min ${row.summary.wallMs.min.toFixed(0)} ms, median ${row.summary.wallMs.median.toFixed(0)} ms; node -e 0 min ${floor.wallMs.min.toFixed(0)} ms, median ${floor.wallMs.median.toFixed(0)} ms; ratio min ${x(row.minRatio)}, median ${x(row.medianRatio)}`,
    );
}
