/**
 * `--decommission --hosts A,B [--force] [--yes] [--dry-run]`: for each listed agent, find its Mesos agent id on the
 * leading master (GET_AGENTS), stop and remove DC/OS over SSH as --uninstall does, then MARK_AGENT_GONE so that
 * frameworks learn at once that the capacity is gone. Masters and addresses that are not known agents are refused
 * before any request is sent. A host unreachable over SSH is marked gone only with --force, and the summary and the
 * record say its disk was not cleaned. Hosts the record shows decommissioned already are left alone.
 */
import { readFile } from 'node:fs/promises';
import type { CommandContext } from '../cli/context.js';
import { ExitCode } from '../exit-codes.js';
import { takeClusterLock } from '../cluster/lock.js';
import { readRecord, writeRecord } from '../cluster/record.js';
import type { ConfigValues } from '../config/types.js';
import { planCluster, type PlannedHost } from '../derive/plan.js';
import { InputError, UsageError } from '../errors.js';
import { findAgent, OperatorClient, OperatorError } from '../mesos/operator.js';
import { uninstall } from '../stages/remote-script.js';
import { executeStage, makeTransport, readLine, type SshStageDeps } from './ssh-stage.js';
import { stageFiles } from './stage-inputs.js';

export interface DecommissionDeps extends SshStageDeps {
  env?: NodeJS.ProcessEnv;
}

const MAX_TOKEN_BYTES = 64 * 1024;

/** The ACS token: --dcos-token-file, else DCOS_ACS_TOKEN, else none (an open cluster). */
export async function readToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (tokenFile !== undefined) {
    let text: string;
    try {
      text = await readFile(tokenFile, 'utf8');
    } catch (err) {
      throw new InputError(
        `--dcos-token-file ${tokenFile} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        tokenFile,
      );
    }
    const token = text.trim();
    if (token === '' || token.length > MAX_TOKEN_BYTES || /\s/.test(token)) {
      throw new InputError(
        `--dcos-token-file ${tokenFile} does not hold one token (empty, too long or several words)`,
        tokenFile,
        'write the output of `dcos config show core.dcos_acs_token` to it',
      );
    }
    return token;
  }
  const fromEnv = env.DCOS_ACS_TOKEN?.trim();
  return fromEnv ? fromEnv : undefined;
}

interface Outcome {
  host: PlannedHost;
  result: 'decommissioned' | 'decommissioned, disk not cleaned' | 'already decommissioned' | 'failed';
  agentId?: string;
  why?: string;
}

export async function run(ctx: CommandContext, deps: DecommissionDeps = {}): Promise<ExitCode> {
  const o = ctx.options;
  const human = o.json ? ctx.stderr : ctx.stdout;
  if (!o.hosts)
    throw new UsageError(
      '--decommission needs --hosts A,B: the agents to remove',
      "give the agents' addresses as config.yaml lists them",
    );
  const { judgeForSsh } = await import('./judge-ssh.js');
  const validation = await judgeForSsh(o);
  if (!validation.valid || !validation.args) {
    const { reportInvalid } = await import('./genconf.js');
    return reportInvalid(ctx, validation);
  }
  const args: ConfigValues = validation.args;
  const settings = validation.ssh!;
  // planCluster refuses an address config.yaml does not list: no request is sent for it.
  const plan = planCluster(settings, {
    only: o.hosts,
    files: await stageFiles([uninstall], { genconfDir: o.genconfDir, baseDir: o.baseDir, args }),
  });
  const masters = plan.hosts.filter((h) => h.role === 'master');
  if (masters.length > 0)
    throw new UsageError(
      `--decommission removes agents, and ${masters.map((h) => h.label).join(', ')} ${masters.length === 1 ? 'is a master' : 'are masters'}`,
      'DC/OS 1.11 masters are fixed at install',
    );
  const record = await readRecord(o.genconfDir);
  const done = plan.hosts.filter((h) => record?.hosts[h.label]?.decommissioned);
  const todo = plan.hosts.filter((h) => !record?.hosts[h.label]?.decommissioned);
  for (const h of done)
    human.write(
      `[decommission] ${h.label}: already decommissioned at ${record!.hosts[h.label]!.decommissioned!.at}; nothing to do\n`,
    );
  if (todo.length === 0) {
    human.write('[decommission] nothing to change.\n');
    return ExitCode.OK;
  }
  const masterUrl = o.masterUrl ?? `http://${plan.firstMaster!.address}:5050`;
  const token = await readToken(o.tokenFile, deps.env ?? process.env);
  const todoPlan = planCluster(settings, { only: todo.map((h) => h.label), files: plan.files });

  if (o.dryRun) {
    const { renderDryRun } = await import('../orchestrate/dry-run.js');
    human.write(
      `[decommission] dry run: nothing is touched, no request is sent. Master: ${masterUrl}/api/v1${token ? ' (with the ACS token)' : ''}\n`,
    );
    for (const h of todo)
      human.write(
        `  ${h.label}: 1. GET_AGENTS, match hostname or address ${h.address}; 2. remove DC/OS over SSH (below); 3. MARK_AGENT_GONE with its agent id\n`,
      );
    human.write('\n' + renderDryRun(uninstall, todoPlan));
    return ExitCode.OK;
  }
  if (!o.yes) {
    if (!ctx.interactive)
      throw new UsageError(
        '--decommission removes DC/OS from agents and marks them gone, and needs confirmation',
        'pass --yes to confirm on a non-interactive run',
      );
    human.write(
      `This stops and removes DC/OS on ${todo.length} agent${todo.length === 1 ? '' : 's'} and marks ${todo.length === 1 ? 'it' : 'them'} gone in Mesos (tasks there are lost for good):\n`,
    );
    for (const h of todo) human.write(`  ${h.label} (${h.role})\n`);
    if ((await readLine("Type 'yes' to continue: ", human)).trim() !== 'yes') {
      human.write('Decommission cancelled; no host was touched.\n');
      return ExitCode.USAGE;
    }
  }

  const lock = await takeClusterLock(o.genconfDir, {
    action: 'decommission',
    warn: (m) => void ctx.stderr.write(`warning: ${m}\n`),
  });
  try {
    const client = new OperatorClient({ baseUrl: masterUrl, ...(token !== undefined ? { token } : {}) });
    const agents = await client.getAgents();
    const outcomes: Outcome[] = [];
    const found: Array<{ host: PlannedHost; agentId: string }> = [];
    for (const h of todo) {
      const a = findAgent(agents, h.address);
      if (a) found.push({ host: h, agentId: a.id });
      else
        outcomes.push({
          host: h,
          result: 'failed',
          why: `not a known agent: the master lists no agent with hostname or address ${h.address}; nothing was done`,
        });
    }
    if (found.length > 0) {
      const transport = await (deps.makeTransport ?? makeTransport)(ctx, args, human);
      const removal = await executeStage(
        ctx,
        uninstall,
        planCluster(settings, { only: found.map((f) => f.host.label), files: plan.files }),
        { transport, human },
      );
      for (const f of found) {
        const r = removal.hosts.find((x) => x.host.label === f.host.label);
        const cleaned = r?.status === 'ok';
        if (!cleaned && !(r?.status === 'unreachable' && o.force)) {
          const why =
            r?.status === 'unreachable'
              ? `unreachable over SSH (${r.reason ?? ''}); not marked gone (--force marks it gone without cleaning its disk)`
              : `DC/OS was not removed (${r?.status ?? 'not run'}: ${r?.reason ?? ''}); not marked gone`;
          outcomes.push({ host: f.host, result: 'failed', agentId: f.agentId, why });
          continue;
        }
        try {
          await client.markAgentGone(f.agentId);
        } catch (err) {
          if (!(err instanceof OperatorError)) throw err;
          outcomes.push({
            host: f.host,
            result: 'failed',
            agentId: f.agentId,
            why: `MARK_AGENT_GONE failed: ${err.message}`,
          });
          continue;
        }
        outcomes.push({
          host: f.host,
          result: cleaned ? 'decommissioned' : 'decommissioned, disk not cleaned',
          agentId: f.agentId,
        });
        const rec = (await readRecord(o.genconfDir))!;
        const entry = rec.hosts[f.host.label] ?? {
          address: f.host.address,
          port: f.host.port,
          role: f.host.role,
          stages: {},
        };
        delete entry.installed;
        entry.decommissioned = { at: new Date().toISOString(), agentId: f.agentId, diskCleaned: cleaned };
        rec.hosts[f.host.label] = entry;
        rec.updatedAt = entry.decommissioned.at;
        await writeRecord(o.genconfDir, rec);
      }
    }
    human.write('\n[decommission] summary\n');
    for (const x of outcomes)
      human.write(
        `  ${x.host.label}  ${x.result}${x.agentId ? `  (agent ${x.agentId})` : ''}${x.why ? `: ${x.why}` : ''}\n`,
      );
    const ok = outcomes.filter((x) => x.result !== 'failed').length;
    human.write(`${ok} out of ${outcomes.length} agents decommissioned.\n`);
    if (o.json)
      ctx.stdout.write(
        JSON.stringify({
          v: 1,
          type: 'decommission',
          hosts: outcomes.map((x) => ({
            host: x.host.label,
            result: x.result,
            agentId: x.agentId ?? null,
            ...(x.why ? { reason: x.why } : {}),
          })),
        }) + '\n',
      );
    return ok === outcomes.length ? ExitCode.OK : ExitCode.HOSTS_FAILED;
  } finally {
    await lock.release();
  }
}
