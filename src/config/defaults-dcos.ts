/**
 * DC/OS 1.11 (branch tip) defaults and calculated (`must`) arguments of the genconf keys, with the conditional
 * ones (master_discovery, rexray_config_preset). Facts from gen/calc.py and gen/internals.py. A literal default is
 * written once, as the key's `default` in schema/config.schema.json; here are the defaults computed from other
 * keys and the calculated keys. The rules these entries carry are rules-dcos.ts.
 */
import path from 'node:path';
import { RuleFailure, type ConfigValues, type Calc, type Entry } from './engine.js';
import { explodeIPv6, pyInt, validateJsonList } from './validators.js';
import { calculateCheckConfig, calculateCheckConfigContents } from './dcos-health-checks.js';
import { calculateDcosOverlayNetworkJson } from './overlay.js';
import { type PyValue } from '../pycompat/py.js';
import { pyJsonDumps, pyJsonLoads } from '../pycompat/json.js';
import { pyYamlDump } from '../pycompat/yaml-dump.js';
import { DCOS_VERSION } from '../dcos-version.js';
import { InputReadError, readIpDetectScript, type FileContext } from './inputs.js';
import { DCOS_RULES } from './rules-dcos.js';
import { nodeRules } from './rules-node.js';
import { schemaDefaults } from './schema.js';
import { SSH_KEYS } from './rules-ssh.js';
import { GENCONF_OWN_KEYS } from './rules-genconf.js';

/** Keys whose defaults other code declares once (ssh-settings.ts, rules-genconf.ts): not taken from the schema. */
const OTHER_OWNERS: ReadonlySet<string> = new Set<string>([...SSH_KEYS, ...GENCONF_OWN_KEYS]);

let literalDefaults: Readonly<Record<string, string>> | undefined;

/** The schema's defaults of the DC/OS keys, as 1.11 strings (converted once per process). */
function schemaLiteralDefaults(): Readonly<Record<string, string>> {
  literalDefaults ??= schemaDefaults(OTHER_OWNERS);
  return literalDefaults;
}

function calc(params: readonly string[], fn: (a: ConfigValues) => string): Calc {
  return { params, fn };
}

/** A calculation only generating reads (Calc.deferred): `--validate-config` never pays for it. */
function later(params: readonly string[], fn: (a: ConfigValues) => string): Calc {
  return { params, fn, deferred: true };
}

function calculateMesosLogRetentionCount(mb: string): string {
  const v = Number(pyInt(mb));
  return BigInt(Math.trunc(1 + ((v - 512) / 256) * 10)).toString();
}

function ip6ToErltuple(ip6: string): string {
  const exploded = explodeIPv6(ip6) ?? ip6;
  return '{16#' + exploded.replaceAll('000', '').replaceAll(':', ',16#') + '}';
}

const AWS_REXRAY =
  '{"rexray": {"loglevel": "info", "service": "ebs"}, "libstorage": {"server": {"tasks": {"logTimeout": "5m"}}, ' +
  '"integration": {"volume": {"operations": {"unmount": {"ignoreusedcount": true}}}}}}';

const MESOS_ISOLATION =
  'cgroups/cpu,cgroups/mem,cgroups/blkio,disk/du,network/cni,filesystem/linux,docker/runtime,docker/volume,' +
  'volume/sandbox_path,volume/secret,posix/rlimits,namespaces/pid,linux/capabilities,com_mesosphere_MetricsIsolatorModule';

const setOrNot = (v: string): string => (v === '' ? 'false' : 'true');

/** ConfigValues the bundle step computes from the build (commit, package list, …); the user may not set them. */
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

/** What the entries need from outside config.yaml: where files are, and what genconf/check_bins/ became. */
export interface DcosInputs extends FileContext {
  /** The custom check binaries' package id, when genconf/check_bins/ exists (it joins the check search path). */
  checkBinsPackageId?: string;
}

/** The script as the templates embed it (`yaml.dump` of its text); a read problem is the key's error. */
function scriptArgument(ctx: FileContext, filename: string): string {
  try {
    return pyYamlDump(readIpDetectScript(ctx, filename));
  } catch (err) {
    if (err instanceof InputReadError) throw new RuleFailure(err.message);
    throw err;
  }
}

/** Where the node looks for check executables; with custom check binaries, their package's directory too. */
export const DEFAULT_CHECK_SEARCH_PATH = '/opt/mesosphere/bin:/usr/bin:/bin:/sbin';

export function dcosEntries(ctx: DcosInputs): Entry[] {
  const main: Entry = {
    validate: [...DCOS_RULES, ...nodeRules()],
    default: {
      // Literal defaults live in the schema (its `default`); here only those computed from other keys.
      ...schemaLiteralDefaults(),
      adminrouter_auth_enabled: calc(['oauth_enabled'], (a) => a.oauth_enabled!),
      ip_detect_contents: calc(['ip_detect_filename'], (a) => scriptArgument(ctx, a.ip_detect_filename!)),
      ip_detect_public_contents: calc(['ip_detect_contents', 'ip_detect_public_filename'], (a) =>
        a.ip_detect_public_filename !== '' ? scriptArgument(ctx, a.ip_detect_public_filename!) : a.ip_detect_contents!,
      ),
      dcos_overlay_network_json: calc(['dcos_overlay_network', 'enable_ipv6'], (a) =>
        calculateDcosOverlayNetworkJson(a.dcos_overlay_network!, a.enable_ipv6!),
      ),
      cluster_docker_credentials_dcos_owned: calc(['cluster_docker_credentials'], (a) =>
        a.cluster_docker_credentials === '{}' ? 'false' : 'true',
      ),
      check_config: calc(['check_time'], (a) => calculateCheckConfig(a.check_time!)),
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
      // Only generating reads it (and it cannot fail: rexray_config passed its JSON rule): computed on first read.
      rexray_config_contents: later(['rexray_config'], (a) => pyYamlDump(pyYamlDump(pyJsonLoads(a.rexray_config!)))),
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
      // Only generating reads it; both check texts passed their shape rules first, so it cannot fail.
      check_config_contents: later(
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
      check_search_path:
        ctx.checkBinsPackageId === undefined
          ? DEFAULT_CHECK_SEARCH_PATH
          : `${DEFAULT_CHECK_SEARCH_PATH}:/opt/mesosphere/packages/${ctx.checkBinsPackageId}`,
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
    default: { bootstrap_id: '' },
    must: { provider: 'onprem' },
  };
  return [main, onprem];
}
