/**
 * A workflow is an ordered list of stages run over a chosen set of hosts, as kubeadm's phases and k0sctl's phase
 * lists are: each stage runs on the hosts that succeeded in the stage before it, so a host that fails preflight
 * never reaches deploy. Each CLI action is a workflow of one or more stages; how one stage is run and reported is
 * the caller's (commands/ssh-stage.ts executeStage), so this module stays free of reporters.
 */
import type { ClusterPlan } from '../derive/plan.js';
import type { Stage } from '../stages/types.js';
import { exitCodeOf, type StageResult } from './result.js';

export interface Workflow {
  /** The action, as on the command line: `add-nodes`, `deploy`, … */
  name: string;
  stages: readonly Stage[];
}

export interface WorkflowResult {
  /** One result per stage that ran, in order; a stage no host reached has none. */
  results: StageResult[];
  /** Labels of the hosts that succeeded in every stage of the workflow. */
  passed: string[];
  /** The worst exit code of the stages: 130 interrupted, 3 failed, 4 unreachable, else 0. */
  exitCode: 0 | 3 | 4 | 130;
}

/** The plan with only these hosts (pure): the first master and the whole host list stay as they were. */
export function narrowPlan(plan: ClusterPlan, labels: readonly string[]): ClusterPlan {
  const keep = new Set(labels);
  return { ...plan, hosts: plan.hosts.filter((h) => keep.has(h.label)) };
}

const SEVERITY = [130, 3, 4] as const;

export function worstExitCode(codes: readonly number[]): 0 | 3 | 4 | 130 {
  for (const c of SEVERITY) if (codes.includes(c)) return c;
  return 0;
}

export async function runWorkflow(
  workflow: Workflow,
  plan: ClusterPlan,
  runOne: (stage: Stage, plan: ClusterPlan) => Promise<StageResult>,
  signal?: AbortSignal,
): Promise<WorkflowResult> {
  const results: StageResult[] = [];
  let hosts = plan.hosts.map((h) => h.label);
  for (const stage of workflow.stages) {
    // Nobody left, or the operator stopped the run: later stages would touch nothing useful.
    if (hosts.length === 0 || signal?.aborted === true) break;
    const result = await runOne(stage, narrowPlan(plan, hosts));
    results.push(result);
    hosts = result.hosts.filter((h) => h.status === 'ok').map((h) => h.host.label);
  }
  const ranAll = results.length === workflow.stages.length;
  return {
    results,
    passed: ranAll ? hosts : [],
    exitCode: worstExitCode(results.map(exitCodeOf)),
  };
}
