/** Events the runner emits while it works; the reporters (progress, logs, NDJSON) listen to them. */
import type { PlannedHost } from '../derive/plan.js';
import type { Step } from '../stages/types.js';
import type { HostResult, StageResult, StepResult } from './result.js';

/**
 * What a host's log keeps of one step's stdout or stderr: its first 16 MiB. A flooding command (100 MB of ip-detect
 * output) must not fill the bootstrap node's disk; the step's result keeps the tail and says how much was dropped.
 */
export const LOG_STEP_CAP_BYTES = 16 << 20;

export type RunEvent =
  | { type: 'run'; runId: string; stage: string; hosts: PlannedHost[]; parallelism: number; startedAt: string }
  | { type: 'host'; host: PlannedHost; state: 'connecting' | 'connected' | 'skipped' }
  /** Something the host's log should say that is not a step (e.g. a connection retried after a MaxStartups drop). */
  | { type: 'note'; host: PlannedHost; message: string }
  | { type: 'step-start'; host: PlannedHost; step: Step; command?: string }
  | { type: 'step-end'; host: PlannedHost; step: Step; result: StepResult }
  | { type: 'output'; host: PlannedHost; step: Step; stream: 'stdout' | 'stderr'; chunk: string }
  | { type: 'progress'; host: PlannedHost; step: Step; sent: number; total: number }
  /** A host finished its last phase (its status may still change by cross-host judgement). */
  | { type: 'host-done'; result: HostResult }
  /** Final per-host results, once every phase and judgement is done. */
  | { type: 'host-result'; result: HostResult }
  | { type: 'summary'; result: StageResult };

export type RunListener = (event: RunEvent) => void;
