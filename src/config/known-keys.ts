/**
 * Which config.yaml keys are known: DC/OS 1.11's own (settable or calculated), the SSH keys, and keys real
 * 1.11 configs carry that open DC/OS never read (Enterprise, cloud templates, documented-but-unused).
 * Unknown keys are still accepted, as in 1.11, but get a warning with the closest known key.
 */
import { dcosKnownKeys } from './target-dcos.js';
import { SSH_KEYS } from './rules-ssh.js';
import { GENCONF_OWN_KEYS } from './rules-genconf.js';

/** Accepted silently: 1.11 configs carry them but open DC/OS never reads them. */
export const ACCEPTED_UNUSED_KEYS: readonly string[] = [
  // SSH runner / docs
  'log_directory',
  'extra_ssh_options',
  // Enterprise
  'customer_key',
  'security',
  'superuser_username',
  'superuser_password_hash',
  'superuser_service_account_uid',
  'superuser_service_account_public_key',
  'zk_super_credentials',
  'zk_master_credentials',
  'zk_agent_credentials',
  'ca_certificate_path',
  'ca_certificate_key_path',
  'ca_certificate_chain_path',
  'license_key_contents',
  'auth_cookie_secure_flag',
  'bouncer_expiration_auth_token_days',
  'adminrouter_x_frame_options',
  'exhibitor_tls_enabled',
  'exhibitor_tls_required',
  'iam_ldap_sync_interval',
  'marathon_gpu_scheduling_behavior',
  'metronome_gpu_scheduling_behavior',
  'mesos_seccomp_enabled',
  'mesos_seccomp_profile_name',
  'enable_mesos_input_plugin',
  'enable_mesos_ipv6_discovery',
  'log_offers',
  'dcos_dns_push_ops_timeout',
  'intercom_enabled',
  'ui_tracking',
  'ui_update_enabled',
  // cloud templates and the AWS/Azure template generator
  'os_type',
  'channel_name',
  'aws_masters_have_public_ip',
  'aws_template_storage_bucket',
  'aws_template_storage_bucket_path',
  'aws_template_upload',
  'aws_template_storage_bucket_path_autocreate',
  'aws_template_storage_region_name',
  'aws_template_storage_access_key_id',
  'aws_template_storage_secret_access_key',
  'cloudformation_s3_url',
  'cloudformation_s3_url_full',
];

let cache: { known: Set<string>; suggestable: string[] } | undefined;

function load(): { known: Set<string>; suggestable: string[] } {
  if (!cache) {
    const own = dcosKnownKeys();
    SSH_KEYS.forEach((k) => own.add(k));
    GENCONF_OWN_KEYS.forEach((k) => own.add(k));
    const known = new Set([...own, ...ACCEPTED_UNUSED_KEYS]);
    cache = { known, suggestable: [...known].sort() };
  }
  return cache;
}

export function isKnownKey(key: string): boolean {
  return load().known.has(key);
}

export function knownKeys(): string[] {
  return load().suggestable;
}

/**
 * Names operators write for a key, from other tools, the docs' prose and the seed deck (`parallelism: 50`):
 * edit distance alone cannot find `ssh_parallelism` from `parallelism`.
 */
export const KEY_ALIASES: Readonly<Record<string, string>> = {
  parallelism: 'ssh_parallelism',
  ssh_concurrency: 'ssh_parallelism',
  concurrency: 'ssh_parallelism',
  timeout: 'process_timeout',
  ssh_timeout: 'process_timeout',
  command_timeout: 'process_timeout',
  user: 'ssh_user',
  username: 'ssh_user',
  ssh_username: 'ssh_user',
  port: 'ssh_port',
  key_path: 'ssh_key_path',
  ssh_key: 'ssh_key_path',
  ssh_private_key: 'ssh_key_path',
  private_key_path: 'ssh_key_path',
  identity_file: 'ssh_key_path',
  masters: 'master_list',
  master_ips: 'master_list',
  agents: 'agent_list',
  private_agent_list: 'agent_list',
  slave_list: 'agent_list',
  public_agents: 'public_agent_list',
  public_slave_list: 'public_agent_list',
  dns_resolvers: 'resolvers',
  nameservers: 'resolvers',
  dns_servers: 'resolvers',
  ip_detect_path: 'ip_detect_filename',
  ip_detect_script: 'ip_detect_filename',
  ip_detect: 'ip_detect_filename',
  ip_detect_public_path: 'ip_detect_public_filename',
  ip_detect_public: 'ip_detect_public_filename',
  fault_domain_detect: 'fault_domain_detect_filename',
  fault_domain_detect_path: 'fault_domain_detect_filename',
  cluster: 'cluster_name',
  name: 'cluster_name',
};

/** Longest key that gets a suggestion: no known key is longer than 64, and distance is quadratic in length. */
export const SUGGEST_MAX_LENGTH = 64;

/** Work done by suggestKey since the process started (distance-table cells), for the linear-work test. */
export const suggestWork = { calls: 0, cells: 0 };

/**
 * Optimal string alignment distance (Levenshtein plus adjacent transpositions: `ssh_usre`), giving up once
 * the distance must exceed `limit` (returns limit + 1 then). Two rolling rows, no table.
 */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev2: number[] = [];
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row: number[] = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      row.push(v);
      if (v < rowMin) rowMin = v;
    }
    suggestWork.cells += b.length;
    // A transposition reaches back two rows, so both must be past the limit before giving up.
    const prevMin = Math.min(...prev);
    if (rowMin > limit && prevMin > limit) return limit + 1;
    prev2 = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/** The known key an unknown one most likely means: an alias, or a close spelling. */
export function suggestKey(key: string): string | undefined {
  suggestWork.calls++;
  const lower = key.toLowerCase().replace(/-/g, '_');
  const alias = KEY_ALIASES[lower] ?? KEY_ALIASES[lower.replace(/^dcos_/, '')];
  if (alias !== undefined) return alias;
  if (key.length > SUGGEST_MAX_LENGTH) return undefined;
  const limit = Math.max(2, Math.floor(key.length / 4));
  let best: string | undefined;
  let bestD = limit + 1;
  for (const k of knownKeys()) {
    const dist = editDistance(lower, k, bestD - 1);
    if (dist < bestD) {
      bestD = dist;
      best = k;
    }
  }
  return best !== undefined && bestD <= limit ? best : undefined;
}
