/** Admin Router, the UI, telemetry, diagnostics and logs, and the master-only schedulers. */

import { ConfigReader, lines } from './config-reader.js';
import { parseJson, pyJsonDumpTree, type JsonNode } from '../../pycompat/json-tree.js';
import { type BundleEntry, file } from './types.js';
import { MESOS_ZK } from './mesos.js';

const ROLES = [
  ['etc_master', 'master'],
  ['etc_slave', 'agent'],
  ['etc_slave_public', 'agent_public'],
] as const;

export function renderServices(a: ConfigReader): BundleEntry[] {
  const bundleDir = a.line('diagnostics_bundles_dir');
  const out: BundleEntry[] = [
    file('etc/adminrouter.env', lines(`ADMINROUTER_ACTIVATE_AUTH_MODULE=${a.line('adminrouter_auth_enabled')}`)),
    file('etc/adminrouter-tls-master.conf', tlsMaster(a)),
    file(
      'etc/adminrouter-tls-agent.conf',
      lines(
        '# Note that Agent Admin Router only serves cluster-internal clients. Hence,',
        '# browser compatibility is not a criterion for the TLS cipher suite selection.',
        'ssl_ciphers EECDH+AES128:RSA+AES128:EECDH+AES256:RSA+AES256:!MD5;',
        'ssl_prefer_server_ciphers on;',
        'ssl_protocols TLSv1.2;',
      ),
    ),
    file(
      'etc_master/adminrouter-listen-open.conf',
      lines(
        'listen 80 default_server;',
        'listen 443 ssl default_server;',
        '',
        'ssl_certificate includes/snakeoil.crt;',
        'ssl_certificate_key includes/snakeoil.key;',
      ),
    ),
    file('etc_slave/adminrouter-listen-open.conf', lines('listen 61001 default_server;')),
    file('etc_slave_public/adminrouter-listen-open.conf', lines('listen 61001 default_server;')),
    file(
      'etc_master/adminrouter-upstreams-open.conf',
      lines(
        '# Just for compatibility/uniformity with EE:',
        'set $adminrouter_agent_port 61001;',
        'set $upstream_cosmos http://127.0.0.1:7070;',
        'set $upstream_mesos http://leader.mesos:5050;',
      ),
    ),
    file(
      'etc/dcos-oauth.env',
      lines(
        `OAUTH_ISSUER_URL=${a.line('oauth_issuer_url')}`,
        `OAUTH_CLIENT_ID=${a.line('oauth_client_id')}`,
        `OAUTH_AUTH_REDIRECTOR=${a.line('oauth_auth_redirector')}`,
      ),
    ),
    file('etc/ui-config.json', uiConfig(a)),
    file(
      'etc/dcos-signal-config.json',
      lines(
        '{',
        `  "gen_platform": ${JSON.stringify(a.get('platform'))},`,
        `  "gen_provider": ${JSON.stringify(a.get('provider'))},`,
        '  "diagnostics_urls": [',
        '    "http://leader.mesos:1050/system/health/v1/report?cache=0"',
        '  ],',
        '  "cosmos_urls": [',
        '    "http://127.0.0.1:7070/package/list"',
        '  ],',
        '  "mesos_urls": [',
        '    "http://leader.mesos:5050/frameworks",',
        '    "http://leader.mesos:5050/metrics/snapshot"',
        '  ],',
        `  "enabled": ${JSON.stringify(a.get('telemetry_enabled'))}`,
        '}',
      ),
    ),
    file(
      'etc/dcos-diagnostics.env',
      lines(
        `DCOS_DIAGNOSTICS_BUNDLE_DIR=${bundleDir}`,
        'DCOS_DIAGNOSTICS_CONFIG_PATH=/opt/mesosphere/etc/dcos-diagnostics-config.json',
      ),
    ),
    file('etc/dcos-diagnostics-endpoint-config.json', endpointConfig(a)),
    // The original wrote json.dumps(indent=2) with no final newline; dcos-diagnostics parses it as JSON.
    file('etc/dcos-diagnostics-runner-config.json', checkRunnerConfig(a)),
    file('etc/dcos-log.env', lines('DCOS_LOG_CONFIG_PATH=/opt/mesosphere/etc/dcos-log-config.json')),
    file('etc/dcos-metrics-config.yaml', lines('producers:', '  prometheus:', '    port: 61091')),
    file('etc/dcos-metrics.env', lines('DCOS_METRICS_CONFIG_PATH=/opt/mesosphere/etc/dcos-metrics-config.yaml')),
    file('etc_master/dcos-history.env', lines('STATE_SUMMARY_URI=http://leader.mesos:5050/state-summary')),
    file(
      'etc_master/marathon',
      lines(
        '# This file will be overwritten on DC/OS upgrade.',
        '# For post-installation customization, edit the file /var/lib/dcos/marathon/environment',
        'MARATHON_ZK=zk://zk-1.zk:2181,zk-2.zk:2181,zk-3.zk:2181,zk-4.zk:2181,zk-5.zk:2181/marathon',
        'LIBPROCESS_PORT=15101',
        `MARATHON_JAVA_ARGS=${a.line('marathon_java_args')}`,
        a.flag('dcos_overlay_enable') && `MARATHON_DEFAULT_NETWORK_NAME=${a.get('dcos_overlay_network_default_name')}`,
      ),
    ),
    file(
      'etc_master/metronome',
      lines(
        'METRONOME_MESOS_LEADER_UI_URL=http://leader.mesos:5050',
        `METRONOME_MESOS_MASTER_URL=${MESOS_ZK}`,
        'METRONOME_PLAY_SERVER_HTTP_PORT=9000',
        'METRONOME_MESOS_USER=root',
        'LIBPROCESS_PORT=15201',
        'METRONOME_SCHEDULER_TASK_LAUNCH_CONFIRM_TIMEOUT=600000',
        'METRONOME_SCHEDULER_TASK_LAUNCH_TIMEOUT=600000',
      ),
    ),
  ];
  for (const [dir, role] of ROLES) {
    const diag =
      role === 'master'
        ? [
            '{',
            '  "role": "master",',
            '  "pull": true,',
            `  "diagnostics-bundle-dir": ${JSON.stringify(bundleDir)},`,
            '  "endpoint-config": "/opt/mesosphere/etc/dcos-diagnostics-endpoint-config.json",',
            '  "no-unix-socket": true,',
            '  "agent-port": 61001',
            '}',
          ]
        : [
            '{',
            `  "role": "${role}",`,
            '  "endpoint-config": "/opt/mesosphere/etc/dcos-diagnostics-endpoint-config.json",',
            '  "agent-port": 61001',
            '}',
          ];
    out.push(file(`${dir}/dcos-diagnostics-config.json`, lines(...diag)));
    out.push(file(`${dir}/dcos-log-config.json`, lines('{', `  "role": "${role}"`, '}')));
  }
  return out;
}

function tlsMaster(a: ConfigReader): string {
  const ciphers = a.flag('adminrouter_tls_cipher_override', 'false')
    ? a.line('adminrouter_tls_cipher_suite')
    : 'EECDH+AES128:RSA+AES128:EECDH+AES256:RSA+AES256:!MD5:!3DES';
  return lines(
    '# Ref: https://github.com/cloudflare/sslconfig/blob/master/conf',
    '# Modulo ChaCha20 cipher and 3DES bulk encryption algorithm.',
    '# For 3DES see https://jira.mesosphere.com/browse/DCOS-21958',
    '',
    `ssl_ciphers ${ciphers};`,
    '',
    'ssl_prefer_server_ciphers on;',
    '# To manually test which TLS versions are enabled on a node, use',
    '# `openssl` commands.',
    '#',
    '# See comments on https://jira.mesosphere.com/browse/DCOS-13437 for more',
    '# details.',
    `ssl_protocols ${a.line('adminrouter_tls_version_override')};`,
  );
}

/**
 * The UI's plugin switches. The ui_banner_* values are JSON fragments (`null`, or a quoted string) and are
 * inserted as such, as the original did; a bare word the operator meant as text is quoted instead of
 * breaking the whole file.
 */
function uiConfig(a: ConfigReader): string {
  const frag = (key: string): string => jsonFragment(a.get(key));
  const banner =
    `{"enabled":${frag('ui_banner')},"backgroundColor":${JSON.stringify(a.get('ui_banner_background_color'))},` +
    `"foregroundColor":${JSON.stringify(a.get('ui_banner_foreground_color'))},"headerTitle":${frag('ui_banner_header_title')},` +
    `"headerContent":${frag('ui_banner_header_content')},"footerContent":${frag('ui_banner_footer_content')},` +
    `"imagePath":${frag('ui_banner_image_path')},"dismissible":${frag('ui_banner_dismissible')}}`;
  let auth: string;
  if (a.flag('custom_auth', 'false')) auth = `${a.get('custom_auth_json')}`;
  else {
    const oauth = a.flag('oauth_available')
      ? `"oauth":{"enabled":${a.get('oauth_enabled')},"authHost":${JSON.stringify(a.get('oauth_auth_host'))}}`
      : '"oauth":{"enabled":false}';
    auth = `"authentication":{"enabled":false},${oauth},`;
  }
  return lines(
    `{"uiConfiguration":{"plugins":{"banner":${banner},"branding":{"enabled":${frag('ui_branding')}},` +
      `"external-links": {"enabled": ${frag('ui_external_links')}},${auth}` +
      `"tracking":{"enabled":${a.get('telemetry_enabled')},"metadata":${frag('ui_telemetry_metadata')}},` +
      `"mesos":{"logging-strategy":${JSON.stringify(a.get('mesos_container_log_sink'))}}}}}`,
  );
}

/** A JSON fragment as given when it is JSON, else the text as a JSON string. */
function jsonFragment(v: string): string {
  try {
    JSON.parse(v);
    return v;
  } catch {
    return JSON.stringify(v);
  }
}

/**
 * The built-in checks merged with the operator's `custom_checks` (theirs first, as the original merged
 * them), plus the environment the checks run in.
 */
export function checkRunnerConfig(a: ConfigReader): string {
  const dcos = objEntries(parseJson(a.get('check_config')));
  const user = objEntries(parseJson(a.opt('custom_checks', '{}')));
  const section = (cfg: Map<string, JsonNode>, k: string): Map<string, JsonNode> => objEntries(cfg.get(k));
  const list = (cfg: Map<string, JsonNode>, k: string): JsonNode[] => {
    const n = section(cfg, 'node_checks').get(k);
    return n?.t === 'arr' ? n.items : [];
  };
  const clusterChecks = new Map([...section(user, 'cluster_checks'), ...section(dcos, 'cluster_checks')]);
  const nodeChecks = new Map([
    ...section(section(user, 'node_checks'), 'checks'),
    ...section(section(dcos, 'node_checks'), 'checks'),
  ]);
  const merged = new Map<string, JsonNode>();
  if (clusterChecks.size > 0) merged.set('cluster_checks', { t: 'obj', entries: clusterChecks });
  if (nodeChecks.size > 0) {
    merged.set('node_checks', {
      t: 'obj',
      entries: new Map<string, JsonNode>([
        ['checks', { t: 'obj', entries: nodeChecks }],
        ['prestart', { t: 'arr', items: [...list(user, 'prestart'), ...list(dcos, 'prestart')] }],
        ['poststart', { t: 'arr', items: [...list(user, 'poststart'), ...list(dcos, 'poststart')] }],
      ]),
    });
  }
  merged.set('check_env', {
    t: 'obj',
    entries: new Map<string, JsonNode>([
      ['PATH', { t: 'str', v: a.get('check_search_path') }],
      ['LD_LIBRARY_PATH', { t: 'str', v: a.get('check_ld_library_path') }],
    ]),
  });
  return pyJsonDumpTree({ t: 'obj', entries: merged }, { indent: 2 });
}

function objEntries(n: JsonNode | undefined): Map<string, JsonNode> {
  return n?.t === 'obj' ? n.entries : new Map<string, JsonNode>();
}

type Endpoint = [port: string | number, uri: string, roles: string];
const MASTER = '["master"]';
const AGENTS = '["agent", "agent_public"]';

/** What dcos-diagnostics collects into a bundle: HTTP endpoints, local files and commands, per role. */
function endpointConfig(a: ConfigReader): string {
  const marathon = a.opt('marathon_port', '8080');
  const http: Endpoint[] = [];
  if (a.flag('dcos_overlay_enable'))
    http.push([5050, '/overlay-master/state', MASTER], [5051, '/overlay-agent/overlay', AGENTS]);
  for (const uri of [
    '/__processes__',
    '/master/flags',
    '/master/frameworks',
    '/master/maintenance/schedule',
    '/master/maintenance/status',
    '/master/roles',
    '/master/slaves',
    '/master/state',
    '/master/state-summary',
    '/master/tasks',
    '/metrics/snapshot',
    '/registrar(1)/registry',
    '/system/stats.json',
    '/version',
    '/quota',
  ])
    http.push([5050, uri, MASTER]);
  for (const uri of [
    '/metrics',
    '/v2/apps',
    '/v2/deployments',
    '/v2/groups',
    '/v2/info',
    '/v2/leader',
    '/v2/queue',
    '/v2/tasks',
  ])
    http.push([marathon, uri, MASTER]);
  http.push([8080, '/v2/pods', MASTER]);
  for (const uri of ['list', 'log', 'state', 'status']) http.push([8181, `/exhibitor/v1/cluster/${uri}`, MASTER]);
  http.push([8181, '/exhibitor/v1/config/get-state', MASTER]);
  for (const uri of ['/__processes__', '/metrics/snapshot', '/flags', '/state', '/system/stats.json'])
    http.push([5051, uri, AGENTS]);
  http.push(
    [8123, '/v1/config', MASTER],
    [8123, '/v1/version', MASTER],
    [5051, '/containers', AGENTS],
    [9000, '/v1/jobs', MASTER],
  );

  const files: Array<[string, string?]> = [
    ['/opt/mesosphere/active.buildinfo.full.json'],
    ['/opt/mesosphere/etc/dcos-version.json'],
    ['/opt/mesosphere/etc/expanded.config.json'],
    ['/opt/mesosphere/etc/user.config.yaml'],
    ['/var/lib/dcos/cluster-id'],
    ['/var/lib/dcos/exhibitor/zookeeper/snapshot/myid', MASTER],
    ['/var/lib/dcos/exhibitor/conf/zoo.cfg', MASTER],
    ['/etc/resolv.conf'],
    ['/proc/net/ip_vs'],
    ['/proc/net/ip_vs_conn'],
    ['/proc/net/fib_trie'],
    ['/proc/cmdline'],
    ['/proc/cpuinfo'],
    ['/proc/meminfo'],
    ['/proc/self/mountinfo'],
    [a.get('mesos_agent_log_file'), AGENTS],
    [a.get('mesos_master_log_file'), MASTER],
  ];
  const mesosEnv = "cat /proc/`systemctl show dcos-mesos-master.service -p MainPID| cut -d'=' -f2`/environ";
  const commands: Array<[string[], string?]> = [
    [['dmesg', '-T']],
    [['ip', 'addr']],
    [['ip', 'route']],
    [['ps', 'aux', 'ww', 'Z']],
    [['/opt/mesosphere/bin/curl', '-s', '-S', 'http://localhost:62080/v1/vips']],
    [['/opt/mesosphere/bin/curl', '-s', '-S', 'http://localhost:62080/v1/records']],
    [['timedatectl']],
    [['/bin/sh', '-c', 'cat /etc/*-release']],
    [['systemctl', 'list-units', 'dcos*']],
    [['sestatus']],
    [['iptables-save']],
    [['ip6tables-save']],
    [['ipset', 'list']],
    [['/bin/sh', '-c', mesosEnv], MASTER],
    // As in 1.11: agents also read the master unit's environment (a long-standing quirk, kept for parity).
    [['/bin/sh', '-c', mesosEnv], AGENTS],
    [['docker', '--version'], AGENTS],
    [['docker', 'ps'], AGENTS],
    [['/opt/mesosphere/bin/detect_ip'], '["master", "agent", "agent_public"]'],
  ];
  const block = (members: string[]): string => ['      {', members.join(',\n'), '      }'].join('\n');
  const httpText = http.map(([port, uri, roles]) =>
    block([`          "Port": ${port}`, `          "Uri": ${JSON.stringify(uri)}`, `          "Role": ${roles}`]),
  );
  const fileText = files.map(([loc, roles]) =>
    block([`          "Location": ${JSON.stringify(loc)}`, ...(roles ? [`          "Role": ${roles}`] : [])]),
  );
  const cmdText = commands.map(([cmd, roles]) =>
    block([
      `          "Command": [${cmd.map((c) => JSON.stringify(c)).join(', ')}]`,
      ...(roles ? [`          "Role": ${roles}`] : []),
    ]),
  );
  return lines(
    '{',
    '  "HTTPEndpoints": [',
    httpText.join(',\n'),
    '  ],',
    '  "LocalFiles": [',
    fileText.join(',\n'),
    '  ],',
    '  "LocalCommands": [',
    cmdText.join(',\n'),
    '  ]',
    '}',
  );
}
