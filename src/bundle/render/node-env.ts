/** Node environment around the services: proxy, DNS search, Docker credentials and GC, REX-Ray. */

import { ConfigReader, lines } from './config-reader.js';
import { pyJsonLoads } from '../../pycompat/json.js';
import { pyYamlDump } from '../../pycompat/yaml-dump.js';
import { type BundleEntry, MODE_SECRET, file } from './types.js';

export function renderNodeEnv(a: ConfigReader): BundleEntry[] {
  const out: BundleEntry[] = [
    // EnvironmentFile of Mesos, Cosmos, REX-Ray and dcos-oauth; empty when no proxy is used.
    file(
      'etc/proxy.env',
      a.flag('use_proxy', 'false')
        ? lines(
            `http_proxy=${a.line('http_proxy')}`,
            `https_proxy=${a.line('https_proxy')}`,
            `no_proxy="${a.line('no_proxy_final')}"`,
          )
        : '',
    ),
    file('etc/dns_search_config', lines(searchLine(a))),
    file('etc/rexray.conf', rexrayConf(a)),
  ];
  // An empty marker file: its presence turns on the docker-gc timer on agents.
  if (a.flag('enable_docker_gc', 'false')) out.push(file('etc/docker_gc_enabled', ''));
  // Registry credentials Mesos hands to Docker; owner-only, they are secrets.
  if (a.flag('cluster_docker_credentials_dcos_owned', 'false')) {
    out.push(file('etc/docker_credentials', lines(a.line('cluster_docker_credentials')), MODE_SECRET));
  }
  return out;
}

function searchLine(a: ConfigReader): string | false {
  const dnsSearch = a.line('dns_search', '');
  const line = a.line('dcos_gen_resolvconf_search_str', dnsSearch === '' ? '' : `SEARCH=${dnsSearch}`);
  return line !== '' && line;
}

/** REX-Ray's own YAML config, as PyYAML wrote the JSON `rexray_config` (block style, sorted keys). */
export function rexrayConf(a: ConfigReader): string {
  return pyYamlDump(pyJsonLoads(a.get('rexray_config')));
}
