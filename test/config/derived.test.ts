/**
 * Calculated arguments beyond the reference render: each derivation of DC/OS 1.11's calculated arguments on inputs that change it.
 * The YAML-dumped texts were produced with PyYAML (fixtures/calc-cases.json).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { judgeWith } from './helpers.js';

const calc = JSON.parse(readFileSync(new URL('./fixtures/calc-cases.json', import.meta.url), 'utf8')) as Record<
  string,
  string
>;

function args(set: Record<string, string | null>, target: 'ssh' | 'genconf' = 'genconf'): Record<string, string> {
  const r = judgeWith(set, target);
  expect(r.errors).toEqual([]);
  return r.args as Record<string, string>;
}

describe('calculated arguments', () => {
  it('exhibitor_static_ensemble sorts the masters as strings', () => {
    const a = args({ master_list: '[10.0.0.3, 10.0.0.10, 10.0.0.2]' });
    expect(a.exhibitor_static_ensemble).toBe('1:10.0.0.10,2:10.0.0.2,3:10.0.0.3');
    expect(a.num_masters).toBe('3');
    expect(a.master_quorum).toBe('2');
  });
  it.each([
    ['1', '1'],
    ['5', '3'],
    ['7', '4'],
    ['9', '5'],
  ])('master_quorum for %s masters is %s', (n, q) => {
    const a = args({
      master_discovery: 'master_http_loadbalancer',
      exhibitor_storage_backend: 'agent_only_group_no_exhibitor',
      exhibitor_address: 'lb',
      num_masters: n,
      master_list: null,
    });
    expect(a.master_quorum).toBe(q);
    expect(a.exhibitor_address).toBe('lb');
    expect(a.master_list).toBeUndefined();
  });
  it('resolvers: empty list turns external resolution off', () => {
    const a = args({ resolvers: '[]' });
    expect(a.resolvers_str).toBe('');
    expect(a.mesos_dns_resolvers_str).toBe('"externalOn": false');
  });
  it('resolvers with ports', () => {
    const a = args({ resolvers: '["10.0.0.2:5353", 10.0.0.3]' });
    expect(a.resolvers_str).toBe('10.0.0.2:5353,10.0.0.3');
    expect(a.mesos_dns_resolvers_str).toBe('"resolvers": ["10.0.0.2:5353", "10.0.0.3"]');
  });
  it('no_proxy_final adds the internal names', () => {
    const a = args({
      use_proxy: 'true',
      http_proxy: 'http://p:3128',
      https_proxy: 'http://p:3128',
      no_proxy: '[a.example, 10.1.1.1]',
    });
    expect(a.no_proxy_final).toBe(
      '.mesos,.thisdcos.directory,.dcos.directory,.zk,127.0.0.1,localhost,a.example,10.1.1.1',
    );
    expect(a.http_proxy).toBe('http://p:3128');
  });
  it('dns search string, blacklist json', () => {
    const a = args({ dns_search: "'a.example b.example'", dns_bind_ip_blacklist: '[10.0.0.9]' });
    expect(a.dcos_gen_resolvconf_search_str).toBe('SEARCH=a.example b.example');
    expect(a.dns_bind_ip_blacklist_json).toBe('["198.51.100.4", "10.0.0.9"]');
  });
  it('log retention', () => {
    const a = args({ mesos_log_retention_mb: '2048' });
    expect(a.mesos_log_retention_count).toBe('61');
    expect(a.mesos_log_directory_max_files).toBe('86');
  });
  it('IPv6 off marks IPv6-only overlays disabled', () => {
    const a = args({ enable_ipv6: 'false' });
    expect(JSON.parse(a.dcos_overlay_network_json!).overlays[1]).toEqual({
      name: 'dcos6',
      subnet6: 'fd01:b::/64',
      prefix6: 80,
      enabled: false,
    });
    expect(a.dcos_overlay_network).toBe(
      '{"vtep_subnet": "44.128.0.0/20", "vtep_subnet6": "fd01:a::/64", "vtep_mac_oui": "70:B3:D5:00:00:00", "overlays": [{"name": "dcos", "subnet": "9.0.0.0/8", "prefix": 24}, {"name": "dcos6", "subnet6": "fd01:b::/64", "prefix6": 80}]}',
    );
  });
  it('l4lb erlang tuples (with the original\'s "000" quirk)', () => {
    const a = args({ dcos_l4lb_min_named_ip: '12.0.0.0', dcos_l4lb_min_named_ip6: "'fd01:1000::'" });
    expect(a.dcos_l4lb_min_named_ip_erltuple).toBe('{12,0,0,0}');
    expect(a.dcos_l4lb_min_named_ip6_erltuple).toBe('{16#fd01,16#1,16#0,16#0,16#0,16#0,16#0,16#0}');
  });
  it('GPU isolation off, GPUs not scarce', () => {
    const a = args({ enable_gpu_isolation: 'false', gpus_are_scarce: 'false' });
    expect(a.mesos_isolation).not.toContain('gpu/nvidia');
    expect(a.fair_sharing_excluded_resource_names).toBe('');
  });
  it('TLS versions and cipher override', () => {
    const a = args({
      adminrouter_tls_1_0_enabled: 'true',
      adminrouter_tls_1_1_enabled: 'true',
      adminrouter_tls_cipher_suite: 'ECDHE',
    });
    expect(a.adminrouter_tls_version_override).toBe('TLSv1 TLSv1.1 TLSv1.2');
    expect(a.adminrouter_tls_cipher_override).toBe('true');
  });
  it('docker credentials', () => {
    const a = args({
      cluster_docker_credentials: '{auths: {r.example: {auth: x}}}',
      cluster_docker_credentials_enabled: 'true',
      cluster_docker_registry_url: 'https://r.example',
    });
    expect(a.cluster_docker_credentials).toBe('{"auths": {"r.example": {"auth": "x"}}}');
    expect(a.cluster_docker_credentials_dcos_owned).toBe('true');
    expect(a.cluster_docker_credentials_path).toBe('/opt/mesosphere/etc/docker_credentials');
    expect(a.cluster_docker_registry_enabled).toBe('true');
  });
  it('remove-dockercfg hook, external LB, exhibitor password, completed tasks', () => {
    const a = args({
      dcos_remove_dockercfg_enable: 'true',
      master_external_loadbalancer: 'lb.example',
      exhibitor_admin_password: 'pw',
      mesos_max_completed_tasks_per_framework: '20',
    });
    expect(a.mesos_hooks).toBe('com_mesosphere_dcos_RemoverHook');
    expect(a.use_mesos_hooks).toBe('true');
    expect(a.has_master_external_loadbalancer).toBe('true');
    expect(a.exhibitor_admin_password_enabled).toBe('true');
    expect(a.has_mesos_max_completed_tasks_per_framework).toBe('true');
  });
  it('REX-Ray aws preset (YAML dumped twice, as PyYAML did)', () => {
    const a = args({ rexray_config_preset: 'aws' });
    expect(a.rexray_config).toBe(calc.rexray_aws);
    expect(a.rexray_config_contents).toBe(calc.rexray_aws_contents);
  });
  it('custom checks are merged before the built-in ones (YAML dumped, as PyYAML did)', () => {
    const a = args({ custom_checks: JSON.stringify(calc.custom_checks) });
    expect(a.custom_checks).toBe(calc.custom_checks);
    expect(a.check_config_contents).toBe(calc.check_config_contents);
  });
  it('ip-detect-public falls back to ip-detect, or reads its own file', () => {
    const a = args({});
    expect(a.ip_detect_public_contents).toBe(a.ip_detect_contents);
    const b = args({ ip_detect_public_filename: 'genconf/ip-detect-public' });
    expect(b.ip_detect_public_contents).toBe("'#!/bin/sh\n\n  echo 1.2.3.4\n\n  '\n");
  });
  it('aws_s3 backend arguments', () => {
    const a = args({
      exhibitor_storage_backend: 'aws_s3',
      aws_region: 'us-west-2',
      s3_bucket: 'b',
      s3_prefix: 'p',
      exhibitor_explicit_keys: 'true',
      aws_access_key_id: 'AK',
    });
    expect(a).toMatchObject({
      aws_region: 'us-west-2',
      s3_bucket: 'b',
      s3_prefix: 'p',
      exhibitor_explicit_keys: 'true',
      aws_access_key_id: 'AK',
      aws_secret_access_key: '',
    });
    expect(a.exhibitor_static_ensemble).toBeUndefined();
  });
  it('SSH arguments: defaults, overrides and the absolute key path', () => {
    const a = args(
      { ssh_user: 'core', ssh_key_path: '/keys/id', ssh_host_overrides: '{10.0.0.1: {port: 2222}}' },
      'ssh',
    );
    expect(a.ssh_user).toBe('core');
    expect(a.ssh_key_path).toBe('/keys/id');
    expect(a.ssh_host_overrides).toBe('{"10.0.0.1": {"port": 2222}}');
    expect(args({}, 'ssh').ssh_user).toBe('centos');
  });
});
