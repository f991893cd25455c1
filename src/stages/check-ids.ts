/**
 * The stable identifiers of the named checks, for `--ignore-check NAME[,NAME]` and the reports. A check's text is
 * what dcos_install.sh (or a judge) prints; its id is what an operator types. The ids are documented in README.md
 * ("Check names"); renaming one is a breaking change. Pure.
 */

export interface CheckInfo {
  id: string;
  /** Which stage reports it. */
  stage: 'preflight' | 'postflight';
  /**
   * Who runs it: dcos_install.sh (its preflight checks, also run by the install itself, which is told the ignored
   * ones), genconf (judged from what hosts print), or dcos-diagnostics on the node (postflight).
   */
  by: 'dcos_install.sh' | 'genconf' | 'dcos-diagnostics';
  /** What the check looks at, as the README lists it. */
  what: string;
}

/** Preflight checks of dcos_install.sh --preflight-only, by the text it prints (templates/dcos_install.sh.tmpl). */
const PREFLIGHT_TEXT: ReadonlyArray<readonly [RegExp, (m: RegExpExecArray) => string]> = [
  [/^Checking if DC\/OS is already installed$/, () => 'dcos-not-installed'],
  [/^Is SELinux disabled\?$/, () => 'selinux-disabled'],
  [/^Checking if Docker is running$/, () => 'docker-running'],
  [/^Checking docker version requirement/, () => 'docker-version'],
  [/^Checking systemd version requirement/, () => 'systemd-version'],
  [/^Checking if (\S+) is installed and in PATH$/, (m) => `command-${m[1]!.toLowerCase()}`],
  [/^Checking if port (\d+) \(required by .*\) is in use$/, (m) => `port-${m[1]!}`],
  [/^Checking if (\S+) is mounted with "ftype=1"$/, () => 'xfs-ftype'],
  [/^Checking Docker is configured with a production storage driver$/, () => 'docker-storage-driver'],
  [/^Checking CPU count for the /, () => 'cpu-count'],
  [/^Checking memory for the /, () => 'memory'],
  [/^Checking disk size of \/var\/lib for the /, () => 'var-lib-size'],
  [/^Checking if \/opt is on the root filesystem$/, () => 'opt-on-root'],
  [/^Checking free space under \/var\/lib/, () => 'var-lib-free-space'],
  [/^Checking if the clock is synchronised$/, () => 'clock-synchronised'],
  [/^Checking if ip-detect prints one valid IPv4 address$/, () => 'ip-detect-valid'],
];

/** The id of a check by the text that names it; a text nobody catalogued gets its words in kebab case. */
export function checkIdOf(text: string): string {
  for (const [re, id] of PREFLIGHT_TEXT) {
    const m = re.exec(text);
    if (m) return id(m);
  }
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** ip-detect's answer compared with the address config.yaml lists (stages/judge.ts judgeIpDetect). */
export const IP_DETECT_MATCHES = 'ip-detect';
/** The name (and, in kebab case, the id) of the cross-host check for duplicate addresses (stages/preflight.ts). */
export const UNIQUE_ADDRESS = 'unique address';
/** The cross-host check that masters' fault domains are in the local region (stages/preflight.ts). */
export const MASTERS_IN_LOCAL_REGION = 'masters in the local region';

/** Commands dcos_install.sh checks for in PATH (check_commands). */
const COMMANDS = ['curl', 'bash', 'ping', 'tar', 'xz', 'unzip', 'ipset', 'systemd-notify', 'docker', 'systemd'];

/** Ports dcos_install.sh checks: ids port-<n> for any port number, listed in the README as a pattern. */
export const PORT_CHECK = /^port-([1-9]\d{0,4})$/;

/**
 * The built-in checks `dcos-diagnostics check node-poststart` runs (config/dcos-health-checks.ts), by the name it reports;
 * the id is that name in kebab case (`mesos_agent_registered_with_masters` → `mesos-agent-registered-with-masters`).
 * Checks of the operator's `custom_checks` have no catalogued id.
 */
export const POSTFLIGHT_CHECKS: ReadonlyArray<readonly [name: string, what: string]> = [
  ['components_master', 'every DC/OS unit of a master is healthy'],
  ['components_agent', 'every DC/OS unit of an agent is healthy'],
  ['xz', 'the xz utility is available'],
  ['tar', 'the tar utility is available'],
  ['curl', 'the curl utility is available'],
  ['unzip', 'the unzip utility is available'],
  ['ip_detect_script', 'the ip-detect script prints a valid address'],
  ['mesos_master_replog_synchronized', "the Mesos master's replicated log is synchronised"],
  ['mesos_agent_registered_with_masters', 'the Mesos agent is registered with the masters'],
  ['journald_dir_permissions', "journald's directory has the right owners and permissions"],
  ['clock_sync', 'the system clock is in sync (with check_time: true)'],
];

const install = (id: string, what: string): CheckInfo => ({ id, stage: 'preflight', by: 'dcos_install.sh', what });

export const CHECKS: readonly CheckInfo[] = [
  install('dcos-not-installed', 'DC/OS is not installed on the host yet'),
  install('selinux-disabled', 'SELinux is not enforcing'),
  ...COMMANDS.map((c) => install(`command-${c}`, `${c} is installed and in PATH`)),
  install('docker-running', 'Docker is running'),
  install('docker-version', 'Docker version >= 1.6'),
  install('systemd-version', 'systemd version >= 200'),
  install('xfs-ftype', 'XFS mounts for containers have ftype=1'),
  install('docker-storage-driver', 'Docker uses a production storage driver'),
  install('cpu-count', 'CPU count for the role (a warning)'),
  install('memory', 'memory for the role (a warning)'),
  install('var-lib-size', 'disk size of /var/lib for the role (a warning)'),
  install('opt-on-root', '/opt is on the root filesystem'),
  install('var-lib-free-space', 'free space under /var/lib'),
  install('clock-synchronised', 'the clock is synchronised'),
  install('ip-detect-valid', 'ip-detect prints one valid IPv4 address, twice the same'),
  {
    id: IP_DETECT_MATCHES,
    stage: 'preflight',
    by: 'genconf',
    what: 'ip-detect prints the address config.yaml lists for the host',
  },
  { id: checkIdOf(UNIQUE_ADDRESS), stage: 'preflight', by: 'genconf', what: 'no two hosts report the same address' },
  {
    id: checkIdOf(MASTERS_IN_LOCAL_REGION),
    stage: 'preflight',
    by: 'genconf',
    what: "every master's fault domain is in the local region",
  },
  ...POSTFLIGHT_CHECKS.map(([name, what]): CheckInfo => ({
    id: checkIdOf(name),
    stage: 'postflight',
    by: 'dcos-diagnostics',
    what,
  })),
];

/** Whether `id` names a known check (a catalogued id, or port-<n>). */
export function isKnownCheck(id: string): boolean {
  return CHECKS.some((c) => c.id === id) || PORT_CHECK.test(id);
}

/** The dcos-diagnostics names of the postflight checks among `ids` (what the node's wait loop may leave failing). */
export function postflightNamesOf(ids: readonly string[]): string[] {
  return POSTFLIGHT_CHECKS.map(([name]) => name).filter((name) => ids.includes(checkIdOf(name)));
}

/** The ids among `ids` that dcos_install.sh itself checks (the install is told to report them as ignored). */
export function installCheckIdsOf(ids: readonly string[]): string[] {
  return ids.filter((id) => PORT_CHECK.test(id) || CHECKS.some((c) => c.id === id && c.by === 'dcos_install.sh'));
}
