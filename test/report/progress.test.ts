import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/orchestrate/events.js';
import { Progress } from '../../src/report/progress.js';
import { clusterPlan } from '../fakes/cluster.js';
import { mixedResult } from '../fakes/results.js';

const ESC = String.fromCharCode(27);

function events(): RunEvent[] {
  const plan = clusterPlan({ agent_list: '[]', public_agent_list: '[]' });
  const [a, b] = plan.hosts;
  const step = {
    kind: 'exec' as const,
    id: 'install',
    title: 'Install DC/OS as master',
    argv: ['x'],
    timeout: { ms: 1, option: 'o' },
  };
  const r = mixedResult();
  const okResult = { ...r.hosts[0]!, host: a! };
  const badResult = { ...r.hosts[1]!, host: b! };
  return [
    { type: 'run', runId: 'r1', stage: 'deploy', hosts: plan.hosts, parallelism: 20, startedAt: '' },
    { type: 'host', host: a!, state: 'connecting' },
    { type: 'step-start', host: a!, step, command: 'x' },
    { type: 'step-start', host: b!, step, command: 'x' },
    { type: 'host-done', result: okResult },
    { type: 'host-done', result: badResult },
    { type: 'summary', result: { ...r, hosts: [okResult, badResult] } },
  ];
}

function render(tty: boolean): string {
  const out = new PassThrough();
  const p = new Progress(out, { stage: 'deploy', tty, color: false, rows: 40, columns: 100 });
  events().forEach(p.listener);
  return (out.read() as Buffer).toString();
}

describe('Progress', () => {
  it('prints plain host-prefixed lines when the output is not a terminal', () => {
    expect(render(false)).toBe(
      [
        '[deploy] 3 hosts, 20 at a time (run r1)',
        '10.0.0.1:22 [deploy] connecting as centos',
        '10.0.0.1:22 [deploy] Install DC/OS as master',
        '10.0.0.2:22 [deploy] Install DC/OS as master',
        '10.0.0.1:22 [deploy] ok 12.3 s',
        '10.0.0.2:22 [deploy] failed Install DC/OS as master: exited 1',
        '',
      ].join('\n'),
    );
  });

  it('keeps one line per host on a terminal and redraws them in place', () => {
    const text = render(true);
    expect(text).toContain(`${ESC}[3A`);
    const last = text
      .slice(text.lastIndexOf(`${ESC}[3A`) + 4)
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.replace(`${ESC}[2K`, ''));
    expect(last).toEqual([
      '10.0.0.1:22  master        ok           12.3 s',
      '10.0.0.2:22  master        failed       Install DC/OS as master: exited 1',
      '10.0.0.3:22  master        …            waiting',
    ]);
  });

  it('falls back to plain lines when the hosts do not fit on the screen', () => {
    const out = new PassThrough();
    const p = new Progress(out, { stage: 'deploy', tty: true, color: false, rows: 3, columns: 100 });
    events().forEach(p.listener);
    expect((out.read() as Buffer).toString()).not.toContain(`${ESC}[`);
  });

  it("writes one turn's plain lines in one write, after the run line, and flushes at once on flush()", async () => {
    const writes: string[] = [];
    const out = new PassThrough();
    out.on('data', (b: Buffer) => writes.push(b.toString()));
    const p = new Progress(out, { stage: 'deploy', tty: false, color: false });
    const [run, connecting, start] = events();
    p.listener(run!);
    p.listener(connecting!);
    p.listener(start!);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual([
      '[deploy] 3 hosts, 20 at a time (run r1)\n',
      '10.0.0.1:22 [deploy] connecting as centos\n10.0.0.1:22 [deploy] Install DC/OS as master\n',
    ]);
    p.listener(start!);
    p.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(3);
    p.flush();
    expect(writes).toHaveLength(3);
  });
});
