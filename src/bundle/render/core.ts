/** The node's identity scripts: ip detection, its check, fault-domain detection, and pkginfo. */

import { ConfigReader, lines } from './config-reader.js';
import { scriptText } from './contents.js';
import { type BundleEntry, MODE_EXEC, file } from './types.js';

// What pkgpanda exports to every service of the node: Mesos learns its IP from detect_ip.
export function renderCore(a: ConfigReader): BundleEntry[] {
  const out: BundleEntry[] = [
    file(
      'pkginfo.json',
      lines(
        '{',
        '  "environment": {',
        '    "MESOS_IP_DISCOVERY_COMMAND": "/opt/mesosphere/bin/detect_ip",',
        `    "PROVIDER": ${JSON.stringify(a.get('provider'))}`,
        '  }',
        '}',
      ),
    ),
    // The operator's scripts, byte for byte (arguments may carry them YAML-dumped, as the original did).
    file('bin/detect_ip', scriptText(a.get('ip_detect_contents')), MODE_EXEC),
    file(
      'bin/detect_ip_public',
      scriptText(a.opt('ip_detect_public_contents', a.get('ip_detect_contents'))),
      MODE_EXEC,
    ),
    file('check/check_ip', CHECK_IP, MODE_EXEC),
    file('etc/check_time.env', lines(`ENABLE_CHECK_TIME=${a.line('check_time')}`)),
  ];
  // New over open 1.11: ship the operator's fault-domain script; start_mesos.sh runs it when present.
  const faultDomain = scriptText(a.opt('fault_domain_detect_contents', ''));
  if (faultDomain !== '') out.push(file('bin/detect_fault_domain', faultDomain, MODE_EXEC));
  return out;
}

// Refuses anything but a dotted quad of 0..255; the node's poststart check runs it.
const CHECK_IP = lines(
  '#!/bin/bash',
  'ip=$(/opt/mesosphere/bin/detect_ip)',
  'if [[ "$ip" =~ ^([0-9]{1,3})[.]([0-9]{1,3})[.]([0-9]{1,3})[.]([0-9]{1,3})$ ]];then',
  '  for (( i=1; i<${#BASH_REMATCH[@]}; ++i ))',
  '    do',
  '      (( ${BASH_REMATCH[$i]} <= 255 )) || { echo "Not a valid ip $ip" >&2; exit 1; }',
  '    done',
  'else',
  '  echo "Not a valid ip: $ip" >&2',
  '  exit 1;',
  'fi',
);
