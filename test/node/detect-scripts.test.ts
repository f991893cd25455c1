/**
 * templates/ip-detect/* and the fault-domain-detect variants rendered from templates/fault-domain-detect.sh.tmpl
 * (what `--print-fault-domain-detect` prints), run with a fake `curl` (and `ip`) first on PATH that
 * answers like the clouds' metadata services: only for the URLs a test configures, and only with the header each
 * cloud requires. Every call is logged, so the 1 s probe timeouts can be checked.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { FAULT_DOMAIN_VARIANTS, faultDomainDetectScript } from '../../src/bundle/fault-domain-detect.js';
import { needTool } from './tools.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TEMPLATES = path.join(REPO, 'templates');

const FAKE_CURL = `#!/usr/bin/env bash
# Fake curl: answers from $FAKE_MD/responses (METHOD<TAB>URL<TAB>required header or -<TAB>body), logs to $FAKE_MD/calls.
echo "$*" >>"$FAKE_MD/calls"
method=GET url='' out='' headers=()
while (($#)); do
  case $1 in
    -X) method=$2; shift 2 ;;
    -H) headers+=("$2"); shift 2 ;;
    -o) out=$2; shift 2 ;;
    -m | --max-time) shift 2 ;;
    http*) url=$1; shift ;;
    *) shift ;;
  esac
done
while IFS=$'\\t' read -r m u h body; do
  [[ $m == "$method" && $u == "$url" ]] || continue
  if [[ $h != - ]]; then
    ok=false
    for x in "\${headers[@]}"; do [[ $x == "$h" ]] && ok=true; done
    [[ $ok == true ]] || exit 22
  fi
  if [[ -n $out ]]; then printf '%s' "$body" >"$out"; else printf '%s' "$body"; fi
  exit 0
done <"$FAKE_MD/responses"
exit 7
`;

const AWS = [
  ['PUT', 'http://169.254.169.254/latest/api/token', 'X-aws-ec2-metadata-token-ttl-seconds: 60', 'TOKEN123'],
  ['GET', 'http://169.254.169.254/latest/meta-data/', 'X-aws-ec2-metadata-token: TOKEN123', 'ami-id\nplacement/'],
  [
    'GET',
    'http://169.254.169.254/latest/meta-data/placement/availability-zone',
    'X-aws-ec2-metadata-token: TOKEN123',
    'us-west-2b',
  ],
  [
    'GET',
    'http://169.254.169.254/latest/meta-data/placement/region',
    'X-aws-ec2-metadata-token: TOKEN123',
    'us-west-2',
  ],
  ['GET', 'http://169.254.169.254/latest/meta-data/local-ipv4', 'X-aws-ec2-metadata-token: TOKEN123', '172.31.5.9'],
];
/** An older instance: IMDSv1 only, no placement/region. */
const AWS_V1 = [
  ['GET', 'http://169.254.169.254/latest/meta-data/', '-', 'ami-id'],
  ['GET', 'http://169.254.169.254/latest/meta-data/placement/availability-zone', '-', 'eu-central-1c'],
  ['GET', 'http://169.254.169.254/latest/meta-data/local-ipv4', '-', '10.1.2.3'],
];
const AZ = 'api-version=2017-08-01';
const AZURE = [
  ['GET', `http://169.254.169.254/metadata/instance?${AZ}`, 'Metadata: true', '{}'],
  [
    'GET',
    `http://169.254.169.254/metadata/instance/compute/location?${AZ}&format=text`,
    'Metadata: true',
    'westeurope',
  ],
  [
    'GET',
    `http://169.254.169.254/metadata/instance/compute/platformFaultDomain?${AZ}&format=text`,
    'Metadata: true',
    '1',
  ],
  [
    'GET',
    `http://169.254.169.254/metadata/instance/network/interface/0/ipv4/ipAddress/0/privateIpAddress?${AZ}&format=text`,
    'Metadata: true',
    '10.0.1.4',
  ],
];
const GCP = [
  ['GET', 'http://169.254.169.254/computeMetadata/v1/', 'Metadata-Flavor: Google', 'instance/'],
  [
    'GET',
    'http://169.254.169.254/computeMetadata/v1/instance/zone',
    'Metadata-Flavor: Google',
    'projects/4242/zones/us-central1-f',
  ],
  [
    'GET',
    'http://169.254.169.254/computeMetadata/v1/instance/network-interfaces/0/ip',
    'Metadata-Flavor: Google',
    '10.128.0.7',
  ],
];

/** The rendered variants, as fault-domain-detect/<variant>.sh below this directory (mode 0755, as operators run them). */
let rendered: string;
beforeAll(() => {
  rendered = fs.mkdtempSync(path.join(os.tmpdir(), 'fdd-variants-'));
  fs.mkdirSync(path.join(rendered, 'fault-domain-detect'));
  for (const v of FAULT_DOMAIN_VARIANTS) {
    fs.writeFileSync(path.join(rendered, 'fault-domain-detect', `${v}.sh`), faultDomainDetectScript(v), {
      mode: 0o755,
    });
  }
});
afterAll(() => fs.rmSync(rendered, { recursive: true, force: true }));

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'detect-'));
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.writeFileSync(path.join(dir, 'bin', 'curl'), FAKE_CURL, { mode: 0o755 });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(
  script: string,
  args: string[],
  responses: string[][],
): { status: number; stdout: string; stderr: string; calls: string[] } {
  fs.writeFileSync(path.join(dir, 'responses'), responses.map((r) => r.join('\t')).join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'calls'), '');
  const base = script.startsWith('fault-domain-detect/') ? rendered : TEMPLATES;
  const r = spawnSync(path.join(base, script), args, {
    encoding: 'utf8',
    env: { PATH: `${path.join(dir, 'bin')}:/usr/bin:/bin`, FAKE_MD: dir },
  });
  const calls = fs.readFileSync(path.join(dir, 'calls'), 'utf8').split('\n').filter(Boolean);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, calls };
}

const domain = (p: string, region: string, zone: string): string =>
  `{"fault_domain":{"region":{"name":"${p}/${region}"},"zone":{"name":"${p}/${zone}"}}}\n`;

describe('fault-domain-detect', () => {
  test('auto detects each cloud and prints the one-line JSON Mesos reads', () => {
    for (const [responses, expected] of [
      [AWS, domain('aws', 'us-west-2', 'us-west-2b')],
      [AWS_V1, domain('aws', 'eu-central-1', 'eu-central-1c')],
      [AZURE, domain('azure', 'westeurope', '1')],
      [GCP, domain('gcp', 'us-central1', 'us-central1-f')],
    ] as const) {
      const r = run('fault-domain-detect/auto.sh', [], responses);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(expected);
      expect(r.status).toBe(0);
      const parsed = JSON.parse(r.stdout) as { fault_domain: { region: { name: string }; zone: { name: string } } };
      expect(parsed.fault_domain.region.name).toMatch(/^(aws|azure|gcp)\//);
      expect(parsed.fault_domain.zone.name).toMatch(/^(aws|azure|gcp)\//);
    }
  });

  test('every probe of auto has a 1 s timeout (the original passed `m1` to GCP)', () => {
    const r = run('fault-domain-detect/auto.sh', [], GCP);
    const probes = r.calls.filter((c) => c.includes('-o /dev/null'));
    expect(probes.length).toBeGreaterThanOrEqual(3);
    for (const p of probes) expect(p.split(' ')).toContain('-m1');
    expect(probes.some((p) => p.includes('computeMetadata'))).toBe(true);
  });

  test('the explicit flags and the single-cloud scripts need no probing', () => {
    expect(run('fault-domain-detect/auto.sh', ['--gcp'], GCP).stdout).toBe(
      domain('gcp', 'us-central1', 'us-central1-f'),
    );
    expect(run('fault-domain-detect/aws.sh', [], AWS).stdout).toBe(domain('aws', 'us-west-2', 'us-west-2b'));
    expect(run('fault-domain-detect/azure.sh', [], AZURE).stdout).toBe(domain('azure', 'westeurope', '1'));
    const g = run('fault-domain-detect/gcp.sh', [], GCP);
    expect(g.stdout).toBe(domain('gcp', 'us-central1', 'us-central1-f'));
    expect(g.calls.some((c) => c.includes('-o /dev/null'))).toBe(false);
  });

  test('errors as the original: no cloud, several clouds, a bad parameter', () => {
    const none = run('fault-domain-detect/auto.sh', [], []);
    expect(none.status).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe(
      'ERROR: unable to detect cloud provider. Use explicit parameter --aws, --azure, or --gcp\n',
    );
    const two = run('fault-domain-detect/auto.sh', [], [...AWS, ...GCP]);
    expect(two.status).toBe(1);
    expect(two.stderr).toBe('ERROR: found multiple cloud providers: aws gcp\n');
    const bad = run('fault-domain-detect/auto.sh', ['--openstack'], AWS);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('invalid parameter --openstack. Must be one of --aws, --azure or --gcp\n');
  });

  test('a GCP answer without the Metadata-Flavor header is not accepted, and odd names are refused', () => {
    // The fake only answers GCP when the header is present: the zone request must carry it.
    const g = run('fault-domain-detect/gcp.sh', [], GCP);
    expect(g.calls.find((c) => c.includes('instance/zone'))).toContain('Metadata-Flavor: Google');
    const odd = run(
      'fault-domain-detect/aws.sh',
      [],
      [['GET', 'http://169.254.169.254/latest/meta-data/placement/availability-zone', '-', 'us"east']],
    );
    expect(odd.status).toBe(1);
    expect(odd.stdout).toBe('');
    expect(odd.stderr).toContain('unexpected');
  });
});

describe('ip-detect', () => {
  test('aws, azure and gcp print the private address from metadata', () => {
    expect(run('ip-detect/aws.sh', [], AWS).stdout).toBe('172.31.5.9\n');
    expect(run('ip-detect/aws.sh', [], AWS_V1).stdout).toBe('10.1.2.3\n');
    expect(run('ip-detect/azure.sh', [], AZURE).stdout).toBe('10.0.1.4\n');
    expect(run('ip-detect/gcp.sh', [], GCP).stdout).toBe('10.128.0.7\n');
  });

  test('no metadata service: exit 1, nothing on stdout', () => {
    for (const s of ['ip-detect/aws.sh', 'ip-detect/gcp.sh']) {
      const r = run(s, [], []);
      expect(r.status, s).toBe(1);
      expect(r.stdout, s).toBe('');
    }
  });

  test('route-based and interface-based read iproute2', () => {
    fs.writeFileSync(
      path.join(dir, 'bin', 'ip'),
      `#!/bin/sh
case "$*" in
  "-4 route get 10.0.0.1") echo "10.0.0.1 via 192.168.7.1 dev ens5 src 192.168.7.23 uid 0"; echo "    cache" ;;
  "-4 -o addr show dev eth0 scope global") echo "2: eth0    inet 192.168.9.44/24 brd 192.168.9.255 scope global eth0" ;;
  *) exit 1 ;;
esac
`,
      { mode: 0o755 },
    );
    expect(run('ip-detect/route-based.sh', [], []).stdout).toBe('192.168.7.23\n');
    expect(run('ip-detect/interface-based.sh', [], []).stdout).toBe('192.168.9.44\n');
    fs.writeFileSync(path.join(dir, 'bin', 'ip'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    const r = run('ip-detect/interface-based.sh', [], []);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
  });
});

describe('ip-detect/any-interface.sh: any interface name, any Linux', () => {
  const fake = (name: string, body: string): void =>
    fs.writeFileSync(path.join(dir, 'bin', name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });

  test('the source address of the route, whatever the interface is called', () => {
    for (const dev of ['eth0', 'ens5', 'enp0s3', 'bond0.100']) {
      fake(
        'ip',
        `[ "$*" = "-4 route get 8.8.8.8" ] || exit 1\necho "8.8.8.8 via 10.4.0.1 dev ${dev} src 10.4.0.17 uid 0"; echo "    cache"`,
      );
      const r = run('ip-detect/any-interface.sh', [], []);
      expect(r.stdout).toBe('10.4.0.17\n');
      expect(r.status).toBe(0);
    }
  });

  test('without iproute2 (or without a route): the first non-loopback IPv4 address of hostname -I', () => {
    fake('ip', 'exit 1');
    fake('hostname', '[ "$1" = -I ] || exit 1\necho "127.0.1.1 fe80::1 172.16.3.9 10.9.9.9 "');
    expect(run('ip-detect/any-interface.sh', [], []).stdout).toBe('172.16.3.9\n');
  });

  test('nothing found: exit 1, nothing on stdout, the reason on stderr', () => {
    fake('ip', 'echo "8.8.8.8 dev eth0 src 999.1.1.1"');
    fake('hostname', 'exit 1');
    const r = run('ip-detect/any-interface.sh', [], []);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('set ROUTE_TARGET');
  });
});

describe('shell files', () => {
  test('every shipped script, stand-in and stub is clean under shellcheck', (ctx) => {
    needTool('shellcheck', ctx);
    const files = [
      ...fs.readdirSync(path.join(TEMPLATES, 'ip-detect')).map((f) => path.join(TEMPLATES, 'ip-detect', f)),
      ...fs
        .readdirSync(path.join(rendered, 'fault-domain-detect'))
        .map((f) => path.join(rendered, 'fault-domain-detect', f)),
      // The source itself is a shell file too (its variant blocks are comments to the shell).
      path.join(TEMPLATES, 'fault-domain-detect.sh.tmpl'),
      ...fs.readdirSync(path.join(REPO, 'test/support/stubs')).map((f) => path.join(REPO, 'test/support/stubs', f)),
      path.join(TEMPLATES, 'dcos_install.sh.tmpl'),
      path.join(TEMPLATES, 'dcos_node_upgrade.sh.tmpl'),
      // What --preflight, --deploy --pull, --uninstall and --install-prereqs pipe to `sudo bash -s`.
      ...fs.readdirSync(path.join(TEMPLATES, 'remote')).map((f) => path.join(TEMPLATES, 'remote', f)),
    ];
    const payload = path.join(REPO, 'scripts/example-artifacts');
    for (const pkg of fs.readdirSync(payload)) {
      const bin = path.join(payload, pkg, 'bin');
      if (fs.existsSync(bin)) files.push(...fs.readdirSync(bin).map((f) => path.join(bin, f)));
    }
    expect(files.length).toBeGreaterThan(20);
    const r = spawnSync('shellcheck', files, { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('the single-cloud fault-domain scripts carry the same code as auto.sh', () => {
    const auto = fs.readFileSync(path.join(rendered, 'fault-domain-detect/auto.sh'), 'utf8');
    const shared = auto.slice(auto.indexOf('MD='), auto.indexOf('probe_aws()'));
    for (const p of ['aws', 'azure', 'gcp']) {
      const s = fs.readFileSync(path.join(rendered, `fault-domain-detect/${p}.sh`), 'utf8');
      expect(s, p).toContain(shared);
      expect(s.trimEnd().endsWith(`detect_${p}`), p).toBe(true);
    }
  });
});
