/**
 * The end-of-run report: a table of hosts × role, status, failed step or check, duration; each failed host's
 * reason, failed checks and output tail; then the original's sentence, which scripts grep for. Pure: lines are
 * made one at a time (a generator), and only writeSummary touches a stream.
 */
import { exitCodeOf, succeeded, type HostResult, type StageResult } from '../orchestrate/result.js';
import { isFrameLine, plainText } from '../stages/judge.js';
import { duration, makeChalk, pad, paintStatus, terminalSafe, truncate } from './format.js';
import { withNewlines, writeChunked } from './sink.js';

export interface SummaryOptions {
  color: boolean;
  /** Lines of output shown per failed host. */
  tailLines?: number;
  /** Where the per-host logs are, shown once at the end. */
  logDir?: string;
  /** The table lists every host, however many (the file written beside the logs). */
  fullTable?: boolean;
  /** Where that file is, named under a table that leaves hosts out. */
  fullTableFile?: string;
}

/** `N out of M hosts successfully completed <stage> stage.`, exactly as DC/OS 1.11 printed it. */
export function completionLine(result: StageResult): string {
  return `${succeeded(result)} out of ${result.hosts.length} hosts successfully completed ${result.summaryName} stage.`;
}

/** The table's "failed step or check" cell: the step, with the names of failed checks when there are any. */
function failedColumn(h: HostResult): string {
  if (h.status === 'ok' || h.status === 'skipped') return '';
  if (h.status === 'unreachable') return h.via ? `connect (bastion ${h.via.bastion})` : 'connect';
  const failedChecks = h.checks.filter((c) => c.status === 'fail').map((c) => c.name);
  const step = h.failedStep ?? '';
  if (failedChecks.length === 0) return step;
  return step ? `${step} (${failedChecks.join(', ')})` : failedChecks.join(', ');
}

function outputTail(h: HostResult, lines: number): string[] {
  const step =
    h.steps.find((s) => s.id === h.failedStepId && s.status !== 'ok') ??
    [...h.steps].reverse().find((s) => s.status !== 'ok');
  if (!step) return [];
  const text = plainText([step.stdoutTail, step.stderrTail].filter((t) => t.trim() !== '').join('\n'));
  // Frame lines are for the parser (templates/remote/preflight.sh), not for the operator.
  const all = text.split('\n').filter((l) => l.trim() !== '' && !isFrameLine(l));
  return all.slice(-lines);
}

/** The reason without a leading `<label>: ` (messages name their host; the line already starts with it). */
export function withoutLabel(h: HostResult): string {
  const reason = h.reason ?? '';
  return reason.startsWith(`${h.host.label}: `) ? reason.slice(h.host.label.length + 2) : reason;
}

/** At most this many host names in one list; the rest are counted. */
const LIST_HOSTS = 10;

function hostList(hosts: readonly HostResult[]): string {
  return `${hosts.length === 1 ? 'on' : `${hosts.length} hosts:`} ${hostNames(hosts)}`;
}

/** The first LIST_HOSTS labels, then how many more (the full list is in the NDJSON and the JUnit report). */
function hostNames(hosts: readonly HostResult[]): string {
  const shown = hosts.slice(0, LIST_HOSTS).map((h) => h.host.label);
  const more = hosts.length - shown.length;
  return `${shown.join(', ')}${more > 0 ? `, … and ${more} more` : ''}`;
}

/**
 * The reason with the host's own name in it replaced (`connect ECONNREFUSED 10.0.0.4:22` names the host it is
 * about): so that 1,000 hosts refusing connections are one group, not 1,000.
 */
function genericReason(h: HostResult, placeholder: string): string {
  return withoutLabel(h).split(h.host.label).join(placeholder).split(h.host.address).join(placeholder);
}

/** --ignore-check: every check that failed and was recorded as ignored, by id with its hosts; never silent. */
function ignoredLines(result: StageResult, c: ReturnType<typeof makeChalk>): string[] {
  const ig = result.ignoredChecks;
  if (!ig) return [];
  const out = ['', c.yellow(`Ignored checks (--ignore-check ${ig.ids.join(',')}):`)];
  if (ig.where.length === 0) out.push('  none of them failed on any host');
  const byId = new Map<string, typeof ig.where>();
  for (const w of ig.where) {
    const list = byId.get(w.id);
    if (list) list.push(w);
    else byId.set(w.id, [w]);
  }
  for (const [id, list] of byId) {
    const first = list[0]!;
    const detail = first.detail ? `: ${truncate(first.detail.split('\n').join(' | '), 400)}` : '';
    out.push(`  ${c.yellow('~')} ${id} (${first.name})${detail}`);
    const shown = list.slice(0, LIST_HOSTS).map((w) => w.host);
    const more = list.length - shown.length;
    out.push(`    failed and ignored on ${shown.join(', ')}${more > 0 ? `, … and ${more} more` : ''}`);
  }
  return out;
}

/** What makes two failures "the same": status, step, and the failed checks or else the reason. */
function failureKey(h: HostResult): string {
  const failedChecks = h.checks.filter((k) => k.status === 'fail' || k.status === 'unknown');
  const what =
    failedChecks.length > 0
      ? failedChecks.map((k) => `${k.name}\u0000${k.detail ?? ''}`).join('\u0001')
      : genericReason(h, '\u0003');
  return `${h.status}\u0002${h.failedStep ?? ''}\u0002${what}`;
}

/** Groups of identical failures, in the order their first host appears. One pass: fine for 10,000 hosts. */
export function groupFailures(hosts: readonly HostResult[]): HostResult[][] {
  const groups = new Map<string, HostResult[]>();
  for (const h of hosts) {
    const key = failureKey(h);
    const g = groups.get(key);
    if (g) g.push(h);
    else groups.set(key, [h]);
  }
  return [...groups.values()];
}

export function groupWarnings(
  hosts: readonly HostResult[],
): Array<{ name: string; detail?: string; hosts: HostResult[] }> {
  const groups = new Map<string, { name: string; detail?: string; hosts: HostResult[] }>();
  // Indexed loops: this runs once a run, so it stays in the interpreter, where for…of allocates a result per step
  // (every check of every host: 300,000 at 10,000 hosts).
  for (let i = 0; i < hosts.length; i++) {
    const h = hosts[i]!;
    for (let j = 0; j < h.checks.length; j++) {
      const k = h.checks[j]!;
      if (k.status !== 'warn') continue;
      const key = `${k.name}\u0000${k.detail ?? ''}`;
      const g = groups.get(key);
      if (g) {
        if (g.hosts[g.hosts.length - 1] !== h) g.hosts.push(h);
      } else groups.set(key, { name: k.name, ...(k.detail ? { detail: k.detail } : {}), hosts: [h] });
    }
  }
  return [...groups.values()];
}

/** `Hosts: 10 — 4 ok, 5 failed, 1 unreachable` (only the statuses that occur). */
export function totalsLine(hosts: readonly HostResult[]): string {
  const counts = new Map<string, number>();
  for (const h of hosts) counts.set(h.status, (counts.get(h.status) ?? 0) + 1);
  const order = ['ok', 'failed', 'unreachable', 'timed-out', 'skipped'];
  const rank = (k: string): number => (order.includes(k) ? order.indexOf(k) : order.length);
  const keys = [...counts.keys()].sort((a, b) => rank(a) - rank(b));
  return `Hosts: ${hosts.length} — ${keys.map((k) => `${counts.get(k)} ${k}`).join(', ')}`;
}

/** Above this many hosts the terminal's table lists only the hosts that did not succeed, and at most this many. */
export const TABLE_ALL_HOSTS = 100;

/**
 * The summary as text. Kept for tests and small callers; a run's summary is written with writeSummary, which never
 * holds the whole text at once.
 */
export function renderSummary(result: StageResult, opts: SummaryOptions): string {
  return [...summaryLines(result, opts)].join('\n') + '\n';
}

/** Write the summary to `out` line by line (in chunks, honouring backpressure). */
export async function writeSummary(
  out: NodeJS.WritableStream,
  result: StageResult,
  opts: SummaryOptions,
): Promise<void> {
  await writeChunked(out, withNewlines(summaryLines(result, opts)));
}

/** Whether the terminal's table leaves hosts out (so that the full table is worth a file of its own). */
export function tableIsCut(result: StageResult): boolean {
  return result.hosts.length > TABLE_ALL_HOSTS;
}

/** The summary's lines, without their newlines, made one at a time, each safe for a terminal. */
export function* summaryLines(result: StageResult, opts: SummaryOptions): Generator<string> {
  for (const line of rawSummaryLines(result, opts)) yield terminalSafe(line);
}

function* rawSummaryLines(result: StageResult, opts: SummaryOptions): Generator<string> {
  const c = makeChalk(opts.color);
  const tailLines = opts.tailLines ?? 15;
  // The user column appears when an ssh_config gave hosts their own settings; without one the table is as before.
  const showUser = result.hosts.some((h) => h.host.ssh !== undefined);
  const headers = ['HOST', ...(showUser ? ['USER'] : []), 'ROLE', 'STATUS', 'FAILED STEP OR CHECK', 'DURATION'];
  const statusCol = showUser ? 3 : 2;
  // 10,000 rows of ok hosts hide the few that matter: a big run's table lists the others, the file lists all.
  const cut = !opts.fullTable && tableIsCut(result);
  const listed = cut ? result.hosts.filter((h) => h.status !== 'ok').slice(0, TABLE_ALL_HOSTS) : result.hosts;
  const rowOf = (h: HostResult): string[] => [
    h.host.label,
    ...(showUser ? [h.host.user] : []),
    h.host.role,
    h.status,
    truncate(failedColumn(h), 72),
    h.durationMs > 0 ? duration(h.durationMs) : '-',
  ];
  const widths = headers.map((hd) => hd.length);
  for (const h of listed) rowOf(h).forEach((cell, i) => (widths[i] = Math.max(widths[i]!, cell.length)));
  yield `[${result.stage}] summary (run ${result.runId}, ${duration(result.durationMs)})`;
  yield c.bold(
    headers
      .map((hd, i) => pad(hd, widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  for (const h of listed) {
    const cells = rowOf(h).map((cell, j) =>
      j === statusCol ? paintStatus(c, h.status, pad(cell, widths[j]!)) : pad(cell, widths[j]!),
    );
    yield cells.join('  ').trimEnd();
  }
  if (cut) {
    const ok = succeeded(result);
    const rest = result.hosts.length - listed.length;
    const more = rest - ok;
    const parts = [...(ok > 0 ? [`${ok} ok`] : []), ...(more > 0 ? [`${more} more`] : [])];
    yield c.dim(
      `(${rest} host${rest === 1 ? '' : 's'} not listed: ${parts.join(', ')}${opts.fullTableFile ? `; every host: ${opts.fullTableFile}` : ''})`,
    );
  }

  // Successful hosts that were left alone (already installed with this bundle): one line per distinct note.
  const noted = new Map<string, HostResult[]>();
  for (const h of result.hosts) {
    if (h.status !== 'ok' || h.note === undefined) continue;
    const list = noted.get(h.note);
    if (list) list.push(h);
    else noted.set(h.note, [h]);
  }
  for (const [note, hosts] of noted) {
    yield '';
    yield `${paintStatus(c, 'ok', hosts.length === 1 ? hosts[0]!.host.label : `${hosts.length} hosts`)} ${note}`;
    if (hosts.length > 1) yield `  ${hostList(hosts)}`;
  }
  // Hosts that failed because of their bastion: the bastion is named once, with the hosts behind it.
  const byBastion = new Map<string, HostResult[]>();
  for (const h of result.hosts) {
    if (h.status !== 'unreachable' || !h.via) continue;
    const list = byBastion.get(h.via.bastion) ?? [];
    list.push(h);
    byBastion.set(h.via.bastion, list);
  }
  for (const [bastion, hosts] of byBastion) {
    yield '';
    yield `${paintStatus(c, 'unreachable', `bastion ${bastion} unreachable`)}: ${hosts[0]!.via!.reason}`;
    yield `  ${hosts.length} host${hosts.length === 1 ? '' : 's'} behind it could not be reached: ${hostNames(hosts)}`;
  }
  // Hosts that failed the same way are one block: the failure once, then every host that had it.
  const bad = result.hosts.filter((h) => h.status !== 'ok' && !(h.status === 'unreachable' && h.via));
  for (const group of groupFailures(bad)) {
    const h = group[0]!;
    yield '';
    const where = h.failedStep ? ` at "${h.failedStep}"` : '';
    const failedChecks = h.checks.filter((k) => k.status === 'fail' || k.status === 'unknown');
    // With failed checks, the ✗ lines below are the reason; the sentence would repeat them.
    const why =
      failedChecks.length > 0
        ? `${failedChecks.length} check${failedChecks.length === 1 ? '' : 's'} failed`
        : group.length > 1
          ? genericReason(h, '<host>')
          : withoutLabel(h);
    const who = group.length === 1 ? `${h.host.label} ${h.status}` : `${group.length} hosts ${h.status}`;
    yield `${paintStatus(c, h.status, who)}${where}: ${why}`.trimEnd();
    if (group.length > 1) yield `  ${hostList(group)}`;
    for (const check of failedChecks) {
      const detail = check.detail ? `: ${check.detail.split('\n').join(' | ')}` : '';
      yield `  ${c.red('✗')} ${check.name}${truncate(detail, 400)}`;
    }
    // Failed checks say what went wrong; the lines around them (mostly passing checks) are in the host's log.
    const tail = failedChecks.length > 0 ? [] : outputTail(h, tailLines);
    if (tail.length > 0) {
      yield c.dim(
        `  last ${tail.length} line${tail.length === 1 ? '' : 's'} of output${group.length > 1 ? ` (${h.host.label})` : ''}:`,
      );
      for (const line of tail) yield c.dim(`    ${line}`);
    }
  }
  // Warnings (below the documented memory or CPU, clock state unknown) do not fail a host but must not be lost
  // in the logs: each distinct one once, with the hosts that reported it.
  const warnings = groupWarnings(result.hosts);
  if (warnings.length > 0) {
    yield '';
    yield c.yellow(`Warnings (${warnings.length}):`);
    for (const w of warnings) {
      yield `  ${c.yellow('!')} ${w.name}${w.detail ? `: ${truncate(w.detail.split('\n').join(' | '), 400)}` : ''}`;
      yield `    ${hostList(w.hosts)}`;
    }
  }
  yield* ignoredLines(result, c);
  yield '';
  yield totalsLine(result.hosts);
  yield '';
  if (result.interrupted)
    yield c.yellow('Interrupted: no new work was started; cleanups ran on the hosts that had started.');
  if (result.timedOut) yield c.yellow("The run's deadline (--timeout) passed before every host finished.");
  if (opts.logDir) yield `Logs: ${opts.logDir}`;
  const line = completionLine(result);
  yield exitCodeOf(result) === 0 ? c.green(line) : line;
}
