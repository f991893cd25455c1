/**
 * Preflight: ip-detect, compared with the listed address, and the checks for the host's own role (the original
 * checked every host as a master), as one command under one sudo. templates/remote/preflight.sh arrives on stdin
 * with ip-detect and dcos_install.sh behind it, works in a directory of its own and removes it: no uploads, no
 * separate mkdir or cleanup. The original spent six SSH processes per host on this; each step has a fixed cost.
 */
import type { ClusterPlan, PlannedHost } from '../derive/plan.js';
import { installIgnoreArgs, processTimeout, removeStagingDir, SUDO } from './common.js';
import { judgeDomains, judgeFaultDomain } from './fault-domain.js';
import { judgeFramedPreflight } from './judge.js';
import { MASTERS_IN_LOCAL_REGION, UNIQUE_ADDRESS } from './check-ids.js';
import { defineStage, type CrossHostFailure, type HostFacts, type StageFiles, type Step } from './types.js';

/** The step's title, also the failed step named when two hosts report the same address. */
export const PREFLIGHT_TITLE = 'Run the preflight checks';

/** The step's title; names the failed step when masters disagree on their region. */
export const FAULT_DOMAIN_TITLE = 'Run fault-domain-detect';

/**
 * Runs the operator's fault-domain-detect as DC/OS does (as root, from /, nothing on stdin) from a private temporary
 * directory that it removes; the script arrives as one base64 line on stdin. Its exit status is the script's.
 */
const FAULT_DOMAIN_RUNNER = [
  'd=$(mktemp -d) || exit 70',
  'trap \'rm -rf -- "$d"\' EXIT',
  'IFS= read -r b64 || exit 70',
  'printf %s "$b64" | base64 -d > "$d/fault-domain-detect" || exit 70',
  'chmod 0700 "$d/fault-domain-detect"',
  'cd / && "$d/fault-domain-detect" < /dev/null',
].join('; ');

/** What preflight sends: its wrapper, dcos_install.sh and ip-detect, and the config's fault-domain-detect if any. */
export type PreflightFiles = StageFiles<'preflightScript' | 'installScript' | 'ipDetect', 'faultDomainDetect'>;

export function preflightSteps(plan: ClusterPlan, host: PlannedHost, files: PreflightFiles): Step[] {
  const { preflightScript: wrapper, installScript: script, ipDetect, faultDomainDetect } = files;
  const faultDomain: Step[] =
    faultDomainDetect === undefined
      ? []
      : [
          {
            kind: 'exec',
            id: 'fault-domain',
            title: FAULT_DOMAIN_TITLE,
            argv: [...SUDO, 'bash', '-c', FAULT_DOMAIN_RUNNER],
            stdin: [{ file: faultDomainDetect, encoding: 'base64-line' }],
            // The cross-host judgement needs the role beside the region and zone.
            judge: (o) => {
              const v = judgeFaultDomain(o);
              return v.ok ? { ...v, facts: { ...v.facts, role: host.role } } : v;
            },
            // The preflight checks still run and report when the script is broken.
            continueOnFailure: true,
            timeout: processTimeout(plan),
          },
        ];
  return [
    ...faultDomain,
    {
      kind: 'exec',
      id: 'preflight',
      title: PREFLIGHT_TITLE,
      // The ignored ids dcos_install.sh checks go to its --preflight-only run as they go to the install
      // (`--ignore-check ID,ID` after the role): the node then prints them IGNORED, as the judgement records them.
      argv: [...SUDO, 'bash', '-s', '--', plan.stagingDir, host.installRole, ...installIgnoreArgs(plan)],
      stdin: [{ file: wrapper }, { file: ipDetect, encoding: 'base64-line' }, { file: script }],
      judge: (o) => judgeFramedPreflight(host.address, o),
      timeout: processTimeout(plan),
    },
    // The script removes its own directory, even on a hang-up; only a kill on timeout gets past that.
    { ...removeStagingDir(plan), cleanup: 'after-abort' },
  ];
}

/** Two hosts that report the same address would both claim it in the cluster: fail both, naming each other. */
export function duplicateAddresses(hosts: HostFacts[]): Map<string, CrossHostFailure> {
  const byIp = new Map<string, string[]>();
  for (const h of hosts) {
    const ip = h.facts.detectedIp;
    if (ip === undefined) continue;
    byIp.set(ip, [...(byIp.get(ip) ?? []), h.label]);
  }
  const failures = new Map<string, CrossHostFailure>();
  for (const [ip, labels] of byIp) {
    if (labels.length < 2) continue;
    for (const label of labels) {
      const others = labels.filter((l) => l !== label);
      // The step is named by its title: it is what the summary shows as the failed step.
      failures.set(label, {
        step: PREFLIGHT_TITLE,
        check: UNIQUE_ADDRESS,
        message: `ip-detect printed ${ip} here and also on ${others.join(', ')}: every host must report its own address`,
      });
    }
  }
  return failures;
}

/**
 * Duplicate addresses, and fault domains: masters outside the local region fail, agents outside it are marked
 * remote (the judgement adds `remoteRegion: 'true'` to their facts). `localRegion`, when given, is the region the
 * cluster record holds for the masters (an --add-nodes run sees no master).
 */
export function preflightAcrossHosts(localRegion?: string): (hosts: HostFacts[]) => Map<string, CrossHostFailure> {
  return (hosts) => {
    const failures = duplicateAddresses(hosts);
    const withRole = hosts.filter((h) => h.facts.role !== undefined).map((h) => ({ ...h, role: h.facts.role! }));
    const d = judgeDomains(withRole, FAULT_DOMAIN_TITLE, localRegion);
    for (const [label, f] of d.failures)
      if (!failures.has(label)) failures.set(label, { ...f, check: MASTERS_IN_LOCAL_REGION });
    for (const h of hosts) if (d.remote.has(h.label)) h.facts.remoteRegion = 'true';
    return failures;
  };
}

export const preflight = defineStage({
  name: 'preflight',
  summaryName: 'run_preflight',
  title: 'Run preflight checks',
  inputs: { required: ['preflightScript', 'installScript', 'ipDetect'], optional: ['faultDomainDetect'] },
  waves: [{ name: 'preflight', hosts: (plan) => plan.hosts, steps: preflightSteps }],
  judgeAcrossHosts: preflightAcrossHosts(),
});
