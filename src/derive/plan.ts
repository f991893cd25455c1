/**
 * Finalized arguments → the cluster plan every SSH stage reads: hosts with roles and connection settings,
 * limits, remote paths and the local files a stage sends. Pure: no I/O, so stages and tests can rely on it.
 */
import type { HostTarget } from '../transport/transport.js';
import type { Arguments } from '../config/types.js';
import { UsageError } from '../errors.js';
import { resolveHostSsh, type HostOverride, type ResolveContext } from '../transport/host-ssh.js';

/** A host's role as config.yaml names its list. */
export type Role = 'master' | 'agent' | 'public_agent';
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
  /**
   * `--deploy --pull`: the http(s) base URL each host downloads dcos_install.sh from (bootstrap_url), and the script's
   * SHA-256 computed locally from genconf/serve/dcos_install.sh. The script then pulls and checks every artifact.
   */
  pullUrl?: string;
  installScriptSha256?: string;
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
}

export interface PlanOptions {
  /** `--parallelism`, overriding ssh_parallelism. */
  parallelism?: number;
  /** `--hosts`: addresses (or address:port labels) to keep. */
  only?: readonly string[];
  /** `--retry-failed`: labels of hosts that did not succeed last time; undefined = no filter. */
  retryLabels?: ReadonlySet<string>;
  postflightTimeoutSec?: number;
  files?: PlanFiles;
  /** An ssh_config file was read: resolve each host's user, port and SSH settings through it (host-ssh.ts). */
  ssh?: Omit<ResolveContext, 'defaultUser' | 'defaultPort'>;
}

export const STAGING_DIR = '/opt/dcos_install_tmp';

function jsonList(args: Arguments, key: string): string[] {
  const text = args[key];
  if (text === undefined || text === '') return [];
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new TypeError(`finalized argument ${key} is not a JSON list of strings: ${text}`);
  }
  return value as string[];
}

function overrides(args: Arguments): Record<string, HostOverride> {
  const text = args.ssh_host_overrides;
  if (text === undefined || text === '' || text === 'null') return {};
  const value = JSON.parse(text) as unknown;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`finalized argument ssh_host_overrides is not a JSON object: ${text}`);
  }
  return value as Record<string, HostOverride>;
}

function intArg(args: Arguments, key: string, fallback: number): number {
  const text = args[key];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new TypeError(`finalized argument ${key} is not a positive integer: ${text}`);
  return n;
}

/** `10.0.0.1:22`, or `[::1]:22` for an address with colons. */
export function hostLabel(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Build the plan. Validation has already accepted `args`; a malformed finalized value here is a bug (TypeError),
 * while a `--hosts` entry that names no host is the operator's mistake (UsageError).
 */
export function planCluster(args: Arguments, options: PlanOptions = {}): ClusterPlan {
  const defaultPort = intArg(args, 'ssh_port', 22);
  const defaultUser = args.ssh_user ?? 'centos';
  const perHost = overrides(args);
  const lists: Array<[Role, string[]]> = [
    ['master', jsonList(args, 'master_list')],
    ['agent', jsonList(args, 'agent_list')],
    ['public_agent', jsonList(args, 'public_agent_list')],
  ];
  const allHosts: PlannedHost[] = [];
  for (const [role, addresses] of lists) {
    for (const address of addresses) {
      const o = perHost[address] ?? {};
      const resolved = options.ssh ? resolveHostSsh(address, o, { ...options.ssh, defaultUser, defaultPort }) : undefined;
      const port = resolved?.port ?? o.port ?? defaultPort;
      allHosts.push({
        address,
        port,
        user: resolved?.user ?? o.user ?? defaultUser,
        label: hostLabel(address, port),
        role,
        installRole: INSTALL_ROLE[role],
        index: allHosts.length,
        ...(resolved ? { ssh: resolved.ssh } : {}),
      });
    }
  }

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
    parallelism: options.parallelism ?? intArg(args, 'ssh_parallelism', 20),
    processTimeoutMs: intArg(args, 'process_timeout', 120) * 1000,
    postflightTimeoutMs: (options.postflightTimeoutSec ?? 900) * 1000,
    stagingDir: STAGING_DIR,
    files: { ...options.files },
  };
}
