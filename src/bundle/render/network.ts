/** dcos-net (DNS forwarder, layer-4 load balancer, overlay), CNI networks, Mesos-DNS. */

import { ConfigReader, lines } from './config-reader.js';
import { type BundleEntry, file } from './types.js';

export function renderNetwork(a: ConfigReader): BundleEntry[] {
  const ipv6 = a.line('enable_ipv6');
  const cniDataDir = a.get('dcos_cni_data_dir');
  const agentDns = dcosDns(a, true);
  const slaveConfig = erlangConfig([['telemetry', [['forward_metrics', a.opt('dcos_l4lb_forward_metrics', 'false')]]]]);
  return [
    file(
      'etc/dcos.network',
      lines('[Match]', 'Name=docker* m-* d-* vtep* spartan minuteman', '', '[Link]', 'Unmanaged=yes'),
    ),
    file(
      'etc/dcos_net',
      lines(
        `DCOS_NET_WATCHDOG=${a.line('dcos_net_watchdog')}`,
        `DCOS_NET_IPV6=${ipv6}`,
        `DCOS_NET_CLUSTER_IDENTITY=${a.line('dcos_net_cluster_identity')}`,
      ),
    ),
    file(
      'etc/dcos-net.config.d/common.config',
      erlangConfig([
        [
          'dcos_net',
          [
            ['dist_port', '62501'],
            ['epmd_port', '61420'],
            ['killer', '{enabled, abort}'],
          ],
        ],
        [
          'dcos_l4lb',
          [
            ['enable_lb', a.get('enable_lb')],
            ['enable_ipv6', a.get('dcos_l4lb_enable_ipv6')],
            ['min_named_ip', a.get('dcos_l4lb_min_named_ip_erltuple')],
            ['max_named_ip', a.get('dcos_l4lb_max_named_ip_erltuple')],
            ['min_named_ip6', a.get('dcos_l4lb_min_named_ip6_erltuple')],
            ['max_named_ip6', a.get('dcos_l4lb_max_named_ip6_erltuple')],
            ['ipset_enabled', a.get('dcos_l4lb_enable_ipset')],
          ],
        ],
        [
          'dcos_overlay',
          [
            ['enable_overlay', a.get('dcos_overlay_enable')],
            ['enable_ipv6', ipv6],
          ],
        ],
        ['dcos_rest', [['enable_rest', a.get('dcos_net_rest_enable')]]],
      ]),
    ),
    file(
      'etc_master/dcos-net.config.d/master.config',
      erlangConfig([
        ['dcos_net', [['is_master', 'true']]],
        ['dcos_l4lb', [['agent_polling_enabled', 'false']]],
        ['telemetry', [['forward_metrics', 'false']]],
      ]),
    ),
    file('etc_slave/dcos-net.config.d/slave.config', slaveConfig),
    file('etc_slave_public/dcos-net.config.d/slave.config', slaveConfig),
    file(
      'etc/dcos-cni-networks',
      lines(
        '{',
        '  "names": [',
        `      ${JSON.stringify(a.get('dcos_overlay_network_default_name'))},`,
        `      ${JSON.stringify(a.get('dcos_overlay_network6_default_name'))},`,
        `      ${JSON.stringify(a.get('dcos_ucr_default_bridge_network_name'))},`,
        '      "kube-cni"',
        '   ]',
        ' }',
      ),
    ),
    file(
      'etc/overlay/config/master.json',
      lines(
        '{',
        '  "replicated_log_dir":"/var/lib/dcos/mesos/master/",',
        `  "network": ${a.opt('dcos_overlay_network_json', a.get('dcos_overlay_network'))}`,
        ' }',
      ),
    ),
    file('etc/overlay/config/agent.json', overlayAgent(a, cniDataDir, true)),
    file('etc/overlay/config/agent-master.json', overlayAgent(a, cniDataDir, false)),
    file(
      'etc/dcos/network/cni/ucr-default-bridge.conf',
      lines(
        '{',
        `  "name": ${JSON.stringify(a.get('dcos_ucr_default_bridge_network_name'))},`,
        '  "type" : "mesos-cni-port-mapper",',
        '  "excludeDevices" : ["ucr-br0"],',
        '  "chain": "UCR-DEFAULT-BRIDGE",',
        '  "delegate": {',
        '    "type": "bridge",',
        '    "bridge": "ucr-br0",',
        '    "isDefaultGateway": true,',
        '    "forceAddress": false,',
        '    "ipMasq": true,',
        '    "hairpinMode": true,',
        '    "ipam": {',
        '      "type": "host-local",',
        `      "dataDir": ${JSON.stringify(cniDataDir)},`,
        `      "subnet": ${JSON.stringify(a.get('dcos_ucr_default_bridge_subnet'))},`,
        '      "routes": [',
        '      { "dst":',
        '        "0.0.0.0/0" }',
        '      ]',
        '    }',
        '  }',
        '}',
      ),
    ),
    file('etc/mesos-dns.env', lines('MESOS_DNS_CONFIG=/opt/mesosphere/etc/mesos-dns.json')),
    file(
      'etc/mesos-dns.json',
      lines(
        '{',
        '  "zk": "zk://zk-1.zk:2181,zk-2.zk:2181,zk-3.zk:2181,zk-4.zk:2181,zk-5.zk:2181/mesos",',
        '  "refreshSeconds": 30,',
        '  "ttl": 60,',
        '  "domain": "mesos",',
        '  "port": 61053,',
        // Already a JSON member: `"resolvers": [...]`, or `"externalOn": false` with no resolvers.
        `  ${a.get('mesos_dns_resolvers_str')},`,
        '  "timeout": 5,',
        '  "listener": "0.0.0.0",',
        '  "email": "root.mesos-dns.mesos",',
        `  "IPSources": ${a.get('mesos_dns_ip_sources')},`,
        `  "SetTruncateBit": ${a.get('mesos_dns_set_truncate_bit')}`,
        '}',
      ),
    ),
    // Masters answer on every interface unless master_dns_bindall is false; agents bind the spartan dummy.
    file('etc_master/dcos-dns.json', dcosDns(a, !a.flag('master_dns_bindall'), true)),
    file('etc_slave/dcos-dns.json', agentDns),
    file('etc_slave_public/dcos-dns.json', agentDns),
  ];
}

type ErlSection = [app: string, settings: Array<[key: string, value: string]>];

/** An Erlang sys.config term: `[{app, [{key, value}, ...]}, ...].` */
function erlangConfig(sections: ErlSection[]): string {
  const body = sections
    .map(([app, settings]) =>
      [`  {${app},`, '    [', settings.map(([k, v]) => `      {${k}, ${v}}`).join(',\n'), '    ]', '  }'].join('\n'),
    )
    .join(',\n');
  return lines('[', body, '].');
}

function overlayAgent(a: ConfigReader, cniDataDir: string, agent: boolean): string {
  return lines(
    '{',
    '  "cni_dir":"/opt/mesosphere/etc/dcos/network/cni",',
    `  "cni_data_dir": ${JSON.stringify(cniDataDir)},`,
    agent ? '  "network_config":' : '  "network_config" :',
    '  {',
    '    "allocate_subnet": true,',
    // Agents bridge Mesos and Docker containers onto the overlay; masters only take part in it.
    `    "mesos_bridge": ${agent},`,
    `    "docker_bridge": ${agent},`,
    `    "overlay_mtu": ${a.get('dcos_overlay_mtu')},`,
    `    "enable_ipv6": ${a.get('enable_ipv6')}`,
    '  },',
    `  "max_configuration_attempts": ${a.get('dcos_overlay_config_attempts')}`,
    agent ? ' }' : '}',
  );
}

function dcosDns(a: ConfigReader, bindSpartan: boolean, master = false): string {
  const bind = bindSpartan && '  "bind_interface": "spartan",';
  const upstream = `  "upstream_resolvers": ${a.get('resolvers')},`;
  // Same members in the original's order: masters list the (optional) bind interface first.
  return lines(
    '{',
    ...(master ? [bind, upstream] : [upstream, bind]),
    '  "udp_port": 53,',
    '  "tcp_port": 53,',
    `  "bind_ip_blacklist": ${a.get('dns_bind_ip_blacklist_json')},`,
    `  "forward_zones": ${a.get('dns_forward_zones')}`,
    '}',
  );
}
