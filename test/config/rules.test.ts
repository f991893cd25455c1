/**
 * Every rule of DC/OS 1.11, table-driven: the config change, the target, and exactly which
 * keys get which message (an empty map means valid). Messages are the original's, character for character.
 */
import { describe, expect, it } from 'vitest';
import type { Target } from '../../src/config/types.js';
import { errorMap, judgeWith } from './helpers.js';

interface Case {
  name: string;
  set: Record<string, string | null>;
  target?: Target;
  errors: Record<string, string>;
}

const MUST_SET = (k: string): string => `Must set ${k}, no way to calculate value.`;
const MUST_CALC = (k: string): string =>
  `${k} must be calculated, but was explicitly set in the configuration. Remove it from the configuration.`;
/** The original's message, then where this tool looked (the path differs per machine). */
const MUST_EXIST = (p: string): string =>
  expect.stringMatching(new RegExp(`^ip-detect script \`${p}\` must exist: looked for `)) as string;
const TF = (got: string): string => `Must be one of 'true', 'false'. Got '${got}'.`;
const BACKENDS = "'agent_only_group_no_exhibitor', 'aws_s3', 'shared_filesystem', 'static', 'zookeeper', 'azure'";
const STATIC_MHLB =
  "When master_discovery is not static, exhibitor_storage_backend must be non-static. Having a variable list of master which are discovered by agents using the master_discovery method but also having a fixed known at install time static list of master ips doesn't `master_http_load_balancer` then exhibitor_storage_backend must not be static.";
const TLS =
  "At least one of adminrouter_tls_1_0_enabled, adminrouter_tls_1_1_enabled and adminrouter_tls_1_2_enabled must be set to 'true'.";
const MHLB = {
  master_discovery: 'master_http_loadbalancer',
  exhibitor_storage_backend: 'zookeeper',
  exhibitor_zk_hosts: 'zk1:2181',
  exhibitor_zk_path: '/dcos',
  exhibitor_address: 'lb.example',
  num_masters: '3',
};

const cases: Case[] = [
  // core keys
  { name: 'the base config is valid', set: {}, errors: {} },
  { name: 'cluster_name is required', set: { cluster_name: null }, errors: { cluster_name: MUST_SET('cluster_name') } },
  { name: "cluster_name '' is accepted", set: { cluster_name: "''" }, errors: {} },
  { name: 'cluster_name as an integer is accepted', set: { cluster_name: '42' }, errors: {} },
  {
    name: 'bootstrap_url is required',
    set: { bootstrap_url: null },
    errors: { bootstrap_url: MUST_SET('bootstrap_url') },
  },
  {
    name: 'bootstrap_url of one character',
    set: { bootstrap_url: 'x' },
    errors: { bootstrap_url: 'Should be a url (http://example.com/bar or file:///path/to/local/cache)' },
  },
  {
    name: "bootstrap_url ending in '/'",
    set: { bootstrap_url: 'http://10.0.0.5/' },
    errors: { bootstrap_url: "Must not end in a '/'" },
  },
  // 1.11 did not check the scheme and wrote any text into the nodes' units; --genconf refused it later, without a
  // line. The rule now runs at validation, so --validate-config gives the same verdict.
  {
    name: 'bootstrap_url scheme: only what the nodes can use',
    set: { bootstrap_url: 'ftp://host' },
    errors: {
      bootstrap_url:
        'Must be a file://, http:// or https:// URL without blanks, quotes or shell characters such as $() or backticks (percent-encode them): the nodes put it on a command line',
    },
  },
  {
    name: 'exhibitor_storage_backend is required',
    set: { exhibitor_storage_backend: null },
    errors: { exhibitor_storage_backend: MUST_SET('exhibitor_storage_backend') },
  },
  {
    name: 'exhibitor_storage_backend one-of, in template order',
    set: { exhibitor_storage_backend: 'etcd' },
    errors: { exhibitor_storage_backend: `Must be one of ${BACKENDS}. Got 'etcd'.` },
  },
  {
    name: 'master_discovery is required',
    set: { master_discovery: null },
    errors: { master_discovery: MUST_SET('master_discovery') },
  },
  {
    name: 'master_discovery one-of',
    set: { master_discovery: 'dns' },
    errors: { master_discovery: "Must be one of 'master_http_loadbalancer', 'static'. Got 'dns'." },
  },
  {
    name: 'master_list is required for static',
    set: { master_list: null },
    target: 'genconf',
    errors: { master_list: MUST_SET('master_list') },
  },
  {
    name: 'master_list not JSON',
    set: { master_list: 'foo' },
    errors: {
      master_list:
        "Must be a JSON formatted list, but couldn't be parsed the given value `foo` as one because of: Expecting value: line 1 column 1 (char 0)",
    },
  },
  {
    name: 'master_list a dict',
    set: { master_list: '{a: 1}' },
    errors: { master_list: 'Must be a JSON list. Got a dict' },
  },
  {
    name: 'master_list items not strings',
    set: { master_list: '[1, true]' },
    errors: { master_list: 'Items in list must be strings, got invalid values: 1 type int, True type bool' },
  },
  {
    name: 'master_list duplicates',
    set: { master_list: '[10.0.0.1, 10.0.0.1, 10.0.0.3]' },
    errors: { master_list: 'List cannot contain duplicates: 10.0.0.1 appears 2 times' },
  },
  {
    name: 'master_list: no hostnames, ports, leading zeros or IPv6',
    set: { master_list: '[m1.example, "10.0.0.2:22", 10.0.0.03, "::1", 10.0.0.5]' },
    errors: { master_list: 'Invalid IPv4 addresses in list: m1.example, 10.0.0.2:22, 10.0.0.03, ::1' },
  },
  {
    name: 'num_masters is calculated for static',
    set: { num_masters: '3' },
    errors: { num_masters: MUST_CALC('num_masters') },
  },
  {
    name: 'num_masters from an even master_list',
    set: { master_list: '[10.0.0.1, 10.0.0.2]' },
    errors: { num_masters: 'Must have 1, 3, 5, 7, or 9 masters. Found 2' },
  },
  {
    name: 'num_masters required for master_http_loadbalancer',
    set: { ...MHLB, num_masters: null },
    target: 'genconf',
    errors: { num_masters: MUST_SET('num_masters') },
  },
  {
    name: 'num_masters 4',
    set: { ...MHLB, num_masters: '4' },
    target: 'genconf',
    errors: { num_masters: 'Must have 1, 3, 5, 7, or 9 masters. Found 4' },
  },
  {
    name: 'num_masters not an integer (1.11 crashed)',
    set: { ...MHLB, num_masters: 'three' },
    target: 'genconf',
    errors: { num_masters: 'Must be an integer but got a str: three' },
  },
  { name: 'resolvers with ports', set: { resolvers: '["8.8.8.8:53", 8.8.4.4]' }, errors: {} },
  { name: 'resolvers empty', set: { resolvers: '[]' }, errors: {} },
  {
    name: 'resolvers port out of range',
    set: { resolvers: '["8.8.8.8:0"]' },
    errors: { resolvers: 'Must be between 1 and 65535 inclusive' },
  },
  {
    name: 'resolvers port not a number',
    set: { resolvers: '["8.8.8.8:abc"]' },
    errors: { resolvers: 'Must be an integer but got a str: abc' },
  },
  {
    name: 'resolvers IPv6 rejected',
    set: { resolvers: '["::1"]' },
    errors: { resolvers: 'Invalid IPv4 addresses in list: :' },
  },
  {
    name: 'resolvers: more than 3 are allowed',
    set: { resolvers: '[1.1.1.1, 1.0.0.1, 8.8.8.8, 8.8.4.4]' },
    errors: {},
  },
  {
    name: 'ip-detect must exist',
    set: { ip_detect_filename: 'genconf/nope' },
    errors: { ip_detect_filename: MUST_EXIST('genconf/nope') },
  },
  {
    name: 'ip-detect-public must exist',
    set: { ip_detect_public_filename: 'genconf/nope' },
    errors: { ip_detect_public_filename: MUST_EXIST('genconf/nope') },
  },
  { name: 'ip-detect-public present', set: { ip_detect_public_filename: 'genconf/ip-detect-public' }, errors: {} },
  // agent lists and the cross-list rule (SSH target only)
  {
    name: 'agent_list invalid',
    set: { agent_list: '[foo]' },
    errors: { agent_list: 'Invalid IPv4 addresses in list: foo' },
  },
  {
    name: 'public_agent_list duplicates',
    set: { public_agent_list: '[10.0.0.21, 10.0.0.21]' },
    errors: { public_agent_list: 'List cannot contain duplicates: 10.0.0.21 appears 2 times' },
  },
  {
    name: '--genconf ignores agent lists',
    set: { agent_list: 'garbage', public_agent_list: '[1]' },
    target: 'genconf',
    errors: {},
  },
  {
    name: 'master and agent lists overlap: both keys',
    set: { agent_list: '[10.0.0.1]' },
    errors: {
      master_list: 'master_list and agent_list cannot contain duplicates 10.0.0.1',
      agent_list: 'master_list and agent_list cannot contain duplicates 10.0.0.1',
    },
  },
  {
    name: 'master and public lists overlap: same message',
    set: { public_agent_list: '[10.0.0.2]' },
    errors: {
      master_list: 'master_list and agent_list cannot contain duplicates 10.0.0.2',
      public_agent_list: 'master_list and agent_list cannot contain duplicates 10.0.0.2',
    },
  },
  {
    name: 'one address in all three lists: three keys',
    set: { agent_list: '[10.0.0.1]', public_agent_list: '[10.0.0.1]' },
    errors: {
      master_list: 'master_list and agent_list cannot contain duplicates 10.0.0.1',
      agent_list: 'master_list and agent_list cannot contain duplicates 10.0.0.1',
      public_agent_list: 'master_list and agent_list cannot contain duplicates 10.0.0.1',
    },
  },
  {
    name: 'SSH target needs master_list even for master_http_loadbalancer',
    set: { ...MHLB, master_list: null },
    errors: { master_list: MUST_SET('master_list') },
  },
  {
    name: '--genconf does not need master_list for master_http_loadbalancer',
    set: { ...MHLB, master_list: null },
    target: 'genconf',
    errors: {},
  },
  // exhibitor backends
  {
    name: 'static backend needs static discovery: both keys',
    set: { master_discovery: 'master_http_loadbalancer', exhibitor_address: 'lb', num_masters: '3' },
    errors: { master_discovery: STATIC_MHLB, exhibitor_storage_backend: STATIC_MHLB },
  },
  {
    name: 'zookeeper needs hosts and path',
    set: { exhibitor_storage_backend: 'zookeeper' },
    errors: { exhibitor_zk_hosts: MUST_SET('exhibitor_zk_hosts'), exhibitor_zk_path: MUST_SET('exhibitor_zk_path') },
  },
  {
    name: 'zookeeper hosts must not be a zk:// URL',
    set: { exhibitor_storage_backend: 'zookeeper', exhibitor_zk_hosts: 'zk://a:2181', exhibitor_zk_path: '/x' },
    errors: { exhibitor_zk_hosts: "Must be of the form `host:port,host:port', not start with zk://" },
  },
  {
    name: 'zookeeper host without port passes',
    set: { exhibitor_storage_backend: 'zookeeper', exhibitor_zk_hosts: 'a', exhibitor_zk_path: '/x' },
    errors: {},
  },
  {
    name: 'zookeeper path must start with /',
    set: { exhibitor_storage_backend: 'zookeeper', exhibitor_zk_hosts: 'a:1', exhibitor_zk_path: 'x' },
    errors: { exhibitor_zk_path: 'Must be of the form /path/to/znode' },
  },
  {
    name: 'lazy: zookeeper keys of an unused backend are not judged',
    set: { exhibitor_zk_path: 'bad', exhibitor_zk_hosts: 'zk://x' },
    errors: {},
  },
  {
    name: 'aws_s3 needs region, bucket, prefix, explicit keys',
    set: { exhibitor_storage_backend: 'aws_s3' },
    errors: {
      aws_region: MUST_SET('aws_region'),
      s3_bucket: MUST_SET('s3_bucket'),
      s3_prefix: MUST_SET('s3_prefix'),
      exhibitor_explicit_keys: MUST_SET('exhibitor_explicit_keys'),
    },
  },
  {
    name: 'aws_s3 explicit keys need the key id (secret defaults to empty)',
    set: {
      exhibitor_storage_backend: 'aws_s3',
      aws_region: 'us-west-2',
      s3_bucket: 'b',
      s3_prefix: 'p',
      exhibitor_explicit_keys: 'true',
    },
    errors: { aws_access_key_id: MUST_SET('aws_access_key_id') },
  },
  {
    name: 'aws_s3 without explicit keys',
    set: {
      exhibitor_storage_backend: 'aws_s3',
      aws_region: 'us-west-2',
      s3_bucket: 'b',
      s3_prefix: 'p',
      exhibitor_explicit_keys: 'false',
    },
    errors: {},
  },
  {
    name: 's3_prefix must not end in /',
    set: {
      exhibitor_storage_backend: 'aws_s3',
      aws_region: 'r',
      s3_bucket: 'b',
      s3_prefix: 'p/',
      exhibitor_explicit_keys: 'false',
    },
    errors: { s3_prefix: 'Must be a file path and cannot end in a /' },
  },
  {
    name: 'exhibitor_explicit_keys one-of',
    set: {
      exhibitor_storage_backend: 'aws_s3',
      aws_region: 'r',
      s3_bucket: 'b',
      s3_prefix: 'p',
      exhibitor_explicit_keys: "'yes'",
    },
    errors: { exhibitor_explicit_keys: TF('yes') },
  },
  {
    name: 'azure needs account name and prefix (key defaults to empty)',
    set: { exhibitor_storage_backend: 'azure' },
    errors: {
      exhibitor_azure_account_name: MUST_SET('exhibitor_azure_account_name'),
      exhibitor_azure_prefix: MUST_SET('exhibitor_azure_prefix'),
    },
  },
  {
    name: 'shared_filesystem needs the config dir',
    set: { exhibitor_storage_backend: 'shared_filesystem' },
    errors: { exhibitor_fs_config_dir: MUST_SET('exhibitor_fs_config_dir') },
  },
  {
    name: 'agent_only_group_no_exhibitor needs nothing',
    set: { exhibitor_storage_backend: 'agent_only_group_no_exhibitor' },
    errors: {},
  },
  // master discovery
  {
    name: 'master_http_loadbalancer needs exhibitor_address',
    set: { ...MHLB, exhibitor_address: null },
    target: 'genconf',
    errors: { exhibitor_address: MUST_SET('exhibitor_address') },
  },
  { name: 'master_http_loadbalancer with zookeeper is valid', set: MHLB, errors: {} },
  // proxy
  {
    name: 'use_proxy without no_proxy: the JSON error on no_proxy_final',
    set: { use_proxy: 'true', http_proxy: 'http://p:3128', https_proxy: 'http://p:3128' },
    errors: {
      no_proxy_final:
        "Must be a JSON formatted list, but couldn't be parsed the given value `` as one because of: Expecting value: line 1 column 1 (char 0)",
    },
  },
  {
    name: 'no_proxy as a string',
    set: { use_proxy: 'true', http_proxy: 'h', https_proxy: 'h', no_proxy: 'foo.com' },
    errors: {
      no_proxy_final:
        "Must be a JSON formatted list, but couldn't be parsed the given value `foo.com` as one because of: Expecting value: line 1 column 1 (char 0)",
    },
  },
  {
    name: 'use_proxy needs both proxies',
    set: { use_proxy: 'true', no_proxy: '[a.com]' },
    errors: { http_proxy: MUST_SET('http_proxy'), https_proxy: MUST_SET('https_proxy') },
  },
  {
    name: 'proxy complete',
    set: {
      use_proxy: 'true',
      http_proxy: 'http://p:3128',
      https_proxy: 'http://p:3128',
      no_proxy: '[.example.com, 10.0.0.0]',
    },
    errors: {},
  },
  {
    name: 'lazy: proxy garbage with use_proxy false',
    set: { use_proxy: 'false', http_proxy: '[1]', no_proxy: 'x' },
    errors: {},
  },
  { name: 'use_proxy one-of', set: { use_proxy: "'yes'" }, errors: { use_proxy: TF('yes') } },
  // DNS
  {
    name: 'dns_search newline',
    set: { dns_search: '"a.com\\nb.com"' },
    errors: { dns_search: 'Newlines are not allowed' },
  },
  { name: 'dns_search comma', set: { dns_search: '"a.com,b.com"' }, errors: { dns_search: 'Commas are not allowed' } },
  { name: 'dns_search 255 characters pass', set: { dns_search: 'a'.repeat(255) }, errors: {} },
  {
    name: 'dns_search 256 characters fail',
    set: { dns_search: 'a'.repeat(256) },
    errors: { dns_search: 'Must be less than 256 characters long' },
  },
  {
    name: 'dns_search 7 domains',
    set: { dns_search: 'a b c d e f g' },
    errors: { dns_search: 'Must contain no more than 6 domains' },
  },
  { name: 'dns_search other characters are not checked', set: { dns_search: "'a_b.com $x!'" }, errors: {} },
  {
    name: 'dns_bind_ip_blacklist IPv4 only',
    set: { dns_bind_ip_blacklist: '[foo]' },
    errors: { dns_bind_ip_blacklist: 'Invalid IPv4 addresses in list: foo' },
  },
  { name: 'dns_forward_zones valid', set: { dns_forward_zones: '{a.example: ["1.1.1.1:53", 2.2.2.2]}' }, errors: {} },
  {
    name: 'dns_forward_zones not JSON',
    set: { dns_forward_zones: 'foo' },
    errors: {
      dns_forward_zones:
        'Invalid "dns_forward_zones": foo is not valid JSON: Expecting value: line 1 column 1 (char 0)',
    },
  },
  {
    name: 'dns_forward_zones a list',
    set: { dns_forward_zones: '[1]' },
    errors: { dns_forward_zones: 'Invalid "dns_forward_zones": [1] is not a a dict' },
  },
  {
    name: 'dns_forward_zones upstreams not a list',
    set: { dns_forward_zones: '{a: foo}' },
    errors: { dns_forward_zones: 'Invalid "dns_forward_zones": foo is not a list' },
  },
  {
    name: 'dns_forward_zones upstream not a string',
    set: { dns_forward_zones: '{a: [1]}' },
    errors: { dns_forward_zones: 'Invalid "dns_forward_zones": 1 is not a string' },
  },
  {
    name: 'dns_forward_zones bad IP',
    set: { dns_forward_zones: '{a: [host.example]}' },
    errors: { dns_forward_zones: 'Invalid "dns_forward_zones": host.example not a valid IP address' },
  },
  {
    name: 'dns_forward_zones bad port',
    set: { dns_forward_zones: '{a: ["1.1.1.1:99999"]}' },
    errors: { dns_forward_zones: 'Must be between 1 and 65535 inclusive' },
  },
  {
    name: 'mesos_dns_ip_sources must be a JSON list',
    set: { mesos_dns_ip_sources: 'host' },
    errors: {
      mesos_dns_ip_sources:
        "Must be a JSON formatted list, but couldn't be parsed the given value `host` as one because of: Expecting value: line 1 column 1 (char 0)",
    },
  },
  // fault domain
  {
    name: 'fault_domain_enabled cannot be set, even to false',
    set: { fault_domain_enabled: 'false' },
    errors: { fault_domain_enabled: MUST_CALC('fault_domain_enabled') },
  },
  // booleans
  ...[
    'oauth_enabled',
    'oauth_available',
    'telemetry_enabled',
    'check_time',
    'master_dns_bindall',
    'mesos_dns_set_truncate_bit',
    'enable_gpu_isolation',
    'gpus_are_scarce',
    'enable_lb',
    'enable_ipv6',
    'dcos_overlay_enable',
    'dcos_net_rest_enable',
    'dcos_net_watchdog',
    'dcos_net_cluster_identity',
    'dcos_remove_dockercfg_enable',
    'dcos_l4lb_enable_ipset',
    'cluster_docker_credentials_enabled',
    'cluster_docker_credentials_write_to_etc',
    'cluster_docker_credentials_dcos_owned',
    'mesos_cni_root_dir_persist',
    'adminrouter_tls_1_0_enabled',
    'adminrouter_tls_1_1_enabled',
    'adminrouter_tls_1_2_enabled',
    'enable_docker_gc',
  ].flatMap((k): Case[] => [
    { name: `${k}: quoted 'yes' is rejected`, set: { [k]: "'yes'" }, errors: { [k]: TF('yes') } },
    { name: `${k}: the integer 1 is rejected`, set: { [k]: '1' }, errors: { [k]: TF('1') } },
    { name: `${k}: quoted 'True' is rejected`, set: { [k]: "'True'" }, errors: { [k]: TF('True') } },
    {
      name: `${k}: unquoted YAML 1.1 booleans pass`,
      set: { [k]: k === 'adminrouter_tls_1_2_enabled' ? 'on' : 'off' },
      errors: {},
    },
  ]),
  { name: "'true' as a string passes", set: { oauth_enabled: "'true'" }, errors: {} },
  {
    name: 'dcos_l4lb_enable_ipv6 true with enable_ipv6 false: both keys',
    set: { enable_ipv6: 'false', dcos_l4lb_enable_ipv6: 'true' },
    errors: {
      enable_ipv6: 'When enable_ipv6 is false, dcos_l4lb_enable_ipv6 must be false as well',
      dcos_l4lb_enable_ipv6: 'When enable_ipv6 is false, dcos_l4lb_enable_ipv6 must be false as well',
    },
  },
  {
    name: 'dcos_l4lb_enable_ipv6 not a boolean (rule over both keys)',
    set: { dcos_l4lb_enable_ipv6: "'yes'" },
    errors: { enable_ipv6: TF('yes'), dcos_l4lb_enable_ipv6: TF('yes') },
  },
  {
    name: 'no TLS version: all three keys',
    set: { adminrouter_tls_1_2_enabled: 'false' },
    errors: { adminrouter_tls_1_0_enabled: TLS, adminrouter_tls_1_1_enabled: TLS, adminrouter_tls_1_2_enabled: TLS },
  },
  {
    name: 'skip when an input failed: the TLS rule does not run',
    set: { adminrouter_tls_1_2_enabled: 'false', adminrouter_tls_1_0_enabled: "'no'" },
    errors: { adminrouter_tls_1_0_enabled: TF('no') },
  },
  // Mesos / Docker / others
  {
    name: 'mesos_recovery_timeout garbage',
    set: { mesos_recovery_timeout: 'asdf' },
    errors: { mesos_recovery_timeout: "Error parsing 'mesos_recovery_timeout' value: asdf." },
  },
  {
    name: 'mesos_recovery_timeout two dots',
    set: { mesos_recovery_timeout: '1.2.3hrs' },
    errors: { mesos_recovery_timeout: 'Invalid decimal format.' },
  },
  {
    name: 'mesos_recovery_timeout too large',
    set: { mesos_recovery_timeout: '99999999999999999999999hrs' },
    errors: { mesos_recovery_timeout: 'Value 99999999999999999999999 not in supported range.' },
  },
  {
    name: 'mesos_recovery_timeout bad unit',
    set: { mesos_recovery_timeout: '1hour' },
    errors: {
      mesos_recovery_timeout: "Unit 'hour' not in ['ns', 'us', 'ms', 'secs', 'mins', 'hrs', 'days', 'weeks'].",
    },
  },
  { name: 'mesos_recovery_timeout decimal', set: { mesos_recovery_timeout: '1.5days' }, errors: {} },
  // Python's \d and \w are Unicode classes: other scripts' digits count, and a letter beyond ASCII joins the unit.
  { name: 'mesos_recovery_timeout Arabic-Indic digits', set: { mesos_recovery_timeout: '٣.٥hrs' }, errors: {} },
  {
    name: 'mesos_recovery_timeout non-ASCII letter in the unit',
    set: { mesos_recovery_timeout: '3hrsé' },
    errors: {
      mesos_recovery_timeout: "Unit 'hrsé' not in ['ns', 'us', 'ms', 'secs', 'mins', 'hrs', 'days', 'weeks'].",
    },
  },
  {
    name: 'mesos_log_retention_mb too small',
    set: { mesos_log_retention_mb: '1000' },
    errors: { mesos_log_retention_mb: 'Must retain at least 1024 MB of logs' },
  },
  {
    name: 'mesos_log_retention_mb not an integer (1.11 crashed)',
    set: { mesos_log_retention_mb: 'lots' },
    errors: { mesos_log_retention_mb: 'Must be an integer but got a str: lots' },
  },
  {
    name: 'mesos_log_retention_mb absurdly large (1.11 crashed)',
    set: { mesos_log_retention_mb: '9'.repeat(400) },
    errors: { mesos_log_retention_mb: 'Must be a realistic number of megabytes (at most 300 digits)' },
  },
  {
    name: 'mesos_recovery_timeout beyond float range',
    set: { mesos_recovery_timeout: `${'9'.repeat(400)}hrs` },
    errors: { mesos_recovery_timeout: `Value ${'9'.repeat(400)} not in supported range.` },
  },
  { name: 'mesos_container_log_sink is not validated', set: { mesos_container_log_sink: 'anything' }, errors: {} },
  {
    name: 'mesos_max_completed_tasks_per_framework not an integer: both keys',
    set: { mesos_max_completed_tasks_per_framework: 'many' },
    errors: {
      mesos_max_completed_tasks_per_framework:
        "Error parsing 'mesos_max_completed_tasks_per_framework' parameter as an integer: invalid literal for int() with base 10: 'many'",
      has_mesos_max_completed_tasks_per_framework:
        "Error parsing 'mesos_max_completed_tasks_per_framework' parameter as an integer: invalid literal for int() with base 10: 'many'",
    },
  },
  {
    name: 'mesos_max_completed_tasks_per_framework integer',
    set: { mesos_max_completed_tasks_per_framework: '50' },
    errors: {},
  },
  ...['mesos_master_work_dir', 'mesos_agent_work_dir', 'diagnostics_bundles_dir'].map((k): Case => ({
    name: `${k} must be absolute`,
    set: { [k]: 'var/lib' },
    errors: { [k]: 'Must be an absolute filesystem path starting with /' },
  })),
  {
    name: 'dcos_overlay_mtu below 552',
    set: { dcos_overlay_mtu: '500' },
    errors: { dcos_overlay_mtu: 'Must be above 552' },
  },
  {
    name: 'dcos_overlay_mtu not a number',
    set: { dcos_overlay_mtu: 'big' },
    errors: { dcos_overlay_mtu: 'Must be an integer but got a str: big' },
  },
  {
    name: 'dcos_overlay_config_attempts range',
    set: { dcos_overlay_config_attempts: '11' },
    errors: { dcos_overlay_config_attempts: 'Must be between 0 and 10 inclusive' },
  },
  {
    name: 'dcos_overlay_network not JSON',
    set: { dcos_overlay_network: 'foo' },
    errors: { dcos_overlay_network: 'Provided input was not valid JSON: foo' },
  },
  {
    name: 'dcos_overlay_network without overlays',
    set: { dcos_overlay_network: '{vtep_mac_oui: x}' },
    errors: { dcos_overlay_network: `Missing "overlays" in overlay configuration {'vtep_mac_oui': 'x'}` },
  },
  {
    name: 'overlay name over 13 characters',
    set: {
      dcos_overlay_network:
        '{vtep_subnet: 44.128.0.0/20, vtep_mac_oui: "70:B3:D5:00:00:00", overlays: [{name: averyverylongname, subnet: 9.0.0.0/8, prefix: 24}]}',
      dcos_overlay_network_default_name: 'averyverylongname',
    },
    errors: { dcos_overlay_network: 'Overlay name cannot exceed 13 characters:averyverylongname' },
  },
  {
    name: 'default overlay name must be defined: both keys',
    set: { dcos_overlay_network_default_name: 'other' },
    errors: {
      dcos_overlay_network_default_name:
        'Default overlay network name does not reference a defined overlay network: other',
      dcos_overlay_network: 'Default overlay network name does not reference a defined overlay network: other',
    },
  },
  {
    name: 'ucr bridge subnet garbage',
    set: { dcos_ucr_default_bridge_subnet: 'x' },
    errors: {
      dcos_ucr_default_bridge_subnet:
        'Incorrect value for dcos_ucr_default_bridge_subnet: x. Only IPv4 subnets are allowed',
    },
  },
  {
    name: 'ucr bridge subnet with host bits',
    set: { dcos_ucr_default_bridge_subnet: '172.31.254.1/24' },
    errors: {
      dcos_ucr_default_bridge_subnet:
        'Incorrect value for dcos_ucr_default_bridge_subnet: 172.31.254.1/24. Only IPv4 subnets are allowed',
    },
  },
  {
    name: 'l4lb IPv4 range',
    set: { dcos_l4lb_min_named_ip: '11.0.0' },
    errors: { dcos_l4lb_min_named_ip: 'Invalid IPv4 addresses in list: 11.0.0' },
  },
  {
    name: 'l4lb IPv6 range',
    set: { dcos_l4lb_max_named_ip6: 'fd01:c::zz' },
    errors: { dcos_l4lb_max_named_ip6: 'Invalid IPv6 addresses in list: fd01:c::zz' },
  },
  {
    name: 'rexray_config must be a dict',
    set: { rexray_config: '[1]' },
    errors: { rexray_config: 'Must be a JSON dictionary. Got a list' },
  },
  {
    name: 'rexray_config not JSON',
    set: { rexray_config: 'x' },
    errors: { rexray_config: 'Must be valid JSON. Got: x' },
  },
  {
    name: 'rexray aws preset calculates rexray_config',
    set: { rexray_config_preset: 'aws', rexray_config: '{rexray: {}}' },
    errors: { rexray_config: MUST_CALC('rexray_config') },
  },
  { name: 'unknown rexray presets are ignored', set: { rexray_config_preset: 'gce' }, errors: {} },
  {
    name: 'cluster_docker_credentials not JSON',
    set: { cluster_docker_credentials: 'foo' },
    errors: { cluster_docker_credentials: 'Must be valid JSON. Got: foo' },
  },
  {
    name: 'custom check names must not reuse built-ins: both keys',
    set: { custom_checks: '{node_checks: {checks: {xz: {description: d, cmd: [x], timeout: 1s}}, poststart: [xz]}}' },
    errors: {
      custom_checks: 'Custom check names conflict with builtin checks. Reserved node check names: xz.',
      check_config: 'Custom check names conflict with builtin checks. Reserved node check names: xz.',
    },
  },
  {
    name: 'custom checks referenced',
    set: { custom_checks: '{node_checks: {checks: {mine: {description: d, cmd: [x], timeout: 1s}}, prestart: []}}' },
    errors: { custom_checks: 'All node checks must be referenced in either prestart or poststart, or both' },
  },
  {
    name: 'custom checks valid',
    set: {
      custom_checks:
        '{node_checks: {checks: {mine: {description: d, cmd: [x], timeout: 1.5s, roles: [agent]}}, poststart: [mine]}}',
    },
    errors: {},
  },
  // calculated keys may not be set
  ...[
    'master_quorum',
    'dcos_version',
    'dcos_variant',
    'provider',
    'custom_auth',
    'licensing_enabled',
    'marathon_port',
    'mesos_isolation',
    'resolvers_str',
    'exhibitor_static_ensemble',
    'package_ids',
    'check_search_path',
    'mesos_master_log_file',
    'profile_symlink_source',
    'ui_branding',
  ].map((k): Case => ({ name: `${k} is calculated`, set: { [k]: 'x' }, errors: { [k]: MUST_CALC(k) } })),
  {
    name: 'no_proxy_final is calculated (when proxies are used)',
    set: { use_proxy: 'true', http_proxy: 'h', https_proxy: 'h', no_proxy: '[]', no_proxy_final: 'x' },
    errors: { no_proxy_final: MUST_CALC('no_proxy_final') },
  },
  { name: 'lazy: no_proxy_final is not needed without a proxy', set: { no_proxy_final: 'x' }, errors: {} },
  { name: 'bootstrap_id may be overridden', set: { bootstrap_id: 'abc' }, errors: {} },
  // SSH keys (with this tool's fixes)
  { name: 'ssh_port 65535 allowed (1.11: 32000)', set: { ssh_port: '65535' }, errors: {} },
  { name: 'ssh_port 0', set: { ssh_port: '0' }, errors: { ssh_port: 'Must be between 1 and 65535 inclusive' } },
  { name: 'ssh_port 65536', set: { ssh_port: '65536' }, errors: { ssh_port: 'Must be between 1 and 65535 inclusive' } },
  {
    name: 'ssh_port not a number',
    set: { ssh_port: 'abc' },
    errors: { ssh_port: 'Must be an integer but got a str: abc' },
  },
  {
    name: 'ssh_parallelism 0',
    set: { ssh_parallelism: '0' },
    errors: { ssh_parallelism: 'Must be between 1 and 100 inclusive' },
  },
  {
    name: 'ssh_parallelism 101',
    set: { ssh_parallelism: '101' },
    errors: { ssh_parallelism: 'Must be between 1 and 100 inclusive' },
  },
  {
    name: 'ssh_parallelism not a number',
    set: { ssh_parallelism: 'foo' },
    errors: { ssh_parallelism: 'Must be an integer but got a str: foo' },
  },
  {
    name: 'process_timeout not a number',
    set: { process_timeout: 'x' },
    errors: { process_timeout: 'Must be an integer but got a str: x' },
  },
  { name: 'process_timeout 0', set: { process_timeout: '0' }, errors: { process_timeout: 'Must be at least 1' } },
  { name: 'process_timeout 600', set: { process_timeout: '600' }, errors: {} },
  {
    name: '--genconf does not judge ssh_*',
    set: { ssh_port: 'abc', process_timeout: 'x' },
    target: 'genconf',
    errors: {},
  },
  {
    name: 'ssh_host_overrides valid',
    set: { ssh_host_overrides: '{10.0.0.1: {port: 2222, user: core}, 10.0.0.21: {user: admin}}' },
    errors: {},
  },
  {
    name: 'ssh_host_overrides unknown host',
    set: { ssh_host_overrides: '{10.9.9.9: {port: 22}}' },
    errors: { ssh_host_overrides: "'10.9.9.9' is not an address in master_list, agent_list or public_agent_list" },
  },
  {
    name: 'ssh_host_overrides bad port',
    set: { ssh_host_overrides: '{10.0.0.1: {port: 0}}' },
    errors: { ssh_host_overrides: 'Override for 10.0.0.1: port must be between 1 and 65535 inclusive' },
  },
  {
    name: 'ssh_host_overrides port as text',
    set: { ssh_host_overrides: '{10.0.0.1: {port: "22"}}' },
    errors: { ssh_host_overrides: "Override for 10.0.0.1: port must be an integer. Got a str: '22'" },
  },
  {
    name: 'ssh_host_overrides unknown field',
    set: { ssh_host_overrides: '{10.0.0.1: {password: x}}' },
    errors: {
      ssh_host_overrides: "Override for 10.0.0.1: unknown key 'password'; only port, user and key_path are allowed",
    },
  },
  {
    name: 'ssh_host_overrides not a mapping',
    set: { ssh_host_overrides: '[1]' },
    errors: { ssh_host_overrides: 'Must be a mapping of host address to {port, user}. Got a list' },
  },
  {
    name: 'ssh_host_overrides entry not a mapping',
    set: { ssh_host_overrides: '{10.0.0.1: 2222}' },
    errors: {
      ssh_host_overrides:
        'Override for 10.0.0.1 must be a mapping with optional keys port, user and key_path. Got a int',
    },
  },
  {
    name: 'ssh_host_overrides bad user',
    set: { ssh_host_overrides: '{10.0.0.1: {user: ""}}' },
    errors: { ssh_host_overrides: "Override for 10.0.0.1: user must be a non-empty user name. Got ''" },
  },
  // values 1.11 crashed on
  {
    name: 'null value (1.11 crashed)',
    set: { dns_search: '' },
    errors: { dns_search: 'Has no value (YAML null); give it a value, or remove the line to use the default' },
  },
  {
    name: 'float value (1.11 crashed)',
    set: { ssh_port: '22.5' },
    errors: {
      ssh_port:
        'Must not be a decimal number (YAML read 22.5 as a float); write a whole number, or quote the value if it is text',
    },
  },
  {
    name: 'date value (1.11 crashed)',
    set: { cluster_name: '2018-01-01' },
    errors: { cluster_name: 'YAML reads 2018-01-01 as a date; quote it if it is meant as text' },
  },
  {
    name: 'a key keeps its first error: stringification wins over Must set',
    set: { cluster_name: '~' },
    errors: { cluster_name: 'Has no value (YAML null); give it a value, or remove the line to use the default' },
  },
];

describe('DC/OS 1.11 rules (table)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = judgeWith(c.set, c.target ?? 'ssh');
    expect(errorMap(r)).toEqual(c.errors);
    expect(r.valid).toBe(Object.keys(c.errors).length === 0);
  });
});
