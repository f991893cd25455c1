/** `--junit FILE`: one test case per host for the stage, for CI dashboards. */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { HostResult, StageResult } from '../orchestrate/result.js';
import { plainText, sharedCheck } from '../stages/judge.js';
import type { CheckResult } from '../stages/types.js';
import { chunks } from './sink.js';

/** What xml() removes or escapes: control characters (ESC and CR among them: plainText's too) and `&<>"`. */
// eslint-disable-next-line no-control-regex
const NEEDS_XML = /[\x00-\x08\x0b-\x1f&<>"]/;

function xml(s: string): string {
  // Most strings (names, check lines) need nothing: seven regular-expression passes over each were most of the
  // report's cost at thousands of hosts.
  if (!NEEDS_XML.test(s)) return s;
  return (
    plainText(s)
      // eslint-disable-next-line no-control-regex
      .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
  );
}

const secs = (ms: number): string => (ms / 1000).toFixed(3);

/** The report as one string: for tests; a run writes it with writeJUnit, one test case at a time. */
export function renderJUnit(result: StageResult): string {
  return [...junitPieces(result)].join('');
}

/** The document in pieces (the header, then one piece per host, then the closing tags), each ending its line. */
export function* junitPieces(result: StageResult): Generator<string> {
  const counts = { failures: 0, errors: 0, skipped: 0 };
  for (const h of result.hosts) {
    if (h.status === 'failed' || h.status === 'timed-out') counts.failures++;
    else if (h.status === 'unreachable' || h.status === 'interrupted') counts.errors++;
    else if (h.status === 'skipped') counts.skipped++;
  }
  const attrs = `tests="${result.hosts.length}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}" time="${secs(result.durationMs)}"`;
  yield '<?xml version="1.0" encoding="UTF-8"?>\n';
  yield `<testsuites name="dcos-genconf" ${attrs}>\n`;
  yield `  <testsuite name="${xml(result.stage)}" ${attrs} timestamp="${xml(result.startedAt)}">\n`;
  // --ignore-check: what was asked for and where a check failed and was ignored, so CI sees it, never silently.
  const ig = result.ignoredChecks;
  if (ig) {
    const props = [`      <property name="ignore-check" value="${xml(ig.ids.join(','))}"/>`];
    for (const w of ig.where)
      props.push(
        `      <property name="ignored-check" value="${xml(`${w.host} ${w.id}${w.detail ? `: ${w.detail}` : ''}`)}"/>`,
      );
    yield `    <properties>\n${props.join('\n')}\n    </properties>\n`;
  }
  for (const h of result.hosts) yield testCase(result.stage, h);
  yield '  </testsuite>\n';
  yield '</testsuites>\n';
}

/** A check as its line of `system-out`; made once for a check every host shares (stages/judge.ts sharedCheck). */
const checkLines = new WeakMap<CheckResult, string>();
function checkLine(c: CheckResult): string {
  const known = checkLines.get(c);
  if (known !== undefined) return known;
  const line = `${c.status.toUpperCase()} ${c.name}${c.detail ? `: ${c.detail}` : ''}`;
  if (sharedCheck(c)) checkLines.set(c, line);
  return line;
}

function testCase(stage: string, h: HostResult): string {
  const lines: string[] = [
    `    <testcase classname="${xml(stage)}" name="${xml(`${h.host.label} (${h.host.role})`)}" time="${secs(h.durationMs)}">`,
  ];
  const message = xml(h.failedStep ? `${h.failedStep}: ${h.reason ?? ''}` : (h.reason ?? ''));
  const step = h.steps.find((s) => s.id === h.failedStepId);
  const body = step
    ? xml(
        [step.stdoutTail, step.stderrTail]
          .map((t) => t.trimEnd())
          .filter((t) => t !== '')
          .join('\n'),
      )
    : '';
  if (h.status === 'failed' || h.status === 'timed-out') {
    lines.push(`      <failure type="${h.status}" message="${message}">${body}</failure>`);
  } else if (h.status === 'unreachable' || h.status === 'interrupted') {
    lines.push(`      <error type="${h.status}" message="${message}">${body}</error>`);
  } else if (h.status === 'skipped') {
    lines.push(`      <skipped message="${message}"/>`);
  }
  const checks = h.checks.map(checkLine).join('\n');
  if (checks) lines.push(`      <system-out>${xml(checks)}</system-out>`);
  lines.push('    </testcase>');
  return lines.join('\n') + '\n';
}

/**
 * Stream the report to a temporary name beside FILE and rename it into place: memory stays flat at 10,000 hosts,
 * and a reader (or a failed write) never leaves half a report under FILE's name.
 */
export async function writeJUnit(file: string, result: StageResult): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await pipeline(Readable.from(chunks(junitPieces(result)), { objectMode: false }), createWriteStream(tmp));
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
