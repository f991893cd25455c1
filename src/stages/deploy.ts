/**
 * Deploy: send the whole bundle as one stream, check its SHA-256 on the node, unpack it and run
 * `dcos_install.sh <role>`. Masters finish before any agent starts; a failed master keeps agents untouched.
 */
import path from 'node:path';
import type { ClusterPlan, PlannedHost } from '../derive/plan.js';
import { makeStagingDir, processTimeout, putInStaging, removeStagingDir, requireFile, SUDO } from './common.js';
import { plainText } from './parse.js';
import type { CommandOutcome, Stage, Step, Verdict } from './types.js';

export function judgeSha256(expected: string, outcome: CommandOutcome): Verdict {
  if (outcome.exitCode !== 0) return { ok: false, message: `sha256sum exited ${outcome.exitCode ?? 'without a status'}` };
  const got = plainText(outcome.stdout).trim().split(/\s+/)[0] ?? '';
  if (got.toLowerCase() === expected.toLowerCase()) return { ok: true };
  return {
    ok: false,
    message: `dcos-install.tar arrived with SHA-256 ${got || '(none)'}, expected ${expected}: the copy is damaged, run --deploy again`,
  };
}

export function deploySteps(plan: ClusterPlan, host: PlannedHost): Step[] {
  const tar = requireFile(plan.files.bundleTar, 'dcos-install.tar');
  const sha = requireFile(plan.files.bundleSha256, 'dcos-install.tar checksum');
  const remoteTar = path.posix.join(plan.stagingDir, path.basename(tar));
  return [
    ...makeStagingDir(plan, host),
    putInStaging(plan, 'put-bundle', 'Copy dcos-install.tar', tar, 0o644),
    {
      kind: 'exec',
      id: 'verify-bundle',
      title: 'Verify the SHA-256 of dcos-install.tar on the node',
      argv: ['sha256sum', remoteTar],
      judge: (o) => judgeSha256(sha, o),
      timeout: processTimeout(plan),
    },
    {
      kind: 'exec',
      id: 'unpack-bundle',
      title: 'Unpack dcos-install.tar',
      argv: ['tar', '-xf', remoteTar, '-C', plan.stagingDir],
      timeout: processTimeout(plan),
    },
    {
      kind: 'exec',
      id: 'install',
      title: `Install DC/OS as ${host.installRole}`,
      argv: [...SUDO, 'bash', path.posix.join(plan.stagingDir, 'dcos_install.sh'), host.installRole],
      timeout: processTimeout(plan),
    },
    removeStagingDir(plan),
  ];
}

export const deploy: Stage = {
  name: 'deploy',
  summaryName: 'install_dcos',
  title: 'Install DC/OS',
  phases: [
    { name: 'masters', hosts: (plan) => plan.hosts.filter((h) => h.role === 'master'), steps: deploySteps },
    {
      name: 'agents',
      hosts: (plan) => plan.hosts.filter((h) => h.role !== 'master'),
      steps: deploySteps,
      condition: 'only after every master succeeded (unless --continue-on-master-failure)',
      gate: ({ failedLabels, plan, continueOnMasterFailure }) => {
        const failedMasters = plan.hosts.filter((h) => h.role === 'master' && failedLabels.has(h.label));
        if (failedMasters.length === 0 || continueOnMasterFailure) return undefined;
        return `not started: master ${failedMasters.map((h) => h.label).join(', ')} failed (--continue-on-master-failure deploys agents anyway)`;
      },
    },
  ],
};
