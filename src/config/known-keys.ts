/**
 * Which config.yaml keys are known: DC/OS 1.11's own (settable or calculated), the SSH keys, and keys real
 * 1.11 configs carry that open DC/OS never read (Enterprise, cloud templates, documented-but-unused).
 * Unknown keys are still accepted, as in 1.11, but get a warning with the closest known key.
 */
import { dcosKnownKeys } from './rules-dcos.js';
import { SSH_KEYS } from './rules-ssh.js';

/** Accepted silently: 1.11 configs carry them but open DC/OS never reads them (reference §2.5, §2.10, §1.2). */
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

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions: `ssh_usre`). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest known key, if it is close enough to be a likely typo. */
export function suggestKey(key: string): string | undefined {
  const lower = key.toLowerCase().replace(/-/g, '_');
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of knownKeys()) {
    const dist = editDistance(lower, k);
    if (dist < bestD) {
      bestD = dist;
      best = k;
    }
  }
  const limit = Math.max(2, Math.floor(key.length / 4));
  return best !== undefined && bestD <= limit ? best : undefined;
}
