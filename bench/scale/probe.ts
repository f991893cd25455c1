/**
 * Preloaded into a measured client (`node --import dist/bench/scale/probe.js …`): watches the event loop from inside
 * the process and, at exit, writes what it saw as JSON to the file named by GENCONF_BENCH_PROBE. The product carries
 * no bench code; the side channel is this preload and an environment variable.
 *
 * Two views of the event loop's turns:
 * - the delay (`monitorEventLoopDelay`): how late a timer ran. On a shared machine that includes the time other
 *   processes held the core, so it overstates what the client itself does;
 * - the event-loop thread's own CPU between two ticks of a 5 ms timer (`/proc/thread-self/schedstat`, Linux): a
 *   turn of 100 ms of CPU shows as one tick of ~100 ms, and preemption by other processes adds nothing. Its p99, max
 *   and the ticks above 50 ms are what the loop thread itself makes the loop wait.
 * Plus the GC pauses V8 reports (count, total, longest), which run on this thread too.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

const TICK_MS = 5;

function threadCpuMs(): (() => number) | undefined {
  try {
    const read = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ', 1)[0]) / 1e6;
    return Number.isFinite(read()) ? read : undefined;
  } catch {
    return undefined;
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const out = process.env.GENCONF_BENCH_PROBE;
if (out) {
  const h = monitorEventLoopDelay({ resolution: TICK_MS });
  h.enable();
  const t0 = performance.now();

  const cpu = threadCpuMs();
  const perTick: number[] = [];
  // The ticks above 50 ms of CPU: when in the run (ms from the start), how long, and how much of it was GC.
  const long: Array<{ at: number; cpu: number; from: number; gc: number }> = [];
  if (cpu) {
    let last = cpu();
    let lastWall = performance.now();
    setInterval(() => {
      const now = cpu();
      const wall = performance.now();
      perTick.push(now - last);
      if (now - last > 50 && long.length < 50)
        long.push({ at: Math.round(wall - t0), cpu: Math.round(now - last), from: lastWall, gc: 0 });
      last = now;
      lastWall = wall;
    }, TICK_MS).unref();
  }
  const gcSpans: Array<{ start: number; duration: number }> = [];

  const gc = { count: 0, totalMs: 0, maxMs: 0, major: 0, majorMs: 0, majorMaxMs: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.totalMs += e.duration;
      if (gcSpans.length < 100_000) gcSpans.push({ start: e.startTime, duration: e.duration });
      gc.maxMs = Math.max(gc.maxMs, e.duration);
      // Mark-sweep-compact (the whole heap) against scavenges of the young generation.
      if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        gc.major++;
        gc.majorMs += e.duration;
        gc.majorMaxMs = Math.max(gc.majorMaxMs, e.duration);
      }
    }
  });
  obs.observe({ entryTypes: ['gc'] });

  process.once('exit', (code) => {
    h.disable();
    obs.disconnect();
    const ru = process.resourceUsage();
    const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
    const r2 = (x: number): number => Math.round(x * 100) / 100;
    const sorted = perTick.slice().sort((a, b) => a - b);
    for (const l of long) {
      const to = t0 + l.at;
      for (const g of gcSpans) if (g.start >= l.from && g.start < to) l.gc += g.duration;
    }
    const longTicks = long.map((l) => ({ at: l.at, cpu: l.cpu, gc: Math.round(l.gc) }));
    writeFileSync(
      out,
      JSON.stringify({
        exitCode: code,
        wallMs: Math.round(performance.now() - t0),
        cpuMs: Math.round((ru.userCPUTime + ru.systemCPUTime) / 1000),
        maxRssKiB: ru.maxRSS,
        eventLoopDelayMs: { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) },
        ...(cpu
          ? {
              loopCpuPerTickMs: {
                ticks: sorted.length,
                p50: r2(percentile(sorted, 50)),
                p99: r2(percentile(sorted, 99)),
                max: r2(sorted.at(-1) ?? 0),
                over50: sorted.filter((x) => x > 50).length,
                longTicks,
              },
            }
          : {}),
        gcMs: {
          count: gc.count,
          total: Math.round(gc.totalMs),
          max: r2(gc.maxMs),
          major: gc.major,
          majorTotal: Math.round(gc.majorMs),
          majorMax: r2(gc.majorMaxMs),
        },
      }) + '\n',
    );
  });
}
