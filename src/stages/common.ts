/** Steps several stages share: the staging directory and its cleanup. */
import path from 'node:path';
import type { ClusterPlan, PlannedHost } from '../derive/plan.js';
import { installCheckIdsOf } from './check-ids.js';
import type { ExecStep, PutStep, StepTimeout } from './types.js';

/** `sudo -n`: fail at once when sudo wants a password instead of hanging on a prompt nobody sees. */
export const SUDO = ['sudo', '-n'] as const;

/**
 * `--ignore-check` ids dcos_install.sh checks itself, as its arguments: `--preflight` and the install both run its
 * checks, and tell it to report these as IGNORED instead of failing on them (the ids of other checks mean nothing to
 * it and are not sent). Empty without such ids, so that the command is then exactly what it was before.
 */
export function installIgnoreArgs(plan: ClusterPlan): string[] {
  const ids = installCheckIdsOf(plan.ignoreChecks ?? []);
  return ids.length > 0 ? ['--ignore-check', ids.join(',')] : [];
}

export function processTimeout(plan: ClusterPlan): StepTimeout {
  return { ms: plan.processTimeoutMs, option: 'process_timeout in config.yaml' };
}

/**
 * The staging directory, owned by the SSH user so that uploads need no sudo. One command (GNU `install -d` sets the
 * owner and mode of an existing directory too) instead of the original's mkdir + chown: one round trip fewer per host.
 */
export function makeStagingDir(plan: ClusterPlan, host: PlannedHost): ExecStep[] {
  return [
    {
      kind: 'exec',
      id: 'mkdir-staging',
      title: `Create the staging directory, owned by ${host.user}`,
      argv: [...SUDO, 'install', '-d', '-o', host.user, '-m', '0755', plan.stagingDir],
      timeout: processTimeout(plan),
    },
  ];
}

export function putInStaging(plan: ClusterPlan, id: string, title: string, local: string, mode: number): PutStep {
  return {
    kind: 'put',
    id,
    title,
    local,
    remote: path.posix.join(plan.stagingDir, path.basename(local)),
    mode,
    // A transfer is judged by progress: it fails only when no byte moved for this long.
    timeout: processTimeout(plan),
  };
}

export function removeStagingDir(plan: ClusterPlan): ExecStep {
  return {
    kind: 'exec',
    id: 'cleanup',
    title: 'Remove the staging directory',
    argv: [...SUDO, 'rm', '-rf', '--one-file-system', plan.stagingDir],
    cleanup: true,
    timeout: processTimeout(plan),
  };
}
