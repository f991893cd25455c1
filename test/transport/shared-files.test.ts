import { mkdirSync, mkdtempSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SharedFiles } from '../../src/transport/shared-files.js';

const dir = mkdtempSync(path.join(tmpdir(), 'genconf-shared-'));

describe('SharedFiles: the bytes every upload of a run sends', () => {
  it('reads a file once for all the uploads that start together and after', async () => {
    const f = path.join(dir, 'once.tar');
    writeFileSync(f, 'bundle-1');
    const shared = new SharedFiles();
    const [a, b] = await Promise.all([shared.bytes(f), shared.bytes(f)]);
    expect(a?.toString()).toBe('bundle-1');
    // One read, one buffer: every upload sends from it.
    expect(b).toBe(a);
    expect(await shared.bytes(f)).toBe(a);
  });

  it('reads the file again once it was rewritten or replaced: an upload sends the file as it is on disk', async () => {
    const f = path.join(dir, 'changes.tar');
    writeFileSync(f, 'old-bytes');
    const shared = new SharedFiles();
    expect((await shared.bytes(f))?.toString()).toBe('old-bytes');
    // Rewritten with the same size and the same modification time: the change time still differs.
    writeFileSync(f, 'new-bytes');
    utimesSync(f, new Date(0), new Date(0));
    expect((await shared.bytes(f))?.toString()).toBe('new-bytes');
    // Replaced by another file (a rename over it, as a new --genconf does).
    const other = path.join(dir, 'other.tar');
    writeFileSync(other, 'third-bundle');
    renameSync(other, f);
    expect((await shared.bytes(f))?.toString()).toBe('third-bundle');
  });

  it('leaves to the upload a file over the limit, a missing file and a directory (it reads or fails as before)', async () => {
    const shared = new SharedFiles(4);
    const big = path.join(dir, 'big.tar');
    writeFileSync(big, '12345');
    expect(await shared.bytes(big)).toBeUndefined();
    const small = path.join(dir, 'small.tar');
    writeFileSync(small, '1234');
    expect((await shared.bytes(small))?.toString()).toBe('1234');
    expect(await shared.bytes(path.join(dir, 'no-such.tar'))).toBeUndefined();
    const d = path.join(dir, 'a-dir');
    mkdirSync(d);
    expect(await shared.bytes(d)).toBeUndefined();
  });
});
