/**
 * `--status [--json] [--probe]`: the cluster record as a table (or JSON), and with --probe what every host really
 * has, read-only, with each difference from config.yaml and the record named. Exit 0; with --probe, 3 when any
 * drift is found, 4 when hosts could not be reached and nothing else is wrong.
 */
import type { CommandContext } from '../cli/context.js';
import { colorFor, sshFlags } from '../cli/context.js';
import { DEFAULT_SSH_USER } from '../config/ssh-settings.js';
import { ExitCode } from '../exit-codes.js';
import { probeHosts, probeTargets, type ProbeReport } from '../cluster/probe.js';
import { readRecord, recordPath, type ClusterRecord, type HostRecord } from '../cluster/record.js';
import type { ConfigValues } from '../config/types.js';
import { planCluster, type ClusterPlan } from '../derive/plan.js';
import { makeChalk, pad } from '../report/format.js';
import type { Transport } from '../transport/transport.js';
import type { SshStageDeps } from './ssh-stage.js';

export interface StatusRow {
  host: string;
  role: string;
  listed: boolean;
  state: string;
  configId: string | null;
  region: string | null;
  zone: string | null;
  remoteRegion: boolean;
  lastRun: string | null;
}

function hostState(h: HostRecord | undefined): string {
  if (!h) return 'not installed';
  if (h.decommissioned) return h.decommissioned.diskCleaned ? 'decommissioned' : 'decommissioned (disk not cleaned)';
  if (h.installed) return 'installed';
  return 'not installed';
}

function lastRun(h: HostRecord | undefined): string | null {
  const runs = Object.entries(h?.stages ?? {}).sort(([, a], [, b]) =>
    a.finishedAt < b.finishedAt ? -1 : a.finishedAt > b.finishedAt ? 1 : 0,
  );
  const last = runs.at(-1);
  return last ? `${last[0]} ${last[1].status} ${last[1].finishedAt}` : null;
}

/** One row per listed host, then per recorded host that is no longer listed (pure). */
export function statusRows(record: ClusterRecord | undefined, plan: ClusterPlan | undefined): StatusRow[] {
  const rows: StatusRow[] = [];
  const seen = new Set<string>();
  const row = (label: string, role: string, listed: boolean, h: HostRecord | undefined): StatusRow => ({
    host: label,
    role,
    listed,
    state: hostState(h),
    configId: h?.installed?.configId ?? null,
    region: h?.region ?? null,
    zone: h?.zone ?? null,
    remoteRegion: h?.remoteRegion === true,
    lastRun: lastRun(h),
  });
  for (const h of plan?.allHosts ?? []) {
    seen.add(h.label);
    rows.push(row(h.label, h.role, true, record?.hosts[h.label]));
  }
  for (const [label, h] of Object.entries(record?.hosts ?? {}))
    if (!seen.has(label)) rows.push(row(label, h.role, plan === undefined, h));
  return rows;
}

export function renderTable(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((hd, i) => Math.max(hd.length, ...rows.map((r) => r[i]!.length)));
  return [headers, ...rows].map((r) =>
    r
      .map((cell, i) => pad(cell, widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

export function renderStatus(record: ClusterRecord | undefined, rows: StatusRow[], file: string): string {
  const out: string[] = [];
  if (!record) out.push(`No cluster record yet (${file}): no SSH action has run from this genconf directory.`);
  else
    out.push(
      `Cluster record ${file} (updated ${record.updatedAt}): config_id ${record.configId ?? '-'}, bundle sha256 ${record.bundleSha256 ?? '-'}`,
    );
  out.push('');
  out.push(
    ...renderTable(
      ['HOST', 'ROLE', 'LISTED', 'STATE', 'CONFIG_ID', 'REGION', 'ZONE', 'LAST RUN'],
      rows.map((r) => [
        r.host,
        r.role,
        r.listed ? 'yes' : 'no',
        r.state,
        r.configId ?? '-',
        r.region === null ? '-' : r.remoteRegion ? `${r.region} (remote region)` : r.region,
        r.zone ?? '-',
        r.lastRun ?? '-',
      ]),
    ),
  );
  return out.join('\n') + '\n';
}

export function renderProbe(reports: ProbeReport[], color: boolean): string {
  const c = makeChalk(color);
  const out: string[] = ['', 'Probe (read-only):'];
  out.push(
    ...renderTable(
      ['HOST', 'ROLE', 'LISTED', 'REACHED', 'ROLE FILES', 'INSTALLED CONFIG_ID', 'UNITS', 'REGION', 'ZONE'],
      reports.map((r) => {
        const f = r.findings;
        const units = f
          ? f.units.length === 0
            ? '-'
            : `${f.units.filter((u) => u.active).length}/${f.units.length} active`
          : '-';
        return [
          r.label,
          r.role,
          r.listed ? 'yes' : 'no',
          r.reachable ? (r.error ? 'error' : 'yes') : 'no',
          f ? f.roles.join(',') || '-' : '-',
          f?.configId ?? '-',
          units,
          f?.region ?? '-',
          f?.zone ?? '-',
        ];
      }),
    ),
  );
  const drifted = reports.filter((r) => r.drift.length > 0 || r.error);
  out.push('');
  if (drifted.length === 0) out.push(c.green('No drift: every host matches config.yaml and the record.'));
  for (const r of drifted) {
    if (r.error) out.push(c.magenta(`${r.label}: ${r.reachable ? 'probe failed' : 'unreachable'}: ${r.error}`));
    for (const d of r.drift) out.push(c.yellow(`${r.label}: drift: ${d}`));
  }
  return out.join('\n') + '\n';
}

export async function run(ctx: CommandContext, deps: SshStageDeps = {}): Promise<ExitCode> {
  const o = ctx.options;
  const record = await readRecord(o.genconfDir);
  const file = recordPath(o.genconfDir);
  const { judgeConfig } = await import('../config/validate.js');
  const validation = await judgeConfig({
    genconfDir: o.genconfDir,
    baseDir: o.baseDir,
    target: 'ssh',
    strict: false,
    sshFlags: sshFlags(o),
  });
  let plan: ClusterPlan | undefined;
  let args: ConfigValues | undefined;
  if (validation.valid && validation.args) {
    args = validation.args;
    plan = planCluster(validation.ssh!);
  } else if (o.probe) {
    const { reportInvalid } = await import('./genconf.js');
    return reportInvalid(ctx, validation);
  } else {
    ctx.stderr.write('warning: config.yaml is not valid; the table shows the record only (run --validate-config)\n');
  }
  const rows = statusRows(record, plan);
  let reports: ProbeReport[] | undefined;
  if (o.probe && plan && args) {
    const human = o.json ? ctx.stderr : ctx.stdout;
    const { makeTransport } = await import('./ssh-stage.js');
    const transport: Transport = await (deps.makeTransport ?? makeTransport)(ctx, args, human);
    reports = await probeHosts(probeTargets(plan.allHosts, record, args.ssh_user ?? DEFAULT_SSH_USER), record, {
      transport,
      parallelism: plan.parallelism,
      timeoutMs: plan.processTimeoutMs,
      signal: ctx.signal,
    });
  }
  if (o.json) {
    ctx.stdout.write(
      JSON.stringify({ record: record ?? null, hosts: rows, ...(reports ? { probe: reports } : {}) }, null, 2) + '\n',
    );
  } else {
    ctx.stdout.write(renderStatus(record, rows, file));
    if (reports) ctx.stdout.write(renderProbe(reports, colorFor(o, ctx.stdout)));
  }
  if (!reports) return ExitCode.OK;
  if (reports.some((r) => r.drift.length > 0 || (r.reachable && r.error))) return ExitCode.HOSTS_FAILED;
  if (reports.some((r) => !r.reachable)) return ExitCode.HOSTS_UNREACHABLE;
  return ExitCode.OK;
}
