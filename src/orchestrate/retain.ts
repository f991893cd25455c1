/**
 * What a finished step keeps until the end of the run. Every host's result lives until the summary is written, so
 * at 10,000 hosts each byte kept per host is 10 MB:
 * - the reporters read the output tails of a failed step only (summary, JUnit), so an ok step keeps none;
 * - check names, details and facts are parsed out of the step's output, and V8 makes such substrings *slices* that
 *   keep the whole output string alive; they are copied out, and the names (the same few dozen on every host) are
 *   shared.
 */
import { sharedCheck } from '../stages/judge.js';
import type { CheckResult } from '../stages/types.js';
import type { StepResult } from './result.js';

/** Shared copies of the strings many hosts print alike; bounded, so a long-lived process never grows with it. */
const shared = new Map<string, string>();
const SHARED_MAX = 4096;

/** A string that holds only its own characters (never a slice of a larger one). */
function own(s: string): string {
  // Short strings are never slices in V8 (below 13 characters it copies them), nor is the empty string.
  if (s.length < 13) return s;
  return Buffer.from(s, 'utf8').toString('utf8');
}

/** One copy of `s` for every host that printed it, while the table has room; else a copy of its own. */
function sharedCopy(s: string): string {
  const known = shared.get(s);
  if (known !== undefined) return known;
  const copy = own(s);
  if (shared.size < SHARED_MAX) shared.set(copy, copy);
  return copy;
}

function keptCheck(c: CheckResult): CheckResult {
  // Parsed once for every host that printed the same line, in strings of its own already.
  if (sharedCheck(c)) return c;
  return {
    name: sharedCopy(c.name),
    status: c.status,
    ...(c.detail !== undefined ? { detail: sharedCopy(c.detail) } : {}),
  };
}

/** The step as the host's result keeps it: without an ok step's output tails, with strings of its own. */
export function keptStep(r: StepResult): StepResult {
  const checks = r.checks?.map(keptCheck);
  let facts: Record<string, string> | undefined;
  if (r.facts) {
    facts = {};
    for (const [k, v] of Object.entries(r.facts)) facts[k] = own(v);
  }
  return {
    ...r,
    ...(checks ? { checks } : {}),
    ...(facts ? { facts } : {}),
    ...(r.status === 'ok' ? { stdoutTail: '', stderrTail: '' } : {}),
  };
}
