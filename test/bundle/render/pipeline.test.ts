/**
 * The whole chain on the reference config: config.yaml and ip-detect through the validator and the bundle's
 * build-time arguments into the renderer, against what DC/OS 1.11 rendered for the same input. This is what
 * proves the argument hand-over (names, forms such as YAML-dumped script texts) between the stages.
 */

import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ArtifactSet } from '../../../src/bundle/artifacts.js';
import { bundleArguments } from '../../../src/bundle/build.js';
import { scriptText } from '../../../src/bundle/render/contents.js';
import { RUNNER_ONLY_KEYS } from '../../../src/bundle/render/expanded.js';
import { type BundleEntry, renderConfigPackage } from '../../../src/bundle/render/index.js';
import { judgeConfigSync } from '../../../src/config/validate.js';
import {
  REFERENCE_DIR,
  byPath,
  contentOf,
  contextFor,
  expectSameAsReference,
  listFiles,
  referenceIds,
  referenceText,
} from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'render-pipeline-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function judge(target: 'genconf' | 'ssh'): { args: Record<string, string>; user: Record<string, string> } {
  const genconf = join(work, 'genconf');
  mkdirSync(genconf, { recursive: true });
  copyFileSync(join(REFERENCE_DIR, 'config.yaml'), join(genconf, 'config.yaml'));
  writeFileSync(join(genconf, 'ip-detect'), '#!/bin/sh\necho 10.0.0.1\n');
  const result = judgeConfigSync({ genconfDir: genconf, baseDir: work, target, strict: false });
  expect(result.errors).toEqual([]);
  const ids = referenceIds();
  // Only ids and package lists are used from the artifact set here.
  const artifacts = {
    bootstrapId: ids.bootstrap_id,
    packages: ids.package_ids.map((id) => ({ id })),
  } as unknown as ArtifactSet;
  const args = bundleArguments(result.args!, artifacts, undefined);
  // The reference was rendered with a stand-in image commit; ours names the tool's version.
  args.dcos_image_commit = ids.dcos_image_commit;
  return { args, user: { ...result.userArgs! } };
}

const SCRIPT_KEYS = ['ip_detect_contents', 'ip_detect_public_contents', 'fault_domain_detect_contents'];

/** expanded.config.full.json holds each DC/OS argument with exactly the value the validator computed. */
function expectRecordsArguments(record: BundleEntry, args: Record<string, string>): void {
  const full = JSON.parse(contentOf(record)) as Record<string, string>;
  for (const [k, v] of Object.entries(args)) {
    if (RUNNER_ONLY_KEYS.includes(k) || (k === 'fault_domain_detect_contents' && v === '')) continue;
    // Script texts are recorded YAML-dumped, as the original did, whichever form was handed over.
    if (SCRIPT_KEYS.includes(k)) expect([k, scriptText(full[k]!)]).toEqual([k, scriptText(v)]);
    else expect([k, full[k]]).toEqual([k, v]);
  }
}

describe.each(['genconf', 'ssh'] as const)('config.yaml → validator (%s target) → renderer', (target) => {
  const { args, user } = judge(target);
  const ctx = contextFor(args);
  const entries = renderConfigPackage(args, user, ctx);
  const rendered = byPath(entries);

  it('renders the files the original rendered', () => {
    expect(entries.map((e) => e.path)).toEqual(listFiles(join(REFERENCE_DIR, 'dcos-config')));
  });

  it('records every argument the ids were computed from, with the value that was hashed', () => {
    expectRecordsArguments(rendered.get('etc/expanded.config.full.json')!, args);
  });

  it.each(listFiles(join(REFERENCE_DIR, 'dcos-config')))('%s matches the original', (path) => {
    expectSameAsReference(path, contentOf(rendered.get(path)!), referenceText('dcos-config', path, ctx));
  });
});

const BASE = 'cluster_name: c\nbootstrap_url: http://b:8080\nresolvers: [8.8.8.8]\n';
const LB = 'master_discovery: master_http_loadbalancer\nexhibitor_address: lb.internal\nnum_masters: 3\n';

/** config.yaml variants through the real validator: the arguments it hands over drive each switch. */
const PIPELINE_VARIANTS: Array<{
  name: string;
  yaml: string;
  faultDomain?: string;
  expect: Record<string, string | null>;
}> = [
  {
    name: 'zookeeper backend behind an internal load balancer',
    yaml: `${BASE}${LB}exhibitor_storage_backend: zookeeper\nexhibitor_zk_hosts: 10.0.0.5:2181\nexhibitor_zk_path: /dcos\nmaster_external_loadbalancer: ext.example.com\n`,
    expect: {
      'etc/exhibitor': 'EXHIBITOR_BACKEND=ZK\nZK_CONFIG_CONNECT=10.0.0.5:2181\nZK_CONFIG_ZPATH=/dcos\n',
      'etc/dns_config':
        'MASTER_SOURCE=exhibitor_uri\nEXHIBITOR_URI=http://lb.internal:8181/exhibitor/v1/cluster/status\nEXHIBITOR_ADDRESS=lb.internal\nRESOLVERS=8.8.8.8\n',
      'etc/extra_master_addresses': 'INTERNAL_MASTER_LB_DNSNAME=lb.internal\nMASTER_LB_DNSNAME=ext.example.com\n',
      'etc/master_list': null,
      'etc_master/master_count': '3\n',
    },
  },
  {
    name: 'aws_s3 backend with explicit keys',
    yaml: `${BASE}${LB}exhibitor_storage_backend: aws_s3\naws_region: us-west-2\ns3_bucket: bk\ns3_prefix: px\nexhibitor_explicit_keys: true\naws_access_key_id: AKIA\naws_secret_access_key: SECRETKEY\n`,
    expect: {
      'etc/exhibitor': 'EXHIBITOR_BACKEND=AWS_S3\nAWS_REGION=us-west-2\nAWS_S3_BUCKET=bk\nAWS_S3_PREFIX=px\n',
      'etc/exhibitor.properties':
        'com.netflix.exhibitor.s3.access-key-id=AKIA\ncom.netflix.exhibitor.s3.access-secret-key=SECRETKEY\n',
    },
  },
  {
    name: 'azure backend',
    yaml: `${BASE}${LB}exhibitor_storage_backend: azure\nexhibitor_azure_account_name: acct\nexhibitor_azure_account_key: AZKEY\nexhibitor_azure_prefix: pre\n`,
    expect: {
      'etc/exhibitor': 'EXHIBITOR_BACKEND=AZURE\nAZURE_CONTAINER=dcos-exhibitor\nAZURE_PREFIX=pre\n',
      'etc/exhibitor.properties':
        'com.netflix.exhibitor.azure.account-name=acct\ncom.netflix.exhibitor.azure.account-key=AZKEY\n',
    },
  },
  {
    name: 'shared filesystem backend, overlay and clock check off',
    yaml: `${BASE}${LB}exhibitor_storage_backend: shared_filesystem\nexhibitor_fs_config_dir: /mnt/x\ncheck_time: false\ndcos_overlay_enable: false\n`,
    expect: {
      'etc/exhibitor': 'EXHIBITOR_BACKEND=SHARED_FS\nEXHIBITOR_FSCONFIGDIR=/mnt/x\n',
      'etc/check_time.env': 'ENABLE_CHECK_TIME=false\n',
      'etc/mesos-master-modules/overlay_master_modules.json': null,
    },
  },
  {
    name: 'agent-only group',
    yaml: `${BASE}${LB}exhibitor_storage_backend: agent_only_group_no_exhibitor\n`,
    expect: { 'etc/exhibitor': '# File intentionally has no settings - Exhibitor is not used on DC/OS Agents\n' },
  },
  {
    name: 'static cluster with proxy, secrets, docker options and a fault-domain script',
    yaml:
      'cluster_name: c\nbootstrap_url: http://b:8080\nexhibitor_storage_backend: static\nmaster_discovery: static\nmaster_list: [10.0.0.1]\n' +
      'use_proxy: true\nhttp_proxy: http://p:3128\nhttps_proxy: https://p:3128\nno_proxy: [a.com, b.com]\ndns_search: a.com b.com\n' +
      'exhibitor_admin_password: PW1\ncluster_docker_credentials: {auths: {r: {auth: CREDX}}}\ncluster_docker_credentials_enabled: true\n' +
      'mesos_max_completed_tasks_per_framework: 20\nenable_docker_gc: true\nenable_gpu_isolation: false\n',
    faultDomain: '#!/bin/sh\necho \'{"fault_domain":{"region":{"name":"r"},"zone":{"name":"z"}}}\'\n',
    expect: {
      'etc/exhibitor': 'EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:10.0.0.1\n',
      'etc/proxy.env':
        'http_proxy=http://p:3128\nhttps_proxy=https://p:3128\nno_proxy=".mesos,.thisdcos.directory,.dcos.directory,.zk,127.0.0.1,localhost,a.com,b.com"\n',
      'etc/dns_search_config': 'SEARCH=a.com b.com\n',
      'etc_master/exhibitor_realm': 'admin: PW1,admin\n',
      'etc/docker_credentials': '{"auths": {"r": {"auth": "CREDX"}}}\n',
      'etc/docker_gc_enabled': '',
      'bin/detect_fault_domain': '#!/bin/sh\necho \'{"fault_domain":{"region":{"name":"r"},"zone":{"name":"z"}}}\'\n',
    },
  },
];

describe.each(PIPELINE_VARIANTS)('config.yaml variant: $name', (v) => {
  const dir = mkdtempSync(join(work, 'v-'));
  mkdirSync(join(dir, 'genconf'));
  writeFileSync(join(dir, 'genconf/config.yaml'), v.yaml);
  writeFileSync(join(dir, 'genconf/ip-detect'), '#!/bin/sh\necho 10.0.0.1\n');
  if (v.faultDomain) writeFileSync(join(dir, 'genconf/fault-domain-detect'), v.faultDomain);
  const result = judgeConfigSync({ genconfDir: join(dir, 'genconf'), baseDir: dir, target: 'genconf', strict: false });

  it('is valid', () => expect(result.errors).toEqual([]));

  const ids = referenceIds();
  const artifacts = {
    bootstrapId: ids.bootstrap_id,
    packages: ids.package_ids.map((id) => ({ id })),
  } as unknown as ArtifactSet;
  const args = result.valid ? bundleArguments(result.args!, artifacts, undefined) : {};
  const entries = result.valid ? renderConfigPackage(args, result.userArgs!, contextFor(args)) : [];
  const rendered = byPath(entries);

  it.each(Object.entries(v.expect))('%s', (path, want) => {
    if (want === null) expect(rendered.has(path)).toBe(false);
    else expect(rendered.has(path) ? contentOf(rendered.get(path)!) : `${path} missing`).toBe(want);
  });

  it('records the arguments it was rendered from', () => {
    expectRecordsArguments(rendered.get('etc/expanded.config.full.json')!, args);
  });

  it('keeps every secret out of world-readable files and out of the visible records', () => {
    const secrets = ['SECRETKEY', 'AZKEY', 'PW1', 'CREDX'].filter((s) => v.yaml.includes(s));
    for (const e of entries) {
      if ((e.mode & 0o044) === 0) continue;
      for (const s of secrets) expect(contentOf(e), `${e.path} (mode ${e.mode.toString(8)})`).not.toContain(s);
    }
    for (const s of secrets) expect(contentOf(rendered.get('etc/user.config.full.yaml')!)).toContain(s);
  });
});
