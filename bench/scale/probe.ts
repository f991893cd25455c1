/**
 * Preloaded into a measured client (`node --import dist/bench/scale/probe.js …`): watches the event loop's delay
 * from inside the process and, at exit, writes what it saw as JSON to the file named by GENCONF_BENCH_PROBE. The
 * product carries no bench code; the side channel is this preload and an environment variable.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const out = process.env.GENCONF_BENCH_PROBE;
if (out) {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const t0 = performance.now();
  process.once('exit', (code) => {
    h.disable();
    const ru = process.resourceUsage();
    const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
    writeFileSync(
      out,
      JSON.stringify({
        exitCode: code,
        wallMs: Math.round(performance.now() - t0),
        cpuMs: Math.round((ru.userCPUTime + ru.systemCPUTime) / 1000),
        maxRssKiB: ru.maxRSS,
        eventLoopDelayMs: { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) },
      }) + '\n',
    );
  });
}
