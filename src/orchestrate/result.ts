/** What a run produced: typed values for each step and host. A failing host is data here, never an exception. */
import type { PlannedHost } from '../derive/plan.js';
import type { CheckResult, Step } from '../stages/types.js';
import type { IgnoredCheck } from './ignore-checks.js';

export type StepStatus = 'ok' | 'failed' | 'timed-out' | 'interrupted';

export interface StepResult {
  id: string;
  title: string;
  kind: Step['kind'];
  cleanup: boolean;
  status: StepStatus;
  /** Exit status of an exec step; null when it was killed, timed out or the connection dropped. */
  exitCode: number | null;
  durationMs: number;
  message?: string;
  /** The step ended because the connection to the host went away (the host is then unreachable). */
  connectionLost?: boolean;
  checks?: CheckResult[];
  /** Values a judge extracted (e.g. the address ip-detect printed). */
  facts?: Record<string, string>;
  /** The judge found the host needs nothing more (see Verdict.done). */
  done?: string;
  /** The last few KiB of the step's output, kept for the summary of a failed host. */
  stdoutTail: string;
  stderrTail: string;
}

export type HostStatus = 'ok' | 'failed' | 'unreachable' | 'timed-out' | 'skipped' | 'interrupted';

export interface HostResult {
  host: PlannedHost;
  status: HostStatus;
  /** Title of the step that decided the status (absent for ok). */
  failedStep?: string;
  failedStepId?: string;
  /** One line: why the host did not succeed. */
  reason?: string;
  /** A successful host that was left alone, and why (e.g. "already installed (config_id …), skipped"). */
  note?: string;
  /** The bastion the host was reached through when that bastion was the cause of its failure (unreachable). */
  via?: { bastion: string; reason: string };
  steps: StepResult[];
  checks: CheckResult[];
  facts: Record<string, string>;
  durationMs: number;
}

export interface StageResult {
  runId: string;
  stage: string;
  summaryName: string;
  startedAt: string;
  durationMs: number;
  hosts: HostResult[];
  /** --ignore-check: the ids given, and every failed check recorded as ignored instead (host, id, detail). */
  ignoredChecks?: { ids: string[]; where: IgnoredCheck[] };
  /** Ctrl-C (or SIGTERM) arrived. */
  interrupted: boolean;
  /** The whole-run --timeout passed. */
  timedOut: boolean;
}

/** Exit code of a finished run: 130 interrupted, 3 any host failed, 4 only unreachable hosts, else 0. */
export function exitCodeOf(result: StageResult): 0 | 3 | 4 | 130 {
  if (result.interrupted) return 130;
  const statuses = new Set(result.hosts.map((h) => h.status));
  if (statuses.has('failed') || statuses.has('timed-out') || statuses.has('interrupted')) return 3;
  if (statuses.has('unreachable')) return 4;
  // Hosts skipped because a master failed come with that failed master, so 3 is already returned above.
  if (statuses.has('skipped')) return 3;
  return 0;
}

export function succeeded(result: StageResult): number {
  return result.hosts.filter((h) => h.status === 'ok').length;
}
