/**
 * Deterministic tar archives: sorted entries, owner 0:0 with no names, a fixed mtime and explicit modes, so the
 * same inputs give the same bytes on every run and machine. File contents are streamed from disk, never held
 * in memory, so peak memory does not grow with the size of the artifacts.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack, type Header } from 'tar-stream';
import { xzToFile } from './xz.js';

/** Every member's mtime. The epoch: nothing in a package depends on file times. */
export const FIXED_MTIME = new Date(0);

export type TarSource = { kind: 'bytes'; data: Buffer } | { kind: 'file'; path: string; size: number };

export interface TarEntry {
  /** Relative member name, `/`-separated, no leading `/`; directories end with `/`. */
  name: string;
  type: 'file' | 'directory';
  mode: number;
  /** Required for files. */
  source?: TarSource;
}

export function fileEntry(name: string, mode: number, content: string | Buffer): TarEntry {
  return {
    name,
    type: 'file',
    mode,
    source: { kind: 'bytes', data: Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8') },
  };
}

/**
 * Adds every missing parent directory (mode `dirMode`) and sorts by name. Sorting the full names puts each
 * directory before its contents, since a directory's name is a prefix of theirs. Duplicate names are a bug.
 */
export function normalizeEntries(entries: readonly TarEntry[], dirMode = 0o755, root?: string): TarEntry[] {
  const byName = new Map<string, TarEntry>();
  for (const e of entries) {
    const name = e.type === 'directory' && !e.name.endsWith('/') ? `${e.name}/` : e.name;
    if (name.startsWith('/') || name.split('/').includes('..')) throw new Error(`unsafe tar member name '${name}'`);
    if (byName.has(name)) throw new Error(`duplicate tar member '${name}'`);
    byName.set(name, { ...e, name });
  }
  for (const name of [...byName.keys()]) {
    const parts = name.replace(/\/$/, '').split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = `${parts.slice(0, i).join('/')}/`;
      if (!byName.has(dir) && dir !== root) byName.set(dir, { name: dir, type: 'directory', mode: dirMode });
    }
  }
  if (root !== undefined && !byName.has(root)) byName.set(root, { name: root, type: 'directory', mode: dirMode });
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A readable tar stream of `entries`, in the given order (call normalizeEntries first). */
export function tarStream(entries: readonly TarEntry[]): Readable {
  const pack = tarPack();
  void (async () => {
    for (const e of entries) {
      const header: Partial<Header> & Pick<Header, 'name'> = {
        name: e.name,
        type: e.type,
        mode: e.mode,
        uid: 0,
        gid: 0,
        uname: '',
        gname: '',
        mtime: FIXED_MTIME,
        size: e.type === 'file' ? sourceSize(e) : 0,
      };
      if (e.type === 'directory') {
        await new Promise<void>((resolve, reject) => pack.entry(header, (err) => (err ? reject(err) : resolve())));
      } else if (e.source?.kind === 'bytes') {
        const data = e.source.data;
        await new Promise<void>((resolve, reject) =>
          pack.entry(header, data, (err) => (err ? reject(err) : resolve())),
        );
      } else if (e.source?.kind === 'file') {
        const sink = pack.entry(header);
        await pipeline(
          createReadStream(e.source.path, { highWaterMark: 1 << 20 }),
          sink as unknown as NodeJS.WritableStream,
        );
      }
    }
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))));
  // A Node PassThrough in front of tar-stream's streamx readable, so callers get a plain Node stream.
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  pipeline(pack, out).catch((err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))));
  return out;
}

function sourceSize(e: TarEntry): number {
  if (!e.source) throw new Error(`tar member '${e.name}' has no content`);
  return e.source.kind === 'bytes' ? e.source.data.length : e.source.size;
}

export async function writeTarFile(entries: readonly TarEntry[], dest: string): Promise<void> {
  await pipeline(tarStream(entries), createWriteStream(dest));
}

/**
 * A pkgpanda package: tar rooted at `./` (as `tar -C dir .` makes it), xz-compressed. Returns the SHA-256 and size
 * of the file written, hashed on the way to disk.
 */
export async function writePackage(
  entries: readonly TarEntry[],
  dest: string,
): Promise<{ sha256: string; size: number }> {
  const rooted = entries.map((e) => ({ ...e, name: `./${e.name.replace(/^\.\//, '')}` }));
  return xzToFile(tarStream(normalizeEntries(rooted, 0o755, './')), dest);
}
