/** Finalized-argument fixtures for orchestration tests: a small cluster with the DC/OS 1.11 key names. */
import type { ConfigValues } from '../../src/config/types.js';
import { sshSettings, type SshFlags } from '../../src/config/ssh-settings.js';
import { planCluster, type ClusterPlan, type PlanOptions } from '../../src/derive/plan.js';

export function clusterArgs(over: Record<string, string> = {}): ConfigValues {
  return {
    master_list: JSON.stringify(['10.0.0.1', '10.0.0.2', '10.0.0.3']),
    agent_list: JSON.stringify(['10.0.0.4']),
    public_agent_list: JSON.stringify(['10.0.0.5']),
    ssh_user: 'centos',
    ssh_port: '22',
    ssh_parallelism: '20',
    process_timeout: '120',
    ssh_key_path: '/work/genconf/ssh_key',
    bootstrap_url: 'file:///opt/dcos_install_tmp',
    ...over,
  };
}

export const FILES = {
  installScript: '/g/serve/dcos_install.sh',
  bundleTar: '/g/serve/dcos-install.tar',
  bundleSha256: 'ab'.repeat(32),
  ipDetect: '/g/ip-detect',
  preflightScript: '/t/remote/preflight.sh',
  uninstallScript: '/t/remote/uninstall.sh',
  prereqsScript: '/t/remote/install-prereqs.sh',
};

/** A plan as a command builds it: the arguments through ssh-settings.ts (with the flags), then the planner. */
export function clusterPlan(over: Record<string, string> = {}, options: PlanOptions & SshFlags = {}): ClusterPlan {
  const { parallelism, postflightTimeoutSec, ...planOptions } = options;
  const flags = {
    ...(parallelism !== undefined ? { parallelism } : {}),
    ...(postflightTimeoutSec !== undefined ? { postflightTimeoutSec } : {}),
  };
  return planCluster(sshSettings(clusterArgs(over), flags), { files: FILES, ...planOptions });
}

/** Hosts of `n` agents, for parallelism tests. */
export function manyAgents(n: number): Record<string, string> {
  return {
    master_list: JSON.stringify(['10.1.0.1']),
    agent_list: JSON.stringify(Array.from({ length: n }, (_, i) => `10.2.${Math.floor(i / 250)}.${(i % 250) + 1}`)),
    public_agent_list: '[]',
  };
}
