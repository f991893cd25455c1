/**
 * Judges of what remote commands print: preflight check lines, ip-detect's answer and dcos-diagnostics JSON become
 * verdicts (ok or not, why, the named checks). Pure; the runner applies them to each step's outcome.
 */
import type { CheckResult, CommandOutcome, Verdict } from './types.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Remove colour codes and carriage returns: dcos_install.sh colours its output when it thinks it has a terminal. */
export function plainText(s: string): string {
  // Most output has neither (every host's check lines, every report string): it is returned as it is, without
  // two regular-expression passes and their copies.
  if (s.indexOf('\x1b') < 0 && s.indexOf('\r') < 0) return s;
  return s.replace(ANSI, '').replace(/\r/g, '');
}

const TRAILING_STATUS = /^(.*\S)\s*:\s+(PASS|FAIL|WARN|IGNORED)\b\s*(.*)$/;
const LEADING_STATUS = /^(PASS|FAIL|WARN)\s+(.+)$/;
const LEADING_WORD = /^(PASS|FAIL|WARN)/;

function status(word: string): CheckResult['status'] {
  // IGNORED: dcos_install.sh --ignore-check reports a failed check the operator named that way.
  return word === 'PASS' ? 'pass' : word === 'FAIL' ? 'fail' : word === 'IGNORED' ? 'ignored' : 'warn';
}

/**
 * Parse `<check text>: PASS|FAIL|WARN|IGNORED [detail]` lines (and the original's `PASS <text>` form) into named checks,
 * in order. Other lines (banners, explanations) are not checks and are ignored.
 */
export function parsePreflightChecks(output: string): CheckResult[] {
  const checks: CheckResult[] = [];
  const text = plainText(output);
  // Line by line without an array of every line: this runs once per host, thousands of times a run.
  for (let start = 0; start <= text.length;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    // A check line has a colon before its status, or starts with it: the others (banners) need no matching.
    if (line.indexOf(':') < 0 && !LEADING_WORD.test(line)) continue;
    const check = checkOfLine(line);
    if (check) checks.push(check);
  }
  return checks;
}

/**
 * The check each line names, by the line: every host prints the same check lines, so a line is parsed once per
 * process and its check shared by every host that printed it (a CheckResult is never changed once made: judges and
 * the runner make new ones). Lines with a host's own detail (a size, a version) fill it only up to its bound.
 */
const lineChecks = new Map<string, CheckResult | null>();
const LINE_CHECKS_MAX = 4096;
/** The checks lineChecks holds: their strings are their own (see sharedCheck). */
const sharedChecks = new WeakSet<CheckResult>();

/**
 * A check parsed once and shared by every host that printed its line: its strings are slices of a copy of just that
 * line, never of a host's output, so keeping it keeps no output alive (orchestrate/retain.ts keeps it as it is).
 */
export function sharedCheck(c: CheckResult): boolean {
  return sharedChecks.has(c);
}

function checkOfLine(line: string): CheckResult | null {
  const known = lineChecks.get(line);
  if (known !== undefined) return known;
  if (lineChecks.size >= LINE_CHECKS_MAX) return parseCheckLine(line);
  // A flat copy of the line alone (a slice of the concatenation): the line itself is a slice of the whole output.
  const own = (' ' + line).slice(1);
  const check = parseCheckLine(own);
  lineChecks.set(own, check);
  if (check) sharedChecks.add(check);
  return check;
}

function parseCheckLine(line: string): CheckResult | null {
  let m = TRAILING_STATUS.exec(line);
  if (m) {
    // The installer writes its detail as one parenthesised phrase; keep the phrase, so that messages that add
    // their own parentheses never show `((…))`.
    const detail = unwrapParens(m[3]!.trim());
    return { name: m[1]!.trim(), status: status(m[2]!), ...(detail ? { detail } : {}) };
  }
  m = LEADING_STATUS.exec(line);
  return m ? { name: m[2]!.trim(), status: status(m[1]!) } : null;
}

/** `(Docker is not running)` → `Docker is not running`; anything else as it is. */
export function unwrapParens(text: string): string {
  if (!text.startsWith('(') || !text.endsWith(')')) return text;
  const inner = text.slice(1, -1);
  // Only when the outer pair belongs together: `(a) or (b)` stays as it is.
  let depth = 0;
  for (const ch of inner) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return text;
  }
  return depth === 0 ? inner : text;
}

/** Judge `dcos_install.sh --preflight-only`: its exit code is the number of failed checks. */
export function judgePreflight(outcome: CommandOutcome): Verdict {
  const checks = parsePreflightChecks(outcome.stdout + '\n' + outcome.stderr);
  if (outcome.exitCode === 0) return { ok: true, checks };
  const failed = checks.filter((c) => c.status === 'fail');
  const message =
    failed.length > 0
      ? `${failed.length} preflight check${failed.length === 1 ? '' : 's'} failed: ${failed.map((c) => c.name + (c.detail ? ` (${c.detail})` : '')).join('; ')}`
      : `dcos_install.sh --preflight-only exited ${outcome.exitCode ?? 'without a status'}`;
  // dcos_install.sh exits with the number of FAILs (at most 255): when the lines account for it, they are the reason.
  const byChecks = failed.length > 0 && outcome.exitCode === Math.min(failed.length, 255);
  return { ok: false, message, checks, ...(byChecks ? { byChecks } : {}) };
}

const DIAG_STATUS: Record<number, CheckResult['status']> = { 0: 'pass', 1: 'warn', 2: 'fail', 3: 'unknown' };

/**
 * Judge a `dcos-diagnostics check …` run: JSON `{"status": n, "checks": {name: {status, output}}}` or
 * `{"error": "…"}`. Anything that is not such JSON is a failed check carrying the raw output, never an exception.
 */
export function judgeDiagnostics(what: string, outcome: CommandOutcome): Verdict {
  const stderr = plainText(outcome.stderr);
  if (outcome.exitCode === 127 && /dcos-diagnostics is not installed/.test(stderr)) {
    const detail = 'dcos-diagnostics is not installed on this host: DC/OS is not installed here (run --deploy first)';
    return { ok: false, message: `${what}: ${detail}`, checks: [{ name: what, status: 'fail', detail }] };
  }
  const verdict = judgeDiagnosticsOutput(what, outcome);
  // The loop's real time spent: a timeout reports how long it really waited, not a configured number.
  const waited = /^@@genconf waited (\d+) (\d+)$/m.exec(stderr);
  if (!verdict.ok && waited && verdict.message) {
    const attempts = Number(waited[2]);
    verdict.message += ` (still failing after ${formatSeconds(Number(waited[1]))}, ${attempts} attempt${attempts === 1 ? '' : 's'})`;
  }
  return verdict;
}

/** `95 s`, `2 min 5 s`. */
function formatSeconds(s: number): string {
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
}

/** The failing check names in one `@@genconf attempt <elapsed> <json>` frame line, for the progress line. */
export function stillFailing(line: string): { elapsedSec: number; failing: string[] } | undefined {
  const m = /^@@genconf attempt (\d+) (.*)$/.exec(line.trim());
  if (!m) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(m[2]!);
  } catch {
    return { elapsedSec: Number(m[1]), failing: [] };
  }
  const checks = (doc as { checks?: unknown } | null)?.checks;
  const failing: string[] = [];
  if (checks !== null && typeof checks === 'object') {
    for (const [name, c] of Object.entries(checks as Record<string, unknown>)) {
      const st = (c as { status?: unknown } | null)?.status;
      if (st !== 0 && st !== 1) failing.push(name);
    }
  }
  return { elapsedSec: Number(m[1]), failing };
}

function judgeDiagnosticsOutput(what: string, outcome: CommandOutcome): Verdict {
  const text = plainText(outcome.stdout).trim();
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = undefined;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    const stderr = plainText(outcome.stderr)
      .split('\n')
      .filter((l) => !isFrameLine(l))
      .join('\n')
      .trim();
    const raw = text || stderr || '(no output)';
    return {
      ok: false,
      message: `${what}: the check runner's output is not JSON (exit ${outcome.exitCode ?? 'none'})`,
      checks: [{ name: what, status: 'fail', detail: raw }],
    };
  }
  const d = doc as { status?: unknown; checks?: unknown; error?: unknown };
  if (typeof d.error === 'string') {
    return { ok: false, message: `${what}: ${d.error}`, checks: [{ name: what, status: 'fail', detail: d.error }] };
  }
  const checks: CheckResult[] = [];
  if (d.checks !== null && typeof d.checks === 'object') {
    for (const [name, c] of Object.entries(d.checks as Record<string, unknown>)) {
      const entry = (c ?? {}) as { status?: unknown; output?: unknown };
      const st = typeof entry.status === 'number' ? (DIAG_STATUS[entry.status] ?? 'unknown') : 'unknown';
      const out = typeof entry.output === 'string' ? entry.output.trim() : '';
      checks.push({ name, status: st, ...(out ? { detail: out } : {}) });
    }
  }
  const overall = typeof d.status === 'number' ? d.status : undefined;
  const ok = outcome.exitCode === 0 && (overall === 0 || overall === 1);
  if (ok) return { ok, checks };
  const bad = checks.filter((c) => c.status === 'fail' || c.status === 'unknown').map((c) => c.name);
  const message =
    bad.length > 0
      ? `${what}: ${bad.join(', ')} not healthy`
      : `${what}: overall status ${overall ?? 'missing'}, exit ${outcome.exitCode ?? 'none'}`;
  // Named checks that are not healthy explain the failure: were they all ignored (--ignore-check), the step passes.
  return { ok, message, checks, ...(bad.length > 0 ? { byChecks: true } : {}) };
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Judge ip-detect's output against the address config.yaml lists for the host. */
export function judgeIpDetect(listed: string, outcome: CommandOutcome): Verdict {
  const printed = plainText(outcome.stdout).trim();
  if (outcome.exitCode !== 0) {
    return {
      ok: false,
      message: `ip-detect exited ${outcome.exitCode ?? 'without a status'}`,
      checks: [{ name: 'ip-detect', status: 'fail', detail: printed || plainText(outcome.stderr).trim() }],
      byChecks: true,
    };
  }
  if (!IPV4.test(printed)) {
    const shown =
      printed === '' ? 'nothing' : JSON.stringify(printed.length > 80 ? printed.slice(0, 80) + '…' : printed);
    return {
      ok: false,
      message: `ip-detect printed ${shown}, not one IPv4 address`,
      checks: [{ name: 'ip-detect', status: 'fail', detail: printed }],
      byChecks: true,
    };
  }
  if (printed !== listed) {
    return {
      ok: false,
      message: `ip-detect printed ${printed}, but config.yaml lists this host as ${listed}`,
      checks: [{ name: 'ip-detect', status: 'fail', detail: `printed ${printed}, listed ${listed}` }],
      facts: { detectedIp: printed },
      byChecks: true,
    };
  }
  return { ok: true, checks: [{ name: 'ip-detect', status: 'pass', detail: printed }], facts: { detectedIp: printed } };
}

/** The frame lines templates/remote/preflight.sh prints around ip-detect's answer and the checks. */
const FRAME = {
  /** Only when ip-detect printed more than the node keeps of it (bytes per stream): what it printed on each. */
  ipCut: /^@@genconf ip-detect cut stdout=(\d+) stderr=(\d+) kept=(\d+)$/m,
  ipExit: /^@@genconf ip-detect exit=(\d+)$/m,
  ipStderr: /^@@genconf ip-detect stderr$/m,
  preflight: /^@@genconf preflight$/m,
  preflightExit: /^@@genconf preflight exit=(\d+)$/m,
};

/** A line of the frame, as opposed to a line a remote program printed. */
export function isFrameLine(line: string): boolean {
  return line.startsWith('@@genconf ');
}

export interface FramedPreflight {
  /** Absent when the command never got as far as running ip-detect (sudo refused, no space, …). */
  ipDetect?: CommandOutcome;
  /** The preflight's output and status; `exitCode` is null when it was cut off before it ended. */
  preflight?: CommandOutcome;
}

/** Split the framed output of templates/remote/preflight.sh into ip-detect's outcome and the preflight's. */
export function splitFramedPreflight(stdout: string, stderr: string): FramedPreflight {
  const text = plainText(stdout);
  const ipExit = FRAME.ipExit.exec(text);
  if (!ipExit) return {};
  const afterIp = text.slice(ipExit.index + ipExit[0].length + 1);
  const errMark = FRAME.ipStderr.exec(afterIp);
  const pfMark = FRAME.preflight.exec(afterIp);
  const ipOut = afterIp.slice(0, errMark?.index ?? pfMark?.index ?? afterIp.length);
  const ipErr = errMark ? afterIp.slice(errMark.index + errMark[0].length, pfMark?.index ?? afterIp.length) : '';
  const out: FramedPreflight = { ipDetect: { exitCode: Number(ipExit[1]), stdout: ipOut, stderr: ipErr.trim() } };
  if (pfMark) {
    const body = afterIp.slice(pfMark.index + pfMark[0].length + 1);
    const end = FRAME.preflightExit.exec(body);
    out.preflight = { exitCode: end ? Number(end[1]) : null, stdout: end ? body.slice(0, end.index) : body, stderr };
  }
  return out;
}

/**
 * The output is kept from its end (transport/exec.ts keeps a tail): when ip-detect floods, its exit frame, at the
 * very start, is what gets dropped while the later frames survive. Then the cause is ip-detect's flood, not a
 * preflight that "could not start"; the checks that ran are still judged.
 */
function floodedIpDetect(listed: string, outcome: CommandOutcome): Verdict | undefined {
  const text = plainText(outcome.stdout);
  const where = FRAME.ipStderr.test(text) ? 'stdout' : FRAME.preflight.test(text) ? 'stderr' : undefined;
  if (where === undefined) return undefined;
  const message = `ip-detect printed more on ${where} than is kept (only the end of the output is), so its answer was lost: it must print one IPv4 address (${listed}) and little else`;
  const ip: CheckResult = { name: 'ip-detect', status: 'fail', detail: `flooded ${where}` };
  const pfMark = FRAME.preflight.exec(text);
  if (!pfMark) return { ok: false, message, checks: [ip] };
  const body = text.slice(pfMark.index + pfMark[0].length + 1);
  const end = FRAME.preflightExit.exec(body);
  const pf = end
    ? judgePreflight({ exitCode: Number(end[1]), stdout: body.slice(0, end.index), stderr: outcome.stderr })
    : { ok: false, message: 'the preflight checks ended without a status', checks: parsePreflightChecks(body) };
  return {
    ok: false,
    message: [message, ...(pf.ok || pf.message === undefined ? [] : [pf.message])].join('; '),
    checks: [ip, ...(pf.checks ?? [])],
  };
}

/**
 * The node keeps only the start of each of ip-detect's streams (templates/remote/preflight.sh) and says when it cut
 * one: a cut stdout cannot be one address, so its answer is lost. A cut stderr alone is noise: stdout still decides.
 */
function cutIpDetect(listed: string, stdout: string): Verdict | undefined {
  const cut = FRAME.ipCut.exec(plainText(stdout));
  if (!cut || Number(cut[1]) <= Number(cut[3])) return undefined;
  return {
    ok: false,
    message: `ip-detect printed more on stdout than is kept (${cut[1]} bytes; the node keeps the first ${cut[3]}), so its answer was lost: it must print one IPv4 address (${listed}) and little else`,
    checks: [{ name: 'ip-detect', status: 'fail', detail: `flooded stdout (${cut[1]} bytes)` }],
    byChecks: true,
  };
}

/**
 * Judge the one-command preflight: ip-detect against the listed address, and the checks. Both are reported when
 * both ran, so that an operator sees every problem of the host in one run.
 */
export function judgeFramedPreflight(listed: string, outcome: CommandOutcome): Verdict {
  const framed = splitFramedPreflight(outcome.stdout, outcome.stderr);
  if (!framed.ipDetect) {
    const flood = floodedIpDetect(listed, outcome);
    if (flood) return flood;
    // The last line a program printed, never one of the frame's own lines.
    const lastLine = (s: string): string | undefined =>
      plainText(s)
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !isFrameLine(l))
        .at(-1);
    const why = lastLine(outcome.stderr) ?? lastLine(outcome.stdout) ?? '';
    return {
      ok: false,
      message: `the preflight could not start (exit ${outcome.exitCode ?? 'without a status'})${why ? `: ${why}` : ''}`,
    };
  }
  const ip = cutIpDetect(listed, outcome.stdout) ?? judgeIpDetect(listed, framed.ipDetect);
  const pf = framed.preflight
    ? framed.preflight.exitCode === null
      ? {
          ok: false,
          message: 'the preflight checks ended without a status',
          checks: parsePreflightChecks(framed.preflight.stdout + '\n' + framed.preflight.stderr),
        }
      : judgePreflight(framed.preflight)
    : { ok: false, message: 'the preflight checks did not start after ip-detect' };
  const messages = [ip, pf].filter((v) => !v.ok && v.message !== undefined).map((v) => v.message!);
  const ok = ip.ok && pf.ok;
  const byChecks = !ok && [ip, pf].every((v) => v.ok || ('byChecks' in v && v.byChecks === true));
  return {
    ok,
    ...(byChecks ? { byChecks } : {}),
    ...(messages.length > 0 ? { message: messages.join('; ') } : {}),
    checks: (ip.checks ?? []).concat(pf.checks ?? []),
    ...(ip.facts ? { facts: ip.facts } : {}),
  };
}
