import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { fileEntry, normalizeEntries, writePackage, writeTarFile } from '../../src/bundle/tar.js';
import { xzToFile } from '../../src/bundle/xz.js';
import { GenconfError } from '../../src/errors.js';
import { tempDir } from './helpers.js';

interface Member {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  content: string;
}

async function members(tarFile: string, xz = false): Promise<Member[]> {
  const out: Member[] = [];
  const ex = extract();
  const source = xz ? Readable.from([spawnSync('xz', ['-dc', tarFile]).stdout]) : createReadStream(tarFile);
  const done = pipeline(source, ex);
  for await (const e of ex) {
    const chunks: Buffer[] = [];
    for await (const c of e as AsyncIterable<Buffer>) chunks.push(c);
    const h = e.header;
    out.push({
      name: h.name,
      type: h.type,
      mode: h.mode,
      uid: h.uid,
      gid: h.gid,
      uname: h.uname,
      gname: h.gname,
      mtime: h.mtime.getTime(),
      content: Buffer.concat(chunks).toString(),
    });
  }
  await done;
  return out;
}

describe('deterministic tar', () => {
  it('adds parent directories, sorts entries, refuses duplicates and unsafe names', () => {
    const sorted = normalizeEntries([fileEntry('b/c/d', 0o644, 'x'), fileEntry('a', 0o600, 'y')]);
    expect(sorted.map((e) => `${e.name} ${e.mode.toString(8)}`)).toEqual(['a 600', 'b/ 755', 'b/c/ 755', 'b/c/d 644']);
    expect(() => normalizeEntries([fileEntry('a', 0o644, ''), fileEntry('a', 0o644, '')])).toThrow(/duplicate/);
    expect(() => normalizeEntries([fileEntry('../x', 0o644, '')])).toThrow(/unsafe/);
    expect(() => normalizeEntries([fileEntry('/etc/x', 0o644, '')])).toThrow(/unsafe/);
  });

  it('writes owner 0:0 without names, mtime 0 and the given modes, streaming file sources', async () => {
    const dir = await tempDir();
    const src = path.join(dir, 'big.bin');
    await writeFile(src, Buffer.alloc(3 * 1024 * 1024 + 7, 7));
    const dest = path.join(dir, 'out.tar');
    await writeTarFile(
      normalizeEntries([
        fileEntry('z/script.sh', 0o755, '#!/bin/sh\n'),
        {
          name: 'data/big.bin',
          type: 'file',
          mode: 0o644,
          source: { kind: 'file', path: src, size: 3 * 1024 * 1024 + 7 },
        },
      ]),
      dest,
    );
    const m = await members(dest);
    expect(m.map((x) => [x.name, x.type, x.mode.toString(8)])).toEqual([
      ['data/', 'directory', '755'],
      ['data/big.bin', 'file', '644'],
      ['z/', 'directory', '755'],
      ['z/script.sh', 'file', '755'],
    ]);
    for (const x of m) expect([x.uid, x.gid, x.uname, x.gname, x.mtime]).toEqual([0, 0, '', '', 0]);
    expect(m[1]!.content.length).toBe(3 * 1024 * 1024 + 7);
    // GNU tar reads it too, with the same view.
    const listing = spawnSync('tar', ['--numeric-owner', '-tvf', dest], { encoding: 'utf8' }).stdout;
    expect(listing).toMatch(/-rwxr-xr-x 0\/0 +10 1970-01-01 00:00 z\/script.sh/);
  });

  it('makes pkgpanda packages rooted at ./ that tar -xJ reads, byte-identical on every run', async () => {
    const dir = await tempDir();
    const entries = [
      fileEntry('etc/a.json', 0o644, '{}'),
      fileEntry('bin/x', 0o755, 'x'),
      fileEntry('etc/secret', 0o600, 's'),
    ];
    await writePackage(entries, path.join(dir, 'one.tar.xz'));
    await writePackage([...entries].reverse(), path.join(dir, 'two.tar.xz'));
    expect(await readFile(path.join(dir, 'one.tar.xz'))).toEqual(await readFile(path.join(dir, 'two.tar.xz')));
    const m = await members(path.join(dir, 'one.tar.xz'), true);
    expect(m.map((x) => `${x.mode.toString(8)} ${x.name}`)).toEqual([
      '755 ./',
      '755 ./bin/',
      '755 ./bin/x',
      '755 ./etc/',
      '644 ./etc/a.json',
      '600 ./etc/secret',
    ]);
    const r = spawnSync('tar', ['-xJf', path.join(dir, 'one.tar.xz'), '-C', dir]);
    expect(r.status).toBe(0);
    expect(await readFile(path.join(dir, 'etc/a.json'), 'utf8')).toBe('{}');
  });

  it('keeps long member names (ustar prefix and pax) readable by GNU tar', async () => {
    const dir = await tempDir();
    const longPath = `packages/dcos-integration-test/dcos-integration-test--${'a'.repeat(40)}_${'b'.repeat(40)}.tar.xz`;
    const longName = `${'x'.repeat(120)}.json`;
    const dest = path.join(dir, 'long.tar');
    await writeTarFile(normalizeEntries([fileEntry(longPath, 0o644, 'p'), fileEntry(longName, 0o644, 'n')]), dest);
    const names = spawnSync('tar', ['-tf', dest], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(names).toEqual(['packages/', 'packages/dcos-integration-test/', longPath, longName].sort());
    expect((await members(dest)).map((m) => m.name)).toEqual(names);
  });

  it('names xz when it is missing', async () => {
    const dir = await tempDir();
    const p = xzToFile(Readable.from([Buffer.from('abc')]), path.join(dir, 'x.xz'), 'xz-not-installed-here');
    await expect(p).rejects.toBeInstanceOf(GenconfError);
    await expect(
      xzToFile(new PassThrough().end('abc'), path.join(dir, 'y.xz'), 'xz-not-installed-here'),
    ).rejects.toThrow(/'xz-not-installed-here' program was not found/);
  });
});
