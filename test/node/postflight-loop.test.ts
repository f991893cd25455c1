/**
 * The postflight wait loop (templates of src/stages/postflight.ts) run by real bash in a sandbox whose /opt is
 * private: a host without dcos-diagnostics fails at once; a failing check is retried, its frame lines name the
 * checks still failing (shown on the progress line), and the verdict says how long it really waited and keeps the
 * check's last output.
 */
import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { DIAGNOSTICS_LOOP } from '../../src/stages/postflight.js';
import { judgeDiagnostics } from '../../src/stages/judge.js';
import { applyIgnoredChecks } from '../../src/orchestrate/ignore-checks.js';
import { Progress } from '../../src/report/progress.js';
import { duration } from '../../src/report/format.js';
import { clusterPlan } from '../fakes/cluster.js';
import { withSandbox } from '../support/sandbox.js';
import { needSandbox } from './tools.js';

const FAILING = JSON.stringify({
  status: 2,
  checks: {
    mesos_agent_registered: { status: 2, output: 'agent not registered with the master yet' },
    journald_dir: { status: 0, output: 'ok' },
  },
});

describe('postflight wait loop', { timeout: 120_000 }, () => {
  test('no dcos-diagnostics on the host: fails at once, saying DC/OS is not installed', async (ctx) => {
    needSandbox(ctx);
    await withSandbox((sb) => {
      const started = Date.now();
      const r = sb.run(['bash', '-c', DIAGNOSTICS_LOOP, 'dcos-postflight', '900', 'node-poststart']);
      // Not a timing assertion on the product: the loop's own deadline is 900 s; it must not have been waited out.
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(r.status).toBe(127);
      const v = judgeDiagnostics('node-poststart', { exitCode: r.status, stdout: r.stdout, stderr: r.stderr });
      expect(v.ok).toBe(false);
      expect(v.message).toBe(
        'node-poststart: dcos-diagnostics is not installed on this host: DC/OS is not installed here (run --deploy first)',
      );
    });
  });

  test('a check that keeps failing: frames name it, the verdict has the real wait and the last output', async (ctx) => {
    needSandbox(ctx);
    await withSandbox(
      (sb) => {
        const r = sb.run(['bash', '-c', DIAGNOSTICS_LOOP, 'dcos-postflight', '3', 'node-poststart']);
        expect(r.status).toBe(2);
        const attempts = r.stderr.split('\n').filter((l) => l.startsWith('@@genconf attempt '));
        expect(attempts.length).toBeGreaterThanOrEqual(1);
        const waited = /^@@genconf waited (\d+) (\d+)$/m.exec(r.stderr);
        expect(waited).not.toBeNull();
        expect(Number(waited![2])).toBe(attempts.length + 1);
        const v = judgeDiagnostics('node-poststart', { exitCode: r.status, stdout: r.stdout, stderr: r.stderr });
        expect(v.message).toBe(
          `node-poststart: mesos_agent_registered not healthy (still failing after ${waited![1]} s, ${waited![2]} attempts)`,
        );
        expect(v.checks).toContainEqual({
          name: 'mesos_agent_registered',
          status: 'fail',
          detail: 'agent not registered with the master yet',
        });

        // The progress line, fed the same stderr in two chunks split mid-line, names the failing check once.
        const plan = clusterPlan({ agent_list: '[]', public_agent_list: '[]' });
        const host = plan.hosts[0]!;
        const step = {
          kind: 'exec' as const,
          id: 'check-node',
          title: 'Wait for the node checks',
          argv: ['x'],
          timeout: { ms: 1, option: 'o' },
        };
        const out = new PassThrough();
        const p = new Progress(out, { stage: 'postflight', tty: false, color: false });
        const cut = Math.floor(r.stderr.length / 2);
        for (const chunk of [r.stderr.slice(0, cut), r.stderr.slice(cut)])
          p.listener({ type: 'output', host, step, stream: 'stderr', chunk });
        p.flush();
        const lines = ((out.read() as Buffer | null)?.toString() ?? '').trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(
          new RegExp(
            `^${host.label.replace(/\./g, '\\.')} \\[postflight\\] Wait for the node checks: still failing after (?:\\d+ ms|[\\d.]+ s|\\d+ min(?: \\d+ s)?): mesos_agent_registered$`,
          ),
        );
      },
      (sb) => {
        fs.mkdirSync(sb.hostPath('/opt/mesosphere/bin'), { recursive: true });
        fs.writeFileSync(
          sb.hostPath('/opt/mesosphere/bin/dcos-diagnostics'),
          `#!/bin/sh\necho '${FAILING}'\nexit 2\n`,
          { mode: 0o755 },
        );
      },
    );
  });
});

/** The check runner's output as dcos-diagnostics prints it: JSON indented by two spaces, checks by name. */
const indented = (checks: Record<string, number>): string =>
  JSON.stringify(
    {
      status: Math.max(0, ...Object.values(checks)),
      checks: Object.fromEntries(
        Object.entries(checks).map(([n, st]) => [n, { output: `${n} says ${st}`, status: st }]),
      ),
    },
    null,
    2,
  );

function stubDiagnostics(sb: { hostPath(p: string): string }, json: string): void {
  fs.mkdirSync(sb.hostPath('/opt/mesosphere/bin'), { recursive: true });
  fs.writeFileSync(
    sb.hostPath('/opt/mesosphere/bin/dcos-diagnostics'),
    `#!/bin/sh\ncat <<'EOF'\n${json}\nEOF\nexit 2\n`,
    {
      mode: 0o755,
    },
  );
}

describe('postflight wait loop with --ignore-check', { timeout: 120_000 }, () => {
  test('stops after the first run when every failing check is ignored; the runner records it as ignored', async (ctx) => {
    needSandbox(ctx);
    const json = indented({ mesos_agent_registered_with_masters: 2, xz: 0, clock_sync: 1 });
    await withSandbox(
      (sb) => {
        // A 900 s deadline: only the ignore can end this loop after one attempt.
        const r = sb.run([
          'bash',
          '-c',
          DIAGNOSTICS_LOOP,
          'dcos-postflight',
          '900',
          'node-poststart',
          'mesos_agent_registered_with_masters',
        ]);
        expect(r.status).toBe(2);
        expect(/^@@genconf waited \d+ (\d+)$/m.exec(r.stderr)?.[1]).toBe('1');
        expect(r.stderr).not.toContain('@@genconf attempt');
        const judged = judgeDiagnostics('node-poststart', { exitCode: r.status, stdout: r.stdout, stderr: r.stderr });
        expect(judged.ok).toBe(false);
        const v = applyIgnoredChecks(judged, new Set(['mesos-agent-registered-with-masters']));
        expect(v.ok).toBe(true);
        expect(v.checks).toContainEqual({
          name: 'mesos_agent_registered_with_masters',
          status: 'ignored',
          detail: 'mesos_agent_registered_with_masters says 2',
        });
      },
      (sb) => stubDiagnostics(sb, json),
    );
  });

  test('keeps waiting while a check that is not ignored fails too, and without ignores', async (ctx) => {
    needSandbox(ctx);
    const json = indented({ journald_dir_permissions: 2, mesos_agent_registered_with_masters: 2 });
    await withSandbox(
      (sb) => {
        for (const extra of [['mesos_agent_registered_with_masters'], []]) {
          const r = sb.run(['bash', '-c', DIAGNOSTICS_LOOP, 'dcos-postflight', '3', 'node-poststart', ...extra]);
          expect(r.status).toBe(2);
          const attempts = r.stderr.split('\n').filter((l) => l.startsWith('@@genconf attempt ')).length;
          expect(attempts, extra.join()).toBeGreaterThanOrEqual(1);
          const v = applyIgnoredChecks(
            judgeDiagnostics('node-poststart', { exitCode: r.status, stdout: r.stdout, stderr: r.stderr }),
            new Set(['mesos-agent-registered-with-masters']),
          );
          expect(v.ok).toBe(false);
          expect(v.message).toContain('journald_dir_permissions');
        }
      },
      (sb) => stubDiagnostics(sb, json),
    );
  });
});

describe('durations', () => {
  test('round once: never "1 min 60 s"', () => {
    expect(duration(119_600)).toBe('2 min 0 s');
    expect(duration(59_970)).toBe('1 min 0 s');
    expect(duration(59_900)).toBe('59.9 s');
    expect(duration(61_400)).toBe('1 min 1 s');
  });
});
