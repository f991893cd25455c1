/**
 * The reports of a 10,000-host run are written as streams: what the writer hands a slow reader is bounded (chunks of
 * about 64 KiB, waiting for 'drain'), never the whole report at once, and every byte still arrives in order. Sizes
 * only; nothing here measures time.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { junitPieces } from '../../src/report/junit.js';
import { writeChunked } from '../../src/report/sink.js';
import { renderSummary, writeSummary } from '../../src/report/summary.js';
import { syntheticRun } from '../../bench/lib/synthetic-results.js';

const N = 10_000;
const KIB = 1024;

/**
 * A reader that takes one chunk per turn of the event loop and records the most the stream ever held unwritten
 * (its writableLength), and the largest single write.
 */
function slowReader(): { stream: Writable; text: () => string; maxHeld: () => number; maxWrite: () => number } {
  const parts: string[] = [];
  let maxHeld = 0;
  let maxWrite = 0;
  const stream = new Writable({
    highWaterMark: 16 * KIB,
    write(chunk: Buffer, _enc, done) {
      parts.push(chunk.toString('utf8'));
      maxWrite = Math.max(maxWrite, chunk.length);
      setImmediate(done);
    },
  });
  const origWrite = stream.write.bind(stream) as (chunk: string) => boolean;
  stream.write = ((chunk: string) => {
    const ok = origWrite(chunk);
    maxHeld = Math.max(maxHeld, stream.writableLength);
    return ok;
  }) as typeof stream.write;
  return { stream, text: () => parts.join(''), maxHeld: () => maxHeld, maxWrite: () => maxWrite };
}

describe('report writers hold a bounded amount, whatever the hosts', () => {
  const result = syntheticRun(N);

  it('the summary with every host in its table (~1 MB) reaches a slow reader in bounded chunks, in order', async () => {
    const out = slowReader();
    await writeSummary(out.stream, result, { color: false, fullTable: true });
    const text = out.text();
    expect(text).toBe(renderSummary(result, { color: false, fullTable: true }));
    expect(text.length).toBeGreaterThan(500 * KIB);
    // Title, header, then one row per host up to the first blank line.
    const lines = text.split('\n');
    expect(lines.indexOf('') - 2).toBe(N);
    // One chunk (about 64 KiB and a line) waits beyond the reader's own buffer at most, never the report.
    expect(out.maxWrite()).toBeLessThan(64 * KIB + 4 * KIB);
    expect(out.maxHeld()).toBeLessThan(16 * KIB + 64 * KIB + 4 * KIB);
  });

  it('the JUnit report goes out the same way', async () => {
    const out = slowReader();
    await writeChunked(out.stream, junitPieces(result));
    const text = out.text();
    expect(text.match(/<testcase /g)).toHaveLength(N);
    expect(text.length).toBeGreaterThan(1024 * KIB);
    expect(out.maxWrite()).toBeLessThan(64 * KIB + 4 * KIB);
    expect(out.maxHeld()).toBeLessThan(16 * KIB + 64 * KIB + 4 * KIB);
  });
});
