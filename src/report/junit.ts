/** `--junit FILE`: one test case per host for the stage, for CI dashboards. */
import { rename, writeFile } from 'node:fs/promises';
import type { StageResult } from '../orchestrate/result.js';
import { plainText } from '../stages/parse.js';

function xml(s: string): string {
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

export function renderJUnit(result: StageResult): string {
  const count = (pred: (s: string) => boolean): number => result.hosts.filter((h) => pred(h.status)).length;
  const failures = count((s) => s === 'failed' || s === 'timed-out');
  const errors = count((s) => s === 'unreachable' || s === 'interrupted');
  const skipped = count((s) => s === 'skipped');
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const attrs = `tests="${result.hosts.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${secs(result.durationMs)}"`;
  lines.push(`<testsuites name="dcos-genconf" ${attrs}>`);
  lines.push(`  <testsuite name="${xml(result.stage)}" ${attrs} timestamp="${xml(result.startedAt)}">`);
  for (const h of result.hosts) {
    lines.push(
      `    <testcase classname="${xml(result.stage)}" name="${xml(`${h.host.label} (${h.host.role})`)}" time="${secs(h.durationMs)}">`,
    );
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
    const checks = h.checks
      .map((c) => `${c.status.toUpperCase()} ${c.name}${c.detail ? `: ${c.detail}` : ''}`)
      .join('\n');
    if (checks) lines.push(`      <system-out>${xml(checks)}</system-out>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>');
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

export async function writeJUnit(file: string, result: StageResult): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, renderJUnit(result));
  await rename(tmp, file);
}
