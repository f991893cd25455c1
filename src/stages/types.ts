/**
 * Stages are data: for each host, an ordered list of steps the runner executes over that host's connection.
 * Nothing here touches the network; `steps()` is pure so that tests compare arrays and the runner stays generic.
 */
import type { ClusterPlan, PlanFiles, PlannedHost } from '../derive/plan.js';

/** A limit on one step, with the option that raises it (every timeout message names it). */
export interface StepTimeout {
  ms: number;
  /** e.g. `process_timeout in config.yaml`, `--postflight-timeout`. */
  option: string;
}

/** One named check a step reported (a preflight line, a dcos-diagnostics check, a leftover path). */
export interface CheckResult {
  /** As printed; its stable id for --ignore-check is stages/check-ids.ts checkIdOf(name). */
  name: string;
  /** `ignored`: it failed, and --ignore-check named it (reported, never silently dropped). */
  status: 'pass' | 'fail' | 'warn' | 'unknown' | 'ignored';
  detail?: string;
}

/** What a step's judge decided from the command's outcome. */
export interface Verdict {
  ok: boolean;
  /** Why it failed, in one line (shown in the summary next to the failed step). */
  message?: string;
  checks?: CheckResult[];
  /** Values later cross-host judgement needs (e.g. the address ip-detect printed). */
  facts?: Record<string, string>;
  /**
   * The host needs nothing more (e.g. it already holds exactly this bundle): its remaining work steps are not run,
   * its cleanups are, and it counts as a success with this note.
   */
  done?: string;
  /**
   * The verdict failed only because of its failed checks: were those ignored (--ignore-check), the step would pass.
   * A judge leaves it unset when something else went wrong too (an exit status the checks do not explain).
   */
  byChecks?: boolean;
}

export interface CommandOutcome {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

interface StepBase {
  /** Stable id for events and tests, e.g. `preflight-checks`. */
  id: string;
  /** A sentence for humans: "Run the preflight checks". */
  title: string;
  /**
   * Cleanup steps run even after a failure, a timeout or Ctrl-C. `'after-abort'`: only when a step before it did not
   * finish (timed out, interrupted, or lost its connection), for commands that clean up after themselves otherwise.
   */
  cleanup?: boolean | 'after-abort';
  /** A failure of this step marks the host failed but the following steps still run (checks that all report). */
  continueOnFailure?: boolean;
  timeout: StepTimeout;
}

export interface ExecStep extends StepBase {
  kind: 'exec';
  /** argv of the remote command; the runner quotes it with transport/quote.ts. Never a shell string. */
  argv: string[];
  /** What is piped to the command's stdin, in order (remote scripts run with `bash -s`). */
  stdin?: StdinPart[];
  /** Decide success from the outcome; default: exit code 0. */
  judge?: (outcome: CommandOutcome) => Verdict;
}

/** A local file sent as it is, or as one line of base64 (a payload a remote script reads with `read`). */
export interface StdinPart {
  file: string;
  encoding?: 'base64-line';
}

export interface PutStep extends StepBase {
  kind: 'put';
  local: string;
  remote: string;
  mode?: number;
}

export type Step = ExecStep | PutStep;

/** Whether a step is a cleanup (of either kind), as opposed to the work it tidies up after. */
export function isCleanup(step: Step): boolean {
  return step.cleanup !== undefined && step.cleanup !== false;
}

/** A group of hosts that runs together; a wave of the stage; the next wave starts only when this one has finished on every host. */
export interface Wave {
  name: string;
  hosts(plan: ClusterPlan): PlannedHost[];
  steps(plan: ClusterPlan, host: PlannedHost): Step[];
  /** The gate in words, for --dry-run. */
  condition?: string;
  /**
   * Whether this wave may start given how earlier waves went; return a reason to skip its hosts.
   * `failedLabels` holds hosts that did not succeed in earlier waves. A stage built with options (deploy's
   * --continue-on-master-failure) closes over them: the runner passes nothing stage-specific.
   */
  gate?: (ctx: { failedLabels: ReadonlySet<string>; plan: ClusterPlan }) => string | undefined;
}

/** A local file (or value) a stage sends, by its name in the plan's files (derive/plan.ts PlanFiles). */
export type StageInput = keyof PlanFiles;

/** What a stage needs before any host is touched: the command gathers these (commands/stage-inputs.ts). */
export interface StageInputs {
  required: readonly StageInput[];
  /** Sent when the config has one (the fault-domain script). */
  optional?: readonly StageInput[];
}

/** The required inputs a plan lacks, for the runner's check before any host is touched (pure). */
export function missingInputs(stage: Pick<Stage, 'inputs'>, files: PlanFiles): StageInput[] {
  return stage.inputs.required.filter((k) => files[k] === undefined);
}

/** Host outcome fed to a stage's cross-host judgement. */
export interface HostFacts {
  label: string;
  ok: boolean;
  /** The host result's own facts: a judgement may add to them (fault domains mark remote-region agents). */
  facts: Record<string, string>;
}

export interface Stage {
  /** The action, as on the command line: `preflight`, `deploy`, … */
  name: 'preflight' | 'deploy' | 'postflight' | 'uninstall' | 'install-prereqs';
  /** The original's name for it in `N out of M hosts successfully completed <summaryName> stage.` */
  summaryName: string;
  title: string;
  /** What it sends: checked once, before any host is touched, instead of in every host's steps. */
  inputs: StageInputs;
  waves: Wave[];
  /** Judgement that needs every host's facts (duplicate ip-detect addresses); returns extra failures by label. */
  judgeAcrossHosts?: (hosts: HostFacts[]) => Map<string, CrossHostFailure>;
}

/** A failure only the whole set of hosts shows; `check` names it (its id is checkIdOf(check)). */
export interface CrossHostFailure {
  step: string;
  message: string;
  check: string;
}
