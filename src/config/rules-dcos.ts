/**
 * DC/OS 1.11 (branch tip) rules over the genconf keys: each a small named function carrying the original's exact
 * message (facts from gen/calc.py). The defaults and calculations are defaults-dcos.ts; the keys the templates need,
 * target-dcos.ts.
 */
import { assertRule, RuleFailure, type ConfigValues, type Rule } from './engine.js';
import {
  isIpNetwork,
  loadJson,
  pyInt,
  pyIntLiteralError,
  validateAbsolutePath,
  validateIntInRange,
  validateIPv4Addresses,
  validateIPv6Addresses,
  validateIpList,
  validateIpPortList,
  validateJsonDictionary,
  validateJsonList,
  validateTrueFalse,
  validIPv4,
} from './validators.js';
import { validateCheckConfig, validateCustomChecks } from './dcos-health-checks.js';
import { validateDcosOverlayNetwork, validateNetworkDefaultName } from './overlay.js';
import { PyDict, pyStr } from '../pycompat/py.js';

function rule(name: string, params: readonly string[], fn: (a: ConfigValues) => void): Rule {
  return { name, params, enforce: fn };
}

function trueFalse(key: string): Rule {
  return rule(`validate_true_false(${key})`, [key], (a) => validateTrueFalse(a[key]!));
}

function absolutePath(key: string): Rule {
  return rule(`validate_absolute_path(${key})`, [key], (a) => validateAbsolutePath(a[key]!));
}

function validateS3Prefix(a: ConfigValues): void {
  assertRule(!a.s3_prefix!.endsWith('/'), 'Must be a file path and cannot end in a /');
}

function validateNumMasters(a: ConfigValues): void {
  const n = pyInt(a.num_masters!);
  // The original crashed on a non-integer (ValueError); report it on the key instead.
  assertRule(n !== null, `Must be an integer but got a str: ${a.num_masters}`);
  assertRule([1n, 3n, 5n, 7n, 9n].includes(n), `Must have 1, 3, 5, 7, or 9 masters. Found ${a.num_masters}`);
}

function validateBootstrapUrl(a: ConfigValues): void {
  const url = a.bootstrap_url!;
  assertRule([...url].length > 1, 'Should be a url (http://example.com/bar or file:///path/to/local/cache)');
  assertRule(!url.endsWith('/'), "Must not end in a '/'");
}

function validateDnsSearch(a: ConfigValues): void {
  const s = a.dns_search!;
  assertRule(!s.includes('\n'), 'Newlines are not allowed');
  assertRule(!s.includes(','), 'Commas are not allowed');
  assertRule([...s].length < 256, 'Must be less than 256 characters long');
  assertRule(pySplit(s).length <= 6, 'Must contain no more than 6 domains');
}

/** Python's str.split(): whitespace includes the ASCII separators \x1c-\x1f and U+0085. */
const PY_WHITESPACE = new Set(
  [...' \t\n\v\f\r\u001c\u001d\u001e\u001f\u0085\u00a0\u1680\u2028\u2029\u202f\u205f\u3000'].concat(
    Array.from({ length: 11 }, (_, i) => String.fromCharCode(0x2000 + i)),
  ),
);

function pySplit(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const ch of s) {
    if (PY_WHITESPACE.has(ch)) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

function fzErr(msg: string): string {
  return `Invalid "dns_forward_zones": ${msg}`;
}

function validateDnsForwardZones(a: ConfigValues): void {
  const raw = a.dns_forward_zones!;
  const zones = loadJson(raw, (why) => fzErr(`${raw} is not valid JSON: ${why}`));
  assertRule(zones instanceof PyDict, fzErr(`${pyStr(zones)} is not a a dict`));
  for (const [, upstreams] of zones.entries) {
    assertRule(Array.isArray(upstreams), fzErr(`${pyStr(upstreams)} is not a list`));
    for (const upstream of upstreams) {
      assertRule(typeof upstream === 'string', fzErr(`${pyStr(upstream)} is not a string`));
      const at = upstream.lastIndexOf(':');
      let ip = upstream;
      if (at !== -1) {
        validateIntInRange(upstream.slice(at + 1), 1, 65535);
        ip = upstream.slice(0, at);
      }
      assertRule(validIPv4(ip), fzErr(`${ip} not a valid IP address`));
    }
  }
}

function validateZkHosts(a: ConfigValues): void {
  assertRule(
    !a.exhibitor_zk_hosts!.startsWith('zk://'),
    "Must be of the form `host:port,host:port', not start with zk://",
  );
}

function validateZkPath(a: ConfigValues): void {
  assertRule(a.exhibitor_zk_path!.startsWith('/'), 'Must be of the form /path/to/znode');
}

function validateMesosLogRetentionMb(a: ConfigValues): void {
  const mb = pyInt(a.mesos_log_retention_mb!);
  // The original crashed on a non-integer; report it on the key instead.
  assertRule(mb !== null, `Must be an integer but got a str: ${a.mesos_log_retention_mb}`);
  assertRule(mb >= 1024n, 'Must retain at least 1024 MB of logs');
  // The retention count is computed in floating point; 1.11 crashed (OverflowError) beyond that range.
  assertRule(mb < 10n ** 300n, 'Must be a realistic number of megabytes (at most 300 digits)');
}

function validateDcosUcrDefaultBridgeSubnet(a: ConfigValues): void {
  const v = a.dcos_ucr_default_bridge_subnet!;
  assertRule(isIpNetwork(v), `Incorrect value for dcos_ucr_default_bridge_subnet: ${v}. Only IPv4 subnets are allowed`);
}

function validateDcosL4lbEnableIpv6(a: ConfigValues): void {
  validateTrueFalse(a.dcos_l4lb_enable_ipv6!);
  if (a.enable_ipv6 === 'false') {
    assertRule(
      a.dcos_l4lb_enable_ipv6 === 'false',
      'When enable_ipv6 is false, dcos_l4lb_enable_ipv6 must be false as well',
    );
  }
}

function validateExhibitorStorageMasterDiscovery(a: ConfigValues): void {
  if (a.master_discovery !== 'static') {
    assertRule(
      a.exhibitor_storage_backend !== 'static',
      'When master_discovery is not static, exhibitor_storage_backend must be non-static. Having a variable list of ' +
        'master which are discovered by agents using the master_discovery method but also having a fixed known at ' +
        "install time static list of master ips doesn't `master_http_load_balancer` then exhibitor_storage_backend " +
        'must not be static.',
    );
  }
}

function validateAdminrouterTlsVersionPresent(a: ConfigValues): void {
  const enabled = [a.adminrouter_tls_1_0_enabled, a.adminrouter_tls_1_1_enabled, a.adminrouter_tls_1_2_enabled].filter(
    (f) => f === 'true',
  );
  assertRule(
    enabled.length > 0,
    "At least one of adminrouter_tls_1_0_enabled, adminrouter_tls_1_1_enabled and adminrouter_tls_1_2_enabled must be set to 'true'.",
  );
}

function validateMesosMaxCompletedTasksPerFramework(a: ConfigValues): void {
  if (a.has_mesos_max_completed_tasks_per_framework === 'true') {
    const v = a.mesos_max_completed_tasks_per_framework!;
    if (pyInt(v) === null) {
      throw new RuleFailure(
        `Error parsing 'mesos_max_completed_tasks_per_framework' parameter as an integer: ${pyIntLiteralError(v)}`,
      );
    }
  }
}

/** ASCII text only: no UTF-16 code unit at or above 0x80 (surrogates included). */
const ASCII = /^[^\u0080-\uffff]*$/;

const RECOVERY_UNITS = ['ns', 'us', 'ms', 'secs', 'mins', 'hrs', 'days', 'weeks'];

function validateMesosRecoveryTimeout(a: ConfigValues): void {
  const v = a.mesos_recovery_timeout!;
  // Python's re.match("([\d\.]+)(\w+)", v): anchored at the start only. On ASCII text (every real value) \d and
  // \w are [0-9] and [A-Za-z0-9_]: the Unicode-property expressions, whose compiling costs a start more than
  // the rest of this rule, are only for the rest.
  const ascii = ASCII.test(v);
  const m = ascii ? /^([0-9.]+)(\w+)/.exec(v) : /^([\p{Nd}.]+)([\p{L}\p{N}_]+)/u.exec(v);
  assertRule(m !== null, `Error parsing 'mesos_recovery_timeout' value: ${v}.`);
  const [, value, unit] = m as unknown as [string, string, string];
  assertRule((value.match(/\./g) ?? []).length <= 1, 'Invalid decimal format.');
  const num = Number(ascii ? value : value.replace(/\p{Nd}/gu, (d) => String(Number.parseInt(d, 10) || digitValue(d))));
  // float('.') raised in the original; it is not a decimal either.
  assertRule(value !== '.' && !Number.isNaN(num), 'Invalid decimal format.');
  assertRule(num <= 2 ** 64, `Value ${value} not in supported range.`);
  assertRule(
    RECOVERY_UNITS.includes(unit),
    `Unit '${unit}' not in [${RECOVERY_UNITS.map((u) => `'${u}'`).join(', ')}].`,
  );
}

function digitValue(d: string): number {
  // Non-ASCII decimal digits (Python's \d admits them): find the value by its offset in its block of ten.
  const cp = d.codePointAt(0)!;
  for (let zero = cp; zero > cp - 10; zero--) {
    if (!/\p{Nd}/u.test(String.fromCodePoint(zero - 1))) return cp - zero;
  }
  return 0;
}

function validateDcosL4lbIp(key: string, v6: boolean): Rule {
  return rule(`validate_${key}`, [key], (a) =>
    v6 ? validateIPv6Addresses([a[key]!]) : validateIPv4Addresses([a[key]!]),
  );
}

export const DCOS_RULES: readonly Rule[] = [
  rule('validate_s3_prefix', ['s3_prefix'], validateS3Prefix),
  rule('validate_num_masters', ['num_masters'], validateNumMasters),
  rule('validate_bootstrap_url', ['bootstrap_url'], validateBootstrapUrl),
  rule('validate_dns_search', ['dns_search'], validateDnsSearch),
  rule('validate_master_list', ['master_list'], (a) => void validateIpList(a.master_list!)),
  rule('validate_resolvers', ['resolvers'], (a) => validateIpPortList(a.resolvers!)),
  rule(
    'validate_dns_bind_ip_blacklist',
    ['dns_bind_ip_blacklist'],
    (a) => void validateIpList(a.dns_bind_ip_blacklist!),
  ),
  rule('validate_dns_forward_zones', ['dns_forward_zones'], validateDnsForwardZones),
  rule('validate_zk_hosts', ['exhibitor_zk_hosts'], validateZkHosts),
  rule('validate_zk_path', ['exhibitor_zk_path'], validateZkPath),
  trueFalse('oauth_enabled'),
  trueFalse('oauth_available'),
  rule(
    'validate_mesos_dns_ip_sources',
    ['mesos_dns_ip_sources'],
    (a) => void validateJsonList(a.mesos_dns_ip_sources!),
  ),
  trueFalse('mesos_dns_set_truncate_bit'),
  rule('validate_mesos_log_retention_mb', ['mesos_log_retention_mb'], validateMesosLogRetentionMb),
  trueFalse('telemetry_enabled'),
  trueFalse('master_dns_bindall'),
  rule('validate_dcos_overlay_network', ['dcos_overlay_network'], (a) =>
    validateDcosOverlayNetwork(a.dcos_overlay_network!),
  ),
  rule('validate_dcos_overlay_network(json)', ['dcos_overlay_network_json'], (a) =>
    validateDcosOverlayNetwork(a.dcos_overlay_network_json!),
  ),
  rule(
    'validate_dcos_ucr_default_bridge_subnet',
    ['dcos_ucr_default_bridge_subnet'],
    validateDcosUcrDefaultBridgeSubnet,
  ),
  trueFalse('dcos_net_cluster_identity'),
  trueFalse('dcos_net_rest_enable'),
  trueFalse('dcos_net_watchdog'),
  rule('validate_network_default_name', ['dcos_overlay_network_default_name', 'dcos_overlay_network'], (a) =>
    validateNetworkDefaultName(a.dcos_overlay_network_default_name!, a.dcos_overlay_network!),
  ),
  trueFalse('dcos_overlay_enable'),
  rule('validate_dcos_overlay_mtu', ['dcos_overlay_mtu'], (a) => validateIntInRange(a.dcos_overlay_mtu!, 552, null)),
  rule('validate_dcos_overlay_config_attempts', ['dcos_overlay_config_attempts'], (a) =>
    validateIntInRange(a.dcos_overlay_config_attempts!, 0, 10),
  ),
  trueFalse('dcos_remove_dockercfg_enable'),
  rule('validate_rexray_config', ['rexray_config'], (a) => void validateJsonDictionary(a.rexray_config!)),
  trueFalse('check_time'),
  trueFalse('enable_gpu_isolation'),
  validateDcosL4lbIp('dcos_l4lb_min_named_ip', false),
  validateDcosL4lbIp('dcos_l4lb_max_named_ip', false),
  validateDcosL4lbIp('dcos_l4lb_min_named_ip6', true),
  validateDcosL4lbIp('dcos_l4lb_max_named_ip6', true),
  rule('validate_dcos_l4lb_enable_ipv6', ['dcos_l4lb_enable_ipv6', 'enable_ipv6'], validateDcosL4lbEnableIpv6),
  trueFalse('dcos_l4lb_enable_ipset'),
  trueFalse('cluster_docker_credentials_dcos_owned'),
  trueFalse('cluster_docker_credentials_enabled'),
  trueFalse('cluster_docker_credentials_write_to_etc'),
  rule(
    'validate_cluster_docker_credentials',
    ['cluster_docker_credentials'],
    (a) => void validateJsonDictionary(a.cluster_docker_credentials!),
  ),
  rule(
    'validate_exhibitor_storage_master_discovery',
    ['master_discovery', 'exhibitor_storage_backend'],
    validateExhibitorStorageMasterDiscovery,
  ),
  trueFalse('exhibitor_admin_password_enabled'),
  trueFalse('enable_lb'),
  trueFalse('enable_ipv6'),
  trueFalse('adminrouter_tls_1_0_enabled'),
  trueFalse('adminrouter_tls_1_1_enabled'),
  trueFalse('adminrouter_tls_1_2_enabled'),
  rule(
    'validate_adminrouter_tls_version_present',
    ['adminrouter_tls_1_0_enabled', 'adminrouter_tls_1_1_enabled', 'adminrouter_tls_1_2_enabled'],
    validateAdminrouterTlsVersionPresent,
  ),
  trueFalse('gpus_are_scarce'),
  rule(
    'validate_mesos_max_completed_tasks_per_framework',
    ['mesos_max_completed_tasks_per_framework', 'has_mesos_max_completed_tasks_per_framework'],
    validateMesosMaxCompletedTasksPerFramework,
  ),
  rule('validate_mesos_recovery_timeout', ['mesos_recovery_timeout'], validateMesosRecoveryTimeout),
  rule('validate_check_config', ['check_config'], (a) => void validateCheckConfig(a.check_config!)),
  rule('validate_check_config(custom_checks)', ['custom_checks'], (a) => void validateCheckConfig(a.custom_checks!)),
  rule('validate_custom_checks', ['custom_checks', 'check_config'], (a) =>
    validateCustomChecks(a.custom_checks!, a.check_config!),
  ),
  trueFalse('fault_domain_enabled'),
  absolutePath('mesos_master_work_dir'),
  absolutePath('mesos_agent_work_dir'),
  absolutePath('mesos_agent_log_file'),
  absolutePath('mesos_master_log_file'),
  absolutePath('diagnostics_bundles_dir'),
  trueFalse('licensing_enabled'),
  trueFalse('mesos_cni_root_dir_persist'),
];
