/**
 * Preflight: ip-detect, compared with the listed address, and the checks for the host's own role (the original
 * checked every host as a master), as one command under one sudo. templates/remote/preflight.sh arrives on stdin
 * with ip-detect and dcos_install.sh behind it, works in a directory of its own and removes it: no uploads, no
 * separate mkdir or cleanup. The original spent six SSH processes per host on this; each step has a fixed cost.
 */
import type { ClusterPlan, PlannedHost } from '../derive/plan.js';
import { processTimeout, removeStagingDir, requireFile, SUDO } from './common.js';
import { judgeFramedPreflight } from './parse.js';
import type { HostFacts, Stage, Step } from './types.js';

/** The step's title, also the failed step named when two hosts report the same address. */
export const PREFLIGHT_TITLE = 'Run the preflight checks';

export function preflightSteps(plan: ClusterPlan, host: PlannedHost): Step[] {
  const wrapper = requireFile(plan.files.preflightScript, 'preflight script');
  const script = requireFile(plan.files.installScript, 'dcos_install.sh');
  const ipDetect = requireFile(plan.files.ipDetect, 'ip-detect script');
  return [
    {
      kind: 'exec',
      id: 'preflight',
      title: PREFLIGHT_TITLE,
      argv: [...SUDO, 'bash', '-s', '--', plan.stagingDir, host.installRole],
      stdin: [{ file: wrapper }, { file: ipDetect, encoding: 'base64-line' }, { file: script }],
      judge: (o) => judgeFramedPreflight(host.address, o),
      timeout: processTimeout(plan),
    },
    // The script removes its own directory, even on a hang-up; only a kill on timeout gets past that.
    { ...removeStagingDir(plan), cleanup: 'after-abort' },
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
        step: PREFLIGHT_TITLE,
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
