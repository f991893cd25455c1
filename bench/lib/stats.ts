/**
 * Pure arithmetic of the benchmark: summaries of repeated runs, ratios between the sides, and target verdicts.
 * Kept free of I/O so that test/bench can check it without a lab.
 */

/** One whole-process measurement. */
export interface Sample {
  wallMs: number;
  /** user+sys of the process and every descendant it waited for (getrusage of children, via /usr/bin/time). */
  cpuMs: number;
  /** Peak resident set of the largest single process in the tree, KiB. */
  maxRssKiB: number;
  exitCode: number | null;
}

export interface Range {
  median: number;
  min: number;
  max: number;
}

export interface Summary {
  runs: number;
  wallMs: Range;
  cpuMs: Range;
  maxRssKiB: Range;
  /** Exit codes of the counted runs, in order: a side whose runs did not all succeed is not comparable. */
  exitCodes: (number | null)[];
  ok: boolean;
}

/** Median of a non-empty list; the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of an empty list');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function range(values: readonly number[]): Range {
  if (values.length === 0) throw new Error('range of an empty list');
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

export function summarize(samples: readonly Sample[]): Summary {
  return {
    runs: samples.length,
    wallMs: range(samples.map((s) => s.wallMs)),
    cpuMs: range(samples.map((s) => s.cpuMs)),
    maxRssKiB: range(samples.map((s) => s.maxRssKiB)),
    exitCodes: samples.map((s) => s.exitCode),
    ok: samples.every((s) => s.exitCode === 0),
  };
}

/** a/b, or null when it cannot be formed (missing side, zero denominator). */
export function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return null;
  return a / b;
}

export type Verdict = 'PASS' | 'MISS' | 'N/A';

/**
 * A target is a bound on one measured number. `max` means measured ≤ bound passes, `min` means measured ≥ bound.
 * A target whose number could not be measured (side failed, section skipped) is N/A, never a silent PASS.
 */
export interface Target {
  id: string;
  description: string;
  kind: 'max' | 'min';
  bound: number;
  unit: string;
  measured: number | null;
}

export interface JudgedTarget extends Target {
  verdict: Verdict;
}

export function judge(t: Target): JudgedTarget {
  if (t.measured === null || !Number.isFinite(t.measured)) return { ...t, verdict: 'N/A' };
  const pass = t.kind === 'max' ? t.measured <= t.bound : t.measured >= t.bound;
  return { ...t, verdict: pass ? 'PASS' : 'MISS' };
}
