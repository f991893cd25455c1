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
import { BATCH_CHARS, NdjsonSink } from '../../src/report/ndjson.js';
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
): Promise<{ maxWaiting: number; maxGathered: number; hostsOk: number }> {
  const sink = new NdjsonSink(out);
  let maxWaiting = 0;
  let maxGathered = 0;
  const result = await runStage(STAGES.preflight, clusterPlan(manyAgents(n - 1), { parallelism: p }), {
    transport: preflightTransport(),
    readStdin: async () => Buffer.from('# script\n'),
    listener: (e: RunEvent) => {
      sink.listener(e);
      maxWaiting = Math.max(maxWaiting, sink.queued);
      maxGathered = Math.max(maxGathered, sink.gatheredChars);
    },
    ...(withBackpressure ? { admit: () => sink.ready() } : {}),
  });
  // Without backpressure the caller's reader may hold everything; it drains (or not) on the caller's terms.
  if (withBackpressure) await sink.ready();
  return { maxWaiting, maxGathered, hostsOk: result.hosts.filter((h) => h.status === 'ok').length };
}

describe('NDJSON backpressure', () => {
  it('holds records while the stream is full and writes them, in order, as it drains', async () => {
    const reader = slowReader();
    const sink = new NdjsonSink(reader.stream);
    const host = clusterPlan().hosts[0]!;
    const state = (i: number): 'connecting' | 'connected' => (i % 2 === 0 ? 'connecting' : 'connected');
    for (let i = 0; i < 50; i++) sink.listener({ type: 'host', host, state: state(i) });
    // One turn's records are gathered as text, not yet written.
    expect(sink.waiting).toBe(50);
    expect(sink.queued).toBe(0);
    sink.flush();
    // The stream took them in one write (more than its 256 bytes) and said it was full: what comes next waits, as
    // events, for 'drain'.
    for (let i = 50; i < 100; i++) sink.listener({ type: 'host', host, state: state(i) });
    expect(sink.queued).toBe(50);
    expect(sink.gatheredChars).toBe(0);
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
    expect(states).toEqual(Array.from({ length: 100 }, (_, i) => state(i)));
  });

  it("writes one turn's records in one write, a full batch at once, and the summary at once", async () => {
    const writes: string[] = [];
    const out = new Writable({
      highWaterMark: 1 << 24,
      write(chunk: Buffer, _enc, done) {
        writes.push(chunk.toString('utf8'));
        done();
      },
    });
    const sink = new NdjsonSink(out);
    const plan = clusterPlan();
    const host = plan.hosts[0]!;
    for (let i = 0; i < 20; i++) sink.listener({ type: 'host', host, state: 'connecting' });
    expect(writes).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(1);
    expect(writes[0]!.split('\n').filter(Boolean)).toHaveLength(20);

    // Records enough to pass BATCH_CHARS go out in the same turn, each write at most one record over the bound.
    const line = JSON.stringify({ v: 1, type: 'host', host: host.label, state: 'connecting' }).length + 1;
    const many = Math.ceil((2.5 * BATCH_CHARS) / line);
    for (let i = 0; i < many; i++) sink.listener({ type: 'host', host, state: 'connecting' });
    expect(writes).toHaveLength(3);
    for (const w of writes.slice(1)) expect(w.length).toBeLessThan(BATCH_CHARS + line);
    expect(sink.gatheredChars).toBeGreaterThan(0);

    // The summary flushes what was gathered and itself, in order, before the turn ends.
    const result = await runStage(STAGES.preflight, plan, {
      transport: preflightTransport(),
      readStdin: async () => Buffer.from('# script\n'),
    });
    sink.listener({ type: 'summary', result });
    expect(sink.waiting).toBe(0);
    const text = writes.join('');
    expect(text.trimEnd().split('\n')).toHaveLength(20 + many + 1);
    expect((JSON.parse(text.trimEnd().split('\n').at(-1)!) as { type: string }).type).toBe('summary');
  });

  it('flush() writes what was gathered at once; a closed stream drops it', () => {
    const writes: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        writes.push(chunk.toString('utf8'));
        done();
      },
    });
    const sink = new NdjsonSink(out);
    const host = clusterPlan().hosts[0]!;
    sink.listener({ type: 'host', host, state: 'connecting' });
    sink.listener({ type: 'host', host, state: 'connected' });
    sink.flush();
    expect(writes).toHaveLength(1);
    sink.flush();
    expect(writes).toHaveLength(1);
    out.destroy();
    sink.listener({ type: 'host', host, state: 'connecting' });
    sink.flush();
    expect(writes).toHaveLength(1);
    expect(sink.waiting).toBe(0);
  });

  it('a run waits for a slow reader: what waits in memory is bounded by the hosts in flight, and every record arrives', async () => {
    const n = 400;
    const p = 10;
    const reader = slowReader();
    const { maxWaiting, maxGathered, hostsOk } = await preflightJson(n, p, reader.stream, true);
    expect(hostsOk).toBe(n);
    // Each host in flight adds a handful of records (host, step start/end) while the runner waits; never the run's.
    // One turn's records gathered as text stay under a batch (and one record).
    expect(maxWaiting).toBeLessThanOrEqual(p * 8);
    expect(maxGathered).toBeLessThan(BATCH_CHARS + 4096);
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
    // Every host's result record at least, and the run's own records, waited in memory at once (after the first
    // turn's batch, which the held reader took).
    expect(maxWaiting).toBeGreaterThanOrEqual(n - 10);
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
