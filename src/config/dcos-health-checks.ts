/**
 * The node/cluster health-check configuration of DC/OS 1.11: the built-in `check_config`, the shape rules
 * for it and for the operator's `custom_checks`, the name-clash rule, and the merged
 * `check_config_contents` the templates embed.
 */
import { assertRule, RuleFailure } from './engine.js';
import { validateJsonDictionary } from './validators.js';
import { PyDict, pyRepr, type PyValue } from '../pycompat/py.js';
import { pyJsonDumps, pyJsonLoads } from '../pycompat/json.js';
import { pyYamlDump } from '../pycompat/yaml-dump.js';

const DCOS_CHECKS = '/opt/mesosphere/bin/dcos-checks';
const INSTANT = '3s';
const NORMAL = '30s';

interface CheckDef {
  description: string;
  cmd: string[];
  timeout: string;
  roles?: string[];
}

/** The built-in checks of the 1.11 branch tip, in their order (clock_sync only when check_time is on). */
function builtinChecks(checkTime: boolean): Array<[string, CheckDef]> {
  const checks: Array<[string, CheckDef]> = [
    [
      'components_master',
      {
        description: 'All DC/OS components are healthy.',
        cmd: [
          DCOS_CHECKS,
          '--role',
          'master',
          'components',
          '--exclude=dcos-checks-poststart.timer,dcos-checks-poststart.service',
        ],
        timeout: NORMAL,
        roles: ['master'],
      },
    ],
    [
      'components_agent',
      {
        description: 'All DC/OS components are healthy',
        cmd: [
          DCOS_CHECKS,
          '--role',
          'agent',
          'components',
          '--port',
          '61001',
          '--exclude=dcos-checks-poststart.service,dcos-checks-poststart.timer',
        ],
        timeout: NORMAL,
        roles: ['agent'],
      },
    ],
    ...(['xz', 'tar', 'curl', 'unzip'] as const).map((tool): [string, CheckDef] => [
      tool,
      { description: `The ${tool} utility is available`, cmd: [DCOS_CHECKS, 'executable', tool], timeout: INSTANT },
    ]),
    [
      'ip_detect_script',
      { description: 'The IP detect script produces valid output', cmd: [DCOS_CHECKS, 'ip'], timeout: NORMAL },
    ],
    [
      'mesos_master_replog_synchronized',
      {
        description: 'The Mesos master has synchronized its replicated log',
        cmd: [DCOS_CHECKS, '--role', 'master', 'mesos-metrics'],
        timeout: NORMAL,
        roles: ['master'],
      },
    ],
    [
      'mesos_agent_registered_with_masters',
      {
        description: 'The Mesos agent has registered with the masters',
        cmd: [DCOS_CHECKS, '--role', 'agent', 'mesos-metrics'],
        timeout: NORMAL,
        roles: ['agent'],
      },
    ],
    [
      'journald_dir_permissions',
      {
        description: 'Journald directory has the right owners and permissions',
        cmd: [DCOS_CHECKS, 'journald'],
        timeout: INSTANT,
      },
    ],
  ];
  if (checkTime)
    checks.push([
      'clock_sync',
      { description: 'System clock is in sync.', cmd: [DCOS_CHECKS, 'time'], timeout: INSTANT },
    ]);
  return checks;
}

function toPy(v: unknown): PyValue {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(toPy);
  const d = new PyDict();
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) d.set(k, toPy(x));
  return d;
}

const builtinCache = new Map<string, string>();

export function calculateCheckConfig(checkTime: string): string {
  const hit = builtinCache.get(checkTime);
  if (hit !== undefined) return hit;
  const out = buildCheckConfig(checkTime);
  builtinCache.set(checkTime, out);
  // The built-in text is this program's own constant and passes the shape rule (test/config/health-checks.test.ts
  // judges both variants): validate_check_config, which every run applies to it, need not parse it again.
  validTexts.add(out);
  return out;
}

function buildCheckConfig(checkTime: string): string {
  const checks = builtinChecks(checkTime === 'true');
  const checksDict = new PyDict();
  for (const [name, def] of checks) checksDict.set(name, toPy(def));
  const nodeChecks = new PyDict();
  nodeChecks.set('checks', checksDict);
  nodeChecks.set('prestart', []);
  nodeChecks.set(
    'poststart',
    checks.map(([n]) => n),
  );
  const root = new PyDict();
  root.set('node_checks', nodeChecks);
  return pyJsonDumps(root);
}

const TIMEOUT_UNITS = ['ns', 'us', 'µs', 'ms', 's', 'm', 'h'];
const TIMEOUT = new RegExp(`^\\d+(\\.\\d+)?(${TIMEOUT_UNITS.join('|')})$`);

function fail(path: string[], message: string): never {
  throw new RuleFailure([...path.map((k) => `Key '${k}' error:`), message].join(' '));
}

function checkName(name: PyValue, path: string[]): void {
  if (typeof name !== 'string' || name.length === 0 || /\s/.test(name)) {
    fail(path, `Wrong key ${pyRepr(name)}: Check name must be a nonzero length string with no whitespace`);
  }
}

function checkDef(def: PyValue, path: string[], allowRoles: boolean): void {
  if (!(def instanceof PyDict)) fail(path, `${pyRepr(def)} should be instance of 'dict'`);
  const allowed = ['description', 'cmd', 'timeout', ...(allowRoles ? ['roles'] : [])];
  for (const k of def.keys())
    if (typeof k !== 'string' || !allowed.includes(k)) fail(path, `Wrong key ${pyRepr(k)} in ${pyRepr(def)}`);
  for (const k of ['description', 'cmd', 'timeout']) if (!def.has(k)) fail(path, `Missing key: '${k}'`);
  const description = def.get('description')!;
  if (typeof description !== 'string')
    fail([...path, 'description'], `${pyRepr(description)} should be instance of 'str'`);
  const cmd = def.get('cmd')!;
  if (!Array.isArray(cmd)) fail([...path, 'cmd'], `${pyRepr(cmd)} should be instance of 'list'`);
  for (const c of cmd) if (typeof c !== 'string') fail([...path, 'cmd'], `${pyRepr(c)} should be instance of 'str'`);
  const timeout = def.get('timeout')!;
  if (typeof timeout !== 'string' || !TIMEOUT.test(timeout)) {
    fail(
      [...path, 'timeout'],
      `Timeout must be a string containing an integer or float followed by a unit: ${TIMEOUT_UNITS.join(', ')}`,
    );
  }
  if (def.has('roles')) {
    const roles = def.get('roles')!;
    if (!Array.isArray(roles) || roles.some((r) => r !== 'master' && r !== 'agent')) {
      fail([...path, 'roles'], 'roles must be a list containing master or agent or both');
    }
  }
}

function checkNameList(v: PyValue, path: string[]): string[] {
  if (!Array.isArray(v)) fail(path, `${pyRepr(v)} should be instance of 'list'`);
  for (const n of v) checkName(n, path);
  return v as string[];
}

// Texts already known to pass (the built-in config is judged on every run).
const validTexts = new Set<string>();

/** The shape rule for check_config and custom_checks. */
export function validateCheckConfig(value: string): void {
  if (validTexts.has(value)) return;
  checkConfigShape(value);
  if (validTexts.size < 16) validTexts.add(value);
}

/** The shape rule itself, without the memo of texts known to pass (exported for the test of the built-in text). */
export function checkConfigShape(value: string): PyDict {
  const obj = validateJsonDictionary(value);
  for (const k of obj.keys())
    if (k !== 'cluster_checks' && k !== 'node_checks') fail([], `Wrong key ${pyRepr(k)} in ${pyRepr(obj)}`);
  if (obj.has('cluster_checks')) {
    const cc = obj.get('cluster_checks')!;
    if (!(cc instanceof PyDict)) fail(['cluster_checks'], `${pyRepr(cc)} should be instance of 'dict'`);
    for (const [name, def] of cc.entries) {
      checkName(name, ['cluster_checks']);
      checkDef(def, ['cluster_checks', String(name)], false);
    }
  }
  if (obj.has('node_checks')) {
    const nc = obj.get('node_checks')!;
    if (!(nc instanceof PyDict)) fail(['node_checks'], `${pyRepr(nc)} should be instance of 'dict'`);
    for (const k of nc.keys()) {
      if (k !== 'checks' && k !== 'prestart' && k !== 'poststart')
        fail(['node_checks'], `Wrong key ${pyRepr(k)} in ${pyRepr(nc)}`);
    }
    if (!nc.has('checks')) fail(['node_checks'], "Missing key: 'checks'");
    const checks = nc.get('checks')!;
    if (!(checks instanceof PyDict)) fail(['node_checks', 'checks'], `${pyRepr(checks)} should be instance of 'dict'`);
    for (const [name, def] of checks.entries) {
      checkName(name, ['node_checks', 'checks']);
      checkDef(def, ['node_checks', 'checks', String(name)], true);
    }
    const pre = nc.has('prestart') ? checkNameList(nc.get('prestart')!, ['node_checks', 'prestart']) : undefined;
    const post = nc.has('poststart') ? checkNameList(nc.get('poststart')!, ['node_checks', 'poststart']) : undefined;
    assertRule(
      pre !== undefined || post !== undefined,
      'At least one of prestart or poststart must be defined in node_checks',
    );
    const referenced = new Set([...(pre ?? []), ...(post ?? [])]);
    const defined = new Set(checks.keys() as string[]);
    assertRule(
      referenced.size === defined.size && [...defined].every((n) => referenced.has(n)),
      'All node checks must be referenced in either prestart or poststart, or both',
    );
  }
  return obj;
}

function clusterCheckNames(c: PyDict): Set<string> {
  const cc = c.get('cluster_checks');
  return new Set(cc instanceof PyDict ? (cc.keys() as string[]) : []);
}

function nodeCheckNames(c: PyDict): Set<string> {
  const nc = c.get('node_checks');
  const checks = nc instanceof PyDict ? nc.get('checks') : undefined;
  return new Set(checks instanceof PyDict ? (checks.keys() as string[]) : []);
}

/** Custom check names must not reuse built-in ones (a rule over custom_checks and check_config). */
export function validateCustomChecks(customChecks: string, checkConfig: string): void {
  const user = pyJsonLoads(customChecks) as PyDict;
  const userCluster = clusterCheckNames(user);
  const userNode = nodeCheckNames(user);
  // No custom check names (the default `{}`), no clash: the built-in text (already judged by its own shape rule,
  // so it parses) is not read again.
  if (userCluster.size === 0 && userNode.size === 0) return;
  const dcos = pyJsonLoads(checkConfig) as PyDict;
  const sortedShared = (a: Set<string>, b: Set<string>): string[] => [...a].filter((n) => b.has(n)).sort();
  const cluster = sortedShared(userCluster, clusterCheckNames(dcos));
  const node = sortedShared(userNode, nodeCheckNames(dcos));
  if (cluster.length || node.length) {
    let msg = 'Custom check names conflict with builtin checks.';
    if (cluster.length) msg += ` Reserved cluster check names: ${cluster.join(', ')}.`;
    if (node.length) msg += ` Reserved node check names: ${node.join(', ')}.`;
    throw new RuleFailure(msg);
  }
}

function section(c: PyDict, key: string): PyDict {
  const v = c.get(key);
  return v instanceof PyDict ? v : new PyDict();
}

function list(c: PyDict, key: string): PyValue[] {
  const v = c.get(key);
  return Array.isArray(v) ? v : [];
}

const contentsCache = new Map<string, string>();

/** The user's checks merged with the built-in ones (built-in wins), plus the environment, YAML-dumped. */
export function calculateCheckConfigContents(
  checkConfig: string,
  customChecks: string,
  checkSearchPath: string,
  checkLdLibraryPath: string,
): string {
  const key = [checkConfig, customChecks, checkSearchPath, checkLdLibraryPath].join('\0');
  let out = contentsCache.get(key);
  if (out === undefined) {
    out = mergedContents(checkConfig, customChecks, checkSearchPath, checkLdLibraryPath);
    if (contentsCache.size >= 16) contentsCache.clear();
    contentsCache.set(key, out);
  }
  return out;
}

function mergedContents(
  checkConfig: string,
  customChecks: string,
  checkSearchPath: string,
  checkLdLibraryPath: string,
): string {
  const dcos = pyJsonLoads(checkConfig) as PyDict;
  const user = pyJsonLoads(customChecks) as PyDict;
  const mergeDicts = (a: PyDict, b: PyDict): PyDict => {
    const out = new PyDict();
    for (const [k, v] of a.entries) out.set(k, v);
    for (const [k, v] of b.entries) out.set(k, v);
    return out;
  };
  const clusterChecks = mergeDicts(section(user, 'cluster_checks'), section(dcos, 'cluster_checks'));
  const userNode = section(user, 'node_checks');
  const dcosNode = section(dcos, 'node_checks');
  const nodeChecks = new PyDict();
  nodeChecks.set('checks', mergeDicts(section(userNode, 'checks'), section(dcosNode, 'checks')));
  nodeChecks.set('prestart', [...list(userNode, 'prestart'), ...list(dcosNode, 'prestart')]);
  nodeChecks.set('poststart', [...list(userNode, 'poststart'), ...list(dcosNode, 'poststart')]);
  const merged = new PyDict();
  if (clusterChecks.size) merged.set('cluster_checks', clusterChecks);
  if ((nodeChecks.get('checks') as PyDict).size) merged.set('node_checks', nodeChecks);
  const env = new PyDict();
  env.set('PATH', checkSearchPath);
  env.set('LD_LIBRARY_PATH', checkLdLibraryPath);
  merged.set('check_env', env);
  return pyYamlDump(pyJsonDumps(merged, 2));
}
