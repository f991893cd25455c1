/**
 * Whole-process measurement. Every side of every comparison runs as its own process under /usr/bin/time, so wall
 * time includes start-up, and CPU is getrusage(RUSAGE_CHILDREN) of that process: it and every descendant it reaped
 * (the original's mechanics fork one ssh/scp per step; their CPU counts too).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Sample } from './stats.js';

export const TIME_BIN = '/usr/bin/time';

export interface Measured extends Sample {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the process tree after this long; the sample then has exitCode null. */
  timeoutMs?: number;
  /** Keep this many trailing characters of stdout/stderr (for error reports). */
  keepChars?: number;
}

/** user s, sys s, max RSS KiB after a marker: /usr/bin/time also writes "Command exited with non-zero status" lines to the file. */
const FORMAT = 'BENCHTIME %U %S %M';

export function parseTimeOutput(text: string): { cpuMs: number; maxRssKiB: number } {
  const line = text.split('\n').find((l) => l.startsWith('BENCHTIME '));
  if (!line) throw new Error(`no BENCHTIME line in /usr/bin/time output: ${JSON.stringify(text.slice(0, 200))}`);
  const [, user, sys, rss] = line.trim().split(/\s+/);
  const cpuMs = Math.round((Number(user) + Number(sys)) * 1000);
  const maxRssKiB = Number(rss);
  if (!Number.isFinite(cpuMs) || !Number.isFinite(maxRssKiB)) throw new Error(`bad BENCHTIME line: ${line}`);
  return { cpuMs, maxRssKiB };
}

function tail(s: string, n: number): string {
  return s.length <= n ? s : s.slice(s.length - n);
}

export async function measure(argv: readonly string[], opts: RunOptions = {}): Promise<Measured> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'genconf-bench-time-'));
  const timeFile = path.join(dir, 'time');
  const keep = opts.keepChars ?? 4000;
  try {
    const t0 = process.hrtime.bigint();
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve, reject) => {
        // detached: its own process group, so a timeout can kill the whole tree.
        const child = spawn(TIME_BIN, ['-f', FORMAT, '-o', timeFile, ...argv], {
          cwd: opts.cwd,
          env: opts.env ?? process.env,
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        });
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (out = tail(out + d, keep)));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (err = tail(err + d, keep)));
        let timer: NodeJS.Timeout | undefined;
        if (opts.timeoutMs !== undefined) {
          timer = setTimeout(() => {
            try {
              process.kill(-child.pid!, 'SIGKILL');
            } catch {
              /* already gone */
            }
          }, opts.timeoutMs);
        }
        child.on('error', reject);
        child.on('close', (c) => {
          if (timer) clearTimeout(timer);
          resolve({ code: c, stdout: out, stderr: err });
        });
      },
    );
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    let cpuMs = NaN;
    let maxRssKiB = NaN;
    try {
      ({ cpuMs, maxRssKiB } = parseTimeOutput(await readFile(timeFile, 'utf8')));
    } catch {
      // Killed by the timeout: /usr/bin/time wrote nothing. The sample is a failure anyway.
    }
    // /usr/bin/time exits with the command's status; "Command exited with non-zero status" lines go to the -o file.
    return { wallMs, cpuMs, maxRssKiB, exitCode: code, stdout, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
