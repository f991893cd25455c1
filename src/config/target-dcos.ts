/**
 * What the DC/OS 1.11 config package templates need (the `--genconf` target): the variables they print and the
 * switches they branch on. Only these keys (and what they depend on) are resolved and judged, as in the original.
 */
import type { Entry, TargetSpec } from './engine.js';
import { BUILD_MUSTS, dcosEntries } from './defaults-dcos.js';

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
