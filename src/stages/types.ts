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
export interface StdinFilePart {
  file: string;
  encoding?: 'base64-line';
}

/**
 * Lines the installer computed (settings a remote script reads with `read`). They may hold a secret (a proxy URL with
 * a password): stdin is never logged, and a dry run shows only the label.
 */
export interface StdinTextPart {
  text: string;
  label: string;
}

export type StdinPart = StdinFilePart | StdinTextPart;

/** What a dry run shows of a stdin part: the file, or the text's label (never the text). */
export function describeStdinPart(part: StdinPart): StdinFilePart | { label: string } {
  return 'text' in part ? { label: part.label } : part;
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

/**
 * A group of hosts that runs together; a wave of the stage; the next wave starts only when this one has finished on
 * every host. `F`: the stage's own inputs, as its steps receive them (StageFiles); the runner sees a wave bound to them
 * (`Wave`, from Stage.bind), whose steps need only the plan and the host.
 */
export interface StageWave<F> {
  name: string;
  hosts(plan: ClusterPlan): PlannedHost[];
  steps(plan: ClusterPlan, host: PlannedHost, files: F): Step[];
  /** The gate in words, for --dry-run. */
  condition?: string;
  /**
   * Whether this wave may start given how earlier waves went; return a reason to skip its hosts.
   * `failedLabels` holds hosts that did not succeed in earlier waves. A stage built with options (deploy's
   * --continue-on-master-failure) closes over them: the runner passes nothing stage-specific.
   */
  gate?: (ctx: { failedLabels: ReadonlySet<string>; plan: ClusterPlan }) => string | undefined;
}

/** A wave bound to its stage's inputs: what the runner and --dry-run run. */
export interface Wave extends Omit<StageWave<never>, 'steps'> {
  steps(plan: ClusterPlan, host: PlannedHost): Step[];
}

/** A local file (or value) a stage sends, by its name in the plan's files (derive/plan.ts PlanFiles). */
export type StageInput = keyof PlanFiles;

/** What a stage needs before any host is touched: the command gathers these (commands/stage-inputs.ts). */
export interface StageInputs<R extends StageInput = StageInput, O extends StageInput = StageInput> {
  required: readonly R[];
  /** Sent when the config has one (the fault-domain script). */
  optional?: readonly O[];
}

/** Each of `R` present (not undefined). */
type Present<R extends StageInput> = { readonly [K in R]-?: NonNullable<PlanFiles[K]> };

/** Exactly the inputs a stage declared, as its steps receive them: the required ones present, the optional ones maybe. */
export type StageFiles<R extends StageInput, O extends StageInput = never> = Present<R> & Readonly<Pick<PlanFiles, O>>;

function hasInputs<R extends StageInput>(files: PlanFiles, required: readonly R[]): files is PlanFiles & Present<R> {
  return required.every((k) => files[k] !== undefined);
}

/** A stage's waves bound to its inputs, or the required inputs the files lack (a wiring bug: nothing may run). */
export type BoundStage = { waves: Wave[] } | { missing: StageInput[] };

/**
 * The stage's waves bound to `files`. The command gathered what the stage declared; a gap here is a wiring bug (a
 * plain Error, reported as one), caught before any host is touched.
 */
export function bindWaves(stage: Pick<Stage, 'name' | 'bind'>, files: PlanFiles): Wave[] {
  const bound = stage.bind(files);
  if ('missing' in bound) throw new Error(`stage ${stage.name} is missing its inputs: ${bound.missing.join(', ')}`);
  return bound.waves;
}

/** Host outcome fed to a stage's cross-host judgement. */
export interface HostFacts {
  label: string;
  ok: boolean;
  /** The host result's own facts: a judgement may add to them (fault domains mark remote-region agents). */
  facts: Record<string, string>;
}

/** A stage as the runner and the commands see it, whatever it sends. Built with defineStage. */
export interface Stage {
  /** The action, as on the command line: `preflight`, `deploy`, … */
  name: 'preflight' | 'deploy' | 'postflight' | 'uninstall' | 'install-prereqs';
  /** The original's name for it in `N out of M hosts successfully completed <summaryName> stage.` */
  summaryName: string;
  title: string;
  /** What it sends: gathered by the command and checked once (bind), before any host is touched. */
  inputs: StageInputs;
  /**
   * Hand the stage the plan's files: its waves, each step given exactly the inputs the stage declared, or the
   * required ones missing. The runner calls it once per run, so no step checks a file again.
   */
  bind(files: PlanFiles): BoundStage;
  /** Judgement that needs every host's facts (duplicate ip-detect addresses); returns extra failures by label. */
  judgeAcrossHosts?: (hosts: HostFacts[]) => Map<string, CrossHostFailure>;
}

/** How a stage is written: its inputs by name, and waves whose steps receive those inputs, typed. */
export interface StageDef<R extends StageInput, O extends StageInput> extends Omit<Stage, 'inputs' | 'bind'> {
  inputs: StageInputs<R, O>;
  waves: ReadonlyArray<StageWave<StageFiles<R, O>>>;
}

/** A stage that still shows its typed definition (tests and variants such as add-nodes' fault-domain look use it). */
export type DefinedStage<R extends StageInput, O extends StageInput> = Stage & StageDef<R, O>;

/**
 * Make a stage from its definition. `R` and `O` are inferred from `inputs`, so a step that reads an input the stage
 * did not declare, or treats an optional one as present, does not compile.
 */
export function defineStage<R extends StageInput, O extends StageInput = never>(
  def: StageDef<R, O>,
): DefinedStage<R, O> {
  const { required } = def.inputs;
  return {
    ...def,
    bind(files: PlanFiles): BoundStage {
      if (!hasInputs(files, required)) return { missing: required.filter((k) => files[k] === undefined) };
      const own: StageFiles<R, O> = files;
      return { waves: def.waves.map((w) => ({ ...w, steps: (plan, host) => w.steps(plan, host, own) })) };
    },
  };
}

/** A failure only the whole set of hosts shows; `check` names it (its id is checkIdOf(check)). */
export interface CrossHostFailure {
  step: string;
  message: string;
  check: string;
}
