/**
 * The SSH settings of a run, decided once: every default and every range of the SSH keys of config.yaml and of the
 * flags that override them is declared in SSH_LIMITS below, and sshSettings() turns validated arguments plus flags
 * into one typed value. The planner (derive/plan.ts) receives that value and holds no defaults of its own; the
 * rules (rules-ssh.ts) and the command line (cli/args.ts) read their defaults and ranges from here.
 *
 * Parallelism has two ranges on purpose: `ssh_parallelism` in config.yaml keeps DC/OS 1.11's 1..100, so a config
 * judges the same as under 1.11, while `--parallelism` (an explicit choice for one run, e.g. a 1000-host cluster
 * on a big bootstrap machine) goes up to 1000. The flag wins over the key.
 */
import type { ConfigValues } from './engine.js';

export interface IntLimit {
  default: number;
  min: number;
  /** null: no upper bound. */
  max: number | null;
}

export const SSH_LIMITS = {
  /** config.yaml `ssh_port`, and a port in `ssh_host_overrides` or in an `address:port` list entry. */
  sshPort: { default: 22, min: 1, max: 65535 },
  /** config.yaml `ssh_parallelism` (DC/OS 1.11's range). */
  sshParallelism: { default: 20, min: 1, max: 100 },
  /** `--parallelism`: overrides ssh_parallelism for one run. */
  parallelismFlag: { default: 20, min: 1, max: 1000 },
  /** config.yaml `process_timeout`, seconds: per step, and the stall limit of an upload. */
  processTimeoutSec: { default: 120, min: 1, max: null },
  /** `--postflight-timeout`, seconds: the deadline of the postflight check loops. */
  postflightTimeoutSec: { default: 900, min: 1, max: 24 * 3600 },
  /** `--connect-timeout`, seconds: TCP connect + SSH handshake + authentication. */
  connectTimeoutSec: { default: 10, min: 1, max: 3600 },
  /** `--timeout`, seconds: the deadline of the whole run (no default: no deadline). */
  runTimeoutSec: { default: 0, min: 1, max: 7 * 24 * 3600 },
  /**
   * Retries of a connection sshd dropped before its banner (MaxStartups): bounded, so a host that always drops
   * still ends unreachable. 6 retries with the backoff below wait at most ~12 s in all.
   */
  connectRetries: { default: 6, min: 0, max: 20 },
  /** First wait before such a retry, ms; doubled each time (capped at 16×), each wait jittered to 50–150%. */
  connectRetryBackoffMs: { default: 200, min: 1, max: 60_000 },
} as const satisfies Record<string, IntLimit>;

/** The default login of config.yaml `ssh_user` (the original's CentOS images). */
export const DEFAULT_SSH_USER = 'centos';
/** config.yaml `ssh_key_path`, relative to the directory that holds genconf/. */
export const DEFAULT_SSH_KEY_PATH = 'genconf/ssh_key';

/** A host's role as config.yaml names its list. */
export type Role = 'master' | 'agent' | 'public_agent';

/** An entry of `ssh_host_overrides`, as validated by rules-ssh.ts. */
export interface HostOverride {
  port?: number;
  user?: string;
  key_path?: string;
}

/** One host of config.yaml with the connection settings that apply to it (its override applied). */
export interface SshHost {
  address: string;
  role: Role;
  port: number;
  user: string;
  /** Its `ssh_host_overrides` entry, if any (an ssh_config resolution starts from it). */
  override?: HostOverride;
}

export interface SshSettings {
  /** config.yaml `ssh_user` and `ssh_port` (or their defaults): what a host without an override uses. */
  user: string;
  port: number;
  /** Masters, then agents, then public agents, in config order. */
  hosts: SshHost[];
  /** `ssh_key_path` as config.yaml has it (relative to the genconf dir's parent), if set. */
  keyPath?: string;
  parallelism: number;
  processTimeoutMs: number;
  postflightTimeoutMs: number;
  /** Retries of a connection dropped before the SSH banner, and the first backoff (see SSH_LIMITS). */
  connectRetries: number;
  connectRetryBackoffMs: number;
}

/** Flags that override a config value for one run. */
export interface SshFlags {
  parallelism?: number;
  postflightTimeoutSec?: number;
}

/** The defaults of the SSH keys, as config.yaml strings (the validation engine's `default` entry). */
export const SSH_KEY_DEFAULTS: Readonly<Record<string, string>> = {
  ssh_user: DEFAULT_SSH_USER,
  ssh_key_path: DEFAULT_SSH_KEY_PATH,
  agent_list: '[]',
  public_agent_list: '[]',
  ssh_port: String(SSH_LIMITS.sshPort.default),
  process_timeout: String(SSH_LIMITS.processTimeoutSec.default),
  ssh_parallelism: String(SSH_LIMITS.sshParallelism.default),
  ssh_host_overrides: '{}',
  ssh_config_file: '',
};

function jsonList(args: ConfigValues, key: string): string[] {
  const text = args[key];
  if (text === undefined || text === '') return [];
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new TypeError(`finalized argument ${key} is not a JSON list of strings: ${text}`);
  }
  return value;
}

function overrides(args: ConfigValues): Record<string, HostOverride> {
  const text = args.ssh_host_overrides;
  if (text === undefined || text === '' || text === 'null') return {};
  const value = JSON.parse(text) as unknown;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`finalized argument ssh_host_overrides is not a JSON object: ${text}`);
  }
  return value as Record<string, HostOverride>;
}

function intArg(args: ConfigValues, key: string, limit: IntLimit): number {
  const text = args[key];
  if (text === undefined || text === '') return limit.default;
  const n = Number(text);
  if (!Number.isInteger(n) || n < limit.min)
    throw new TypeError(`finalized argument ${key} is not an integer >= ${limit.min}: ${text}`);
  return n;
}

/**
 * Validated arguments (rules-ssh.ts accepted them) and the run's flags → the typed settings. A malformed value
 * here is a bug (TypeError), not the operator's mistake: validation reports those.
 */
export function sshSettings(args: ConfigValues, flags: SshFlags = {}): SshSettings {
  const port = intArg(args, 'ssh_port', SSH_LIMITS.sshPort);
  const user = args.ssh_user ?? DEFAULT_SSH_USER;
  const perHost = overrides(args);
  const hosts: SshHost[] = [];
  for (const [role, key] of [
    ['master', 'master_list'],
    ['agent', 'agent_list'],
    ['public_agent', 'public_agent_list'],
  ] as const) {
    for (const address of jsonList(args, key)) {
      const o = perHost[address];
      hosts.push({ address, role, port: o?.port ?? port, user: o?.user ?? user, ...(o ? { override: o } : {}) });
    }
  }
  return {
    user,
    port,
    hosts,
    ...(args.ssh_key_path ? { keyPath: args.ssh_key_path } : {}),
    parallelism: flags.parallelism ?? intArg(args, 'ssh_parallelism', SSH_LIMITS.sshParallelism),
    processTimeoutMs: intArg(args, 'process_timeout', SSH_LIMITS.processTimeoutSec) * 1000,
    postflightTimeoutMs: (flags.postflightTimeoutSec ?? SSH_LIMITS.postflightTimeoutSec.default) * 1000,
    connectRetries: SSH_LIMITS.connectRetries.default,
    connectRetryBackoffMs: SSH_LIMITS.connectRetryBackoffMs.default,
  };
}
