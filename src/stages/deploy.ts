/**
 * Deploy: send the whole bundle as one stream, check its SHA-256 on the node, unpack it and run
 * `dcos_install.sh <role>`. Masters finish before any agent starts; a failed master keeps agents untouched.
 */
import path from 'node:path';
import type { ClusterPlan, PlannedHost } from '../derive/plan.js';
import { makeStagingDir, processTimeout, putInStaging, removeStagingDir, requireFile, SUDO } from './common.js';
import { plainText } from './parse.js';
import type { CommandOutcome, Stage, Step, Verdict } from './types.js';

export function judgeSha256(
  expected: string,
  outcome: CommandOutcome,
  what = 'dcos-install.tar',
  why = 'the copy is damaged, run --deploy again',
): Verdict {
  if (outcome.exitCode !== 0)
    return { ok: false, message: `sha256sum exited ${outcome.exitCode ?? 'without a status'}` };
  const got = plainText(outcome.stdout).trim().split(/\s+/)[0] ?? '';
  if (got.toLowerCase() === expected.toLowerCase()) return { ok: true };
  return { ok: false, message: `${what} arrived with SHA-256 ${got || '(none)'}, expected ${expected}: ${why}` };
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

/**
 * `--deploy --pull`: the same stage with the bundle pulled instead of pushed. The host downloads dcos_install.sh from
 * bootstrap_url, its SHA-256 is checked against the local genconf/serve copy (the script pins every artifact's
 * SHA-256), and the script downloads each artifact once over HTTP, checks it and installs it. Nothing but commands
 * goes over SSH, so the bootstrap node's CPU does no encryption of the bundle.
 */
export function pullDeploySteps(plan: ClusterPlan, host: PlannedHost): Step[] {
  const base = requireFile(plan.files.pullUrl, 'pull URL');
  const sha = requireFile(plan.files.installScriptSha256, 'dcos_install.sh checksum');
  const script = path.posix.join(plan.stagingDir, 'dcos_install.sh');
  return [
    ...makeStagingDir(plan, host),
    {
      kind: 'exec',
      id: 'fetch-script',
      title: 'Download dcos_install.sh from bootstrap_url',
      argv: [
        'curl',
        '-fsSL',
        '--retry',
        '5',
        '--retry-delay',
        '1',
        '--connect-timeout',
        '10',
        '-o',
        script,
        `${base}/dcos_install.sh`,
      ],
      timeout: processTimeout(plan),
    },
    {
      kind: 'exec',
      id: 'verify-script',
      title: 'Verify the SHA-256 of dcos_install.sh on the node',
      argv: ['sha256sum', script],
      judge: (o) =>
        judgeSha256(
          sha,
          o,
          `dcos_install.sh from ${base}`,
          'the server does not serve this genconf/serve (run --genconf and serve it again)',
        ),
      timeout: processTimeout(plan),
    },
    {
      kind: 'exec',
      id: 'install',
      title: `Install DC/OS as ${host.installRole}, pulling the bundle from bootstrap_url`,
      argv: [...SUDO, 'bash', script, host.installRole],
      timeout: processTimeout(plan),
    },
    removeStagingDir(plan),
  ];
}

function deployStage(steps: (plan: ClusterPlan, host: PlannedHost) => Step[]): Stage {
  return {
    name: 'deploy',
    summaryName: 'install_dcos',
    title: 'Install DC/OS',
    phases: [
      { name: 'masters', hosts: (plan) => plan.hosts.filter((h) => h.role === 'master'), steps },
      {
        name: 'agents',
        hosts: (plan) => plan.hosts.filter((h) => h.role !== 'master'),
        steps,
        condition: 'only after every master succeeded (unless --continue-on-master-failure)',
        gate: ({ failedLabels, plan, continueOnMasterFailure }) => {
          const failedMasters = plan.hosts.filter((h) => h.role === 'master' && failedLabels.has(h.label));
          if (failedMasters.length === 0 || continueOnMasterFailure) return undefined;
          return `not started: master ${failedMasters.map((h) => h.label).join(', ')} failed (--continue-on-master-failure deploys agents anyway)`;
        },
      },
    ],
  };
}

export const deploy: Stage = deployStage(deploySteps);
/** The pull variant of deploy: same phases, barrier, summary and exit codes; other steps per host. */
export const deployPull: Stage = deployStage(pullDeploySteps);
