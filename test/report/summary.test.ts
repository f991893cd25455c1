import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../src/orchestrate/result.js';
import { completionLine, renderSummary } from '../../src/report/summary.js';
import { judgePreflight } from '../../src/stages/judge.js';
import type { HostResult, StageResult } from '../../src/orchestrate/result.js';
import { mixedResult } from '../fakes/results.js';

describe('renderSummary', () => {
  it("prints the host table, each failed host with its reason and output tail, then the original's sentence", () => {
    expect(renderSummary(mixedResult(), { color: false, logDir: '/g/logs/20261125T090000Z-beef' }))
      .toMatchInlineSnapshot(`
      "[deploy] summary (run 20261125T090000Z-beef, 2 min 11 s)
      HOST         ROLE          STATUS       FAILED STEP OR CHECK                  DURATION
      10.0.0.1:22  master        ok                                                 12.3 s
      10.0.0.2:22  master        failed       Install DC/OS as master               3.2 s
      10.0.0.3:22  master        timed-out    Install DC/OS as master               2 min 1 s
      10.0.0.4:22  agent         unreachable  connect                               10.0 s
      10.0.0.6:22  agent         skipped                                            -
      10.0.0.5:22  public_agent  interrupted  Copy dcos-install.tar                 800 ms
      10.0.0.7:22  public_agent  failed       Run the preflight checks (ip-detect)  900 ms

      10.0.0.2:22 failed at "Install DC/OS as master": exited 1
        last 4 lines of output:
          Starting DC/OS Install Process
          Running preflight checks
          FAIL something
          Preflight checks failed. Exiting installation.

      10.0.0.3:22 timed-out at "Install DC/OS as master": "Install DC/OS as master" timed out after 120 s (raise process_timeout in config.yaml)

      10.0.0.4:22 unreachable: connect ECONNREFUSED 10.0.0.4:22

      10.0.0.6:22 skipped: not started: master 10.0.0.2:22 failed (--continue-on-master-failure deploys agents anyway)

      10.0.0.5:22 interrupted at "Copy dcos-install.tar": interrupted during "Copy dcos-install.tar"

      10.0.0.7:22 failed at "Run the preflight checks": 1 check failed
        ✗ ip-detect: printed 10.0.0.1, listed 10.0.0.7

      Hosts: 7 — 1 ok, 2 failed, 1 unreachable, 1 timed-out, 1 skipped, 1 interrupted

      Logs: /g/logs/20261125T090000Z-beef
      1 out of 7 hosts successfully completed install_dcos stage.
      "
    `);
  });

  it('lists failed checks instead of the output tail, and never shows the preflight frame lines', () => {
    const r = mixedResult();
    const host = r.hosts.find((h) => h.host.address === '10.0.0.7')!;
    const text = renderSummary(r, { color: false }).split('\n');
    const at = text.findIndex((l) => l.startsWith('10.0.0.7:22 failed'));
    expect(text[at + 1]).toBe('  ✗ ip-detect: printed 10.0.0.1, listed 10.0.0.7');
    expect(text[at + 2]).toBe('');
    // Without a failed check to explain it (the preflight cut short), the tail is shown, frame lines left out.
    host.checks = [];
    const bare = renderSummary(r, { color: false });
    expect(bare).toContain('  last 2 lines of output:\n    10.0.0.1\n    Preflight summary: 0 FAIL, 0 WARN\n');
    expect(bare).not.toContain('@@genconf');
  });

  it('names the hosts left alone because they already hold this bundle, as successes', () => {
    const r = mixedResult();
    const note = 'already installed (config_id 6d44), skipped';
    const ok = r.hosts.filter((h) => h.status === 'ok');
    for (const h of ok) h.note = note;
    const text = renderSummary(r, { color: false });
    expect(text).toContain(`${ok[0]!.host.label} ${note}`);
    expect(text).not.toMatch(/failed at "[^"]*": already installed/);
  });

  it('ends with exactly the sentence scripts grep for', () => {
    const r = mixedResult();
    expect(completionLine(r)).toBe('1 out of 7 hosts successfully completed install_dcos stage.');
    expect(renderSummary(r, { color: false }).trimEnd().split('\n').at(-1)).toBe(
      '1 out of 7 hosts successfully completed install_dcos stage.',
    );
  });

  it('uses colour only when asked', () => {
    const ESC = String.fromCharCode(27);
    expect(renderSummary(mixedResult(), { color: false })).not.toContain(ESC);
    expect(renderSummary(mixedResult(), { color: true })).toContain(`${ESC}[31mfailed`);
  });

  it('says when the run was interrupted', () => {
    const r = { ...mixedResult(), interrupted: true };
    expect(renderSummary(r, { color: false })).toContain('Interrupted: no new work was started');
    expect(exitCodeOf(r)).toBe(130);
  });
});

/** `n` hosts that failed preflight the same way (the installer's real output), plus one that passed with warnings. */
function preflightRun(n: number): StageResult {
  const base = mixedResult();
  const template = base.hosts[0]!;
  const stdout = [
    'Checking if docker is running: FAIL (Docker is not running)',
    'Checking if ipset is installed and in PATH: FAIL (not found)',
    'Checking if master has at least 32 GB of memory: WARN (15.5 GB)',
    'Checking if the clock is synchronized: WARN (unknown)',
  ].join('\n');
  const verdict = judgePreflight({ exitCode: 2, stdout, stderr: '' });
  const hosts: HostResult[] = [];
  for (let i = 0; i < n; i++) {
    const address = `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    hosts.push({
      ...template,
      host: { ...template.host, address, label: `${address}:22` },
      status: 'failed',
      failedStep: 'Run the preflight checks',
      reason: `${address}:22: ${verdict.message}`,
      checks: verdict.checks!,
    });
  }
  hosts.push({
    ...template,
    host: { ...template.host, address: '10.2.0.1', label: '10.2.0.1:22' },
    status: 'ok',
    checks: [{ name: 'Checking if master has at least 32 GB of memory', status: 'warn', detail: '15.5 GB' }],
  });
  return { ...base, stage: 'preflight', summaryName: 'run_preflight', hosts };
}

describe('renderSummary: identical failures grouped, warnings shown', () => {
  it('6 hosts failing the same checks: one block naming every host, each check once, no doubled parentheses', () => {
    const text = renderSummary(preflightRun(6), { color: false });
    expect(text).toContain(
      '6 hosts failed at "Run the preflight checks": 2 checks failed\n  6 hosts: 10.1.0.1:22, 10.1.0.2:22, 10.1.0.3:22, 10.1.0.4:22, 10.1.0.5:22, 10.1.0.6:22\n',
    );
    expect(text.split('Docker is not running')).toHaveLength(2);
    expect(text).toContain('  ✗ Checking if docker is running: Docker is not running\n');
    expect(text).not.toContain('((');
    expect(text).toContain('Hosts: 7 — 1 ok, 6 failed');
  });

  it('WARN results appear as warnings, each once with its hosts (also from hosts that passed)', () => {
    const text = renderSummary(preflightRun(2), { color: false });
    expect(text).toContain(
      'Warnings (2):\n  ! Checking if master has at least 32 GB of memory: 15.5 GB\n    3 hosts: 10.1.0.1:22, 10.1.0.2:22, 10.2.0.1:22\n',
    );
    expect(text).toContain(
      '  ! Checking if the clock is synchronized: unknown\n    2 hosts: 10.1.0.1:22, 10.1.0.2:22\n',
    );
  });

  it('10,000 failing hosts: the failure block stays a few lines (host lists are cut), with the totals', () => {
    const text = renderSummary(preflightRun(10_000), { color: false });
    const block = text.slice(text.indexOf('10000 hosts failed'));
    expect(block.split('\n').slice(0, 2).join('\n')).toMatch(
      /^10000 hosts failed at "Run the preflight checks": 2 checks failed\n {2}10000 hosts: 10\.1\.0\.1:22, .*, … and 9990 more$/,
    );
    expect(text.split('✗')).toHaveLength(3);
    expect(text).toContain('Hosts: 10001 — 1 ok, 10000 failed');
  });
});

describe('exitCodeOf', () => {
  it('is 0 when all succeed, 4 when the only problems are unreachable hosts, else 3', () => {
    const r = mixedResult();
    const only = (statuses: string[]) => ({
      ...r,
      hosts: r.hosts.slice(0, statuses.length).map((h, i) => ({ ...h, status: statuses[i] as never })),
    });
    expect(exitCodeOf(only(['ok', 'ok']))).toBe(0);
    expect(exitCodeOf(only(['ok', 'unreachable']))).toBe(4);
    expect(exitCodeOf(only(['unreachable', 'failed']))).toBe(3);
    expect(exitCodeOf(only(['ok', 'timed-out']))).toBe(3);
  });
});

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const SGR = /\x1b\[[0-9;]*m/g;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

describe('renderSummary: what a remote host prints cannot act on the terminal', () => {
  it('a BEL, a cursor move and an OSC title in a check or a reason are shown escaped; colours stay', () => {
    const base = mixedResult();
    const template = base.hosts[0]!;
    const hostile: HostResult = {
      ...template,
      status: 'failed',
      failedStep: 'Run the preflight checks',
      reason: 'exited 2\u0007\u001b[2J\u001b]0;owned\u0007',
      checks: [{ name: 'Docker\u001b[1A is running', status: 'fail', detail: 'no\u009b31m' }],
    };
    const text = renderSummary({ ...base, hosts: [hostile] }, { color: true });
    // Only SGR colour sequences (ESC [ … m) remain; no other control character reaches the terminal.
    const stripped = text.replace(SGR, '');
    expect(stripped).not.toMatch(CONTROL);
    expect(stripped).toContain('Docker\\x1b[1A is running');
    expect(stripped).toContain('no\\x9b31m');
    expect(text).toContain('\u001b[');
    const plain = renderSummary({ ...base, hosts: [hostile] }, { color: false });
    expect(plain).not.toMatch(CONTROL);
  });
});
