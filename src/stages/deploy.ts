/**
 * Deploy: send the whole bundle as one stream, check its SHA-256 on the node, unpack it and run
 * `dcos_install.sh <role>`. Masters finish before any agent starts; a failed master keeps agents untouched.
 */
import path from 'node:path';
import type { ClusterPlan, PlannedHost } from '../derive/plan.js';
import { installedCheckStep } from './installed.js';
import { installIgnoreArgs, makeStagingDir, processTimeout, putInStaging, removeStagingDir, SUDO } from './common.js';
import { parsePreflightChecks, plainText } from './judge.js';
import {
  defineStage,
  type CommandOutcome,
  type DefinedStage,
  type StageDef,
  type StageFiles,
  type StageInput,
  type Step,
  type Verdict,
} from './types.js';

export function judgeSha256(
  expected: string,
  outcome: CommandOutcome,
  what = 'dcos-install.tar',
  why = 'the copy is damaged, run --deploy again',
): Verdict {
  if (outcome.exitCode !== 0)
    return { ok: false, message: `sha256sum exited ${outcome.exitCode ?? 'without a status'}` };
  const got = plainText(outcome.stdout).trim().split(/\s+/)[0] ?? '';
  if (got.toLowerCase() === expected.toLowerCase()) return { ok: true };
  return { ok: false, message: `${what} arrived with SHA-256 ${got || '(none)'}, expected ${expected}: ${why}` };
}

/**
 * Look before installing: a host that already holds this bundle's config is skipped (a success), one with another or
 * a half-finished install is refused untouched. Needs the bundle's config_id; a bundle without one (no
 * cluster-package-info.json) leaves the guard to dcos_install.sh's own "already installed" check. The push and the
 * pull deploy both look first, with the same probe and the same verdicts.
 */
function checkFirst(plan: ClusterPlan, host: PlannedHost, files: Pick<PushFiles, 'bundleConfigId'>): Step[] {
  const id = files.bundleConfigId;
  return id === undefined ? [] : [installedCheckStep(plan, host, id)];
}

/** The checks the install reported as IGNORED, added to its verdict so the reports list them (never silently). */
export function withIgnoredInstallChecks(verdict: Verdict, outcome: CommandOutcome): Verdict {
  const ignored = parsePreflightChecks(outcome.stdout + '\n' + outcome.stderr).filter((c) => c.status === 'ignored');
  return ignored.length > 0 ? { ...verdict, checks: [...(verdict.checks ?? []), ...ignored] } : verdict;
}

function judgeInstall(o: CommandOutcome): Verdict {
  const v: Verdict =
    o.exitCode === 0 ? { ok: true } : { ok: false, message: `exited ${o.exitCode ?? 'without a status'}` };
  return withIgnoredInstallChecks(v, o);
}

/**
 * What the push sends: the archive and its SHA-256, and the config_id to look for first when the bundle has one.
 * The pull needs the archive's SHA-256 too: it goes into the cluster record however the bundle travelled.
 */
type PushInput = 'bundleTar' | 'bundleSha256';
type PullInput =
  PushInput | 'pullUrl' | 'installScriptSha256' | 'installScriptSize' | 'pullSettings' | 'pullScript' | 'pullLib';
export type PushFiles = StageFiles<PushInput, 'bundleConfigId'>;
export type PullFiles = StageFiles<PullInput, 'bundleConfigId'>;
export type PushDeployStage = DefinedStage<PushInput, 'bundleConfigId'>;
export type PullDeployStage = DefinedStage<PullInput, 'bundleConfigId'>;

export function deploySteps(plan: ClusterPlan, host: PlannedHost, files: PushFiles): Step[] {
  const ignoreArgs = installIgnoreArgs(plan);
  const { bundleTar: tar, bundleSha256: sha } = files;
  const remoteTar = path.posix.join(plan.stagingDir, path.basename(tar));
  return [
    ...checkFirst(plan, host, files),
    ...makeStagingDir(plan, host),
    putInStaging(plan, 'put-bundle', 'Copy dcos-install.tar', tar, 0o644),
    {
      kind: 'exec',
      id: 'verify-bundle',
      title: 'Verify the SHA-256 of dcos-install.tar on the node',
      argv: ['sha256sum', remoteTar],
      judge: (o) => judgeSha256(sha, o),
      timeout: processTimeout(plan),
    },
    {
      kind: 'exec',
      id: 'unpack-bundle',
      title: 'Unpack dcos-install.tar',
      argv: ['tar', '-xf', remoteTar, '-C', plan.stagingDir],
      timeout: processTimeout(plan),
    },
    {
      kind: 'exec',
      id: 'install',
      title: `Install DC/OS as ${host.installRole}`,
      argv: [...SUDO, 'bash', path.posix.join(plan.stagingDir, 'dcos_install.sh'), ...ignoreArgs, host.installRole],
      // Without ignores the exit status alone judges the install, as it always did.
      ...(ignoreArgs.length > 0 ? { judge: judgeInstall } : {}),
      timeout: processTimeout(plan),
    },
    removeStagingDir(plan),
  ];
}

/** The frame lines templates/remote/pull-install.sh prints (not anchored: the install's output may end mid-line). */
const PULL_FRAME = {
  fetchFailed: /@@genconf pull fetch failed/,
  fetched: /@@genconf pull fetched (\S+)/,
  install: /@@genconf pull install exit=(\d+)/,
};

/** What download_one (templates/lib/fetch-artifacts.sh) prints under this line: every URL tried, and why it failed. */
const FETCH_REASONS = 'ERROR: could not download dcos_install.sh from any base URL:';

function lastLine(text: string): string {
  return (
    plainText(text)
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('@@genconf '))
      .at(-1) ?? ''
  );
}

/** The `  <url>: <why>` lines download_one printed after FETCH_REASONS. */
function fetchReasons(stderr: string): string[] {
  const lines = plainText(stderr).split('\n');
  const at = lines.lastIndexOf(FETCH_REASONS);
  if (at < 0) return [];
  const reasons: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (!l.startsWith('  ')) break;
    reasons.push(l.trim());
  }
  return reasons;
}

/**
 * Judge the one-command pull: the download of dcos_install.sh (bootstrap_url, then each mirror, its SHA-256 and size
 * checked), then the install, each failure in the words of the step it replaces (an install that fails reads as the
 * push's: `exited N`).
 */
export function judgePull(expectedSha: string, o: CommandOutcome): Verdict {
  const out = plainText(o.stdout);
  if (PULL_FRAME.fetchFailed.test(out)) {
    const reasons = fetchReasons(o.stderr);
    const tried = reasons.length > 0 ? reasons.join('; ') : lastLine(o.stderr) || 'no reason given';
    const wrong = reasons.some((r) => r.endsWith(': SHA-256 mismatch'))
      ? '; a server that answers with another dcos_install.sh does not serve this genconf/serve (run --genconf and serve it again)'
      : '';
    return {
      ok: false,
      message: `could not download dcos_install.sh (SHA-256 ${expectedSha}) from bootstrap_url or its mirrors: ${tried}${wrong}`,
    };
  }
  if (!PULL_FRAME.fetched.test(out)) {
    const why = lastLine(o.stderr) || lastLine(o.stdout);
    return {
      ok: false,
      message: `the pull could not start (exit ${o.exitCode ?? 'without a status'})${why ? `: ${why}` : ''}`,
    };
  }
  const install = PULL_FRAME.install.exec(out);
  if (!install) return { ok: false, message: `the install ended without a status (exit ${o.exitCode ?? 'none'})` };
  return install[1] === '0' ? { ok: true } : { ok: false, message: `exited ${install[1]}` };
}

/**
 * `--deploy --pull`: the same stage with the bundle pulled instead of pushed. After the same read-only look as the push
 * (a host holding this bundle is skipped, a half-installed or differently configured one refused untouched), ONE
 * command per host (templates/remote/pull-install.sh under one sudo): it downloads dcos_install.sh from bootstrap_url
 * or its mirrors, through the configured proxy, as the artifacts are downloaded (templates/lib/fetch-artifacts.sh's
 * download_one, sent before it), checks its SHA-256 and size against the local genconf/serve copy (the script pins
 * every artifact's SHA-256) and runs it; that downloads each artifact once over HTTP, checks it and installs it. Nothing but the look and this command goes over
 * SSH, so the bootstrap node's CPU does no encryption of the bundle: two execs per host (one for a host skipped).
 */
export function pullDeploySteps(plan: ClusterPlan, host: PlannedHost, files: PullFiles): Step[] {
  const {
    pullUrl: base,
    installScriptSha256: sha,
    installScriptSize: size,
    pullSettings: settings,
    pullScript: script,
    pullLib: lib,
  } = files;
  // The script's sixth argument: the ignored ids for dcos_install.sh, comma-separated; absent without ignores.
  const ignored = installIgnoreArgs(plan).slice(1);
  return [
    // Its own exec, without sudo: the probe must read only, and a skipped host then costs no sudo and no download.
    ...checkFirst(plan, host, files),
    {
      kind: 'exec',
      // The push's id: the summary, NDJSON and record name the same step whichever way the bundle travelled.
      id: 'install',
      title: `Install DC/OS as ${host.installRole}, pulling the bundle from bootstrap_url`,
      argv: [...SUDO, 'bash', '-s', '--', plan.stagingDir, host.installRole, base, sha, String(size), ...ignored],
      // The settings may hold a proxy password: on stdin, never in the command line.
      stdin: [{ file: lib }, { file: script }, { text: settings, label: 'mirrors and proxy settings' }],
      judge: (o) => withIgnoredInstallChecks(judgePull(sha, o), o),
      timeout: processTimeout(plan),
    },
    // The script removes its own directory, even on a hang-up; only a kill on timeout gets past that.
    { ...removeStagingDir(plan), cleanup: 'after-abort' },
  ];
}

export interface DeployOptions {
  /** `--deploy --pull`: each host downloads the bundle from bootstrap_url instead of receiving it. */
  pull?: boolean;
  /** `--continue-on-master-failure`: agents are deployed even when a master failed. */
  continueOnMasterFailure?: boolean;
}

/** The deploy stage's waves (masters, then agents behind their gate) around either way of sending the bundle. */
function deployDef<R extends StageInput>(
  required: readonly R[],
  steps: (plan: ClusterPlan, host: PlannedHost, files: StageFiles<R, 'bundleConfigId'>) => Step[],
  opts: DeployOptions,
): StageDef<R, 'bundleConfigId'> {
  return {
    name: 'deploy',
    summaryName: 'install_dcos',
    title: 'Install DC/OS',
    // Hosts that already hold this config_id are skipped, pushed or pulled (see checkFirst).
    inputs: { required, optional: ['bundleConfigId'] },
    waves: [
      { name: 'masters', hosts: (plan) => plan.hosts.filter((h) => h.role === 'master'), steps },
      {
        name: 'agents',
        hosts: (plan) => plan.hosts.filter((h) => h.role !== 'master'),
        steps,
        condition: 'only after every master succeeded (unless --continue-on-master-failure)',
        gate: ({ failedLabels, plan }) => {
          const failedMasters = plan.hosts.filter((h) => h.role === 'master' && failedLabels.has(h.label));
          if (failedMasters.length === 0 || opts.continueOnMasterFailure === true) return undefined;
          return `not started: master ${failedMasters.map((h) => h.label).join(', ')} failed (--continue-on-master-failure deploys agents anyway)`;
        },
      },
    ],
  };
}

/** The push: the archive over SSH. */
export function pushDeployStage(opts: Omit<DeployOptions, 'pull'> = {}): PushDeployStage {
  return defineStage(deployDef(['bundleTar', 'bundleSha256'], deploySteps, opts));
}

/** The pull: each host downloads from bootstrap_url (the pushed archive's SHA-256 still goes into the record). */
export function pullDeployStage(opts: Omit<DeployOptions, 'pull'> = {}): PullDeployStage {
  return defineStage(
    deployDef(
      [
        'bundleTar',
        'bundleSha256',
        'pullUrl',
        'installScriptSha256',
        'installScriptSize',
        'pullSettings',
        'pullScript',
        'pullLib',
      ],
      pullDeploySteps,
      opts,
    ),
  );
}

/** The deploy stage with its options: its gate (masters before agents) closes over them. */
export function deployStage(opts: DeployOptions = {}): PushDeployStage | PullDeployStage {
  return opts.pull === true ? pullDeployStage(opts) : pushDeployStage(opts);
}

export const deploy = pushDeployStage();
/** The pull variant of deploy: same phases, barrier, summary and exit codes; other steps per host. */
export const deployPull = pullDeployStage();
