/**
 * One report for N synthetic hosts, in a process of its own so that its peak RSS is its own:
 * `node dist/bench/report-worker.js <kind> <hosts> <out-dir>`, kind one of none (only the synthetic results, the
 * baseline), summary (the terminal summary, to a file), summary-full (logs/<run>/summary.txt), ndjson, junit,
 * logs (two files per host). Prints one JSON line: the kind, the bytes written and the writing time.
 */
import { createWriteStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RunEvent } from '../src/orchestrate/events.js';
import { writeJUnit } from '../src/report/junit.js';
import { HostLogs } from '../src/report/logs.js';
import { ndjsonWriter } from '../src/report/ndjson.js';
import { writeSummaryFile } from '../src/report/summary-file.js';
import { writeSummary } from '../src/report/summary.js';
import { REPORT_KINDS, type ReportKind } from './lib/report-kinds.js';
import { syntheticRun } from './lib/synthetic-results.js';

async function sizeOf(p: string): Promise<number> {
  const s = await stat(p);
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const f of await readdir(p)) total += (await stat(path.join(p, f))).size;
  return total;
}

function ended(out: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    out.on('error', reject);
    out.end(resolve);
  });
}

async function write(kind: ReportKind, n: number, dir: string): Promise<{ bytes: number; writeMs: number }> {
  const result = syntheticRun(n);
  const t0 = performance.now();
  let target: string;
  switch (kind) {
    case 'none':
      return { bytes: 0, writeMs: 0 };
    case 'summary': {
      target = path.join(dir, 'summary-terminal.txt');
      const out = createWriteStream(target);
      await writeSummary(out, result, { color: false, logDir: dir, fullTableFile: path.join(dir, 'summary.txt') });
      await ended(out);
      break;
    }
    case 'summary-full':
      target = await writeSummaryFile(dir, result);
      break;
    case 'ndjson': {
      target = path.join(dir, 'run.ndjson');
      const out = createWriteStream(target);
      const emit = ndjsonWriter(out);
      emit({
        type: 'run',
        runId: result.runId,
        stage: result.stage,
        hosts: result.hosts.map((h) => h.host),
        parallelism: 500,
        startedAt: result.startedAt,
      });
      for (const r of result.hosts) emit({ type: 'host-result', result: r });
      emit({ type: 'summary', result });
      await ended(out);
      break;
    }
    case 'junit':
      target = path.join(dir, 'junit.xml');
      await writeJUnit(target, result);
      break;
    case 'logs': {
      target = path.join(dir, 'logs');
      const logs = new HostLogs(target);
      const step = {
        kind: 'exec' as const,
        id: 'preflight',
        title: 'Run the preflight checks',
        argv: ['sudo', '-n', 'bash', '-s'],
        timeout: { ms: 1, option: 'x' },
      };
      for (const r of result.hosts) {
        const events: RunEvent[] = [
          { type: 'step-start', host: r.host, step, command: 'sudo -n bash -s' },
          { type: 'output', host: r.host, step, stream: 'stdout', chunk: r.steps[0]?.stdoutTail ?? '' },
          ...(r.steps[0] ? [{ type: 'step-end' as const, host: r.host, step, result: r.steps[0] }] : []),
          { type: 'host-done', result: r },
        ];
        for (const e of events) logs.listener(e);
      }
      await logs.close();
      if (logs.firstError) throw logs.firstError;
      break;
    }
  }
  const writeMs = performance.now() - t0;
  return { bytes: await sizeOf(target), writeMs };
}

const [kind, hosts, dir] = process.argv.slice(2);
if (!REPORT_KINDS.includes(kind as ReportKind) || !/^\d+$/.test(hosts ?? '') || !dir) {
  process.stderr.write(`usage: report-worker.js <${REPORT_KINDS.join('|')}> <hosts> <out-dir>\n`);
  process.exit(2);
}
const r = await write(kind as ReportKind, Number(hosts), dir);
process.stdout.write(`${JSON.stringify({ kind, hosts: Number(hosts), ...r })}\n`);
