/**
 * `--preflight | --deploy | --postflight | --uninstall | --install-prereqs`: judge the config with the SSH rules
 * (invalid: report, exit 1, touch nothing), plan the hosts, run the stage over SSH, report, exit 0/3/4/130.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { colorFor, isTty, type CommandContext } from '../cli/context.js';
import { ExitCode } from '../exit-codes.js';
import { domainNotes } from '../stages/fault-domain.js';
import { takeClusterLock } from '../cluster/lock.js';
import { applyStageResult, readRecord, retryLabelsFrom, writeRecord, type DeployedBundle } from '../cluster/record.js';
import type { ConfigValues } from '../config/types.js';
import { planCluster, type ClusterPlan, type PlanFiles } from '../derive/plan.js';
import { UsageError } from '../errors.js';
import type { RunEvent } from '../orchestrate/events.js';
import type { StageResult } from '../orchestrate/result.js';
import { newRunId, runStage, unlessStopped } from '../orchestrate/run-stage.js';
import { LoopPacer } from '../orchestrate/loop-pacer.js';
import { runWorkflow } from '../orchestrate/run-workflow.js';
import { writeJUnit } from '../report/junit.js';
import { HostLogs, logDirFor } from '../report/logs.js';
import { NdjsonSink } from '../report/ndjson.js';
import { Progress } from '../report/progress.js';
import { tableIsCut, writeSummary } from '../report/summary.js';
import { writeSummaryFile } from '../report/summary-file.js';
import { isStageName, STAGES } from '../stages/index.js';
import { deployStage } from '../stages/deploy.js';
import { bundleConfigId, stageFiles } from './stage-inputs.js';
import type { Stage } from '../stages/types.js';
import type { Transport } from '../transport/transport.js';

/** Which key the run would use, for --dry-run: its path and, when it opens without a passphrase, its fingerprint. */
async function describeSshKey(
  keyPath: string | undefined,
): Promise<{ path?: string; fingerprint?: string; text: string }> {
  const agent = process.env.SSH_AUTH_SOCK ? `the ssh-agent at ${process.env.SSH_AUTH_SOCK}` : undefined;
  if (keyPath === undefined || !existsSync(keyPath)) return { text: agent ?? 'none' };
  const { loadPrivateKey } = await import('../transport/keys.js');
  try {
    const key = await loadPrivateKey(keyPath);
    return { path: keyPath, fingerprint: key.fingerprint, text: `${keyPath} (${key.type} ${key.fingerprint})` };
  } catch (err) {
    return { path: keyPath, text: `${keyPath} (fingerprint not shown: ${(err as Error).message.split('\n')[0]})` };
  }
}

export async function readLine(question: string, out: NodeJS.WritableStream): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: out, terminal: false });
  try {
    out.write(question);
    return await new Promise<string>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
    });
  } finally {
    rl.close();
  }
}

/** Uninstall needs a typed `yes` on a terminal, or --yes; never a silent default. */
async function confirmUninstall(ctx: CommandContext, plan: ClusterPlan, out: NodeJS.WritableStream): Promise<boolean> {
  if (ctx.options.yes) return true;
  if (!ctx.interactive) {
    throw new UsageError(
      '--uninstall removes DC/OS from every host and needs confirmation',
      'pass --yes to confirm on a non-interactive run',
    );
  }
  out.write(
    `This stops DC/OS and removes /opt/mesosphere, /etc/mesosphere, /var/lib/dcos, /etc/systemd/system/dcos*,\n`,
  );
  out.write(
    `/etc/profile.d/dcos.sh and ${plan.stagingDir} from ${plan.hosts.length} host${plan.hosts.length === 1 ? '' : 's'}:\n`,
  );
  for (const h of plan.hosts) out.write(`  ${h.label} (${h.role})\n`);
  const answer = await readLine("Type 'yes' to continue: ", out);
  return answer.trim() === 'yes';
}

/**
 * The key is loaded (and its passphrase asked for, or read from GENCONF_SSH_KEY_PASSPHRASE) once, before any host
 * is touched: a wrong passphrase is one clear error, not a column of unreachable hosts.
 */
export async function makeTransport(
  ctx: CommandContext,
  args: ConfigValues,
  human: NodeJS.WritableStream,
): Promise<Transport> {
  const [{ SshTransport }, { agentSocket, loadPrivateKey, terminalPrompt }] = await Promise.all([
    import('../transport/ssh.js'),
    import('../transport/keys.js'),
  ]);
  const o = ctx.options;
  const agent = agentSocket();
  const keyPath = args.ssh_key_path ? path.resolve(o.baseDir, args.ssh_key_path) : undefined;
  const prompt = ctx.interactive ? terminalPrompt(process.stdin, human) : undefined;
  let privateKey: Awaited<ReturnType<typeof loadPrivateKey>> | undefined;
  // With an ssh_config, hosts may name their own keys: a missing ssh_key_path is then not an error by itself.
  const { chooseSshConfig } = await import('./ssh-settings.js');
  const keyOptional = chooseSshConfig(o, args).file !== undefined;
  if (keyPath !== undefined && (existsSync(keyPath) || (agent === undefined && !keyOptional))) {
    privateKey = await loadPrivateKey(keyPath, { ...(prompt ? { prompt } : {}) });
    for (const w of privateKey.warnings) human.write(`warning: ${w}\n`);
  }
  const { sshSettings } = await import('../config/ssh-settings.js');
  const retry = sshSettings(args);
  return new SshTransport({
    connectTimeoutMs: o.connectTimeoutSec * 1000,
    connectRetries: retry.connectRetries,
    connectRetryBackoffMs: retry.connectRetryBackoffMs,
    keepaliveIntervalMs: 5000,
    keepaliveCountMax: 3,
    hostKeyChecking: o.hostKeyChecking,
    knownHostsFile: o.knownHostsFile,
    ...(privateKey !== undefined ? { privateKey } : {}),
    ...(agent !== undefined ? { agent } : {}),
    ...(prompt ? { prompt } : {}),
    onWarning: (m) => void human.write(`warning: ${m}\n`),
  });
}

export async function run(ctx: CommandContext): Promise<ExitCode> {
  return runSshStage(ctx);
}

export interface SshStageDeps {
  /** Tests inject a scripted transport here; the default is SshTransport with the configured key. */
  makeTransport?: (ctx: CommandContext, args: ConfigValues, human: NodeJS.WritableStream) => Promise<Transport>;
}

export async function runSshStage(ctx: CommandContext, deps: SshStageDeps = {}): Promise<ExitCode> {
  const o = ctx.options;
  if (!isStageName(o.action)) throw new Error(`ssh-stage cannot run action ${o.action}`);
  // Deploy is built with its options (its gate closes over --continue-on-master-failure); the others are as listed.
  const stage =
    o.action === 'deploy'
      ? deployStage({ pull: o.pull, continueOnMasterFailure: o.continueOnMasterFailure })
      : STAGES[o.action];
  // With --json, stdout carries only the NDJSON events; every human line goes to stderr.
  const human = o.json ? ctx.stderr : ctx.stdout;

  const [{ judgeForSsh }, { formatIssuesHuman }] = await Promise.all([
    import('./judge-ssh.js'),
    import('../config/report.js'),
  ]);
  const validation = await judgeForSsh(o);
  if (!validation.valid || !validation.args) {
    if (o.json) {
      // SSH actions print NDJSON on stdout (one record a line), also when they stop at the config.
      const { issuesToJson } = await import('../config/report.js');
      ctx.stdout.write(JSON.stringify({ v: 1, type: 'config', stage: stage.name, ...issuesToJson(validation) }) + '\n');
      ctx.stderr.write(formatIssuesHuman(validation, { color: colorFor(o, ctx.stderr) }));
      return ExitCode.CONFIG_INVALID;
    }
    const { reportInvalid } = await import('./genconf.js');
    return reportInvalid(ctx, validation);
  }
  if (validation.warnings.length > 0)
    ctx.stderr.write(formatIssuesHuman(validation, { color: colorFor(o, ctx.stderr) }).replace(/\n?$/, '\n'));
  const args = validation.args;

  const files = await stageFiles([stage], { genconfDir: o.genconfDir, baseDir: o.baseDir, args });
  const retry = o.retryFailed ? retryLabelsFrom(await readRecord(o.genconfDir), stage.name, o.genconfDir) : undefined;
  const { readSshSettings, describeSshSettings } = await import('./ssh-settings.js');
  const sshSettings = readSshSettings(o, args);
  const plan = planCluster(validation.ssh!, {
    ...(sshSettings.plan ? { ssh: sshSettings.plan } : {}),
    ...(o.hosts !== undefined ? { only: o.hosts } : {}),
    ...(retry !== undefined ? { retryLabels: retry } : {}),
    ...(o.ignoreChecks !== undefined ? { ignoreChecks: o.ignoreChecks } : {}),
    files,
  });
  if (plan.hosts.length === 0) {
    human.write(
      retry !== undefined
        ? `[${stage.name}] every host succeeded in the last --${stage.name} run; nothing to retry.\n`
        : `[${stage.name}] no hosts to work on.\n`,
    );
    return ExitCode.OK;
  }
  if (
    stage.name === 'deploy' &&
    !o.pull &&
    args.bootstrap_url !== undefined &&
    args.bootstrap_url.replace(/\/+$/, '') !== `file://${plan.stagingDir}`
  ) {
    human.write(
      `[deploy] note: bootstrap_url is ${args.bootstrap_url}; nodes download DC/OS from there, not from the copied bundle.\n`,
    );
  }
  for (const line of describeSshSettings(sshSettings, o.verbose)) human.write(`[${stage.name}] ${line}\n`);
  if (o.dryRun) {
    const { dryRunPlan, renderDryRun } = await import('../orchestrate/dry-run.js');
    const sshKey = await describeSshKey(args.ssh_key_path);
    const sshConfig = sshSettings.loaded ? { sshConfig: sshSettings.loaded.file } : {};
    if (o.json)
      ctx.stdout.write(
        JSON.stringify({
          v: 1,
          type: 'plan',
          stage: stage.name,
          parallelism: plan.parallelism,
          sshKey,
          ...sshConfig,
          phases: dryRunPlan(stage, plan),
        }) + '\n',
      );
    else human.write(renderDryRun(stage, plan).replace('\n', `\nSSH key: ${sshKey.text}\n`));
    return ExitCode.OK;
  }
  if (stage.name === 'uninstall' && !(await confirmUninstall(ctx, plan, human))) {
    human.write('Uninstall cancelled; no host was touched.\n');
    return ExitCode.USAGE;
  }

  const lock = await takeClusterLock(o.genconfDir, {
    action: stage.name,
    warn: (m) => void ctx.stderr.write(`warning: ${m}\n`),
  });
  try {
    const transport = await (deps.makeTransport ?? makeTransport)(ctx, args, human);
    const bundle = stage.name === 'deploy' ? await deployedBundle(o.genconfDir, files) : undefined;
    // Preflight shows each host's fault domain (region, zone, remote or not) and the masters' zone warning.
    const notes = stage.name === 'preflight' ? (r: StageResult) => domainNotes(r.hosts) : undefined;
    // A workflow of one stage: the same path --add-nodes takes with three.
    const run = await runWorkflow({ name: stage.name, stages: [stage] }, plan, (st, p) =>
      executeStage(ctx, st, p, {
        transport,
        human,
        ...(bundle ? { bundle } : {}),
        ...(notes ? { notes } : {}),
      }),
    );
    return run.exitCode;
  } finally {
    await lock.release();
  }
}

/** The serve tree's config_id (null when it has no cluster-package-info.json). */
/** What a deploy installs, for the cluster record: the serve tree's config_id and the archive's SHA-256. */
async function deployedBundle(genconfDir: string, files: PlanFiles): Promise<DeployedBundle> {
  return { configId: await bundleConfigId(genconfDir), bundleSha256: files.bundleSha256 ?? null };
}

export interface ExecuteOptions {
  transport: Transport;
  /** Where human lines go (stderr under --json). */
  human: NodeJS.WritableStream;
  /** For a deploy: what the hosts receive, recorded as installed on the hosts that succeed. */
  bundle?: DeployedBundle;
  /** Extra lines for the summary, after the table (e.g. fault domain notes). */
  notes?: (result: StageResult) => string[];
}

/**
 * Run one stage over the plan's hosts with the reporters (per-host logs, progress, NDJSON under --json), fold the
 * result into the cluster record, write JUnit when asked and print the summary. The caller holds the cluster lock.
 */
export async function executeStage(
  ctx: CommandContext,
  stage: Stage,
  plan: ClusterPlan,
  x: ExecuteOptions,
): Promise<StageResult> {
  const o = ctx.options;
  const human = x.human;
  const color = colorFor(o, human);
  const runId = newRunId();
  const logs = new HostLogs(logDirFor(o.genconfDir, runId));
  const progress = new Progress(human, {
    stage: stage.name,
    tty: isTty(human),
    color,
    verbose: o.verbose,
    ...((human as NodeJS.WriteStream).rows ? { rows: (human as NodeJS.WriteStream).rows } : {}),
    ...((human as NodeJS.WriteStream).columns ? { columns: (human as NodeJS.WriteStream).columns } : {}),
  });
  const listeners: Array<(e: RunEvent) => void> = [logs.listener, progress.listener];
  const ndjson = o.json ? new NdjsonSink(ctx.stdout) : undefined;
  if (ndjson) listeners.push(ndjson.listener);
  // A slow reader of --json or a slow log disk slows the run down instead of piling records up in memory.
  const admit = (): Promise<void> | undefined => {
    const waits = [ndjson?.ready(), logs.ready()].filter((w) => w !== undefined);
    return waits.length === 0 ? undefined : Promise.all(waits).then(() => undefined);
  };

  const result = await runStage(stage, plan, {
    transport: x.transport,
    signal: ctx.signal,
    ...(o.timeoutSec !== undefined ? { runTimeoutMs: o.timeoutSec * 1000 } : {}),
    connectTimeoutSec: o.connectTimeoutSec,
    ...(o.ignoreChecks !== undefined ? { ignoreChecks: o.ignoreChecks } : {}),
    runId,
    listener: (e) => listeners.forEach((l) => l(e)),
    admit,
    pacer: new LoopPacer(),
    // The reporters gather one turn's lines: whatever the run ended with, they are out before anything else is.
  }).finally(() => {
    progress.flush();
    ndjson?.flush();
  });
  await logs.close();
  await writeRecord(
    o.genconfDir,
    applyStageResult(await readRecord(o.genconfDir), result, new Date().toISOString(), x.bundle),
  );
  if (o.junitFile) await writeJUnit(o.junitFile, result);
  // Every host's row goes to summary.txt beside the logs, always: after a dropped terminal (SIGHUP) or with a
  // closed stdout nobody sees the printed summary. A big run's terminal table lists only the hosts that did not
  // succeed and points there.
  let summaryFile: string | undefined;
  try {
    summaryFile = await writeSummaryFile(logs.dir, result);
  } catch (err) {
    // The run's outcome stands (the record is written); only the file is missing.
    human.write(`warning: the summary could not be written to ${logs.dir}: ${(err as Error).message}\n`);
  }
  const fullTableFile = tableIsCut(result) ? summaryFile : undefined;
  const notes = x.notes?.(result) ?? [];
  human.write('\n' + (notes.length > 0 ? notes.join('\n') + '\n' : ''));
  await writeSummary(human, result, { color, logDir: logs.dir, ...(fullTableFile ? { fullTableFile } : {}) });
  // The stage's last records are on their way before a next stage (--add-nodes) writes its own.
  await unlessStopped(ndjson?.ready(), ctx.signal);
  return result;
}
