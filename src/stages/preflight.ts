/**
 * Preflight: send dcos_install.sh and the bundle's ip-detect, run the checks for the host's own role (the original
 * checked every host as a master), run ip-detect and compare it with the listed address; always clean up.
 */
import path from 'node:path';
import type { ClusterPlan, PlannedHost } from '../derive/plan.js';
import { makeStagingDir, processTimeout, putInStaging, removeStagingDir, requireFile, SUDO } from './common.js';
import { judgeIpDetect, judgePreflight } from './parse.js';
import type { HostFacts, Stage, Step } from './types.js';

export const IP_DETECT_REMOTE_NAME = 'ip-detect';

export function preflightSteps(plan: ClusterPlan, host: PlannedHost): Step[] {
  const script = requireFile(plan.files.installScript, 'dcos_install.sh');
  const ipDetect = requireFile(plan.files.ipDetect, 'ip-detect script');
  const remoteScript = path.posix.join(plan.stagingDir, 'dcos_install.sh');
  const remoteIpDetect = path.posix.join(plan.stagingDir, IP_DETECT_REMOTE_NAME);
  return [
    ...makeStagingDir(plan, host),
    putInStaging(plan, 'put-install-script', 'Copy dcos_install.sh', script, 0o755),
    { ...putInStaging(plan, 'put-ip-detect', 'Copy ip-detect', ipDetect, 0o755), remote: remoteIpDetect },
    {
      kind: 'exec',
      id: 'ip-detect',
      title: 'Run ip-detect',
      // As root, the way DC/OS runs it on the node.
      argv: [...SUDO, remoteIpDetect],
      continueOnFailure: true,
      judge: (o) => judgeIpDetect(host.address, o),
      timeout: processTimeout(plan),
    },
    {
      kind: 'exec',
      id: 'preflight-checks',
      title: `Run the preflight checks for ${host.installRole}`,
      argv: [...SUDO, 'bash', remoteScript, '--preflight-only', host.installRole],
      judge: judgePreflight,
      timeout: processTimeout(plan),
    },
    removeStagingDir(plan),
  ];
}

/** Two hosts that report the same address would both claim it in the cluster: fail both, naming each other. */
export function duplicateAddresses(hosts: HostFacts[]): Map<string, { step: string; message: string }> {
  const byIp = new Map<string, string[]>();
  for (const h of hosts) {
    const ip = h.facts.detectedIp;
    if (ip === undefined) continue;
    byIp.set(ip, [...(byIp.get(ip) ?? []), h.label]);
  }
  const failures = new Map<string, { step: string; message: string }>();
  for (const [ip, labels] of byIp) {
    if (labels.length < 2) continue;
    for (const label of labels) {
      const others = labels.filter((l) => l !== label);
      // The step is named by its title: it is what the summary shows as the failed step.
      failures.set(label, {
        step: 'Run ip-detect',
        message: `ip-detect printed ${ip} here and also on ${others.join(', ')}: every host must report its own address`,
      });
    }
  }
  return failures;
}

export const preflight: Stage = {
  name: 'preflight',
  summaryName: 'run_preflight',
  title: 'Run preflight checks',
  phases: [{ name: 'preflight', hosts: (plan) => plan.hosts, steps: preflightSteps }],
  judgeAcrossHosts: duplicateAddresses,
};
