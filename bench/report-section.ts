/**
 * `npm run bench -- --only=report [--report-hosts=10000]`: the reports of a run on N hosts (synthetic results:
 * bench/lib/synthetic-results.ts), each written by bench/report-worker.ts in a process of its own, the way a run
 * writes it (streams). Per report: its size, the time to write it, and the process's peak RSS beside the baseline
 * (a process that only builds the same results), so the report's own memory is the difference.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { measure } from './lib/proc.js';
import { median } from './lib/stats.js';
import { REPORT_KINDS, type ReportKind } from './lib/report-kinds.js';

export interface ReportRow {
  kind: ReportKind;
  hosts: number;
  bytes: number;
  /** Median over the runs: the time the writer took inside the process, and the whole process's wall time. */
  writeMs: number;
  wallMs: number;
  peakRssMiB: number;
}

export interface ReportResults {
  startedAt: string;
  loadBefore: string;
  loadAfter: string;
  runs: number;
  rows: ReportRow[];
}

const LABEL: Record<ReportKind, string> = {
  none: 'baseline (results only)',
  summary: 'summary (terminal: cut table)',
  'summary-full': 'summary.txt (every host)',
  ndjson: 'NDJSON (--json)',
  junit: 'JUnit (--junit)',
  logs: 'per-host logs (a stdout.log per host, a stderr.log where it wrote one)',
};

export async function reportRun(opts: {
  root: string;
  hosts: number;
  runs: number;
  log: (line: string) => void;
}): Promise<ReportResults> {
  const worker = path.join(opts.root, 'dist', 'bench', 'report-worker.js');
  const loadBefore = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const rows: ReportRow[] = [];
  for (const kind of REPORT_KINDS) {
    const writes: number[] = [];
    const walls: number[] = [];
    const rss: number[] = [];
    let bytes = 0;
    for (let i = 0; i < opts.runs; i++) {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'genconf-bench-report-'));
      try {
        const m = await measure([process.execPath, worker, kind, String(opts.hosts), dir], { timeoutMs: 300_000 });
        if (m.exitCode !== 0) throw new Error(`report worker ${kind} exited ${m.exitCode}: ${m.stderr.slice(-400)}`);
        const out = JSON.parse(m.stdout.trim()) as { bytes: number; writeMs: number };
        bytes = out.bytes;
        writes.push(out.writeMs);
        walls.push(m.wallMs);
        rss.push(m.maxRssKiB / 1024);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    rows.push({
      kind,
      hosts: opts.hosts,
      bytes,
      writeMs: median(writes),
      wallMs: median(walls),
      peakRssMiB: median(rss),
    });
    opts.log(`report: ${kind} done`);
  }
  return {
    startedAt: new Date().toISOString(),
    loadBefore,
    loadAfter: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    runs: opts.runs,
    rows,
  };
}

export function reportTable(r: ReportResults): string {
  const base = r.rows.find((row) => row.kind === 'none')?.peakRssMiB ?? 0;
  const lines = [
    `${r.rows[0]?.hosts ?? 0} synthetic hosts; median of ${r.runs} runs per report; load ${r.loadBefore} → ${r.loadAfter}.`,
    '',
    '| report | size | write time | process wall | peak RSS | over baseline |',
    '|---|---|---|---|---|---|',
  ];
  for (const row of r.rows) {
    const size = row.kind === 'none' ? '–' : `${(row.bytes / 1024 / 1024).toFixed(2)} MiB`;
    const over = row.kind === 'none' ? '–' : `${(row.peakRssMiB - base).toFixed(0)} MiB`;
    lines.push(
      `| ${LABEL[row.kind]} | ${size} | ${row.writeMs.toFixed(0)} ms | ${row.wallMs.toFixed(0)} ms | ${row.peakRssMiB.toFixed(0)} MiB | ${over} |`,
    );
  }
  return lines.join('\n');
}

/** One plain line per report, for CI logs. */
export function reportLines(r: ReportResults): string[] {
  const base = r.rows.find((row) => row.kind === 'none')?.peakRssMiB ?? 0;
  return r.rows
    .filter((row) => row.kind !== 'none')
    .map(
      (row) =>
        `report N=${row.hosts} ${row.kind}: ${row.bytes} bytes, write ${row.writeMs.toFixed(0)} ms, peak RSS ${row.peakRssMiB.toFixed(0)} MiB (${(row.peakRssMiB - base).toFixed(0)} MiB over the results alone)`,
    );
}
