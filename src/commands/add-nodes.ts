/**
 * `--add-nodes [--bundle FILE] [--dry-run]`: install DC/OS on the agents config.yaml lists and the cluster record
 * does not show installed, and on no other host. The bundle is the one the cluster was installed with (genconf/serve
 * or an archived dcos-install.tar); a bundle of another config_id is refused. Preflight, deploy and postflight run
 * on the new hosts only; a host that fails one stage does not enter the next. Existing hosts are not contacted.
 */
import type { CommandContext } from '../cli/context.js';
import { ExitCode } from '../exit-codes.js';
import { archivedBundle, serveBundle, type BundleInfo } from '../cluster/bundle.js';
import { domainNotes } from '../stages/fault-domain.js';
import { takeClusterLock } from '../cluster/lock.js';
import { readRecord, recordPath, writeRecord, type ClusterRecord } from '../cluster/record.js';
import type { ConfigValues } from '../config/types.js';
import { planCluster, type PlannedHost, type PlanFiles } from '../derive/plan.js';
import { GenconfError, InputError } from '../errors.js';
import { exitCodeOf, type StageResult } from '../orchestrate/result.js';
import { deploy } from '../stages/deploy.js';
import { postflight } from '../stages/postflight.js';
import { preflight, preflightAcrossHosts, preflightSteps } from '../stages/preflight.js';
import { runStage } from '../orchestrate/run-stage.js';
import { runWorkflow } from '../orchestrate/run-workflow.js';
import { defineStage } from '../stages/types.js';
import { executeStage, makeTransport, type SshStageDeps } from './ssh-stage.js';
import { gatherInputs } from './stage-inputs.js';

export interface Selection {
  add: PlannedHost[];
  /** Listed hosts that are not added, and why (masters, decommissioned hosts). */
  skipped: Array<{ host: PlannedHost; why: string }>;
  /** Decommissioned hosts no longer listed: once seen unlisted, listing them again re-adds them. */
  delisted: string[];
}

/** Which listed hosts are new (pure). */
export function selectNewHosts(allHosts: readonly PlannedHost[], record: ClusterRecord): Selection {
  const sel: Selection = { add: [], skipped: [], delisted: [] };
  const listed = new Set(allHosts.map((h) => h.label));
  for (const [label, h] of Object.entries(record.hosts))
    if (h.decommissioned && !listed.has(label)) sel.delisted.push(label);
  for (const host of allHosts) {
    const rec = record.hosts[host.label];
    if (rec?.installed) continue;
    if (rec?.decommissioned && rec.decommissioned.delisted !== true) {
      sel.skipped.push({
        host,
        why: `decommissioned at ${rec.decommissioned.at}; to add it again, remove it from config.yaml, run --add-nodes once, then list it again`,
      });
      continue;
    }
    if (host.role === 'master') {
      sel.skipped.push({
        host,
        why: 'a master is not added to a running cluster (DC/OS 1.11 masters are fixed at install); use --deploy',
      });
      continue;
    }
    sel.add.push(host);
  }
  return sel;
}

/** The masters' region, from the record (the most common one among masters). */
export function recordedLocalRegion(record: ClusterRecord): string | undefined {
  const count = new Map<string, number>();
  for (const h of Object.values(record.hosts))
    if (h.role === 'master' && h.region !== undefined) count.set(h.region, (count.get(h.region) ?? 0) + 1);
  let best: string | undefined;
  for (const [r, n] of count) if (best === undefined || n > count.get(best)!) best = r;
  return best;
}

const okLabels = (r: StageResult): string[] => r.hosts.filter((h) => h.status === 'ok').map((h) => h.host.label);

export async function run(ctx: CommandContext, deps: SshStageDeps = {}): Promise<ExitCode> {
  const o = ctx.options;
  const human = o.json ? ctx.stderr : ctx.stdout;
  const { judgeForSsh } = await import('./judge-ssh.js');
  const validation = await judgeForSsh(o);
  if (!validation.valid || !validation.args) {
    const { reportInvalid } = await import('./genconf.js');
    return reportInvalid(ctx, validation);
  }
  const args: ConfigValues = validation.args;
  const settings = validation.ssh!;
  const record = await readRecord(o.genconfDir);
  if (!record || record.configId === null) {
    throw new InputError(
      `no installed cluster is recorded in ${recordPath(o.genconfDir)}`,
      recordPath(o.genconfDir),
      'install the cluster with --deploy first; --add-nodes adds agents to it',
    );
  }
  const bundle: BundleInfo = o.bundleFile ? await archivedBundle(o.bundleFile) : await serveBundle(o.genconfDir);
  try {
    if (bundle.configId !== record.configId) {
      throw new GenconfError(
        `the bundle ${bundle.tar} has config_id ${bundle.configId}, but the cluster was installed with config_id ${record.configId}`,
        ExitCode.CONFIG_INVALID,
        'give the archived bundle the cluster was installed with (--bundle FILE); --add-nodes never regenerates one',
      );
    }
    const all = planCluster(settings);
    const sel = selectNewHosts(all.allHosts, record);
    for (const s of sel.skipped) human.write(`[add-nodes] skipped ${s.host.label} (${s.host.role}): ${s.why}\n`);
    const markDelisted = async (): Promise<void> => {
      const fresh = (await readRecord(o.genconfDir)) ?? record;
      let changed = false;
      for (const label of sel.delisted) {
        const d = fresh.hosts[label]?.decommissioned;
        if (d && d.delisted !== true) {
          d.delisted = true;
          changed = true;
        }
      }
      if (changed) await writeRecord(o.genconfDir, fresh);
    };
    if (sel.add.length === 0) {
      if (!o.dryRun) await markDelisted();
      human.write(
        `[add-nodes] 0 added: every agent config.yaml lists is installed (config_id ${record.configId}); no host was contacted.\n`,
      );
      if (o.json)
        ctx.stdout.write(JSON.stringify({ v: 1, type: 'add-nodes', added: [], configId: record.configId }) + '\n');
      return ExitCode.OK;
    }
    // Preflight's support files from the config; the script and the archive come from the chosen bundle.
    const preFiles = await gatherInputs(['preflightScript', 'ipDetect', 'faultDomainDetect'], {
      genconfDir: o.genconfDir,
      baseDir: o.baseDir,
      args,
    });
    const files: PlanFiles = {
      ...preFiles,
      installScript: bundle.installScript,
      bundleTar: bundle.tar,
      bundleSha256: bundle.sha256,
    };
    const plan = planCluster(settings, {
      only: sel.add.map((h) => h.label),
      files,
      ...(o.ignoreChecks !== undefined ? { ignoreChecks: o.ignoreChecks } : {}),
    });
    const localRegion = recordedLocalRegion(record);
    const pre = defineStage({ ...preflight, judgeAcrossHosts: preflightAcrossHosts(localRegion) });
    human.write(
      `[add-nodes] ${plan.hosts.length} new host${plan.hosts.length === 1 ? '' : 's'} with config_id ${bundle.configId} from ${bundle.tar} (sha256 ${bundle.sha256}):\n`,
    );
    for (const h of plan.hosts) human.write(`  ${h.label} (${h.role})\n`);

    if (o.dryRun) {
      const { dryRunPlan, renderDryRun } = await import('../orchestrate/dry-run.js');
      for (const stage of [pre, deploy, postflight]) {
        if (o.json)
          ctx.stdout.write(
            JSON.stringify({
              v: 1,
              type: 'plan',
              action: 'add-nodes',
              stage: stage.name,
              parallelism: plan.parallelism,
              phases: dryRunPlan(stage, plan),
            }) + '\n',
          );
        else human.write('\n' + renderDryRun(stage, plan));
      }
      if (files.faultDomainDetect === undefined) return ExitCode.OK;
      // Where would the new hosts land? Only fault-domain-detect runs, on the new hosts only; nothing is installed.
      const transport = await (deps.makeTransport ?? makeTransport)(ctx, args, human);
      const detect = defineStage({
        ...pre,
        waves: [
          {
            name: 'fault-domain',
            hosts: (p) => p.hosts,
            steps: (p, h, f) => preflightSteps(p, h, f).filter((s) => s.id === 'fault-domain'),
          },
        ],
      });
      const r = await runStage(detect, plan, {
        transport,
        signal: ctx.signal,
        connectTimeoutSec: o.connectTimeoutSec,
      });
      human.write(
        '\n' +
          [
            ...domainNotes(r.hosts, localRegion),
            ...r.hosts.filter((h) => h.status !== 'ok').map((h) => `${h.host.label}: ${h.status}: ${h.reason ?? ''}`),
          ].join('\n') +
          '\n',
      );
      human.write('[add-nodes] dry run: stopped before installing anything.\n');
      return exitCodeOf(r);
    }

    const lock = await takeClusterLock(o.genconfDir, {
      action: 'add-nodes',
      warn: (m) => void ctx.stderr.write(`warning: ${m}\n`),
    });
    try {
      await markDelisted();
      const transport = await (deps.makeTransport ?? makeTransport)(ctx, args, human);
      // Preflight, deploy, then postflight, each on the hosts that passed the stage before.
      const flow = await runWorkflow(
        { name: 'add-nodes', stages: [pre, deploy, postflight] },
        plan,
        (stage, p) =>
          executeStage(ctx, stage, p, {
            transport,
            human,
            ...(stage.name === 'preflight' ? { notes: (r: StageResult) => domainNotes(r.hosts, localRegion) } : {}),
            ...(stage.name === 'deploy' ? { bundle: { configId: bundle.configId, bundleSha256: bundle.sha256 } } : {}),
          }),
        ctx.signal,
      );
      // Added: the hosts DC/OS was installed on, whether or not postflight then found them healthy.
      const added = flow.results[1] ? okLabels(flow.results[1]) : [];
      human.write(
        `[add-nodes] ${added.length} added${added.length > 0 ? `: ${added.join(', ')}` : ''}; ${plan.hosts.length - added.length} not added.\n`,
      );
      if (o.json)
        ctx.stdout.write(JSON.stringify({ v: 1, type: 'add-nodes', added, configId: bundle.configId }) + '\n');
      return flow.exitCode;
    } finally {
      await lock.release();
    }
  } finally {
    await bundle.dispose();
  }
}
