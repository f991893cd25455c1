/**
 * Backend and switch variants. Each starts from the reference config's arguments with the overrides the
 * validator would produce for that config.yaml, asserts the exact lines or keys that must change, and keeps
 * a golden record of every file that differs from the reference render (UPDATE_GOLDEN=1 rewrites it).
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BundleEntry, renderConfigPackage } from '../../../src/bundle/render/index.js';
import {
  UPDATE,
  byPath,
  contentOf,
  contextFor,
  envPairs,
  goldenDir,
  listFiles,
  readModes,
  referenceArgs,
  referenceUserArgs,
  updateGolden,
} from './helpers.js';

interface Variant {
  args?: Record<string, string>;
  /** Keys to drop: the original never calculated them for this config. */
  drop?: string[];
  user?: Record<string, string>;
  check: (files: Files) => void;
}

class Files {
  readonly map: Map<string, BundleEntry>;
  constructor(readonly entries: BundleEntry[]) {
    this.map = byPath(entries);
  }
  has(path: string): boolean {
    return this.map.has(path);
  }
  text(path: string): string {
    const e = this.map.get(path);
    if (!e) throw new Error(`${path} was not rendered`);
    return contentOf(e);
  }
  mode(path: string): string {
    return this.map.get(path)!.mode.toString(8);
  }
  env(path: string): string[] {
    return envPairs(this.text(path));
  }
  json(path: string): unknown {
    return JSON.parse(this.text(path));
  }
  expanded(full = false): Record<string, string> {
    return JSON.parse(this.text(full ? 'etc/expanded.config.full.json' : 'etc/expanded.config.json')) as Record<
      string,
      string
    >;
  }
}

function render(v: Pick<Variant, 'args' | 'drop' | 'user'>): Files {
  const args: Record<string, string> = { ...referenceArgs(), ...v.args };
  for (const k of v.drop ?? []) delete args[k];
  const user = { ...referenceUserArgs(), ...v.user };
  return new Files(renderConfigPackage(args, user, contextFor(args)));
}

const base = render({});
const ZK = 'zk-1.example.com:2181,zk-2.example.com:2181';

const variants: Record<string, Variant> = {
  'zookeeper-backend': {
    args: { exhibitor_storage_backend: 'zookeeper', exhibitor_zk_hosts: ZK, exhibitor_zk_path: '/dcos-cluster' },
    drop: ['exhibitor_static_ensemble'],
    check: (f) => {
      expect(f.text('etc/exhibitor')).toBe(
        `EXHIBITOR_BACKEND=ZK\nZK_CONFIG_CONNECT=${ZK}\nZK_CONFIG_ZPATH=/dcos-cluster\n`,
      );
      expect(f.has('etc/exhibitor.properties')).toBe(false);
    },
  },
  'aws-s3-explicit-keys': {
    args: {
      exhibitor_storage_backend: 'aws_s3',
      aws_region: 'us-west-2',
      s3_bucket: 'my-bucket',
      s3_prefix: 'my-prefix',
      exhibitor_explicit_keys: 'true',
      aws_access_key_id: 'AKIAEXAMPLE',
      aws_secret_access_key: 'wJalrXUtnFEMI/K7MDENG',
    },
    user: { exhibitor_storage_backend: 'aws_s3', aws_secret_access_key: 'wJalrXUtnFEMI/K7MDENG' },
    drop: ['exhibitor_static_ensemble'],
    check: (f) => {
      expect(f.text('etc/exhibitor')).toBe(
        'EXHIBITOR_BACKEND=AWS_S3\nAWS_REGION=us-west-2\nAWS_S3_BUCKET=my-bucket\nAWS_S3_PREFIX=my-prefix\n',
      );
      expect(f.text('etc/exhibitor.properties')).toBe(
        'com.netflix.exhibitor.s3.access-key-id=AKIAEXAMPLE\ncom.netflix.exhibitor.s3.access-secret-key=wJalrXUtnFEMI/K7MDENG\n',
      );
      expect(f.mode('etc/exhibitor.properties')).toBe('600');
      expect(f.text('etc/user.config.yaml')).toContain('"aws_secret_access_key": |-\n  **HIDDEN**\n');
      expect(f.expanded()).not.toHaveProperty('aws_secret_access_key');
      expect(f.expanded(true).aws_secret_access_key).toBe('wJalrXUtnFEMI/K7MDENG');
    },
  },
  'aws-s3-instance-profile': {
    args: {
      exhibitor_storage_backend: 'aws_s3',
      aws_region: 'eu-central-1',
      s3_bucket: 'b',
      s3_prefix: 'p',
      exhibitor_explicit_keys: 'false',
    },
    drop: ['exhibitor_static_ensemble'],
    check: (f) => {
      expect(f.env('etc/exhibitor')).toEqual([
        'EXHIBITOR_BACKEND=AWS_S3',
        'AWS_REGION=eu-central-1',
        'AWS_S3_BUCKET=b',
        'AWS_S3_PREFIX=p',
      ]);
      expect(f.has('etc/exhibitor.properties')).toBe(false);
    },
  },
  'azure-backend': {
    args: {
      exhibitor_storage_backend: 'azure',
      exhibitor_azure_account_name: 'acct',
      exhibitor_azure_account_key: 'a2V5a2V5',
      exhibitor_azure_prefix: 'dcos',
    },
    user: { exhibitor_azure_account_key: 'a2V5a2V5' },
    drop: ['exhibitor_static_ensemble'],
    check: (f) => {
      expect(f.text('etc/exhibitor')).toBe(
        'EXHIBITOR_BACKEND=AZURE\nAZURE_CONTAINER=dcos-exhibitor\nAZURE_PREFIX=dcos\n',
      );
      expect(f.text('etc/exhibitor.properties')).toBe(
        'com.netflix.exhibitor.azure.account-name=acct\ncom.netflix.exhibitor.azure.account-key=a2V5a2V5\n',
      );
      expect(f.text('etc/user.config.full.yaml')).toContain('"exhibitor_azure_account_key": |-\n  a2V5a2V5\n');
      expect(f.text('etc/user.config.yaml')).toContain('"exhibitor_azure_account_key": |-\n  **HIDDEN**\n');
    },
  },
  'shared-filesystem-backend': {
    args: { exhibitor_storage_backend: 'shared_filesystem', exhibitor_fs_config_dir: '/mnt/exhibitor' },
    drop: ['exhibitor_static_ensemble'],
    check: (f) => {
      expect(f.text('etc/exhibitor')).toBe('EXHIBITOR_BACKEND=SHARED_FS\nEXHIBITOR_FSCONFIGDIR=/mnt/exhibitor\n');
    },
  },
  'agent-only-group': {
    args: { exhibitor_storage_backend: 'agent_only_group_no_exhibitor' },
    drop: ['exhibitor_static_ensemble'],
    check: (f) => {
      expect(f.text('etc/exhibitor')).toBe(
        '# File intentionally has no settings - Exhibitor is not used on DC/OS Agents\n',
      );
      expect(f.env('etc/exhibitor')).toEqual([]);
    },
  },
  'master-http-loadbalancer': {
    args: {
      master_discovery: 'master_http_loadbalancer',
      exhibitor_address: 'internal-lb.example.com',
      num_masters: '5',
      master_quorum: '3',
      exhibitor_storage_backend: 'zookeeper',
      exhibitor_zk_hosts: ZK,
      exhibitor_zk_path: '/dcos',
      master_external_loadbalancer: 'public-lb.example.com',
      has_master_external_loadbalancer: 'true',
    },
    drop: ['master_list', 'exhibitor_static_ensemble'],
    check: (f) => {
      expect(f.text('etc/dns_config')).toBe(
        'MASTER_SOURCE=exhibitor_uri\nEXHIBITOR_URI=http://internal-lb.example.com:8181/exhibitor/v1/cluster/status\n' +
          'EXHIBITOR_ADDRESS=internal-lb.example.com\nRESOLVERS=8.8.8.8,8.8.4.4\n',
      );
      expect(f.text('etc_master/dns_config_master')).toBe(
        'MASTER_SOURCE=exhibitor_uri\nEXHIBITOR_URI=http://127.0.0.1:8181/exhibitor/v1/cluster/status\nEXHIBITOR_ADDRESS=127.0.0.1\n',
      );
      expect(f.text('etc/extra_master_addresses')).toBe(
        'INTERNAL_MASTER_LB_DNSNAME=internal-lb.example.com\nMASTER_LB_DNSNAME=public-lb.example.com\n',
      );
      expect(f.has('etc/master_list')).toBe(false);
      expect(f.text('etc_master/master_count')).toBe('5\n');
      expect(f.env('etc/mesos-master')).toContain('MESOS_QUORUM=3');
    },
  },
  'static-with-external-loadbalancer': {
    args: { master_external_loadbalancer: 'lb.example.com', has_master_external_loadbalancer: 'true' },
    check: (f) => {
      expect(f.text('etc/extra_master_addresses')).toBe('MASTER_LB_DNSNAME=lb.example.com\n');
      expect(f.text('etc/master_list')).toBe('["10.0.0.1", "10.0.0.2", "10.0.0.3"]\n');
    },
  },
  'use-proxy': {
    args: {
      use_proxy: 'true',
      http_proxy: 'http://proxy.example.com:3128',
      https_proxy: 'https://proxy.example.com:3128',
      no_proxy: '["internal.example.com", "10.0.0.0/8"]',
      no_proxy_final:
        '.mesos,.thisdcos.directory,.dcos.directory,.zk,127.0.0.1,localhost,internal.example.com,10.0.0.0/8',
    },
    check: (f) => {
      expect(f.text('etc/proxy.env')).toBe(
        'http_proxy=http://proxy.example.com:3128\nhttps_proxy=https://proxy.example.com:3128\n' +
          'no_proxy=".mesos,.thisdcos.directory,.dcos.directory,.zk,127.0.0.1,localhost,internal.example.com,10.0.0.0/8"\n',
      );
      // 1.11 kept the proxy out of the agent's own settings: it is an EnvironmentFile of the units.
      expect(f.text('etc/mesos-slave-common')).not.toMatch(/proxy/i);
    },
  },
  'docker-credentials-dcos-owned': {
    args: {
      cluster_docker_credentials: '{"auths": {"https://index.docker.io/v1/": {"auth": "dXNlcjpwYXNz"}}}',
      cluster_docker_credentials_dcos_owned: 'true',
      cluster_docker_credentials_enabled: 'true',
      cluster_docker_registry_url: 'https://registry.example.com',
      cluster_docker_registry_enabled: 'true',
    },
    user: { cluster_docker_credentials: '{"auths": {"https://index.docker.io/v1/": {"auth": "dXNlcjpwYXNz"}}}' },
    check: (f) => {
      expect(f.text('etc/docker_credentials')).toBe(
        '{"auths": {"https://index.docker.io/v1/": {"auth": "dXNlcjpwYXNz"}}}\n',
      );
      expect(f.mode('etc/docker_credentials')).toBe('600');
      const env = f.env('etc/mesos-slave-common');
      expect(env).toContain('MESOS_DOCKER_CONFIG=file:///opt/mesosphere/etc/docker_credentials');
      expect(env).toContain('MESOS_DOCKER_REGISTRY=https://registry.example.com');
      expect(f.text('etc/user.config.yaml')).toContain('"cluster_docker_credentials": |-\n  **HIDDEN**\n');
      expect(f.expanded()).not.toHaveProperty('cluster_docker_credentials');
    },
  },
  'docker-credentials-host-owned': {
    args: {
      cluster_docker_credentials_dcos_owned: 'false',
      cluster_docker_credentials_enabled: 'true',
    },
    check: (f) => {
      expect(f.has('etc/docker_credentials')).toBe(false);
      expect(f.env('etc/mesos-slave-common')).toContain(
        'MESOS_DOCKER_CONFIG=file:///etc/mesosphere/docker_credentials',
      );
      expect(f.env('etc/mesos-slave-common').some((l) => l.startsWith('MESOS_DOCKER_REGISTRY='))).toBe(false);
    },
  },
  'rexray-custom': {
    args: {
      rexray_config:
        '{"rexray": {"loglevel": "debug", "storageDrivers": ["ebs"], "modules": {"default-docker": {"disabled": false}}}, "libstorage": {"server": {"services": {"ebs": {"driver": "ebs"}}}, "integration": {"volume": {"operations": {"unmount": {"ignoreusedcount": true}}}}}}',
      rexray_config_preset: 'aws',
    },
    check: (f) => {
      expect(f.text('etc/rexray.conf')).toBe(
        [
          'libstorage:',
          '  integration:',
          '    volume:',
          '      operations:',
          '        unmount:',
          '          ignoreusedcount: true',
          '  server:',
          '    services:',
          '      ebs:',
          '        driver: ebs',
          'rexray:',
          '  loglevel: debug',
          '  modules:',
          '    default-docker:',
          '      disabled: false',
          '  storageDrivers:',
          '  - ebs',
          '',
        ].join('\n'),
      );
    },
  },
  'mesos-hooks-and-max-completed-tasks': {
    args: {
      mesos_hooks: 'com_mesosphere_dcos_Hook',
      use_mesos_hooks: 'true',
      mesos_max_completed_tasks_per_framework: '20',
      has_mesos_max_completed_tasks_per_framework: 'true',
    },
    check: (f) => {
      expect(f.env('etc/mesos-slave-common')).toContain('MESOS_HOOKS=com_mesosphere_dcos_Hook');
      expect(f.env('etc/mesos-master')).toContain('MESOS_MAX_COMPLETED_TASKS_PER_FRAMEWORK=20');
    },
  },
  'gpu-isolation-off': {
    args: {
      enable_gpu_isolation: 'false',
      gpus_are_scarce: 'false',
      fair_sharing_excluded_resource_names: '',
      mesos_isolation:
        'cgroups/cpu,cgroups/mem,cgroups/blkio,disk/du,network/cni,filesystem/linux,docker/runtime,docker/volume,volume/sandbox_path,volume/secret,posix/rlimits,namespaces/pid,linux/capabilities,com_mesosphere_MetricsIsolatorModule',
    },
    check: (f) => {
      const master = f.env('etc/mesos-master');
      expect(master).toContain('MESOS_FAIR_SHARING_EXCLUDED_RESOURCE_NAMES=');
      expect(master).toContain('MESOS_FILTER_GPU_RESOURCES=false');
      const iso = f.env('etc/mesos-slave-common').find((l) => l.startsWith('MESOS_ISOLATION='))!;
      expect(iso).not.toContain('gpu/nvidia');
      expect(iso).not.toContain('cgroups/devices');
    },
  },
  'dns-search-and-options': {
    args: {
      dns_search: 'mesos example.com',
      dcos_gen_resolvconf_search_str: 'SEARCH=mesos example.com',
      master_dns_bindall: 'false',
      dns_forward_zones: '{"a.example.com": ["1.1.1.1:53"]}',
      dns_bind_ip_blacklist_json: '["198.51.100.4", "10.1.1.1"]',
      resolvers: '[]',
      resolvers_str: '',
      mesos_dns_resolvers_str: '"externalOn": false',
      mesos_dns_set_truncate_bit: 'false',
    },
    check: (f) => {
      expect(f.text('etc/dns_search_config')).toBe('SEARCH=mesos example.com\n');
      expect(f.json('etc_master/dcos-dns.json')).toEqual({
        bind_interface: 'spartan',
        upstream_resolvers: [],
        udp_port: 53,
        tcp_port: 53,
        bind_ip_blacklist: ['198.51.100.4', '10.1.1.1'],
        forward_zones: { 'a.example.com': ['1.1.1.1:53'] },
      });
      const mesosDns = f.json('etc/mesos-dns.json') as Record<string, unknown>;
      expect(mesosDns.externalOn).toBe(false);
      expect(mesosDns).not.toHaveProperty('resolvers');
      expect(mesosDns.SetTruncateBit).toBe(false);
      expect(f.text('etc/dns_config')).toBe('MASTER_SOURCE=master_list\nRESOLVERS=\n');
    },
  },
  'oauth-off': {
    args: { oauth_enabled: 'false', adminrouter_auth_enabled: 'false', telemetry_enabled: 'false' },
    check: (f) => {
      expect(f.text('etc/adminrouter.env')).toBe('ADMINROUTER_ACTIVATE_AUTH_MODULE=false\n');
      const ui = f.json('etc/ui-config.json') as { uiConfiguration: { plugins: Record<string, unknown> } };
      expect(ui.uiConfiguration.plugins.oauth).toEqual({ enabled: false, authHost: 'https://dcos.auth0.com' });
      expect(ui.uiConfiguration.plugins.tracking).toEqual({ enabled: false, metadata: { openBuild: true } });
      expect((f.json('etc/dcos-signal-config.json') as Record<string, unknown>).enabled).toBe('false');
    },
  },
  'oauth-unavailable': {
    args: { oauth_available: 'false', oauth_enabled: 'false', adminrouter_auth_enabled: 'false' },
    check: (f) => {
      const ui = f.json('etc/ui-config.json') as { uiConfiguration: { plugins: Record<string, unknown> } };
      expect(ui.uiConfiguration.plugins.oauth).toEqual({ enabled: false });
      expect(ui.uiConfiguration.plugins.authentication).toEqual({ enabled: false });
    },
  },
  'adminrouter-tls': {
    args: {
      adminrouter_tls_1_0_enabled: 'true',
      adminrouter_tls_1_1_enabled: 'true',
      adminrouter_tls_version_override: 'TLSv1 TLSv1.1 TLSv1.2',
      adminrouter_tls_cipher_override: 'true',
      adminrouter_tls_cipher_suite: 'ECDHE-RSA-AES128-GCM-SHA256',
    },
    check: (f) => {
      const conf = f.text('etc/adminrouter-tls-master.conf');
      expect(conf).toContain('\nssl_protocols TLSv1 TLSv1.1 TLSv1.2;\n');
      expect(conf).toContain('\nssl_ciphers ECDHE-RSA-AES128-GCM-SHA256;\n');
      // The agent's Admin Router serves only cluster-internal clients: fixed to TLS 1.2.
      expect(f.text('etc/adminrouter-tls-agent.conf')).toContain('ssl_protocols TLSv1.2;');
    },
  },
  'exhibitor-admin-password': {
    args: { exhibitor_admin_password: 'pa55 word', exhibitor_admin_password_enabled: 'true' },
    user: { exhibitor_admin_password: 'pa55 word' },
    check: (f) => {
      expect(f.text('etc_master/exhibitor_realm')).toBe('admin: pa55 word,admin\n');
      expect(f.mode('etc_master/exhibitor_realm')).toBe('600');
      const xml = f.text('etc_master/exhibitor_web.xml');
      expect(xml).toContain('<auth-method>BASIC</auth-method>');
      expect(xml).toContain('<url-pattern>/exhibitor/v1/cluster/status</url-pattern>');
      expect(xml).toContain('<realm-name>DCOS</realm-name>');
      expect(f.text('etc/user.config.yaml')).toContain('"exhibitor_admin_password": |-\n  **HIDDEN**\n');
      expect(f.text('etc/user.config.full.yaml')).toContain('"exhibitor_admin_password": |-\n  pa55 word\n');
      expect(JSON.parse(f.expanded().user_arguments!)).toMatchObject({ exhibitor_admin_password: '**HIDDEN**' });
      expect(f.expanded(true).exhibitor_admin_password).toBe('pa55 word');
    },
  },
  'docker-gc-and-dockercfg-remover': {
    args: { enable_docker_gc: 'true', dcos_remove_dockercfg_enable: 'true' },
    check: (f) => {
      expect(f.text('etc/docker_gc_enabled')).toBe('');
      expect(f.mode('etc/docker_gc_enabled')).toBe('644');
      const hook = f.json('etc/mesos-slave-modules/remove_dockercfg_slave_modules.json');
      expect(hook).toEqual({
        libraries: [
          {
            file: '/opt/mesosphere/active/mesos-modules/lib/mesos/libremovedockercfg.so',
            modules: [{ name: 'com_mesosphere_dcos_RemoverHook' }],
          },
        ],
      });
    },
  },
  'overlay-and-ipv6-off': {
    args: { dcos_overlay_enable: 'false', enable_ipv6: 'false' },
    check: (f) => {
      expect(f.has('etc/mesos-master-modules/overlay_master_modules.json')).toBe(false);
      expect(f.has('etc/mesos-slave-modules/overlay_slave_modules.json')).toBe(false);
      expect(f.env('etc_master/marathon').some((l) => l.startsWith('MARATHON_DEFAULT_NETWORK_NAME'))).toBe(false);
      expect(f.json('etc/mesos-slave-dns.json')).toEqual({
        docker: [{ network_mode: 'USER', dns: { nameservers: ['198.51.100.1'] } }],
      });
      const endpoints = f.json('etc/dcos-diagnostics-endpoint-config.json') as {
        HTTPEndpoints: Array<{ Uri: string }>;
      };
      expect(endpoints.HTTPEndpoints.map((e) => e.Uri)).not.toContain('/overlay-master/state');
      expect(f.text('etc/dcos_net')).toContain('DCOS_NET_IPV6=false\n');
      expect(f.text('etc/dcos-net.config.d/common.config')).toContain(
        '{enable_overlay, false},\n      {enable_ipv6, false}',
      );
    },
  },
  'custom-checks-and-no-clock-check': {
    args: {
      check_time: 'false',
      check_config:
        '{"node_checks": {"checks": {"xz": {"description": "The xz utility is available", "cmd": ["/opt/mesosphere/bin/dcos-checks", "executable", "xz"], "timeout": "3s"}}, "prestart": [], "poststart": ["xz"]}}',
      custom_checks:
        '{"cluster_checks": {"mine": {"description": "Mine", "cmd": ["echo", "ok"], "timeout": "1s"}}, "node_checks": {"checks": {"disk": {"description": "Disk", "cmd": ["df"], "timeout": "1s", "roles": ["agent"]}}, "prestart": ["disk"]}}',
    },
    check: (f) => {
      expect(f.text('etc/check_time.env')).toBe('ENABLE_CHECK_TIME=false\n');
      const runner = f.json('etc/dcos-diagnostics-runner-config.json') as Record<string, Record<string, unknown>>;
      expect(Object.keys(runner)).toEqual(['cluster_checks', 'node_checks', 'check_env']);
      expect(Object.keys(runner.node_checks!.checks as object)).toEqual(['disk', 'xz']);
      expect(runner.node_checks!.prestart).toEqual(['disk']);
      expect(runner.node_checks!.poststart).toEqual(['xz']);
      expect(runner.cluster_checks).toHaveProperty('mine');
    },
  },
  'fault-domain-detect': {
    args: {
      fault_domain_detect_contents:
        '#!/bin/sh\necho \'{"fault_domain":{"region":{"name": "r1"},"zone":{"name": "z1"}}}\'\n',
    },
    check: (f) => {
      expect(f.text('bin/detect_fault_domain')).toBe(
        '#!/bin/sh\necho \'{"fault_domain":{"region":{"name": "r1"},"zone":{"name": "z1"}}}\'\n',
      );
      expect(f.mode('bin/detect_fault_domain')).toBe('755');
      expect(f.expanded().fault_domain_detect_contents).toBe(
        '\'#!/bin/sh\n\n  echo \'\'{"fault_domain":{"region":{"name": "r1"},"zone":{"name": "z1"}}}\'\'\n\n  \'\n',
      );
    },
  },
  'public-ip-detect-and-misc': {
    args: {
      ip_detect_public_contents: '#!/bin/sh\ncurl -fsSL https://ipinfo.io/ip\n',
      cluster_name: 'prod west',
      platform: 'aws',
      marathon_java_args: '-Xmx2g',
      weights: 'slave_public=2',
      mesos_log_retention_count: '60',
      mesos_log_directory_max_files: '85',
      mesos_container_log_sink: 'journald',
    },
    check: (f) => {
      expect(f.text('bin/detect_ip_public')).toBe('#!/bin/sh\ncurl -fsSL https://ipinfo.io/ip\n');
      expect(f.text('bin/detect_ip')).toBe('#!/bin/sh\necho 10.0.0.1\n');
      expect(f.text('etc/mesos-master-provider')).toBe('MESOS_CLUSTER=prod west\n');
      expect(f.env('etc_master/marathon')).toContain('MARATHON_JAVA_ARGS=-Xmx2g');
      expect(f.env('etc/mesos-master')).toContain('MESOS_WEIGHTS=slave_public=2');
      expect(f.text('etc/logrotate_agent.config')).toContain('    rotate 60\n');
      expect(f.text('etc/logrotate_agent.config')).toContain(
        'delete-oldest-unmanaged-files.py /var/log/mesos/ 85 /var/log/mesos/mesos-agent.log',
      );
      expect(f.text('etc/mesos-slave-modules/journal_logger_modules.json')).toContain('"value": "journald"');
      expect(
        (f.json('etc/ui-config.json') as { uiConfiguration: { plugins: { mesos: unknown } } }).uiConfiguration.plugins
          .mesos,
      ).toEqual({
        'logging-strategy': 'journald',
      });
      expect((f.json('etc/dcos-signal-config.json') as Record<string, string>).gen_platform).toBe('aws');
    },
  },
};

const SECRET_ARG_KEYS = [
  'aws_secret_access_key',
  'cluster_docker_credentials',
  'exhibitor_admin_password',
  'exhibitor_azure_account_key',
];

describe.each(Object.entries(variants))('variant %s', (name, v) => {
  const files = render(v);

  it('renders the expected lines and keys', () => v.check(files));

  it('keeps secrets out of every world-readable file', () => {
    const args = { ...referenceArgs(), ...v.args };
    const secrets = SECRET_ARG_KEYS.map((k) => args[k]).filter(
      (s): s is string => s !== undefined && s !== '' && s !== '{}',
    );
    for (const e of files.entries) {
      if ((e.mode & 0o004) === 0) continue;
      for (const s of secrets) expect(contentOf(e), `${e.path} leaks a secret`).not.toContain(s);
    }
  });

  it('puts each file under a package directory, with a path pkgpanda accepts and a known mode', () => {
    for (const e of files.entries) {
      expect(e.path).toMatch(
        /^(pkginfo\.json|(bin|check|etc|etc_master|etc_slave|etc_slave_public)\/[A-Za-z0-9._/-]+)$/,
      );
      expect(e.path.split('/')).not.toContain('..');
      const exec = e.path.startsWith('bin/') || e.path.startsWith('check/');
      expect([e.path, e.mode.toString(8)]).toEqual([e.path, exec ? '755' : e.mode === 0o600 ? '600' : '644']);
    }
  });

  it('is deterministic and sorted by path', () => {
    const again = render(v).entries;
    expect(again).toEqual(files.entries);
    const paths = files.entries.map((e) => e.path);
    expect(paths).toEqual([...paths].sort());
  });

  it('matches its golden record of the files that differ from the reference render', () => {
    const changed = files.entries.filter((e) => {
      const b = base.map.get(e.path);
      return !b || contentOf(b) !== contentOf(e) || b.mode !== e.mode;
    });
    const removed = base.entries.filter((e) => !files.has(e.path)).map((e) => e.path);
    const dir = goldenDir(name);
    if (UPDATE) updateGolden(dir, changed, removed);
    expect(existsSync(dir), `golden ${dir} missing: run UPDATE_GOLDEN=1 npx vitest run test/bundle/render`).toBe(true);
    expect(changed.map((e) => e.path)).toEqual(listFiles(dir).filter((p) => p !== 'REMOVED.txt'));
    const modes = readModes(join(dir, 'MODES.txt'));
    for (const e of changed) {
      expect(contentOf(e), e.path).toBe(readFileSync(join(dir, e.path), 'utf8'));
      expect(e.mode.toString(8), e.path).toBe(modes.get(e.path)?.toString(8));
    }
    const removedText = readFileSync(join(dir, 'REMOVED.txt'), 'utf8');
    expect(removed).toEqual(removedText === '' ? [] : removedText.trimEnd().split('\n'));
  });
});

describe('values written into KEY=value settings files', () => {
  it.each([
    ['cluster_name', 'prod\nMESOS_QUORUM=1'],
    ['http_proxy', 'http://p:3128\nno_proxy=*'],
    ['exhibitor_address', 'lb\r'],
    ['marathon_java_args', '-Xmx1g\n-Xms1g'],
  ])('refuse a line break in %s, naming the key', (key, value) => {
    const args = {
      ...referenceArgs(),
      use_proxy: 'true',
      http_proxy: 'x',
      https_proxy: 'y',
      no_proxy_final: 'z',
      [key]: value,
    };
    if (key === 'exhibitor_address') Object.assign(args, { master_discovery: 'master_http_loadbalancer' });
    expect(() => renderConfigPackage(args, referenceUserArgs(), contextFor(args))).toThrow(
      new RegExp(`^${key}: must be a single line`),
    );
  });

  it('accept multi-line JSON where it is parsed, not pasted', () => {
    const args = { ...referenceArgs(), rexray_config: '{\n  "rexray": {"loglevel": "warn"}\n}' };
    const files = new Files(renderConfigPackage(args, referenceUserArgs(), contextFor(args)));
    expect(files.text('etc/rexray.conf')).toBe('rexray:\n  loglevel: warn\n');
  });
});

describe('ui-config.json', () => {
  it('keeps JSON banner fragments and quotes bare text, so the file stays JSON', () => {
    const args = {
      ...referenceArgs(),
      ui_banner: 'true',
      ui_banner_header_title: '"Production"',
      ui_banner_header_content: 'Handle with care',
      ui_banner_dismissible: 'true',
    };
    const files = new Files(renderConfigPackage(args, referenceUserArgs(), contextFor(args)));
    const banner = (
      files.json('etc/ui-config.json') as { uiConfiguration: { plugins: { banner: Record<string, unknown> } } }
    ).uiConfiguration.plugins.banner;
    expect(banner).toMatchObject({
      enabled: true,
      headerTitle: 'Production',
      headerContent: 'Handle with care',
      dismissible: true,
      footerContent: null,
    });
  });
});
