/**
 * Per-host SSH settings from every source, in one order of precedence (README "Reaching hosts: ssh_config"):
 *
 *   1. a command-line flag (--connect-timeout, --host-key-checking, --known-hosts, when given);
 *   2. config.yaml's ssh_host_overrides entry for the host (port, user, key_path);
 *   3. the ssh_config file's value for the host (first value obtained wins, as in OpenSSH);
 *   4. config.yaml's ssh_user / ssh_port / ssh_key_path;
 *   5. the defaults.
 *
 * Pure: the ssh_config file was read before (ssh-config.ts); key files are only named here, read by the transport.
 */
import path from 'node:path';
import { InputError } from '../errors.js';
import type { HostKeyChecking } from './known-hosts.js';
import {
  expandTokens,
  lookupSshConfig,
  parseJumpSpec,
  type LoadedSshConfig,
  type SshConfigHost,
} from './ssh-config.js';

/** Where a value came from, shown by --dry-run. */
export type SettingSource = 'flag' | 'ssh_host_overrides' | 'ssh_config' | 'config.yaml';

/** One bastion of a ProxyJump chain, resolved like a host (ssh_config lookup under the name the chain gives). */
export interface JumpHop {
  /** The hop as ProxyJump wrote it, e.g. `ops@bastion-eu:2222`. */
  spec: string;
  /** Where to dial (its HostName). */
  address: string;
  port: number;
  user: string;
  /** `bastion-eu:2222`: how messages name it. */
  label: string;
  identityFiles: string[];
  identitiesOnly: boolean;
  hostKeyAlias?: string;
  knownHostsFile?: string;
  hostKeyChecking?: HostKeyChecking;
}

/** What ssh_config (and the overrides above it) decided for one host; absent from a host when no ssh_config is used. */
export interface HostSsh {
  /** Where to dial: ssh_config's HostName, else the address as listed. */
  hostName: string;
  /** Key files to offer, in order (absolute). Empty: the run's key (ssh_key_path). */
  identityFiles: string[];
  /** Offer only those keys, never the agent. */
  identitiesOnly: boolean;
  /** Bastions in order: the first is dialled directly, each next one (and the host) through the one before. */
  jump: JumpHop[];
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  hostKeyChecking?: HostKeyChecking;
  knownHostsFile?: string;
  /** The name the host key is checked under instead of the host's own. */
  hostKeyAlias?: string;
  forwardAgent: boolean;
  sources: { user?: SettingSource; port?: SettingSource; identity?: SettingSource; jump?: SettingSource };
}

/** The flags that beat ssh_config, when the operator gave them (not their defaults). */
export interface SshFlags {
  connectTimeoutSec?: number;
  hostKeyChecking?: HostKeyChecking;
  knownHostsFile?: string;
}

export interface HostOverride {
  port?: number;
  user?: string;
  key_path?: string;
}

export interface ResolveContext {
  sshConfig: LoadedSshConfig;
  flags: SshFlags;
  /** config.yaml's ssh_user (or its default) and ssh_port. */
  defaultUser: string;
  defaultPort: number;
  /** Relative key paths (ssh_host_overrides key_path) resolve against this, as ssh_key_path does. */
  baseDir: string;
  home: string;
  localUser: string;
}

const MAX_CHAIN = 8;

function expandAll(
  files: string[],
  vars: { hostName: string; original: string; port: number; user: string },
  ctx: ResolveContext,
): string[] {
  const t = { ...vars, remoteUser: vars.user, localUser: ctx.localUser, home: ctx.home };
  return files.map((f) => path.resolve(ctx.home, expandTokens(f, t, 'IdentityFile', ctx.sshConfig.file)));
}

function knownHosts(
  c: SshConfigHost,
  vars: { hostName: string; original: string; port: number; user: string },
  ctx: ResolveContext,
): string | undefined {
  if (c.userKnownHostsFile === undefined) return undefined;
  const t = { ...vars, remoteUser: vars.user, localUser: ctx.localUser, home: ctx.home };
  return path.resolve(ctx.home, expandTokens(c.userKnownHostsFile, t, 'UserKnownHostsFile', ctx.sshConfig.file));
}

function hopLabel(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Resolve a ProxyJump value into hops; a first hop's own ProxyJump is followed, as ssh -J does. */
function resolveChain(value: string, ctx: ResolveContext, depth: number, forHost: string): JumpHop[] {
  if (value.toLowerCase() === 'none') return [];
  if (depth > MAX_CHAIN)
    throw new InputError(
      `ProxyJump for ${forHost} goes through more than ${MAX_CHAIN} bastions (a loop?)`,
      ctx.sshConfig.file,
    );
  const hops: JumpHop[] = [];
  value.split(',').forEach((spec, i) => {
    const p = parseJumpSpec(spec);
    if (!p) throw new InputError(`ProxyJump for ${forHost}: '${spec}' is not [user@]host[:port]`, ctx.sshConfig.file);
    const c = lookupSshConfig(ctx.sshConfig, p.host, p.user);
    const user = p.user ?? c.user ?? ctx.defaultUser;
    const port = p.port ?? c.port ?? ctx.defaultPort;
    const address =
      c.hostName !== undefined
        ? expandTokens(
            c.hostName,
            { hostName: p.host, original: p.host, port, remoteUser: user, localUser: ctx.localUser, home: ctx.home },
            'HostName',
            ctx.sshConfig.file,
          )
        : p.host;
    const vars = { hostName: address, original: p.host, port, user };
    if (i === 0 && c.proxyJump !== undefined) hops.push(...resolveChain(c.proxyJump, ctx, depth + 1, p.host));
    const kh = ctx.flags.knownHostsFile ?? knownHosts(c, vars, ctx);
    const checking = ctx.flags.hostKeyChecking ?? c.strictHostKeyChecking;
    hops.push({
      spec: spec.trim(),
      address,
      port,
      user,
      label: hopLabel(address, port),
      identityFiles: expandAll(c.identityFiles, vars, ctx),
      identitiesOnly: c.identitiesOnly ?? false,
      ...(c.hostKeyAlias !== undefined ? { hostKeyAlias: c.hostKeyAlias } : {}),
      ...(kh !== undefined ? { knownHostsFile: kh } : {}),
      ...(checking !== undefined ? { hostKeyChecking: checking } : {}),
    });
  });
  return hops;
}

/**
 * The user, port and SSH settings of one host listed in config.yaml as `address`. `override` is its
 * ssh_host_overrides entry, if any.
 */
export function resolveHostSsh(
  address: string,
  override: HostOverride | undefined,
  ctx: ResolveContext,
): { user: string; port: number; ssh: HostSsh } {
  const o = override ?? {};
  const c = lookupSshConfig(ctx.sshConfig, address, o.user);
  const sources: HostSsh['sources'] = {};
  const user = o.user ?? c.user ?? ctx.defaultUser;
  sources.user = o.user !== undefined ? 'ssh_host_overrides' : c.user !== undefined ? 'ssh_config' : 'config.yaml';
  const port = o.port ?? c.port ?? ctx.defaultPort;
  sources.port = o.port !== undefined ? 'ssh_host_overrides' : c.port !== undefined ? 'ssh_config' : 'config.yaml';
  const hostName =
    c.hostName !== undefined
      ? expandTokens(
          c.hostName,
          { hostName: address, original: address, port, remoteUser: user, localUser: ctx.localUser, home: ctx.home },
          'HostName',
          ctx.sshConfig.file,
        )
      : address;
  const vars = { hostName, original: address, port, user };
  let identityFiles: string[] = [];
  if (o.key_path !== undefined) {
    identityFiles = [path.resolve(ctx.baseDir, o.key_path)];
    sources.identity = 'ssh_host_overrides';
  } else if (c.identityFiles.length > 0) {
    identityFiles = expandAll(c.identityFiles, vars, ctx);
    sources.identity = 'ssh_config';
  }
  const jump = c.proxyJump !== undefined ? resolveChain(c.proxyJump, ctx, 0, address) : [];
  if (jump.length > 0) sources.jump = 'ssh_config';
  const kh = ctx.flags.knownHostsFile ?? knownHosts(c, vars, ctx);
  const checking = ctx.flags.hostKeyChecking ?? c.strictHostKeyChecking;
  const timeout = ctx.flags.connectTimeoutSec ?? c.connectTimeoutSec;
  const ssh: HostSsh = {
    hostName,
    identityFiles,
    identitiesOnly: c.identitiesOnly ?? false,
    jump,
    forwardAgent: c.forwardAgent ?? false,
    sources,
    ...(timeout !== undefined ? { connectTimeoutMs: timeout * 1000 } : {}),
    ...(c.serverAliveIntervalSec !== undefined && c.serverAliveIntervalSec > 0
      ? { keepaliveIntervalMs: c.serverAliveIntervalSec * 1000 }
      : {}),
    ...(c.serverAliveCountMax !== undefined ? { keepaliveCountMax: c.serverAliveCountMax } : {}),
    ...(checking !== undefined ? { hostKeyChecking: checking } : {}),
    ...(kh !== undefined ? { knownHostsFile: kh } : {}),
    ...(c.hostKeyAlias !== undefined ? { hostKeyAlias: c.hostKeyAlias } : {}),
  };
  return { user, port, ssh };
}

/** How a host's key is shown (--dry-run, summary, NDJSON): file paths only, never contents. */
export function describeKeys(ssh: HostSsh | undefined, defaultKey: string | undefined): string {
  const files = ssh && ssh.identityFiles.length > 0 ? ssh.identityFiles : defaultKey !== undefined ? [defaultKey] : [];
  const agent = ssh?.identitiesOnly ? '' : 'agent';
  return [...files, agent].filter(Boolean).join(', ') || 'none';
}
