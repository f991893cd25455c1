/**
 * What a cloud template needs from the judged config and the built bundle, and the config problems that make a
 * template impossible (static master lists, backends a cloud node cannot use, a bootstrap URL nodes cannot reach).
 * Pure: the caller passes the finalized arguments and the sha256 of the bundle's dcos_install.sh.
 */
import type { ConfigValues, Issue } from '../config/types.js';

export type CloudProvider = 'aws' | 'azure';

export type ExhibitorBackend =
  | { kind: 'aws_s3'; bucket: string; prefix: string; region: string }
  | { kind: 'zookeeper'; hosts: string; path: string }
  | { kind: 'azure'; accountName: string; prefix: string };

export interface CloudInputs {
  clusterName: string;
  bootstrapUrl: string;
  installSha256: string;
  configId: string;
  numMasters: 1 | 3 | 5;
  /** exhibitor_address: a DNS name (AWS, served by a private hosted zone) or an IPv4 address (Azure, the internal LB). */
  exhibitorAddress: string;
  backend: ExhibitorBackend;
}

export type CloudInputsResult = { ok: true; inputs: CloudInputs } | { ok: false; problems: Issue[] };

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

export function cloudInputs(
  provider: CloudProvider,
  args: ConfigValues,
  bundle: { installSha256: string; configId: string },
): CloudInputsResult {
  const problems: Issue[] = [];
  const bad = (key: string, message: string): void => void problems.push({ key, message });
  const get = (k: string): string => args[k] ?? '';

  const url = get('bootstrap_url');
  if (!/^https?:\/\/[^\s/]+/.test(url)) {
    bad(
      'bootstrap_url',
      `Cloud nodes download the bundle themselves: bootstrap_url must be an http:// or https:// URL where you publish genconf/serve/ (an S3 bucket or any web server), got '${url}'`,
    );
  }
  if (get('master_discovery') !== 'master_http_loadbalancer') {
    bad(
      'master_discovery',
      "Cloud templates start masters in a scaling group whose addresses are not known in advance: use 'master_http_loadbalancer' with exhibitor_address and num_masters",
    );
  }
  const n = Number(get('num_masters'));
  if (![1, 3, 5].includes(n)) bad('num_masters', `Cloud templates make 1, 3 or 5 masters, got '${get('num_masters')}'`);

  const address = get('exhibitor_address');
  if (provider === 'aws' && !DNS_NAME.test(address)) {
    bad(
      'exhibitor_address',
      `On AWS the template makes a private DNS zone for the internal master load balancer: exhibitor_address must be a DNS name with at least two labels (e.g. masters.${safeLabel(get('cluster_name'))}.internal), got '${address}'`,
    );
  }
  if (provider === 'azure' && !(IPV4.test(address) && azureUsable(address))) {
    bad(
      'exhibitor_address',
      `On Azure the internal master load balancer gets exhibitor_address as its static private IP: it must be an IPv4 address whose last number is 4..254 (Azure reserves the others), got '${address}'`,
    );
  }

  const backend = exhibitorBackend(provider, args, bad);
  if (problems.length > 0 || backend === undefined) return { ok: false, problems };
  return {
    ok: true,
    inputs: {
      clusterName: get('cluster_name'),
      bootstrapUrl: url,
      installSha256: bundle.installSha256,
      configId: bundle.configId,
      numMasters: n as 1 | 3 | 5,
      exhibitorAddress: address,
      backend,
    },
  };
}

function exhibitorBackend(
  provider: CloudProvider,
  args: ConfigValues,
  bad: (k: string, m: string) => void,
): ExhibitorBackend | undefined {
  const kind = args.exhibitor_storage_backend ?? '';
  if (kind === 'zookeeper') return { kind, hosts: args.exhibitor_zk_hosts ?? '', path: args.exhibitor_zk_path ?? '' };
  if (provider === 'aws' && kind === 'aws_s3') {
    if (args.exhibitor_explicit_keys === 'true') {
      bad(
        'exhibitor_explicit_keys',
        'The AWS templates give the masters an instance role for the Exhibitor bucket; set exhibitor_explicit_keys: false and remove the keys (no credentials belong in a bundle that nodes download)',
      );
      return undefined;
    }
    return { kind, bucket: args.s3_bucket ?? '', prefix: args.s3_prefix ?? '', region: args.aws_region ?? '' };
  }
  if (provider === 'azure' && kind === 'azure') {
    return { kind, accountName: args.exhibitor_azure_account_name ?? '', prefix: args.exhibitor_azure_prefix ?? '' };
  }
  const allowed = provider === 'aws' ? "'aws_s3' or 'zookeeper'" : "'azure' or 'zookeeper'";
  bad(
    'exhibitor_storage_backend',
    `Masters in a scaling group need shared Exhibitor storage: use ${allowed}, got '${kind}'`,
  );
  return undefined;
}

function azureUsable(ip: string): boolean {
  const last = Number(ip.split('.')[3]);
  return last >= 4 && last <= 254;
}

function safeLabel(s: string): string {
  const l = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return l === '' ? 'dcos' : l.slice(0, 40);
}

/** Put each problem at its key's line in config.yaml when the key is written there (top-level keys only). */
export function locateProblems(problems: Issue[], configText: string, file: string): Issue[] {
  const lines = configText.split(/\r\n?|\n/);
  return problems.map((p) => {
    const i = lines.findIndex(
      (l) => l.startsWith(`${p.key}:`) || l.startsWith(`'${p.key}':`) || l.startsWith(`"${p.key}":`),
    );
    return i < 0 ? { ...p, file } : { ...p, file, line: i + 1, column: 1 };
  });
}
