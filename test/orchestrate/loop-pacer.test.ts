/**
 * The loop pacer (src/orchestrate/loop-pacer.ts): hosts in flight are bounded by a limit that shrinks while the
 * event loop's thread is saturated and grows while it is not, so hosts waiting on the network are never held back.
 * The CPU clock and the timers are driven by the test; nothing here measures time.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LoopPacer, LOOP_PACING } from '../../src/orchestrate/loop-pacer.js';
import type { RunEvent } from '../../src/orchestrate/events.js';
import { runStage } from '../../src/orchestrate/run-stage.js';
import { STAGES } from '../../src/stages/index.js';
import { clusterPlan, manyAgents } from '../fakes/cluster.js';
import { FakeTransport } from '../fakes/fake-transport.js';

const PACING = { tickMs: 10, busyMs: 10, minInFlight: 4 };

/** A pacer whose thread CPU advances by `perTick()` ms each tick. */
function pacerWith(perTick: () => number): { pacer: LoopPacer; tick: () => void } {
  let cpu = 0;
  const pacer = new LoopPacer(PACING, () => cpu);
  return {
    pacer,
    tick: () => {
      cpu += perTick();
      vi.advanceTimersByTime(PACING.tickMs);
    },
  };
}

/** Ask for `n` admissions; returns how many have been granted so far (live). */
function ask(pacer: LoopPacer, n: number): { granted: () => number } {
  let granted = 0;
  for (let i = 0; i < n; i++) {
    const w = pacer.admit();
    if (w === undefined) granted++;
    else void w.then(() => granted++);
  }
  return { granted: () => granted };
}

describe('LoopPacer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts with minInFlight hosts and lets the next one in as soon as one finishes', async () => {
    const { pacer } = pacerWith(() => 0);
    const a = ask(pacer, 10);
    expect(a.granted()).toBe(4);
    pacer.finished();
    await Promise.resolve();
    expect(a.granted()).toBe(5);
    pacer.dispose();
  });

  it('an idle loop (hosts waiting on the network) grows the limit until nobody waits', async () => {
    const { pacer, tick } = pacerWith(() => 1);
    const a = ask(pacer, 500);
    for (let i = 0; i < 100 && a.granted() < 500; i++) {
      tick();
      await Promise.resolve();
    }
    expect(a.granted()).toBe(500);
    expect(pacer.currentLimit).toBeGreaterThanOrEqual(500);
    pacer.dispose();
  });

  it('a saturated loop shrinks the limit, never below minInFlight, and admits nobody new while it stays so', async () => {
    let busy = false;
    const { pacer, tick } = pacerWith(() => (busy ? PACING.tickMs + PACING.busyMs + 5 : 1));
    const a = ask(pacer, 200);
    for (let i = 0; i < 20; i++) {
      tick();
      await Promise.resolve();
    }
    const grown = pacer.currentLimit;
    expect(grown).toBeGreaterThan(PACING.minInFlight);
    busy = true;
    const before = a.granted();
    for (let i = 0; i < 50; i++) {
      tick();
      await Promise.resolve();
    }
    expect(a.granted()).toBe(before);
    expect(pacer.currentLimit).toBe(PACING.minInFlight);
    // Hosts finishing while the limit is below the hosts in flight start nobody.
    for (let i = 0; i < 5; i++) pacer.finished();
    await Promise.resolve();
    expect(a.granted()).toBe(before);
    pacer.dispose();
    await Promise.resolve();
    expect(a.granted()).toBe(200);
  });

  it('the defaults: sampled every 10 ms, saturated above 15 ms of CPU per tick, at least 8 hosts', () => {
    expect(LOOP_PACING).toEqual({ tickMs: 10, busyMs: 5, minInFlight: 8 });
  });
});

describe('runStage with a pacer', () => {
  it('every host runs, never more in flight than the pacer allows', async () => {
    const n = 60;
    const t = new FakeTransport()
      .onExec(
        (c) => c.includes('bash -s --'),
        (_c, host) => ({
          delayMs: 1,
          stdout: `@@genconf ip-detect exit=0\n${host.address}\n\n@@genconf ip-detect stderr\n\n@@genconf preflight\nChecking if DC/OS is already installed: PASS (Not installed)\n@@genconf preflight exit=0\n`,
        }),
      )
      .onExec((c) => c.includes('rm -rf'), {});
    // Hosts in flight as the runner reports them: from 'connecting' to 'host-done'.
    let inFlight = 0;
    let most = 0;
    const listener = (e: RunEvent): void => {
      if (e.type === 'host' && e.state === 'connecting') most = Math.max(most, ++inFlight);
      if (e.type === 'host-done') inFlight--;
    };
    // Hosts waiting for the pacer each listen for the run's stop: no "possible memory leak" warning may reach stderr.
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    // A loop that always looks saturated: the pacer stays at its floor.
    let cpu = 0;
    const pacer = new LoopPacer({ tickMs: 1, busyMs: 0, minInFlight: 3 }, () => (cpu += 100));
    const result = await runStage(STAGES.preflight, clusterPlan(manyAgents(n - 1), { parallelism: 20 }), {
      transport: t,
      readStdin: async () => Buffer.from('# script\n'),
      listener,
      pacer,
    });
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(result.hosts.filter((h) => h.status === 'ok')).toHaveLength(n);
    expect(most).toBe(3);
    expect(warnings).toEqual([]);
  });
});
