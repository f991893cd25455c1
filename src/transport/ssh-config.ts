/**
 * OpenSSH client configuration (ssh_config(5)), read with the `ssh-config` package and completed where it stops:
 * `Include` is followed (globs, relative paths against ~/.ssh), `%` tokens and `~` are expanded, `Match exec` is
 * never run (compute() with matchExec off), and only the keys this tool honours reach compute() — so no other
 * directive (CanonicalizeHostName runs nslookup inside compute()) can have an effect. Values are checked when the
 * file is read, each error naming file and line. Reading is I/O; `lookupSshConfig` is pure.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SSHConfig, { LineType, type Line } from 'ssh-config';
import { InputError } from '../errors.js';
import type { HostKeyChecking } from './known-hosts.js';

/** The keys honoured, in their canonical spelling (ssh_config keys are case-insensitive). */
export const HONOURED_KEYS = [
  'HostName',
  'User',
  'Port',
  'IdentityFile',
  'IdentitiesOnly',
  'ProxyJump',
  'ConnectTimeout',
  'ServerAliveInterval',
  'ServerAliveCountMax',
  'StrictHostKeyChecking',
  'UserKnownHostsFile',
  'HostKeyAlias',
  'ForwardAgent',
] as const;
const CANONICAL = new Map<string, string>(
  [...HONOURED_KEYS, 'ProxyCommand', 'Host', 'Match'].map((k) => [k.toLowerCase(), k]),
);

/** Bounds: a config is a small text file; anything beyond these is a mistake (or a loop of Includes). */
const MAX_FILE_BYTES = 1 << 20;
const MAX_FILES = 256;
const MAX_INCLUDE_DEPTH = 16;

export interface LoadedSshConfig {
  /** The file named by --ssh-config, ssh_config_file or genconf/ssh_config. */
  file: string;
  /** Every file read, the main one first, then Included ones in reading order. */
  files: string[];
  /** Keys this tool ignores, once each, with where they were first seen (`ForwardX11 (file:3)`). */
  ignored: string[];
  /** Host/Match sections and honoured keys only, Includes spliced in. ProxyCommand's value is its location. */
  config: SSHConfig;
}

/** What ssh_config says for one host, values checked, tokens not yet expanded (they depend on the final user). */
export interface SshConfigHost {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  identitiesOnly?: boolean;
  /** `none`, or a comma-separated chain of `[user@]host[:port]`. */
  proxyJump?: string;
  connectTimeoutSec?: number;
  serverAliveIntervalSec?: number;
  serverAliveCountMax?: number;
  strictHostKeyChecking?: HostKeyChecking;
  userKnownHostsFile?: string;
  hostKeyAlias?: string;
  forwardAgent?: boolean;
}

interface ReadContext {
  home: string;
  files: string[];
  ignored: Map<string, string>;
}

function valueText(v: string | Array<{ val: string }>): string {
  return typeof v === 'string' ? v : v.map((x) => x.val).join(' ');
}

function where(file: string, line: number): string {
  return `${file}:${line}`;
}

/** `~` and `~/x` → the home directory. */
export function expandTilde(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

/** Files an Include pattern names: `*` and `?` in the last path element, sorted as glob(3) does. */
function globFiles(pattern: string): string[] {
  const dir = path.dirname(pattern);
  const base = path.basename(pattern);
  if (!/[*?[]/.test(base)) return statIsFile(pattern) ? [pattern] : [];
  if (/[*?[]/.test(dir))
    throw new Error(`wildcards are supported in the file name only, not in the directory: ${pattern}`);
  const re = new RegExp(
    `^${base
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => re.test(n) && !n.startsWith('.'))
    .sort()
    .map((n) => path.join(dir, n))
    .filter(statIsFile);
}

function statIsFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function readBounded(file: string): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    throw new InputError(
      `cannot read the ssh_config file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      file,
    );
  }
  if (size > MAX_FILE_BYTES)
    throw new InputError(
      `the ssh_config file ${file} is larger than 1 MiB`,
      file,
      'point --ssh-config at the client config file itself',
    );
  return readFileSync(file, 'utf8');
}

/**
 * Read `file` into checked lines: Include followed, only Host/Match and honoured keys kept. `inSection` is set for
 * a file Included from inside a Host/Match block, where a further Host or Match line cannot be represented.
 */
function readLines(file: string, ctx: ReadContext, depth: number, inSection: string | undefined): Line[] {
  if (depth > MAX_INCLUDE_DEPTH)
    throw new InputError(`Include nested more than ${MAX_INCLUDE_DEPTH} deep at ${file} (a loop?)`, file);
  if (ctx.files.length >= MAX_FILES)
    throw new InputError(`more than ${MAX_FILES} ssh_config files through Include`, file);
  ctx.files.push(file);
  const parsed = SSHConfig.parse(readBounded(file));
  let lineNo = 1;
  const count = (s: string | undefined): number => (s ? s.split('\n').length - 1 : 0);
  const out: Line[] = [];
  let section: (Line & { config: SSHConfig }) | undefined;

  const handle = (line: Line, into: Line[]): void => {
    lineNo += count(line.before);
    const at = where(file, lineNo);
    if (line.type === LineType.DIRECTIVE) {
      const canonical = CANONICAL.get(line.param.toLowerCase());
      if (line.param.toLowerCase() === 'include') {
        const patterns = valueText(line.value).split(/\s+/).filter(Boolean);
        for (const pattern of patterns) {
          const full = path.isAbsolute(expandTilde(pattern, ctx.home))
            ? expandTilde(pattern, ctx.home)
            : path.join(ctx.home, '.ssh', pattern);
          let matched: string[];
          try {
            matched = globFiles(full);
          } catch (err) {
            throw new InputError(`${at}: Include ${pattern}: ${(err as Error).message}`, file);
          }
          const saved = lineNo;
          for (const f of matched) into.push(...readLines(f, ctx, depth + 1, inSection ?? (section ? at : undefined)));
          lineNo = saved;
        }
      } else if (canonical === 'Host' || canonical === 'Match') {
        if (inSection) {
          throw new InputError(
            `${at}: ${canonical} inside a file Included from within a Host or Match block (${inSection}) is not supported`,
            file,
            'Include such files at the top level of the config, outside any Host or Match block',
          );
        }
        line.param = canonical;
        if (canonical === 'Match') checkMatch(line as Line & { criteria: Record<string, unknown> }, at, file);
        const kept = line as Line & { config: SSHConfig };
        const children = [...kept.config];
        kept.config = new SSHConfig();
        out.push(kept);
        section = kept;
        lineNo += count(line.after);
        for (const child of children) handle(child, kept.config);
        return;
      } else if (canonical === undefined) {
        const key = line.param;
        if (![...ctx.ignored.keys()].some((k) => k.toLowerCase() === key.toLowerCase())) ctx.ignored.set(key, at);
      } else {
        line.param = canonical;
        if (canonical === 'ProxyCommand') line.value = at;
        else checkValue(canonical, valueText(line.value), at, file);
        into.push(line);
      }
    }
    lineNo += count(line.after);
  };
  for (const line of parsed) handle(line, out);
  return out;
}

function checkMatch(line: Line & { criteria: Record<string, unknown> }, at: string, file: string): void {
  const known = new Set(['all', 'host', 'originalhost', 'user', 'localuser', 'exec', 'final', 'canonical']);
  for (const k of Object.keys(line.criteria)) {
    if (!known.has(k.toLowerCase()))
      throw new InputError(
        `${at}: Match ${k} is not supported`,
        file,
        'use Host patterns, or Match host/user/originalhost/localuser',
      );
  }
}

const YES_NO = /^(yes|no)$/i;

function checkValue(key: string, value: string, at: string, file: string): void {
  const bad = (what: string, hint?: string): never => {
    throw new InputError(`${at}: ${key} ${value}: ${what}`, file, hint);
  };
  const int = (min: number, max: number): void => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
      bad(`must be an integer from ${min} to ${max}`);
  };
  switch (key) {
    case 'Port':
      return int(1, 65535);
    case 'ConnectTimeout':
      return int(1, 3600);
    case 'ServerAliveInterval':
      return int(0, 3600);
    case 'ServerAliveCountMax':
      return int(1, 100);
    case 'IdentitiesOnly':
      if (!YES_NO.test(value)) bad('must be yes or no');
      return;
    case 'ForwardAgent':
      if (!YES_NO.test(value))
        bad('must be yes or no', 'an agent socket path here is not supported; set SSH_AUTH_SOCK instead');
      return;
    case 'StrictHostKeyChecking':
      if (!/^(yes|no|ask|off|accept-new)$/i.test(value)) bad('must be yes, accept-new, no, off or ask');
      return;
    case 'ProxyJump':
      if (value.toLowerCase() === 'none') return;
      for (const hop of value.split(',')) {
        if (parseJumpSpec(hop) === undefined) bad(`'${hop}' is not [user@]host[:port]`);
      }
      return;
    case 'UserKnownHostsFile':
      if (value.trim().split(/\s+/).length > 1) bad('only one file is supported');
      return;
    case 'HostName':
    case 'User':
    case 'HostKeyAlias':
      if (value === '' || /\s/.test(value)) bad('must be one word');
      return;
  }
}

/** One hop of ProxyJump: `[user@]host[:port]`, `[user@][v6]:port` or `ssh://[user@]host[:port]`. */
export function parseJumpSpec(spec: string): { host: string; user?: string; port?: number } | undefined {
  let s = spec.trim();
  if (s.startsWith('ssh://')) s = s.slice(6).replace(/\/$/, '');
  const at = s.lastIndexOf('@');
  const user = at >= 0 ? s.slice(0, at) : undefined;
  const rest = at >= 0 ? s.slice(at + 1) : s;
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest) ?? /^([^:[\]@\s]+)(?::(\d+))?$/.exec(rest);
  if (!m || (user !== undefined && !/^[A-Za-z0-9._][A-Za-z0-9._-]*$/.test(user))) return undefined;
  const port = m[2] !== undefined ? Number(m[2]) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  return { host: m[1]!, ...(user !== undefined ? { user } : {}), ...(port !== undefined ? { port } : {}) };
}

/** Read and check an ssh_config file and everything it Includes. */
export function loadSshConfig(file: string, opts: { home?: string } = {}): LoadedSshConfig {
  const ctx: ReadContext = { home: opts.home ?? os.homedir(), files: [], ignored: new Map() };
  const config = new SSHConfig();
  config.push(...readLines(file, ctx, 0, undefined));
  return { file, files: ctx.files, ignored: [...ctx.ignored].map(([k, at]) => `${k} (${at})`), config };
}

/**
 * What the config says for `host` (the name as config.yaml lists it), first value obtained winning, as OpenSSH
 * reads it. `user` is the user already decided by a higher-precedence source, for `Match user`.
 */
export function lookupSshConfig(loaded: LoadedSshConfig, host: string, user?: string): SshConfigHost {
  const raw = loaded.config.compute(user !== undefined ? { Host: host, User: user } : { Host: host }, {
    matchExec: false,
  });
  const one = (k: string): string | undefined => {
    const v = raw[k];
    if (v === undefined) return undefined;
    return Array.isArray(v) ? v.join(' ') : v;
  };
  const proxyCommand = one('ProxyCommand');
  if (proxyCommand !== undefined) {
    throw new InputError(
      `${proxyCommand}: ProxyCommand applies to host ${host}; genconf does not run proxy commands`,
      loaded.file,
      'use ProxyJump to reach the host through a bastion, or --ssh-config none',
    );
  }
  const n = (k: string): number | undefined => (one(k) !== undefined ? Number(one(k)) : undefined);
  const yes = (k: string): boolean | undefined => (one(k) !== undefined ? one(k)!.toLowerCase() === 'yes' : undefined);
  const strict = one('StrictHostKeyChecking')?.toLowerCase();
  const ids = raw.IdentityFile;
  const out: SshConfigHost = { identityFiles: ids === undefined ? [] : Array.isArray(ids) ? ids : [ids] };
  // compute() answers User from the Match context even when only a caller gave it; only the file's value counts.
  const fields: Array<[keyof SshConfigHost, unknown]> = [
    ['hostName', one('HostName')],
    ['user', user !== undefined && one('User') === user ? undefined : one('User')],
    ['port', n('Port')],
    ['identitiesOnly', yes('IdentitiesOnly')],
    ['proxyJump', one('ProxyJump')],
    ['connectTimeoutSec', n('ConnectTimeout')],
    ['serverAliveIntervalSec', n('ServerAliveInterval')],
    ['serverAliveCountMax', n('ServerAliveCountMax')],
    [
      'strictHostKeyChecking',
      strict === undefined
        ? undefined
        : strict === 'accept-new'
          ? 'accept-new'
          : strict === 'no' || strict === 'off'
            ? 'off'
            : 'strict',
    ],
    ['userKnownHostsFile', one('UserKnownHostsFile')],
    ['hostKeyAlias', one('HostKeyAlias')],
    ['forwardAgent', yes('ForwardAgent')],
  ];
  for (const [k, v] of fields) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}

export interface TokenValues {
  /** %h: the host name to connect to (after HostName). */
  hostName: string;
  /** %n: the host as originally given. */
  original: string;
  port: number;
  /** %r */
  remoteUser: string;
  /** %u */
  localUser: string;
  /** %d */
  home: string;
}

/** Expand `%h %n %p %r %u %d %%` and a leading `~` in a path-like value; any other token is an error. */
export function expandTokens(value: string, t: TokenValues, key: string, file: string): string {
  const expanded = value.replace(/%(.)?/g, (_m, c: string | undefined) => {
    switch (c) {
      case '%':
        return '%';
      case 'h':
        return t.hostName;
      case 'n':
        return t.original;
      case 'p':
        return String(t.port);
      case 'r':
        return t.remoteUser;
      case 'u':
        return t.localUser;
      case 'd':
        return t.home;
      default:
        throw new InputError(
          `${file}: ${key} ${value}: the token %${c ?? ''} is not supported`,
          file,
          'supported tokens: %h %n %p %r %u %d %%',
        );
    }
  });
  return expandTilde(expanded, t.home);
}
