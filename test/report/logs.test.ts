import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOG_STEP_CAP_BYTES } from '../../src/orchestrate/events.js';
import { droppedOutputNote } from '../../src/orchestrate/run-step.js';
import { HostLogs, logDirFor } from '../../src/report/logs.js';
import { clusterPlan } from '../fakes/cluster.js';

let dir: string;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('HostLogs', () => {
  it.each([false, true])(
    'writes one stdout and one stderr file per host, 0600 in a 0700 directory, without the stdin script (asynchronous: %s)',
    async (asynchronous) => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'logs-'));
      const logs = new HostLogs(logDirFor(dir, 'run1'), { asynchronous });
      const host = clusterPlan().hosts[0]!;
      const step = {
        kind: 'exec' as const,
        id: 'uninstall',
        title: 'Stop and remove DC/OS',
        argv: ['sudo', '-n', 'bash', '-s'],
        stdin: [{ file: '/t/uninstall.sh' }],
        timeout: { ms: 1, option: 'x' },
      };
      logs.listener({ type: 'step-start', host, step, command: 'sudo -n bash -s' });
      logs.listener({ type: 'output', host, step, stream: 'stdout', chunk: 'REMOVED /opt/mesosphere\n' });
      logs.listener({ type: 'output', host, step, stream: 'stderr', chunk: 'warning: x\n' });
      logs.listener({
        type: 'step-end',
        host,
        step,
        result: {
          id: 'uninstall',
          title: step.title,
          kind: 'exec',
          cleanup: false,
          status: 'ok',
          exitCode: 0,
          durationMs: 5,
          stdoutTail: '',
          stderrTail: '',
        },
      });
      await logs.close();

      const d = path.join(dir, 'logs', 'run1');
      expect((await stat(d)).mode & 0o777).toBe(0o700);
      expect((await readdir(d)).sort()).toEqual(['10.0.0.1:22.stderr.log', '10.0.0.1:22.stdout.log']);
      const out = await readFile(path.join(d, '10.0.0.1:22.stdout.log'), 'utf8');
      const err = await readFile(path.join(d, '10.0.0.1:22.stderr.log'), 'utf8');
      expect((await stat(path.join(d, '10.0.0.1:22.stdout.log'))).mode & 0o777).toBe(0o600);
      expect(out).toContain('$ sudo -n bash -s\nREMOVED /opt/mesosphere\n');
      expect(out).not.toContain('warning: x');
      expect(err).toContain('warning: x');
      expect(out).toMatch(/ ok \(exit 0, 5 ms\)\n$/);
    },
  );

  it.each([false, true])(
    'writes a stderr log only for a host that wrote to stderr, with the header and end of those steps alone (asynchronous: %s)',
    async (asynchronous) => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'logs-'));
      const logs = new HostLogs(logDirFor(dir, 'run5'), { asynchronous });
      const [quiet, noisy] = clusterPlan().hosts;
      const step = (id: string, title: string) => ({
        kind: 'exec' as const,
        id,
        title,
        argv: ['true'],
        timeout: { ms: 1, option: 'x' },
      });
      const end = (s: ReturnType<typeof step>) => ({
        id: s.id,
        title: s.title,
        kind: 'exec' as const,
        cleanup: false,
        status: 'ok' as const,
        exitCode: 0,
        durationMs: 3,
        stdoutTail: '',
        stderrTail: '',
      });
      const a = step('check', 'Check the bundle');
      const b = step('install', 'Install DC/OS');
      const c = step('verify', 'Verify the install');
      for (const host of [quiet!, noisy!]) {
        for (const s of [a, b, c]) {
          logs.listener({ type: 'step-start', host, step: s, command: `run-${s.id}` });
          logs.listener({ type: 'output', host, step: s, stream: 'stdout', chunk: `${s.id} says hello\n` });
          if (host === noisy && s === b)
            logs.listener({ type: 'output', host, step: s, stream: 'stderr', chunk: 'warning: slow disk\n' });
          logs.listener({ type: 'step-end', host, step: s, result: end(s) });
        }
      }
      await logs.close();
      const d = path.join(dir, 'logs', 'run5');
      expect((await readdir(d)).sort()).toEqual(
        [`${quiet!.label}.stdout.log`, `${noisy!.label}.stderr.log`, `${noisy!.label}.stdout.log`].sort(),
      );
      // stdout.log has every step, begun and ended.
      const out = await readFile(path.join(d, `${quiet!.label}.stdout.log`), 'utf8');
      for (const s of [a, b, c]) expect(out).toContain(`${s.title}\n$ run-${s.id}\n${s.id} says hello\n`);
      expect(out.match(/ ok \(exit 0, 3 ms\)\n/g)).toHaveLength(3);
      // stderr.log has the one step that wrote to it: its header, its line, its end; nothing of the others.
      const err = await readFile(path.join(d, `${noisy!.label}.stderr.log`), 'utf8');
      expect(err).toMatch(
        /^=== \S+ Install DC\/OS\n\$ run-install\nwarning: slow disk\n\n=== \S+ ok \(exit 0, 3 ms\)\n$/,
      );
      expect((await stat(path.join(d, `${noisy!.label}.stderr.log`))).mode & 0o777).toBe(0o600);
    },
  );

  it("keeps the first 16 MiB of a flooding step's output and says how much more was not logged", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'logs-'));
    const logs = new HostLogs(logDirFor(dir, 'run2'));
    const host = clusterPlan().hosts[0]!;
    const step = {
      kind: 'exec' as const,
      id: 'preflight',
      title: 'Run the preflight checks',
      argv: ['true'],
      timeout: { ms: 1, option: 'x' },
    };
    logs.listener({ type: 'step-start', host, step, command: 'true' });
    const chunk = 'x'.repeat(1 << 20);
    for (let i = 0; i < 20; i++) logs.listener({ type: 'output', host, step, stream: 'stdout', chunk });
    logs.listener({
      type: 'step-end',
      host,
      step,
      result: {
        id: 'preflight',
        title: step.title,
        kind: 'exec',
        cleanup: false,
        status: 'failed',
        exitCode: 1,
        durationMs: 5,
        stdoutTail: '',
        stderrTail: '',
      },
    });
    await logs.close();
    const file = path.join(dir, 'logs', 'run2', '10.0.0.1:22.stdout.log');
    expect((await stat(file)).size).toBeLessThan(LOG_STEP_CAP_BYTES + 4096);
    const text = await readFile(file, 'utf8');
    expect(text).toContain(`${4 << 20} more bytes were not logged`);
  });

  it("writes a running host's gathered lines without waiting for the host to finish", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'logs-'));
    const logs = new HostLogs(logDirFor(dir, 'run3'));
    const host = clusterPlan().hosts[0]!;
    const step = {
      kind: 'exec' as const,
      id: 'install',
      title: 'Install DC/OS as master',
      argv: ['true'],
      timeout: { ms: 1, option: 'x' },
    };
    logs.listener({ type: 'step-start', host, step, command: 'sudo -n bash dcos_install.sh master' });
    logs.listener({ type: 'output', host, step, stream: 'stdout', chunk: 'still installing\n' });
    const file = path.join(dir, 'logs', 'run3', '10.0.0.1:22.stdout.log');
    // The host never finishes here: the timed flush alone must bring its lines to disk (within FLUSH_MS).
    let text = '';
    for (let i = 0; i < 200 && !text.includes('still installing'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      text = await readFile(file, 'utf8').catch(() => '');
    }
    expect(text).toContain('$ sudo -n bash dcos_install.sh master\nstill installing\n');
    expect(logs.openHosts).toBe(1);
    await logs.close();
    expect(logs.filesOpen).toBe(0);
  });
});

describe('droppedOutputNote', () => {
  it('names each flooded stream with its size, and says nothing when nothing was dropped', () => {
    expect(droppedOutputNote(100, 100)).toBe('');
    const note = droppedOutputNote(100 << 20, 10);
    expect(note).toContain('100.0 MiB on stdout');
    expect(note).not.toContain('stderr');
    expect(note).toContain('the rest was dropped');
  });
});
