/**
 * A step's stdin (src/orchestrate/run-step.ts stdinReader): every host sends the same bytes, so each file is read
 * once per run and a stdin made only of files is assembled once per run; a text part is assembled per call.
 */
import { describe, expect, it } from 'vitest';
import { stdinReader } from '../../src/orchestrate/run-step.js';

function counted(): { reads: string[]; read: (p: string) => Promise<Buffer> } {
  const reads: string[] = [];
  return { reads, read: async (p) => (reads.push(p), Buffer.from(`<${p}>`)) };
}

describe('stdinReader', () => {
  it('assembles a stdin of files once, in order, with base64-line parts encoded', async () => {
    const { reads, read } = counted();
    const stdin = stdinReader(read);
    const parts = [{ file: 'a.sh' }, { file: 'ip', encoding: 'base64-line' as const }, { file: 'b.sh' }];
    const first = await stdin(parts);
    const again = await stdin([...parts]);
    expect(first.toString()).toBe(`<a.sh>${Buffer.from('<ip>').toString('base64')}\n<b.sh>`);
    // The same bytes for every host: one buffer, each file read once.
    expect(again).toBe(first);
    expect(reads).toEqual(['a.sh', 'ip', 'b.sh']);
  });

  it('tells apart stdins that differ only in a part’s encoding or order', async () => {
    const { reads, read } = counted();
    const stdin = stdinReader(read);
    const raw = await stdin([{ file: 'x' }, { file: 'y' }]);
    const encoded = await stdin([{ file: 'x', encoding: 'base64-line' }, { file: 'y' }]);
    const swapped = await stdin([{ file: 'y' }, { file: 'x' }]);
    expect(raw.toString()).toBe('<x><y>');
    expect(encoded.toString()).toBe(`${Buffer.from('<x>').toString('base64')}\n<y>`);
    expect(swapped.toString()).toBe('<y><x>');
    // A file is read once per encoding it is sent in.
    expect(reads).toEqual(['x', 'y', 'x']);
  });

  it('assembles a stdin with a text part per call, still reading its files once', async () => {
    const { reads, read } = counted();
    const stdin = stdinReader(read);
    const one = await stdin([{ file: 'f' }, { text: 'host-1\n', label: 'host' }]);
    const two = await stdin([{ file: 'f' }, { text: 'host-2\n', label: 'host' }]);
    expect(one.toString()).toBe('<f>host-1\n');
    expect(two.toString()).toBe('<f>host-2\n');
    expect(reads).toEqual(['f']);
  });
});
