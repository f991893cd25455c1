import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../src/orchestrate/result.js';
import { completionLine, renderSummary } from '../../src/report/summary.js';
import { mixedResult } from '../fakes/results.js';

describe('renderSummary', () => {
  it('prints the host table, each failed host with its reason and output tail, then the original\'s sentence', () => {
    expect(renderSummary(mixedResult(), { color: false, logDir: '/g/logs/20261125T090000Z-beef' })).toMatchInlineSnapshot(`
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

      10.0.0.7:22 failed at "Run the preflight checks": ip-detect printed 10.0.0.1, but config.yaml lists this host as 10.0.0.7
        ✗ ip-detect: printed 10.0.0.1, listed 10.0.0.7

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

  it('ends with exactly the sentence scripts grep for', () => {
    const r = mixedResult();
    expect(completionLine(r)).toBe('1 out of 7 hosts successfully completed install_dcos stage.');
    expect(renderSummary(r, { color: false }).trimEnd().split('\n').at(-1)).toBe('1 out of 7 hosts successfully completed install_dcos stage.');
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

describe('exitCodeOf', () => {
  it('is 0 when all succeed, 4 when the only problems are unreachable hosts, else 3', () => {
    const r = mixedResult();
    const only = (statuses: string[]) => ({ ...r, hosts: r.hosts.slice(0, statuses.length).map((h, i) => ({ ...h, status: statuses[i] as never })) });
    expect(exitCodeOf(only(['ok', 'ok']))).toBe(0);
    expect(exitCodeOf(only(['ok', 'unreachable']))).toBe(4);
    expect(exitCodeOf(only(['unreachable', 'failed']))).toBe(3);
    expect(exitCodeOf(only(['ok', 'timed-out']))).toBe(3);
  });
});
