/**
 * The run's SSH settings (config/ssh-settings.ts: typed, defaults and flags already applied) → the cluster plan
 * every SSH stage reads: hosts with roles, labels and install roles, the selected subset, limits, remote paths and
 * the local files a stage sends. Pure and default-free: no I/O, no fallback values of its own.
 */
import type { Role, SshSettings } from '../config/ssh-settings.js';
import type { HostTarget } from '../transport/transport.js';
import { UsageError } from '../errors.js';
import { resolveHostSsh, type ResolveContext } from '../transport/host-ssh.js';

export type { Role };
/** The role argument of dcos_install.sh for that list. */
export type InstallRole = 'master' | 'slave' | 'slave_public';

export const INSTALL_ROLE: Readonly<Record<Role, InstallRole>> = {
  master: 'master',
  agent: 'slave',
  public_agent: 'slave_public',
};

/** One host of the cluster, with the connection settings that apply to it. */
export interface PlannedHost extends HostTarget {
  role: Role;
  installRole: InstallRole;
  /** Position in the whole cluster list (masters, then agents, then public agents), from 0. */
  index: number;
}

/** Local files a stage may send; resolved by the command (I/O) before planning. */
export interface PlanFiles {
  /** genconf/serve/dcos_install.sh */
  installScript?: string;
  /** genconf/serve/dcos-install.tar and its SHA-256 (hex), computed locally. */
  bundleTar?: string;
  bundleSha256?: string;
  /** The bundle's config_id (genconf/serve/cluster-package-info.json): a host holding it is already installed. */
  bundleConfigId?: string;
  /**
   * `--deploy --pull`: the http(s) base URL each host downloads dcos_install.sh from (bootstrap_url), and the script's
   * SHA-256 computed locally from genconf/serve/dcos_install.sh. The script then pulls and checks every artifact.
   */
  pullUrl?: string;
  installScriptSha256?: string;
  /** The size of genconf/serve/dcos_install.sh in bytes: the download is checked against it too. */
  installScriptSize?: number;
  /**
   * The settings the pulling host downloads dcos_install.sh with, as the bundle's dcos_install.sh has them rendered
   * (bootstrap_url_mirrors and the proxy): lines for templates/remote/pull-install.sh, sent on stdin (a proxy URL may
   * hold a password).
   */
  pullSettings?: string;
  /** templates/remote/pull-install.sh: the one command a pulling host runs; and the download it uses, sent before it. */
  pullScript?: string;
  pullLib?: string;
  /** The ip-detect script the bundle ships. */
  ipDetect?: string;
  /** The fault-domain-detect script of the config, when it has one (preflight runs it on every host). */
  faultDomainDetect?: string;
  /** templates/remote/preflight.sh, uninstall.sh and install-prereqs.sh */
  preflightScript?: string;
  uninstallScript?: string;
  prereqsScript?: string;
}

export interface ClusterPlan {
  /** The hosts this run works on, in the original's order (masters, agents, public agents). */
  hosts: PlannedHost[];
  /** Every host of the config, whatever --hosts/--retry-failed selected (for state and the cluster check). */
  allHosts: PlannedHost[];
  /** The first master of master_list: where the cluster check runs. */
  firstMaster?: PlannedHost;
  parallelism: number;
  /** Per-step limit (`process_timeout`), also the transfer stall limit. */
  processTimeoutMs: number;
  /** Deadline of each postflight check loop (`--postflight-timeout`). */
  postflightTimeoutMs: number;
  /** Remote staging directory (REMOTE_TEMP_DIR of the original). */
  stagingDir: string;
  files: PlanFiles;
  /**
   * `--ignore-check` ids (stages/check-ids.ts). The runner records these checks as ignored; steps that run checks on
   * the node pass them on (dcos_install.sh during a deploy, the postflight wait loop) so the node does not fail or
   * wait on them either.
   */
  ignoreChecks?: readonly string[];
}

export interface PlanOptions {
  /** `--hosts`: addresses (or address:port labels) to keep. */
  only?: readonly string[];
  /** `--retry-failed`: labels of hosts that did not succeed last time; undefined = no filter. */
  retryLabels?: ReadonlySet<string>;
  files?: PlanFiles;
  /** An ssh_config file was read: resolve each host's user, port and SSH settings through it (host-ssh.ts). */
  ssh?: Omit<ResolveContext, 'defaultUser' | 'defaultPort'>;
  /** `--ignore-check` ids. */
  ignoreChecks?: readonly string[];
}

export const STAGING_DIR = '/opt/dcos_install_tmp';

/** `10.0.0.1:22`, or `[::1]:22` for an address with colons. */
export function hostLabel(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Build the plan. A `--hosts` entry that names no host is the operator's mistake (UsageError). With an ssh_config
 * (`options.ssh`), each host's user, port and SSH settings are resolved through it (transport/host-ssh.ts), starting
 * from the settings' values for that host.
 */
export function planCluster(settings: SshSettings, options: PlanOptions = {}): ClusterPlan {
  const allHosts: PlannedHost[] = settings.hosts.map((h, index) => {
    const resolved = options.ssh
      ? resolveHostSsh(h.address, h.override, {
          ...options.ssh,
          defaultUser: settings.user,
          defaultPort: settings.port,
        })
      : undefined;
    const port = resolved?.port ?? h.port;
    return {
      address: h.address,
      port,
      user: resolved?.user ?? h.user,
      label: hostLabel(h.address, port),
      role: h.role,
      installRole: INSTALL_ROLE[h.role],
      index,
      ...(resolved ? { ssh: resolved.ssh } : {}),
    };
  });

  let hosts = allHosts;
  if (options.only !== undefined) {
    const wanted = new Set(options.only);
    const unknown = options.only.filter((a) => !allHosts.some((h) => h.address === a || h.label === a));
    if (unknown.length > 0) {
      throw new UsageError(
        `--hosts names ${unknown.length === 1 ? 'a host' : 'hosts'} not in master_list, agent_list or public_agent_list: ${unknown.join(', ')}`,
        'give addresses exactly as config.yaml lists them',
      );
    }
    hosts = hosts.filter((h) => wanted.has(h.address) || wanted.has(h.label));
  }
  if (options.retryLabels !== undefined) {
    const retry = options.retryLabels;
    hosts = hosts.filter((h) => retry.has(h.label));
  }

  const firstMaster = allHosts.find((h) => h.role === 'master');
  return {
    hosts,
    allHosts,
    ...(firstMaster ? { firstMaster } : {}),
    parallelism: settings.parallelism,
    processTimeoutMs: settings.processTimeoutMs,
    postflightTimeoutMs: settings.postflightTimeoutMs,
    stagingDir: STAGING_DIR,
    files: { ...options.files },
    ...(options.ignoreChecks !== undefined && options.ignoreChecks.length > 0
      ? { ignoreChecks: [...options.ignoreChecks] }
      : {}),
  };
}
