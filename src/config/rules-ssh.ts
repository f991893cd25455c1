/**
 * The SSH source of DC/OS 1.11 (ssh/validate.py on the branch tip), judged by `--validate-config` and every
 * SSH action, plus this tool's fixes: ssh_port up to 65535, process_timeout validated, and the new
 * ssh_host_overrides (per-host port/user without changing 1.11's address lists).
 */
import { assertRule, RuleFailure, type ConfigValues, type Entry, type Rule, type TargetSpec } from './engine.js';
import { loadJson, pyInt, validateIntInRange, validateIpList, validateJsonList } from './validators.js';
import { PyDict, pyRepr, pyTypeName } from '../pycompat/py.js';
import { SSH_KEY_DEFAULTS, SSH_LIMITS } from './ssh-settings.js';

/** Two lists must not share an address; the original used one message for every pair. */
function compareLists(first: string, second: string): void {
  const a = validateJsonList(first);
  const b = validateJsonList(second);
  // The shared addresses, in the first list's order. The set is built over the shorter list: three masters against
  // 10,000 agents costs a set of three.
  let dups: string[];
  if (a.length <= b.length) {
    const inA = new Set(a);
    const shared = new Set(b.filter((x) => inA.has(x)));
    dups = [...new Set(a.filter((x) => shared.has(x)))];
  } else {
    const inB = new Set(b);
    dups = [...new Set(a.filter((x) => inB.has(x)))];
  }
  assertRule(dups.length === 0, `master_list and agent_list cannot contain duplicates ${dups.join(', ')}`);
}

function validateProcessTimeout(a: ConfigValues): void {
  const v = pyInt(a.process_timeout!);
  assertRule(v !== null, `Must be an integer but got a str: ${a.process_timeout}`);
  assertRule(v >= BigInt(SSH_LIMITS.processTimeoutSec.min), `Must be at least ${SSH_LIMITS.processTimeoutSec.min}`);
}

/** ssh_host_overrides: {"<address in one of the lists>": {"port": 1..65535, "user": "name", "key_path": "file"}}. */
function validateSshHostOverrides(a: ConfigValues): void {
  const raw = a.ssh_host_overrides!;
  const loaded = loadJson(
    raw,
    (why) => `Must be a mapping of host address to {port, user}, but could not be read as JSON: ${why}`,
  );
  assertRule(
    loaded instanceof PyDict,
    `Must be a mapping of host address to {port, user}. Got a ${pyTypeName(loaded)}`,
  );
  // The addresses of the three lists, gathered only when there is an override to check them against.
  let known: Set<string> | undefined;
  const knownHosts = (): Set<string> => {
    if (known) return known;
    known = new Set<string>();
    for (const list of ['master_list', 'agent_list', 'public_agent_list']) {
      try {
        validateJsonList(a[list]!).forEach((h) => known!.add(h));
      } catch (err) {
        if (!(err instanceof RuleFailure)) throw err;
      }
    }
    return known;
  };
  for (const [host, spec] of loaded.entries) {
    assertRule(
      typeof host === 'string' && knownHosts().has(host),
      `${pyRepr(host)} is not an address in master_list, agent_list or public_agent_list`,
    );
    assertRule(
      spec instanceof PyDict,
      `Override for ${host} must be a mapping with optional keys port, user and key_path. Got a ${pyTypeName(spec)}`,
    );
    for (const k of spec.keys())
      assertRule(
        k === 'port' || k === 'user' || k === 'key_path',
        `Override for ${host}: unknown key ${pyRepr(k)}; only port, user and key_path are allowed`,
      );
    if (spec.has('port')) {
      const port = spec.get('port')!;
      assertRule(
        typeof port === 'bigint',
        `Override for ${host}: port must be an integer. Got a ${pyTypeName(port)}: ${pyRepr(port)}`,
      );
      const { min, max } = SSH_LIMITS.sshPort;
      assertRule(
        port >= BigInt(min) && port <= BigInt(max),
        `Override for ${host}: port must be between ${min} and ${max} inclusive`,
      );
    }
    if (spec.has('key_path')) {
      const key = spec.get('key_path')!;
      assertRule(
        typeof key === 'string' && key.trim() !== '',
        `Override for ${host}: key_path must be a path to a private key file. Got ${pyRepr(key)}`,
      );
    }
    if (spec.has('user')) {
      const user = spec.get('user')!;
      assertRule(
        typeof user === 'string' && /^[A-Za-z0-9._][A-Za-z0-9._-]*$/.test(user),
        `Override for ${host}: user must be a non-empty user name. Got ${pyRepr(user)}`,
      );
    }
  }
}

function rule(name: string, params: readonly string[], fn: (a: ConfigValues) => void, blame?: readonly string[]): Rule {
  return { name, params, enforce: fn, blame };
}

export const SSH_RULES: readonly Rule[] = [
  rule('validate_agent_list', ['agent_list'], (a) => void validateIpList(a.agent_list!)),
  rule('validate_public_agent_list', ['public_agent_list'], (a) => void validateIpList(a.public_agent_list!)),
  rule('validate_master_list', ['master_list'], (a) => void validateIpList(a.master_list!)),
  rule('compare_lists(master_list, agent_list)', ['master_list', 'agent_list'], (a) =>
    compareLists(a.master_list!, a.agent_list!),
  ),
  rule('compare_lists(master_list, public_agent_list)', ['master_list', 'public_agent_list'], (a) =>
    compareLists(a.master_list!, a.public_agent_list!),
  ),
  rule('compare_lists(agent_list, public_agent_list)', ['agent_list', 'public_agent_list'], (a) =>
    compareLists(a.agent_list!, a.public_agent_list!),
  ),
  rule('validate_ssh_port', ['ssh_port'], (a) =>
    validateIntInRange(a.ssh_port!, SSH_LIMITS.sshPort.min, SSH_LIMITS.sshPort.max),
  ),
  rule('validate_ssh_parallelism', ['ssh_parallelism'], (a) =>
    validateIntInRange(a.ssh_parallelism!, SSH_LIMITS.sshParallelism.min, SSH_LIMITS.sshParallelism.max),
  ),
  rule('validate_process_timeout', ['process_timeout'], validateProcessTimeout),
  rule(
    'validate_ssh_host_overrides',
    ['ssh_host_overrides', 'master_list', 'agent_list', 'public_agent_list'],
    validateSshHostOverrides,
    ['ssh_host_overrides'],
  ),
];

export const SSH_ENTRY: Entry = {
  validate: SSH_RULES,
  default: SSH_KEY_DEFAULTS,
};

export const SSH_KEYS = [
  'ssh_user',
  'ssh_port',
  'ssh_key_path',
  'master_list',
  'agent_list',
  'public_agent_list',
  'ssh_parallelism',
  'process_timeout',
  'ssh_host_overrides',
  'ssh_config_file',
] as const;

export const SSH_TARGET: TargetSpec = { variables: SSH_KEYS };
