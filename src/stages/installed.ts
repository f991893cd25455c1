/**
 * What a host already holds before `--deploy` touches it: nothing (install), exactly this bundle (already installed:
 * skip it, a success), another config (refuse), or a half-finished install (refuse, saying what to do). A re-run of
 * `--deploy` after a dropped terminal or a Ctrl-C therefore finishes the hosts that were not done and leaves the
 * finished ones alone. The probe reads only; it runs as the SSH user, without sudo.
 */
import type { ClusterPlan, PlannedHost } from '../derive/plan.js';
import { processTimeout } from './common.js';
import { plainText } from './judge.js';
import type { CommandOutcome, ExecStep, Verdict } from './types.js';

/** One `key=value` line each: the role files, the active dcos-config package, and traces of an install. */
export const INSTALLED_PROBE = [
  'printf "roles="; ls /etc/mesosphere/roles 2>/dev/null | tr "\\n" " "; echo',
  'printf "config="; readlink /opt/mesosphere/active/dcos-config 2>/dev/null | tr -d "\\n"; echo',
  'printf "opt="; if [ -n "$(ls -A /opt/mesosphere 2>/dev/null)" ]; then echo yes; else echo no; fi',
  'printf "units="; if [ -e /etc/systemd/system/dcos-setup.service ] || [ -e /etc/systemd/system/dcos.target ]; then echo yes; else echo no; fi',
].join('\n');

export interface InstalledState {
  roles: string[];
  /** The config_id of the active dcos-config package, when there is one. */
  configId: string | null;
  /** /opt/mesosphere holds something. */
  opt: boolean;
  /** dcos_install.sh wrote its units. */
  units: boolean;
}

export function parseInstalled(stdout: string): InstalledState | undefined {
  const fields = new Map<string, string>();
  for (const line of plainText(stdout).split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) fields.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  if (!fields.has('roles') || !fields.has('config')) return undefined;
  const pkg = (fields.get('config') ?? '').split('/').pop() ?? '';
  const m = /^dcos-config--setup_([0-9a-f]+)$/.exec(pkg);
  return {
    roles: (fields.get('roles') ?? '').split(/\s+/).filter((r) => r !== ''),
    configId: m ? m[1]! : null,
    opt: fields.get('opt') === 'yes',
    units: fields.get('units') === 'yes',
  };
}

/** The note an already-installed host carries in the summary (it is a success). */
export function alreadyInstalledNote(configId: string): string {
  return `already installed (config_id ${configId}), skipped`;
}

/** Decide from the probe's output (pure). `configId` is the bundle's. */
export function judgeInstalled(configId: string, host: PlannedHost, outcome: CommandOutcome): Verdict {
  if (outcome.exitCode !== 0)
    return { ok: false, message: `the check exited ${outcome.exitCode ?? 'without a status'}` };
  const st = parseInstalled(outcome.stdout);
  if (!st) return { ok: false, message: 'the check printed no roles/config lines' };
  const fix = `run --uninstall --yes --hosts ${host.address} on it, then --deploy again (or --deploy --retry-failed)`;
  if (st.configId !== null) {
    if (st.configId !== configId)
      return {
        ok: false,
        message: `DC/OS is already installed here with config_id ${st.configId}, this bundle's is ${configId}: nothing was changed; to replace it, ${fix}; to move a node to this config use --generate-node-upgrade-script`,
      };
    if (!st.roles.includes(host.installRole))
      return {
        ok: false,
        message: `DC/OS (config_id ${configId}) is installed here as ${st.roles.join(', ') || 'no role'}, config.yaml lists the host as ${host.role} (${host.installRole}): nothing was changed; ${fix}`,
      };
    return { ok: true, done: alreadyInstalledNote(configId) };
  }
  // Only role files of the role planned here: an install cut off (a dropped terminal, Ctrl-C) right after it marked
  // the role and before it unpacked or wrote anything else. dcos_install.sh installs over that, and so may we.
  if (!st.opt && !st.units && st.roles.length > 0 && st.roles.every((r) => r === host.installRole)) return { ok: true };
  if (st.roles.length > 0 || st.opt || st.units) {
    const found = [
      ...(st.roles.length > 0 ? [`role file ${st.roles.map((r) => `/etc/mesosphere/roles/${r}`).join(', ')}`] : []),
      ...(st.opt ? ['files in /opt/mesosphere'] : []),
      ...(st.units ? ['DC/OS units in /etc/systemd/system'] : []),
    ];
    return {
      ok: false,
      message: `half-installed: ${found.join(', ')} but no active DC/OS config (its install never finished): nothing was changed; ${fix}`,
    };
  }
  return { ok: true };
}

/** The first deploy step: look before installing. */
export function installedCheckStep(plan: ClusterPlan, host: PlannedHost, configId: string): ExecStep {
  return {
    kind: 'exec',
    id: 'check-installed',
    title: 'Check whether DC/OS is already installed',
    argv: ['sh', '-c', INSTALLED_PROBE],
    judge: (o) => judgeInstalled(configId, host, o),
    timeout: processTimeout(plan),
  };
}
