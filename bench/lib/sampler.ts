/**
 * Repeated whole-process runs of several sides, interleaved (round r runs every side once), so that drift in the
 * machine's state hits every side alike and the ratios are measured side by side.
 */
import { measure, type Measured } from './proc.js';
import type { Side, SideResult } from './results.js';
import { summarize, type Sample } from './stats.js';

export interface SideSpec {
  side: Side;
  argv: string[];
  cwd?: string;
  /** Counted runs for this side when fewer than the default (the original's deploy takes minutes per run). */
  runs?: number;
  /** Warm-up runs for this side when fewer than the default. */
  warmup?: number;
  /** Not run at all, for this reason (e.g. the time budget); reported as not measured. */
  skip?: string;
  /** Run before every run of this side (not timed): e.g. reset the hosts after an install. */
  reset?: () => Promise<void>;
}

export interface SampleOptions {
  warmup: number;
  runs: number;
  timeoutMs: number;
  log: (line: string) => void;
  label: string;
}

function failure(m: Measured): string {
  // The first lines say what went wrong (an error message), the last ones where (a stack, a summary line).
  const lines = (m.stderr.trim() || m.stdout.trim()).split('\n');
  const text = (lines.length <= 6 ? lines : [...lines.slice(0, 3), '…', ...lines.slice(-3)]).join(' / ');
  return `exit ${m.exitCode ?? 'killed (timeout)'}${text ? `: ${text.slice(-400)}` : ''}`;
}

export async function sampleSides(
  specs: readonly SideSpec[],
  o: SampleOptions,
): Promise<Partial<Record<Side, SideResult>>> {
  const samples = new Map<Side, Sample[]>(specs.map((s) => [s.side, []]));
  const broken = new Map<Side, string>(specs.filter((s) => s.skip !== undefined).map((s) => [s.side, s.skip!]));
  // Round r is a warm-up round while r < o.warmup; a side with fewer warm-ups skips the first rounds.
  const rounds = o.warmup + Math.max(...specs.map((s) => s.runs ?? o.runs));
  for (let round = 0; round < rounds; round++) {
    const warm = round < o.warmup;
    for (const spec of specs) {
      if (broken.has(spec.side)) continue;
      const wanted = spec.runs ?? o.runs;
      if (warm && round < o.warmup - (spec.warmup ?? o.warmup)) continue;
      if (!warm && round - o.warmup >= wanted) continue;
      await spec.reset?.();
      const m = await measure(spec.argv, { cwd: spec.cwd, timeoutMs: o.timeoutMs });
      const tag = warm ? 'warm-up' : `run ${round - o.warmup + 1}/${wanted}`;
      o.log(
        `${o.label} ${spec.side} ${tag}: ${(m.wallMs / 1000).toFixed(3)} s wall, ${(m.cpuMs / 1000).toFixed(2)} s cpu, ${(m.maxRssKiB / 1024).toFixed(0)} MiB, exit ${m.exitCode}`,
      );
      if (m.exitCode !== 0) {
        // A side that fails is not comparable; stop spending time on it and say why.
        broken.set(spec.side, failure(m));
        continue;
      }
      if (!warm) samples.get(spec.side)!.push(m);
    }
  }
  const out: Partial<Record<Side, SideResult>> = {};
  for (const spec of specs) {
    const err = broken.get(spec.side);
    const got = samples.get(spec.side)!;
    out[spec.side] =
      spec.skip !== undefined
        ? { error: spec.skip, skipped: true }
        : err !== undefined
          ? { error: err }
          : got.length > 0
            ? { summary: summarize(got) }
            : { error: 'no counted runs' };
  }
  return out;
}
