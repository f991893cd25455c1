/**
 * What the DC/OS 1.11 config package templates need (the `--genconf` target): the variables they print and the
 * switches they branch on. Only these keys (and what they depend on) are resolved and judged, as in the original.
 * A key printed outside any switch is marked in schema/config.schema.json (`"x-template": true`), not listed here.
 */
import type { Entry, TargetSpec } from './engine.js';
import { BUILD_MUSTS, dcosEntries } from './defaults-dcos.js';
import { templateKeys } from './schema.js';

const TF = (t: TargetSpec = { variables: [] }): ReadonlyArray<readonly [string, TargetSpec]> => [
  ['true', t],
  ['false', { variables: [] }],
];

/** The `{% switch %}` variables of the templates, their cases in template order, and what each case prints. */
const SWITCHES: NonNullable<TargetSpec['switches']> = [
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
];

let target: TargetSpec | undefined;

/**
 * What the config package templates need (the `--genconf` target). The keys they print outside any switch are
 * those the schema marks `"x-template": true`, and the build's own values; what each switch case prints is here.
 */
export function dcosTarget(): TargetSpec {
  target ??= { variables: [...templateKeys(), ...BUILD_MUSTS], switches: SWITCHES };
  return target;
}

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
  addTarget(dcosTarget());
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
