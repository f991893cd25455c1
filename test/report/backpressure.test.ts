/**
 * Backpressure of the run's streams: `--json` on a slow reader, and per-host logs on a slow disk. A slow reader
 * slows the run down (the runner waits before starting another host) instead of records piling up in memory; a
 * reader that went away (EPIPE) never makes the run wait. Nothing here measures time: the bound checked is how many
 * records wait in memory at most.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/orchestrate/events.js';
import { runStage } from '../../src/orchestrate/run-stage.js';
import { HostLogs, LOG_BACKLOG_BYTES } from '../../src/report/logs.js';
import { NdjsonSink } from '../../src/report/ndjson.js';
import { STAGES } from '../../src/stages/index.js';
import { clusterPlan, manyAgents } from '../fakes/cluster.js';
import { FakeTransport } from '../fakes/fake-transport.js';

/** A reader that takes one small chunk at a time, each after a turn of the event loop, and keeps what it read. */
function slowReader(): { stream: Writable; text: () => string } {
  const parts: string[] = [];
  const stream = new Writable({
    highWaterMark: 256,
    write(chunk: Buffer, _enc, done) {
      parts.push(chunk.toString('utf8'));
      setImmediate(done);
    },
  });
  return { stream, text: () => parts.join('') };
}

/** What templates/remote/preflight.sh prints for a passing host (framed; test/node runs the real script). */
const preflightOut = (ip: string): string =>
  `@@genconf ip-detect exit=0\n${ip}\n\n@@genconf ip-detect stderr\n\n@@genconf preflight\nChecking if DC/OS is already installed: PASS (Not installed)\n@@genconf preflight exit=0\n`;

function preflightTransport(): FakeTransport {
  return new FakeTransport()
    .onExec(
      (c) => c.includes('bash -s --'),
      (_c, host) => ({ stdout: preflightOut(host.address) }),
    )
    .onExec((c) => c.includes('rm -rf'), {});
}

/** Preflight over `n` hosts at parallelism `p` with --json on `out`, sampling how many records wait in memory. */
async function preflightJson(
  n: number,
  p: number,
  out: Writable,
  withBackpressure: boolean,
): Promise<{ maxWaiting: number; hostsOk: number }> {
  const sink = new NdjsonSink(out);
  let maxWaiting = 0;
  const result = await runStage(STAGES.preflight, clusterPlan(manyAgents(n - 1), { parallelism: p }), {
    transport: preflightTransport(),
    readStdin: async () => Buffer.from('# script\n'),
    listener: (e: RunEvent) => {
      sink.listener(e);
      maxWaiting = Math.max(maxWaiting, sink.waiting);
    },
    ...(withBackpressure ? { admit: () => sink.ready() } : {}),
  });
  // Without backpressure the caller's reader may hold everything; it drains (or not) on the caller's terms.
  if (withBackpressure) await sink.ready();
  return { maxWaiting, hostsOk: result.hosts.filter((h) => h.status === 'ok').length };
}

describe('NDJSON backpressure', () => {
  it('holds records while the stream is full and writes them, in order, as it drains', async () => {
    const reader = slowReader();
    const sink = new NdjsonSink(reader.stream);
    const host = clusterPlan().hosts[0]!;
    for (let i = 0; i < 50; i++) sink.listener({ type: 'host', host, state: i % 2 === 0 ? 'connecting' : 'connected' });
    // The stream took the first few records (its 256 bytes) and said it was full: the others wait, as events.
    expect(sink.waiting).toBeGreaterThan(40);
    const ready = sink.ready();
    expect(ready).toBeInstanceOf(Promise);
    await ready;
    expect(sink.waiting).toBe(0);
    expect(sink.ready()).toBeUndefined();
    const states = reader
      .text()
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { state: string }).state);
    expect(states).toEqual(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? 'connecting' : 'connected')));
  });

  it('a run waits for a slow reader: what waits in memory is bounded by the hosts in flight, and every record arrives', async () => {
    const n = 400;
    const p = 10;
    const reader = slowReader();
    const { maxWaiting, hostsOk } = await preflightJson(n, p, reader.stream, true);
    expect(hostsOk).toBe(n);
    // Each host in flight adds a handful of records (host, step start/end) while the runner waits; never the run's.
    expect(maxWaiting).toBeLessThanOrEqual(p * 8);
    const recs = reader
      .text()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; host?: string });
    expect(recs[0]!.type).toBe('run');
    expect(recs.at(-1)!.type).toBe('summary');
    const results = recs.filter((r) => r.type === 'host_result');
    expect(new Set(results.map((r) => r.host)).size).toBe(n);
  });

  it('without the runner waiting, a reader that takes nothing lets every record pile up (what the bound above guards against)', async () => {
    // A reader that holds its first write until released: how fast a draining reader keeps up would depend on the
    // machine's load, and this test must not.
    const n = 400;
    let release: () => void = () => undefined;
    const held = new Writable({
      highWaterMark: 256,
      write(_chunk, _enc, done) {
        release = done;
      },
    });
    const { maxWaiting, hostsOk } = await preflightJson(n, 10, held, false);
    expect(hostsOk).toBe(n);
    // Every host's result record at least, and the run's own records, waited in memory at once.
    expect(maxWaiting).toBeGreaterThanOrEqual(n);
    release();
  });

  it('a reader that went away (EPIPE) never makes the run wait: the run finishes and later records are dropped', async () => {
    const n = 100;
    let writes = 0;
    const gone = new Writable({
      highWaterMark: 64,
      write(_chunk, _enc, done) {
        writes++;
        // The first write fills the buffer; the second fails the way a closed pipe does.
        if (writes === 1) setImmediate(done);
        else done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const errors: string[] = [];
    gone.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? ''));
    const { hostsOk, maxWaiting } = await preflightJson(n, 5, gone, true);
    expect(hostsOk).toBe(n);
    expect(errors).toEqual(['EPIPE']);
    expect(maxWaiting).toBeLessThanOrEqual(5 * 8);
    expect(writes).toBe(2);
  });
});

describe('per-host log backpressure', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'logs-backpressure-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('asks the runner to wait while more than LOG_BACKLOG_BYTES wait for the disk, and goes on once they are written', async () => {
    // Asynchronous appends, as after a slow disk: synchronous ones leave nothing waiting.
    const logs = new HostLogs(path.join(dir, 'run'), { asynchronous: true });
    const hosts = clusterPlan().hosts.slice(0, 4);
    const step = { kind: 'exec' as const, id: 's', title: 'Step', argv: ['true'], timeout: { ms: 1, option: 'x' } };
    const chunk = 'x'.repeat(1 << 20);
    expect(logs.ready()).toBeUndefined();
    // 4 hosts × 9 MiB (under a step's 16 MiB cap each), all handed over in one go: more than the disk took yet.
    const per = Math.ceil((LOG_BACKLOG_BYTES >> 20) / hosts.length) + 1;
    for (const host of hosts) {
      logs.listener({ type: 'step-start', host, step, command: 'true' });
      for (let i = 0; i < per; i++) logs.listener({ type: 'output', host, step, stream: 'stdout', chunk });
    }
    const wait = logs.ready();
    expect(wait).toBeInstanceOf(Promise);
    await wait;
    expect(logs.ready()).toBeUndefined();
    await logs.close();
    const files = await readdir(path.join(dir, 'run'));
    expect(files.filter((f) => f.endsWith('.stdout.log'))).toHaveLength(hosts.length);
    for (const host of hosts) {
      const text = await readFile(path.join(dir, 'run', `${host.label}.stdout.log`), 'utf8');
      expect(text.length).toBeGreaterThan(per << 20);
    }
  });
});
