/**
 * The stable identifiers of the named checks, for `--ignore-check NAME[,NAME]` and the reports. A check's text is
 * what dcos_install.sh (or a judge) prints; its id is what an operator types. The ids are documented in README.md
 * ("Check names"); renaming one is a breaking change. Pure.
 */

export interface CheckInfo {
  id: string;
  /** Which stage reports it. */
  stage: 'preflight';
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

export const CHECKS: readonly CheckInfo[] = [
  { id: 'dcos-not-installed', stage: 'preflight', what: 'DC/OS is not installed on the host yet' },
  { id: 'selinux-disabled', stage: 'preflight', what: 'SELinux is not enforcing' },
  ...COMMANDS.map((c) => ({ id: `command-${c}`, stage: 'preflight' as const, what: `${c} is installed and in PATH` })),
  { id: 'docker-running', stage: 'preflight', what: 'Docker is running' },
  { id: 'docker-version', stage: 'preflight', what: 'Docker version >= 1.6' },
  { id: 'systemd-version', stage: 'preflight', what: 'systemd version >= 200' },
  { id: 'xfs-ftype', stage: 'preflight', what: 'XFS mounts for containers have ftype=1' },
  { id: 'docker-storage-driver', stage: 'preflight', what: 'Docker uses a production storage driver' },
  { id: 'cpu-count', stage: 'preflight', what: 'CPU count for the role (a warning)' },
  { id: 'memory', stage: 'preflight', what: 'memory for the role (a warning)' },
  { id: 'var-lib-size', stage: 'preflight', what: 'disk size of /var/lib for the role (a warning)' },
  { id: 'opt-on-root', stage: 'preflight', what: '/opt is on the root filesystem' },
  { id: 'var-lib-free-space', stage: 'preflight', what: 'free space under /var/lib' },
  { id: 'clock-synchronised', stage: 'preflight', what: 'the clock is synchronised' },
  { id: 'ip-detect-valid', stage: 'preflight', what: 'ip-detect prints one valid IPv4 address, twice the same' },
  { id: IP_DETECT_MATCHES, stage: 'preflight', what: 'ip-detect prints the address config.yaml lists for the host' },
  { id: checkIdOf(UNIQUE_ADDRESS), stage: 'preflight', what: 'no two hosts report the same address' },
  {
    id: checkIdOf(MASTERS_IN_LOCAL_REGION),
    stage: 'preflight',
    what: "every master's fault domain is in the local region",
  },
];

/** Whether `id` names a known check (a catalogued id, or port-<n>). */
export function isKnownCheck(id: string): boolean {
  return CHECKS.some((c) => c.id === id) || PORT_CHECK.test(id);
}
