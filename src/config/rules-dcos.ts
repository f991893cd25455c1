/**
 * DC/OS 1.11 (branch tip) configuration: defaults, calculated (`must`) arguments, rules and the arguments
 * the config package templates need (the `--genconf` target). Facts from DC/OS 1.11's gen/calc.py and gen/internals.py; each rule is a
 * small named function carrying the original's exact message.
 */
import path from 'node:path';
import { INPUT_LIMITS, InputFileError, readInputFileSync } from './input-file.js';
import { check, RuleFailure, type Args, type Calc, type Entry, type Rule, type TargetSpec } from './engine.js';
import {
  explodeIPv6,
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
} from './checks.js';
import {
  calculateCheckConfig,
  calculateCheckConfigContents,
  validateCheckConfig,
  validateCustomChecks,
} from './check-config.js';
import { calculateDcosOverlayNetworkJson, validateDcosOverlayNetwork, validateNetworkDefaultName } from './overlay.js';
import { PyDict, pyStr, type PyValue } from '../pycompat/py.js';
import { pyJsonDumps, pyJsonLoads } from '../pycompat/json.js';
import { pyYamlDump } from '../pycompat/yaml-dump.js';
import { explainMissing, resolveConfigFile } from './paths.js';
import { DCOS_VERSION } from '../dcos-version.js';

export { DCOS_VERSION };

function calc(params: readonly string[], fn: (a: Args) => string): Calc {
  return { params, fn };
}

function rule(name: string, params: readonly string[], fn: (a: Args) => void): Rule {
  return { name, params, check: fn };
}

function trueFalse(key: string): Rule {
  return rule(`validate_true_false(${key})`, [key], (a) => validateTrueFalse(a[key]!));
}

function absolutePath(key: string): Rule {
  return rule(`validate_absolute_path(${key})`, [key], (a) => validateAbsolutePath(a[key]!));
}

// ---- rules -------------------------------------------------------------------------------------------

function validateS3Prefix(a: Args): void {
  check(!a.s3_prefix!.endsWith('/'), 'Must be a file path and cannot end in a /');
}

function validateNumMasters(a: Args): void {
  const n = pyInt(a.num_masters!);
  // The original crashed on a non-integer (ValueError); report it on the key instead.
  check(n !== null, `Must be an integer but got a str: ${a.num_masters}`);
  check([1n, 3n, 5n, 7n, 9n].includes(n), `Must have 1, 3, 5, 7, or 9 masters. Found ${a.num_masters}`);
}

function validateBootstrapUrl(a: Args): void {
  const url = a.bootstrap_url!;
  check([...url].length > 1, 'Should be a url (http://example.com/bar or file:///path/to/local/cache)');
  check(!url.endsWith('/'), "Must not end in a '/'");
}

function validateDnsSearch(a: Args): void {
  const s = a.dns_search!;
  check(!s.includes('\n'), 'Newlines are not allowed');
  check(!s.includes(','), 'Commas are not allowed');
  check([...s].length < 256, 'Must be less than 256 characters long');
  check(pySplit(s).length <= 6, 'Must contain no more than 6 domains');
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

function validateDnsForwardZones(a: Args): void {
  const raw = a.dns_forward_zones!;
  const zones = loadJson(raw, (why) => fzErr(`${raw} is not valid JSON: ${why}`));
  check(zones instanceof PyDict, fzErr(`${pyStr(zones)} is not a a dict`));
  for (const [, upstreams] of zones.entries) {
    check(Array.isArray(upstreams), fzErr(`${pyStr(upstreams)} is not a list`));
    for (const upstream of upstreams) {
      check(typeof upstream === 'string', fzErr(`${pyStr(upstream)} is not a string`));
      const at = upstream.lastIndexOf(':');
      let ip = upstream;
      if (at !== -1) {
        validateIntInRange(upstream.slice(at + 1), 1, 65535);
        ip = upstream.slice(0, at);
      }
      check(validIPv4(ip), fzErr(`${ip} not a valid IP address`));
    }
  }
}

function validateZkHosts(a: Args): void {
  check(!a.exhibitor_zk_hosts!.startsWith('zk://'), "Must be of the form `host:port,host:port', not start with zk://");
}

function validateZkPath(a: Args): void {
  check(a.exhibitor_zk_path!.startsWith('/'), 'Must be of the form /path/to/znode');
}

function validateMesosLogRetentionMb(a: Args): void {
  const mb = pyInt(a.mesos_log_retention_mb!);
  // The original crashed on a non-integer; report it on the key instead.
  check(mb !== null, `Must be an integer but got a str: ${a.mesos_log_retention_mb}`);
  check(mb >= 1024n, 'Must retain at least 1024 MB of logs');
  // The retention count is computed in floating point; 1.11 crashed (OverflowError) beyond that range.
  check(mb < 10n ** 300n, 'Must be a realistic number of megabytes (at most 300 digits)');
}

function validateDcosUcrDefaultBridgeSubnet(a: Args): void {
  const v = a.dcos_ucr_default_bridge_subnet!;
  check(isIpNetwork(v), `Incorrect value for dcos_ucr_default_bridge_subnet: ${v}. Only IPv4 subnets are allowed`);
}

function validateDcosL4lbEnableIpv6(a: Args): void {
  validateTrueFalse(a.dcos_l4lb_enable_ipv6!);
  if (a.enable_ipv6 === 'false') {
    check(
      a.dcos_l4lb_enable_ipv6 === 'false',
      'When enable_ipv6 is false, dcos_l4lb_enable_ipv6 must be false as well',
    );
  }
}

function validateExhibitorStorageMasterDiscovery(a: Args): void {
  if (a.master_discovery !== 'static') {
    check(
      a.exhibitor_storage_backend !== 'static',
      'When master_discovery is not static, exhibitor_storage_backend must be non-static. Having a variable list of ' +
        'master which are discovered by agents using the master_discovery method but also having a fixed known at ' +
        "install time static list of master ips doesn't `master_http_load_balancer` then exhibitor_storage_backend " +
        'must not be static.',
    );
  }
}

function validateAdminrouterTlsVersionPresent(a: Args): void {
  const enabled = [a.adminrouter_tls_1_0_enabled, a.adminrouter_tls_1_1_enabled, a.adminrouter_tls_1_2_enabled].filter(
    (f) => f === 'true',
  );
  check(
    enabled.length > 0,
    "At least one of adminrouter_tls_1_0_enabled, adminrouter_tls_1_1_enabled and adminrouter_tls_1_2_enabled must be set to 'true'.",
  );
}

function validateMesosMaxCompletedTasksPerFramework(a: Args): void {
  if (a.has_mesos_max_completed_tasks_per_framework === 'true') {
    const v = a.mesos_max_completed_tasks_per_framework!;
    if (pyInt(v) === null) {
      throw new RuleFailure(
        `Error parsing 'mesos_max_completed_tasks_per_framework' parameter as an integer: ${pyIntLiteralError(v)}`,
      );
    }
  }
}

const RECOVERY_UNITS = ['ns', 'us', 'ms', 'secs', 'mins', 'hrs', 'days', 'weeks'];

function validateMesosRecoveryTimeout(a: Args): void {
  const v = a.mesos_recovery_timeout!;
  // Python's re.match("([\d\.]+)(\w+)", v): anchored at the start only.
  const m = /^([\p{Nd}.]+)([\p{L}\p{N}_]+)/u.exec(v);
  check(m !== null, `Error parsing 'mesos_recovery_timeout' value: ${v}.`);
  const [, value, unit] = m as unknown as [string, string, string];
  check((value.match(/\./g) ?? []).length <= 1, 'Invalid decimal format.');
  const num = Number(value.replace(/\p{Nd}/gu, (d) => String(Number.parseInt(d, 10) || digitValue(d))));
  // float('.') raised in the original; it is not a decimal either.
  check(value !== '.' && !Number.isNaN(num), 'Invalid decimal format.');
  check(num <= 2 ** 64, `Value ${value} not in supported range.`);
  check(RECOVERY_UNITS.includes(unit), `Unit '${unit}' not in [${RECOVERY_UNITS.map((u) => `'${u}'`).join(', ')}].`);
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

// ---- calculations --------------------------------------------------------------------------------------

/** Where the original would have opened a path from config.yaml (see paths.ts). */
export interface FileContext {
  baseDir: string;
  /** The genconf directory; defaults to `<baseDir>/genconf`. */
  genconfDir?: string;
}

function readScript(ctx: FileContext, filename: string): string {
  const pathCtx = { baseDir: ctx.baseDir, genconfDir: ctx.genconfDir ?? path.join(ctx.baseDir, 'genconf') };
  const full = resolveConfigFile(filename, pathCtx).full;
  // The original crashed on a directory or unreadable/non-UTF-8 file; report it on the key instead. Only a
  // regular file within the script limit is read (a link to /dev/zero or a FIFO never ends otherwise).
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readInputFileSync(full, INPUT_LIMITS.script));
  } catch (err) {
    if (err instanceof TypeError) throw new RuleFailure(`ip-detect script \`${filename}\` must be UTF-8 text`);
    if (err instanceof InputFileError) {
      if (err.problem === 'missing') {
        throw new RuleFailure(
          `ip-detect script \`${filename}\` must exist: ${explainMissing(filename, pathCtx) ?? 'it could not be read'}`,
        );
      }
      if (err.problem === 'directory')
        throw new RuleFailure(`ip-detect script \`${filename}\` must be a file, not a directory`);
      throw new RuleFailure(`ip-detect script \`${filename}\` ${err.reason}`);
    }
    throw new RuleFailure(`ip-detect script \`${filename}\` could not be read: ${(err as Error).message}`);
  }
  // Python's text mode turns \r\n and \r into \n (universal newlines).
  return pyYamlDump(text.replace(/\r\n?/g, '\n'));
}

function calculateMesosLogRetentionCount(mb: string): string {
  const v = Number(pyInt(mb));
  return BigInt(Math.trunc(1 + ((v - 512) / 256) * 10)).toString();
}

function ip6ToErltuple(ip6: string): string {
  const exploded = explodeIPv6(ip6) ?? ip6;
  return '{16#' + exploded.replaceAll('000', '').replaceAll(':', ',16#') + '}';
}

const DEFAULT_OVERLAY = pyJsonDumps(
  pyJsonLoads(
    '{"vtep_subnet": "44.128.0.0/20", "vtep_subnet6": "fd01:a::/64", "vtep_mac_oui": "70:B3:D5:00:00:00", ' +
      '"overlays": [{"name": "dcos", "subnet": "9.0.0.0/8", "prefix": 24}, {"name": "dcos6", "subnet6": "fd01:b::/64", "prefix6": 80}]}',
  ),
);

const DEFAULT_REXRAY =
  '{"rexray": {"loglevel": "info", "modules": {"default-docker": {"disabled": true}}, "service": "vfs"}}';
const AWS_REXRAY =
  '{"rexray": {"loglevel": "info", "service": "ebs"}, "libstorage": {"server": {"tasks": {"logTimeout": "5m"}}, ' +
  '"integration": {"volume": {"operations": {"unmount": {"ignoreusedcount": true}}}}}}';

const MESOS_ISOLATION =
  'cgroups/cpu,cgroups/mem,cgroups/blkio,disk/du,network/cni,filesystem/linux,docker/runtime,docker/volume,' +
  'volume/sandbox_path,volume/secret,posix/rlimits,namespaces/pid,linux/capabilities,com_mesosphere_MetricsIsolatorModule';

const setOrNot = (v: string): string => (v === '' ? 'false' : 'true');

/** Arguments the bundle step computes from the build (commit, package list, …); the user may not set them. */
export const BUILD_MUSTS = [
  'dcos_image_commit',
  'template_filenames',
  'config_package_names',
  'package_ids',
  'cluster_packages',
  'cluster_package_list_id',
  'config_yaml',
  'config_yaml_full',
  'user_arguments',
  'user_arguments_full',
  'expanded_config',
  'expanded_config_full',
  'custom_check_bins_dir',
  'custom_check_bins_hash',
  'custom_check_bins_package_id',
  'custom_check_bins_package_name',
  'custom_check_bins_provided',
] as const;

export function dcosEntries(ctx: FileContext): Entry[] {
  const main: Entry = {
    validate: DCOS_RULES,
    default: {
      exhibitor_azure_account_key: '',
      aws_secret_access_key: '',
      bootstrap_tmp_dir: 'tmp',
      bootstrap_variant: '',
      dns_bind_ip_reserved: '["198.51.100.4"]',
      dns_bind_ip_blacklist: '[]',
      dns_forward_zones: '{}',
      use_proxy: 'false',
      weights: '',
      adminrouter_auth_enabled: calc(['oauth_enabled'], (a) => a.oauth_enabled!),
      adminrouter_tls_1_0_enabled: 'false',
      adminrouter_tls_1_1_enabled: 'false',
      adminrouter_tls_1_2_enabled: 'true',
      adminrouter_tls_cipher_suite: '',
      oauth_enabled: 'true',
      oauth_available: 'true',
      telemetry_enabled: 'true',
      check_time: 'true',
      enable_lb: 'true',
      enable_ipv6: 'true',
      docker_remove_delay: '1hrs',
      docker_stop_timeout: '20secs',
      gc_delay: '2days',
      ip_detect_contents: calc(['ip_detect_filename'], (a) => readScript(ctx, a.ip_detect_filename!)),
      ip_detect_public_filename: '',
      ip_detect_public_contents: calc(['ip_detect_contents', 'ip_detect_public_filename'], (a) =>
        a.ip_detect_public_filename !== '' ? readScript(ctx, a.ip_detect_public_filename!) : a.ip_detect_contents!,
      ),
      dns_search: '',
      auth_cookie_secure_flag: 'false',
      marathon_java_args: '',
      master_dns_bindall: 'true',
      mesos_dns_ip_sources: '["host", "netinfo"]',
      mesos_dns_set_truncate_bit: 'true',
      master_external_loadbalancer: '',
      mesos_log_retention_mb: '4000',
      mesos_container_log_sink: 'logrotate',
      mesos_max_completed_tasks_per_framework: '',
      mesos_recovery_timeout: '24hrs',
      oauth_issuer_url: 'https://dcos.auth0.com/',
      oauth_client_id: '3yF5TOSzdlI45Q1xspxzeoGBe9fNxm9m',
      oauth_auth_redirector: 'https://auth.dcos.io',
      oauth_auth_host: 'https://dcos.auth0.com',
      exhibitor_admin_password: '',
      ui_banner: 'false',
      ui_banner_background_color: '#1E232F',
      ui_banner_foreground_color: '#FFFFFF',
      ui_banner_header_title: 'null',
      ui_banner_header_content: 'null',
      ui_banner_footer_content: 'null',
      ui_banner_image_path: 'null',
      ui_banner_dismissible: 'null',
      dcos_net_cluster_identity: 'false',
      dcos_net_rest_enable: 'true',
      dcos_net_watchdog: 'true',
      dcos_cni_data_dir: '/var/run/dcos/cni/networks',
      dcos_overlay_config_attempts: '4',
      dcos_overlay_mtu: '1420',
      dcos_overlay_enable: 'true',
      dcos_overlay_network_json: calc(['dcos_overlay_network', 'enable_ipv6'], (a) =>
        calculateDcosOverlayNetworkJson(a.dcos_overlay_network!, a.enable_ipv6!),
      ),
      dcos_overlay_network: DEFAULT_OVERLAY,
      dcos_overlay_network_default_name: 'dcos',
      dcos_overlay_network6_default_name: 'dcos6',
      dcos_ucr_default_bridge_network_name: 'mesos-bridge',
      dcos_ucr_default_bridge_subnet: '172.31.254.0/24',
      dcos_remove_dockercfg_enable: 'false',
      dcos_l4lb_min_named_ip: '11.0.0.0',
      dcos_l4lb_max_named_ip: '11.255.255.255',
      dcos_l4lb_min_named_ip6: 'fd01:c::',
      dcos_l4lb_max_named_ip6: 'fd01:c::ffff:ffff:ffff:ffff',
      dcos_l4lb_enable_ipv6: 'false',
      dcos_l4lb_enable_ipset: 'true',
      no_proxy: '',
      rexray_config_preset: '',
      rexray_config: DEFAULT_REXRAY,
      enable_gpu_isolation: 'true',
      cluster_docker_registry_url: '',
      cluster_docker_credentials_dcos_owned: calc(['cluster_docker_credentials'], (a) =>
        a.cluster_docker_credentials === '{}' ? 'false' : 'true',
      ),
      cluster_docker_credentials_write_to_etc: 'false',
      cluster_docker_credentials_enabled: 'false',
      cluster_docker_credentials: '{}',
      gpus_are_scarce: 'true',
      check_config: calc(['check_time'], (a) => calculateCheckConfig(a.check_time!)),
      custom_checks: '{}',
      mesos_master_work_dir: '/var/lib/dcos/mesos/master',
      mesos_agent_work_dir: '/var/lib/mesos/slave',
      diagnostics_bundles_dir: '/var/lib/dcos/dcos-diagnostics/diag-bundles',
      fault_domain_detect_filename: 'genconf/fault-domain-detect',
      mesos_cni_root_dir_persist: 'false',
    },
    must: {
      fault_domain_enabled: 'false',
      custom_auth: 'false',
      master_quorum: calc(['num_masters'], (a) => (pyInt(a.num_masters!)! / 2n + 1n).toString()),
      dns_bind_ip_blacklist_json: calc(['dns_bind_ip_blacklist', 'dns_bind_ip_reserved'], (a) =>
        pyJsonDumps([...validateJsonList(a.dns_bind_ip_reserved!), ...validateJsonList(a.dns_bind_ip_blacklist!)]),
      ),
      resolvers_str: calc(['resolvers'], (a) => (pyJsonLoads(a.resolvers!) as string[]).join(',')),
      mesos_dns_resolvers_str: calc(['resolvers'], (a) =>
        (pyJsonLoads(a.resolvers!) as PyValue[]).length > 0 ? `"resolvers": ${a.resolvers}` : '"externalOn": false',
      ),
      mesos_log_retention_count: calc(['mesos_log_retention_mb'], (a) =>
        calculateMesosLogRetentionCount(a.mesos_log_retention_mb!),
      ),
      mesos_log_directory_max_files: calc(['mesos_log_retention_mb'], (a) =>
        (25n + BigInt(calculateMesosLogRetentionCount(a.mesos_log_retention_mb!))).toString(),
      ),
      mesos_agent_log_file: '/var/log/mesos/mesos-agent.log',
      mesos_master_log_file: '/var/lib/dcos/mesos/log/mesos-master.log',
      marathon_port: '8080',
      dcos_version: DCOS_VERSION,
      dcos_variant: 'open',
      dcos_gen_resolvconf_search_str: calc(['dns_search'], (a) =>
        a.dns_search!.length > 0 ? `SEARCH=${a.dns_search}` : '',
      ),
      curly_pound: '{#',
      exhibitor_static_ensemble: calc(['master_list'], (a) =>
        [...(pyJsonLoads(a.master_list!) as string[])]
          .sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
          .map((m, i) => `${i + 1}:${m}`)
          .join(','),
      ),
      exhibitor_admin_password_enabled: calc(['exhibitor_admin_password'], (a) =>
        a.exhibitor_admin_password ? 'true' : 'false',
      ),
      ui_branding: 'false',
      ui_external_links: 'false',
      ui_networking: 'false',
      ui_organization: 'false',
      ui_telemetry_metadata: '{"openBuild": true}',
      dcos_l4lb_forward_metrics: 'false',
      dcos_l4lb_min_named_ip_erltuple: calc(
        ['dcos_l4lb_min_named_ip'],
        (a) => `{${a.dcos_l4lb_min_named_ip!.replaceAll('.', ',')}}`,
      ),
      dcos_l4lb_max_named_ip_erltuple: calc(
        ['dcos_l4lb_max_named_ip'],
        (a) => `{${a.dcos_l4lb_max_named_ip!.replaceAll('.', ',')}}`,
      ),
      dcos_l4lb_min_named_ip6_erltuple: calc(['dcos_l4lb_min_named_ip6'], (a) =>
        ip6ToErltuple(a.dcos_l4lb_min_named_ip6!),
      ),
      dcos_l4lb_max_named_ip6_erltuple: calc(['dcos_l4lb_max_named_ip6'], (a) =>
        ip6ToErltuple(a.dcos_l4lb_max_named_ip6!),
      ),
      mesos_isolation: calc(
        ['enable_gpu_isolation'],
        (a) => MESOS_ISOLATION + (a.enable_gpu_isolation === 'true' ? ',cgroups/devices,gpu/nvidia' : ''),
      ),
      has_mesos_max_completed_tasks_per_framework: calc(['mesos_max_completed_tasks_per_framework'], (a) =>
        setOrNot(a.mesos_max_completed_tasks_per_framework!),
      ),
      mesos_hooks: calc(['dcos_remove_dockercfg_enable'], (a) =>
        a.dcos_remove_dockercfg_enable === 'true' ? 'com_mesosphere_dcos_RemoverHook' : '',
      ),
      use_mesos_hooks: calc(['mesos_hooks'], (a) => (a.mesos_hooks === '' ? 'false' : 'true')),
      rexray_config_contents: calc(['rexray_config'], (a) => pyYamlDump(pyYamlDump(pyJsonLoads(a.rexray_config!)))),
      no_proxy_final: calc(['no_proxy'], (a) =>
        ['.mesos,.thisdcos.directory,.dcos.directory,.zk,127.0.0.1,localhost', ...validateJsonList(a.no_proxy!)].join(
          ',',
        ),
      ),
      cluster_docker_credentials_path: calc(['cluster_docker_credentials_dcos_owned'], (a) =>
        a.cluster_docker_credentials_dcos_owned === 'true'
          ? '/opt/mesosphere/etc/docker_credentials'
          : '/etc/mesosphere/docker_credentials',
      ),
      cluster_docker_registry_enabled: calc(['cluster_docker_registry_url'], (a) =>
        a.cluster_docker_registry_url === '' ? 'false' : 'true',
      ),
      has_master_external_loadbalancer: calc(['master_external_loadbalancer'], (a) =>
        setOrNot(a.master_external_loadbalancer!),
      ),
      profile_symlink_source: '/opt/mesosphere/bin/add_dcos_path.sh',
      profile_symlink_target: '/etc/profile.d/dcos.sh',
      profile_symlink_target_dir: calc(['profile_symlink_target'], (a) =>
        path.posix.dirname(a.profile_symlink_target!),
      ),
      fair_sharing_excluded_resource_names: calc(['gpus_are_scarce'], (a) =>
        a.gpus_are_scarce === 'true' ? 'gpus' : '',
      ),
      check_config_contents: calc(
        ['check_config', 'custom_checks', 'check_search_path', 'check_ld_library_path'],
        (a) =>
          calculateCheckConfigContents(
            a.check_config!,
            a.custom_checks!,
            a.check_search_path!,
            a.check_ld_library_path!,
          ),
      ),
      check_ld_library_path: '/opt/mesosphere/lib',
      check_search_path: '/opt/mesosphere/bin:/usr/bin:/bin:/sbin',
      adminrouter_tls_version_override: calc(
        ['adminrouter_tls_1_0_enabled', 'adminrouter_tls_1_1_enabled', 'adminrouter_tls_1_2_enabled'],
        (a) =>
          [
            a.adminrouter_tls_1_0_enabled === 'true' ? 'TLSv1' : '',
            a.adminrouter_tls_1_1_enabled === 'true' ? 'TLSv1.1' : '',
            a.adminrouter_tls_1_2_enabled === 'true' ? 'TLSv1.2' : '',
          ]
            .filter((x) => x)
            .join(' '),
      ),
      adminrouter_tls_cipher_override: calc(['adminrouter_tls_cipher_suite'], (a) =>
        a.adminrouter_tls_cipher_suite !== '' ? 'true' : 'false',
      ),
      licensing_enabled: 'false',
      ...Object.fromEntries(BUILD_MUSTS.map((k) => [k, ''])),
    },
    conditional: {
      master_discovery: {
        master_http_loadbalancer: {},
        static: {
          must: {
            num_masters: calc(['master_list'], (a) => String((pyJsonLoads(a.master_list!) as PyValue[]).length)),
          },
        },
      },
      rexray_config_preset: { '': {}, aws: { must: { rexray_config: AWS_REXRAY } } },
    },
  };
  // The on-prem (bash) installer's own source.
  const onprem: Entry = {
    default: {
      platform: 'onprem',
      resolvers: '["8.8.8.8", "8.8.4.4"]',
      ip_detect_filename: 'genconf/ip-detect',
      enable_docker_gc: 'false',
      bootstrap_id: '',
    },
    must: { provider: 'onprem' },
  };
  return [main, onprem];
}

const TF = (t: TargetSpec = { variables: [] }): ReadonlyArray<readonly [string, TargetSpec]> => [
  ['true', t],
  ['false', { variables: [] }],
];

/** What the config package templates need (the `--genconf` target). */
export const DCOS_TARGET: TargetSpec = {
  variables: [
    'cluster_name',
    'bootstrap_url',
    'bootstrap_variant',
    'bootstrap_tmp_dir',
    'provider',
    'platform',
    'dcos_version',
    'dcos_variant',
    'ip_detect_filename',
    'ip_detect_contents',
    'ip_detect_public_filename',
    'ip_detect_public_contents',
    'num_masters',
    'master_quorum',
    'resolvers',
    'resolvers_str',
    'mesos_dns_resolvers_str',
    'mesos_dns_ip_sources',
    'mesos_dns_set_truncate_bit',
    'dns_bind_ip_reserved',
    'dns_bind_ip_blacklist',
    'dns_bind_ip_blacklist_json',
    'dns_forward_zones',
    'dns_search',
    'dcos_gen_resolvconf_search_str',
    'master_external_loadbalancer',
    'has_master_external_loadbalancer',
    'check_time',
    'check_config',
    'custom_checks',
    'check_config_contents',
    'check_search_path',
    'check_ld_library_path',
    'curly_pound',
    'custom_auth',
    'licensing_enabled',
    'marathon_port',
    'marathon_java_args',
    'mesos_master_log_file',
    'mesos_agent_log_file',
    'mesos_master_work_dir',
    'mesos_agent_work_dir',
    'diagnostics_bundles_dir',
    'mesos_isolation',
    'enable_gpu_isolation',
    'gpus_are_scarce',
    'fair_sharing_excluded_resource_names',
    'mesos_log_retention_mb',
    'mesos_log_retention_count',
    'mesos_log_directory_max_files',
    'mesos_container_log_sink',
    'mesos_max_completed_tasks_per_framework',
    'has_mesos_max_completed_tasks_per_framework',
    'mesos_recovery_timeout',
    'mesos_cni_root_dir_persist',
    'mesos_hooks',
    'use_mesos_hooks',
    'docker_remove_delay',
    'docker_stop_timeout',
    'gc_delay',
    'weights',
    'dcos_net_cluster_identity',
    'dcos_net_rest_enable',
    'dcos_net_watchdog',
    'enable_lb',
    'dcos_l4lb_forward_metrics',
    'dcos_l4lb_enable_ipv6',
    'dcos_l4lb_enable_ipset',
    'dcos_l4lb_min_named_ip',
    'dcos_l4lb_max_named_ip',
    'dcos_l4lb_min_named_ip6',
    'dcos_l4lb_max_named_ip6',
    'dcos_l4lb_min_named_ip_erltuple',
    'dcos_l4lb_max_named_ip_erltuple',
    'dcos_l4lb_min_named_ip6_erltuple',
    'dcos_l4lb_max_named_ip6_erltuple',
    'dcos_cni_data_dir',
    'dcos_overlay_mtu',
    'dcos_overlay_config_attempts',
    'dcos_overlay_network',
    'dcos_overlay_network_json',
    'dcos_overlay_network_default_name',
    'dcos_overlay_network6_default_name',
    'dcos_ucr_default_bridge_network_name',
    'dcos_ucr_default_bridge_subnet',
    'adminrouter_auth_enabled',
    'adminrouter_tls_1_0_enabled',
    'adminrouter_tls_1_1_enabled',
    'adminrouter_tls_1_2_enabled',
    'adminrouter_tls_version_override',
    'adminrouter_tls_cipher_suite',
    'adminrouter_tls_cipher_override',
    'oauth_available',
    'oauth_auth_host',
    'oauth_auth_redirector',
    'oauth_client_id',
    'oauth_issuer_url',
    'telemetry_enabled',
    'ui_banner',
    'ui_banner_background_color',
    'ui_banner_foreground_color',
    'ui_banner_header_title',
    'ui_banner_header_content',
    'ui_banner_footer_content',
    'ui_banner_image_path',
    'ui_banner_dismissible',
    'ui_branding',
    'ui_external_links',
    'ui_telemetry_metadata',
    'exhibitor_admin_password',
    'exhibitor_admin_password_enabled',
    'cluster_docker_credentials',
    'cluster_docker_credentials_dcos_owned',
    'cluster_docker_credentials_write_to_etc',
    'cluster_docker_registry_url',
    'cluster_docker_registry_enabled',
    'rexray_config',
    'rexray_config_contents',
    'rexray_config_preset',
    'profile_symlink_source',
    'profile_symlink_target',
    'profile_symlink_target_dir',
    ...BUILD_MUSTS,
  ],
  switches: [
    [
      'exhibitor_storage_backend',
      [
        ['agent_only_group_no_exhibitor', { variables: [] }],
        [
          'aws_s3',
          {
            variables: ['aws_region', 's3_bucket', 's3_prefix'],
            switches: [['exhibitor_explicit_keys', TF({ variables: ['aws_access_key_id', 'aws_secret_access_key'] })]],
          },
        ],
        ['shared_filesystem', { variables: ['exhibitor_fs_config_dir'] }],
        ['static', { variables: ['exhibitor_static_ensemble'] }],
        ['zookeeper', { variables: ['exhibitor_zk_hosts', 'exhibitor_zk_path'] }],
        [
          'azure',
          { variables: ['exhibitor_azure_account_name', 'exhibitor_azure_prefix', 'exhibitor_azure_account_key'] },
        ],
      ],
    ],
    [
      'master_discovery',
      [
        ['master_http_loadbalancer', { variables: ['exhibitor_address'] }],
        ['static', { variables: ['master_list'] }],
      ],
    ],
    ['use_proxy', TF({ variables: ['http_proxy', 'https_proxy', 'no_proxy_final'] })],
    ['enable_docker_gc', TF()],
    ['oauth_enabled', TF()],
    ['master_dns_bindall', TF()],
    ['dcos_overlay_enable', TF()],
    ['dcos_remove_dockercfg_enable', TF()],
    ['enable_ipv6', TF()],
    ['cluster_docker_credentials_enabled', TF({ variables: ['cluster_docker_credentials_path'] })],
    ['fault_domain_enabled', TF()],
  ],
};

/** Every key DC/OS 1.11 (open) knows for the genconf target: settable or calculated. */
export function dcosKnownKeys(): Set<string> {
  const keys = new Set<string>();
  const addTarget = (t: TargetSpec): void => {
    t.variables.forEach((v) => keys.add(v));
    for (const [name, cases] of t.switches ?? []) {
      keys.add(name);
      cases.forEach(([, sub]) => addTarget(sub));
    }
  };
  addTarget(DCOS_TARGET);
  const addEntry = (e: Entry): void => {
    Object.keys(e.default ?? {}).forEach((k) => keys.add(k));
    Object.keys(e.must ?? {}).forEach((k) => keys.add(k));
    (e.validate ?? []).forEach((r) => r.params.forEach((p) => keys.add(p)));
    for (const [name, cases] of Object.entries(e.conditional ?? {})) {
      keys.add(name);
      Object.values(cases).forEach(addEntry);
    }
  };
  dcosEntries({ baseDir: '/' }).forEach(addEntry);
  return keys;
}
