/** Stages that pipe one of templates/remote/*.sh to `sudo bash -s` and read its report lines. */
import type { ClusterPlan } from '../derive/plan.js';
import { processTimeout, SUDO } from './common.js';
import { plainText } from './judge.js';
import { defineStage, type CheckResult, type CommandOutcome, type ExecStep, type Verdict } from './types.js';

/**
 * Report lines the remote scripts print: `RESULT <word> <detail>`. `LEFTOVER`, `ERROR` and `UNSUPPORTED` are
 * failures; `REMOVED`, `ABSENT`, `KEPT`, `OK` are informational.
 */
export function parseReport(output: string): CheckResult[] {
  const checks: CheckResult[] = [];
  for (const line of plainText(output).split('\n')) {
    const m = /^(REMOVED|ABSENT|KEPT|OK|LEFTOVER|ERROR|UNSUPPORTED|STOPPED)\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const word = m[1]!;
    const fail = word === 'LEFTOVER' || word === 'ERROR' || word === 'UNSUPPORTED';
    checks.push({ name: `${word.toLowerCase()} ${m[2]!.trim()}`, status: fail ? 'fail' : 'pass' });
  }
  return checks;
}

export function judgeUninstall(o: CommandOutcome): Verdict {
  const checks = parseReport(o.stdout);
  const leftovers = checks.filter((c) => c.name.startsWith('leftover ')).map((c) => c.name.slice('leftover '.length));
  if (o.exitCode === 0 && leftovers.length === 0) return { ok: true, checks };
  const message =
    leftovers.length > 0
      ? `still present after uninstall: ${leftovers.join(', ')}`
      : `the uninstall script exited ${o.exitCode ?? 'without a status'}`;
  return { ok: false, message, checks };
}

export function judgePrereqs(o: CommandOutcome): Verdict {
  const checks = parseReport(o.stdout);
  if (o.exitCode === 0) return { ok: true, checks };
  const problem = checks.find((c) => c.status === 'fail');
  return {
    ok: false,
    message: problem
      ? problem.name.replace(/^unsupported /, 'unsupported distribution: ').replace(/^error /, '')
      : `the prerequisites script exited ${o.exitCode ?? 'without a status'}`,
    checks,
  };
}

function scriptStep(plan: ClusterPlan, id: string, title: string, file: string, judge: ExecStep['judge']): ExecStep {
  // `bash -s` reads the script from stdin: nothing is left on the node, and no staging directory is needed.
  return {
    kind: 'exec',
    id,
    title,
    argv: [...SUDO, 'bash', '-s'],
    stdin: [{ file }],
    judge,
    timeout: processTimeout(plan),
  };
}

export const uninstall = defineStage({
  name: 'uninstall',
  summaryName: 'uninstall_dcos',
  title: 'Remove DC/OS',
  inputs: { required: ['uninstallScript'] },
  waves: [
    {
      name: 'uninstall',
      hosts: (plan) => plan.hosts,
      steps: (plan, _host, files) => [
        scriptStep(plan, 'uninstall', 'Stop and remove DC/OS', files.uninstallScript, judgeUninstall),
      ],
    },
  ],
});

export const installPrereqs = defineStage({
  name: 'install-prereqs',
  summaryName: 'install_prereqs',
  title: 'Install the DC/OS prerequisites',
  inputs: { required: ['prereqsScript'] },
  waves: [
    {
      name: 'install-prereqs',
      hosts: (plan) => plan.hosts,
      steps: (plan, _host, files) => [
        scriptStep(plan, 'install-prereqs', 'Install the prerequisites', files.prereqsScript, judgePrereqs),
      ],
    },
  ],
});
