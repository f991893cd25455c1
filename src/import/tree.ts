/**
 * The merged image filesystem, reduced to what the import keeps: `/artifacts/**` (written to the output root) and
 * `/gen_extra/**` (written to `<root>/gen_extra/`), plus a few small files read for facts (the wrapper's exports,
 * gen/calc.py's dcos_version). Layers are applied in order with the overlay rules docker itself uses: a later
 * entry replaces an earlier one, `.wh.<name>` deletes `<name>` and everything under it, `.wh..wh..opq` hides what
 * lower layers put in its directory. Entries are refused when they could write outside the output root.
 */
import { createWriteStream } from 'node:fs';
import { chmod, link, mkdir, readdir, readlink, realpath, rm, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Header } from 'tar-stream';
import { ImportError } from './errors.js';

type Kind = 'dir' | 'file' | 'symlink';

/** A tar entry's data: tar-stream's streamx readable, or a Node stream. */
export type EntryStream = AsyncIterable<unknown> & { resume(): unknown; destroy(err?: Error): unknown };

/** Image paths whose content the import keeps, and where they land under the output root. */
const KEPT_ROOTS = ['artifacts', 'gen_extra'] as const;
/** Names the import writes itself at the output root; an image must not bring them. */
export const RESERVED_NAMES = ['installer.json', 'gen_extra'] as const;

/** Small files outside the kept trees that the import reads facts from (bounded in size). */
const SPECIAL_MAX = 4 * 1024 * 1024;
export function isSpecial(imagePath: string): boolean {
  return imagePath === 'installer_internal_wrapper' || imagePath.endsWith('/gen/calc.py');
}

/** Most entries the kept trees may hold: a bound on the in-memory index, far above any real image. */
const MAX_NODES = 1_000_000;

/** Archive name → image path without `./`, `/` or trailing slash. Refuses absolute names and `..`. */
export function normalizeEntryName(raw: string, where: string): string {
  if (raw.startsWith('/')) throw new ImportError(`${where}: entry '${raw}' has an absolute path; refusing it`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..'))
    throw new ImportError(`${where}: entry '${raw}' climbs out of the tree with '..'; refusing it`);
  return parts.join('/');
}

function keptRoot(p: string): string | undefined {
  return KEPT_ROOTS.find((r) => p === r || p.startsWith(`${r}/`));
}

function under(p: string, dir: string): boolean {
  return dir === '' ? p !== '' : p.startsWith(`${dir}/`);
}

export class ImageTree {
  private readonly nodes = new Map<string, Kind>();
  private readonly dirModes = new Map<string, number>();
  private readonly specials = new Map<string, Buffer>();
  /** Paths written by the layer being applied, with their ancestors: whiteouts of that layer must spare them. */
  private keep = new Set<string>();
  private written = new Set<string>();

  constructor(readonly root: string) {}

  /** Where an image path in a kept tree lives on disk. */
  diskPath(imagePath: string): string {
    if (imagePath === 'artifacts' || imagePath === 'gen_extra')
      return imagePath === 'artifacts' ? this.root : path.join(this.root, 'gen_extra');
    if (imagePath.startsWith('artifacts/')) return path.join(this.root, imagePath.slice('artifacts/'.length));
    return path.join(this.root, imagePath);
  }

  special(imagePath: string): Buffer | undefined {
    return this.specials.get(imagePath);
  }

  specialPaths(): string[] {
    return [...this.specials.keys()];
  }

  /** Files of a kept tree (image paths, sorted). */
  files(root: 'artifacts' | 'gen_extra'): string[] {
    return [...this.nodes]
      .filter(([p, k]) => k !== 'dir' && under(p, root))
      .map(([p]) => p)
      .sort();
  }

  beginLayer(): void {
    this.keep = new Set();
    this.written = new Set();
  }

  /** Applies one entry of a layer. `stream` is always consumed. */
  async apply(header: Header, stream: EntryStream, where: string): Promise<void> {
    let consumed = false;
    try {
      const p = normalizeEntryName(header.name, where);
      if (p === '') return;
      const base = path.posix.basename(p);
      const dir = path.posix.dirname(p) === '.' ? '' : path.posix.dirname(p);
      if (base === '.wh..wh..opq') return await this.opaque(dir);
      if (base.startsWith('.wh.')) return await this.whiteout(dir === '' ? base.slice(4) : `${dir}/${base.slice(4)}`);
      const kept = keptRoot(p);
      if (kept === undefined) {
        if (isSpecial(p) && header.type === 'file') {
          if ((header.size ?? 0) > SPECIAL_MAX)
            throw new ImportError(`${where}: ${p} is larger than ${SPECIAL_MAX} bytes`);
          consumed = true;
          this.specials.set(p, await readAll(stream));
          this.markWritten(p);
        } else if (isSpecial(p)) {
          this.specials.delete(p);
        }
        return;
      }
      if (
        p.startsWith('artifacts/') &&
        RESERVED_NAMES.some((r) => p === `artifacts/${r}` || p.startsWith(`artifacts/${r}/`))
      ) {
        throw new ImportError(`${where}: the image has /${p}, a name the import writes itself; refusing it`);
      }
      consumed = true;
      await this.write(p, kept, header, stream, where);
    } finally {
      if (!consumed) stream.resume();
    }
  }

  private async write(p: string, kept: string, h: Header, stream: EntryStream, where: string): Promise<void> {
    if (this.nodes.size >= MAX_NODES)
      throw new ImportError(`${where}: more than ${MAX_NODES} entries under /artifacts; refusing it`);
    await this.ensureParents(p, kept, where);
    const disk = this.diskPath(p);
    const mode = (h.mode ?? 0o644) & 0o7777;
    const existing = this.nodes.get(p);
    if (p === kept && h.type !== 'directory')
      throw new ImportError(`${where}: /${p} is not a directory in the image; refusing it`);
    switch (h.type) {
      case 'directory': {
        if (existing !== undefined && existing !== 'dir') await this.removeNode(p);
        if (existing !== 'dir' && p !== 'artifacts') await mkdir(disk);
        this.nodes.set(p, 'dir');
        this.dirModes.set(p, mode);
        stream.resume();
        break;
      }
      case 'file':
      case 'contiguous-file': {
        if (existing !== undefined) await this.removeNode(p);
        this.nodes.set(p, 'file');
        await pipeline(
          stream as unknown as NodeJS.ReadableStream,
          createWriteStream(disk, { flags: 'wx', mode: 0o600 }),
        );
        await chmod(disk, mode); // after writing: a read-only mode must not stop us, and the umask must not decide
        break;
      }
      case 'symlink': {
        stream.resume();
        const target = h.linkname ?? '';
        if (target === '' || path.posix.isAbsolute(target)) {
          throw new ImportError(`${where}: link /${p} points to '${target}', outside the tree; refusing it`);
        }
        const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(p), target));
        if (resolved !== kept && !under(resolved, kept))
          throw new ImportError(`${where}: link /${p} points to '${target}', outside the tree; refusing it`);
        if (existing !== undefined) await this.removeNode(p);
        await symlink(target, disk);
        this.nodes.set(p, 'symlink');
        break;
      }
      case 'link': {
        stream.resume();
        const target = normalizeEntryName(h.linkname ?? '', where);
        if (!under(target, kept))
          throw new ImportError(`${where}: hard link /${p} points to '/${target}', outside the tree; refusing it`);
        if (this.nodes.get(target) !== 'file')
          throw new ImportError(`${where}: hard link /${p} points to '/${target}', which is not a file in the image`);
        if (existing !== undefined) await this.removeNode(p);
        await link(this.diskPath(target), disk);
        this.nodes.set(p, 'file');
        break;
      }
      default:
        stream.resume();
        throw new ImportError(
          `${where}: /${p} is a ${h.type ?? 'unknown'} entry; artifacts hold only files, directories and links`,
        );
    }
    this.markWritten(p);
  }

  private markWritten(p: string): void {
    this.written.add(p);
    for (let a = p; a !== '.' && a !== ''; a = path.posix.dirname(a)) this.keep.add(a);
  }

  /** Creates missing parents as docker does (0755); refuses to write through a link; a file in the way is replaced. */
  private async ensureParents(p: string, kept: string, where: string): Promise<void> {
    const parents: string[] = [];
    for (let a = path.posix.dirname(p); a !== '.'; a = path.posix.dirname(a)) parents.unshift(a);
    for (const a of parents) {
      if (!under(a, kept) && a !== kept) continue;
      const k = this.nodes.get(a);
      if (k === 'dir') continue;
      if (k === 'symlink')
        throw new ImportError(`${where}: /${p} would be written through the link /${a}; refusing it`);
      if (k === 'file') await this.removeNode(a);
      if (a === kept && kept === 'artifacts') {
        // The output root itself exists already.
      } else {
        await mkdir(this.diskPath(a));
      }
      this.nodes.set(a, 'dir');
      if (!this.dirModes.has(a)) this.dirModes.set(a, 0o755);
    }
  }

  private async removeNode(p: string): Promise<void> {
    const k = this.nodes.get(p);
    if (k === undefined) return;
    if (k === 'dir') {
      for (const q of [...this.nodes.keys()]) if (under(q, p)) this.nodes.delete(q);
      for (const q of [...this.dirModes.keys()]) if (under(q, p)) this.dirModes.delete(q);
    }
    this.nodes.delete(p);
    this.dirModes.delete(p);
    const disk = this.diskPath(p);
    if (p === 'artifacts') {
      await this.emptyArtifactsRoot();
      return;
    }
    if (k === 'dir') await rm(disk, { recursive: true, force: true });
    else await unlink(disk);
  }

  /** Removing /artifacts empties the output root, except gen_extra which is another image tree. */
  private async emptyArtifactsRoot(): Promise<void> {
    for (const name of await readdir(this.root)) {
      if (name === 'gen_extra') continue;
      await rm(path.join(this.root, name), { recursive: true, force: true });
    }
  }

  private async whiteout(target: string): Promise<void> {
    if (this.keep.has(target)) return; // a whiteout hides lower layers only
    for (const s of [...this.specials.keys()])
      if ((s === target || under(s, target)) && !this.written.has(s)) this.specials.delete(s);
    for (const r of KEPT_ROOTS) {
      if (under(r, target)) await this.removeNode(r); // a whole parent of a kept tree goes, e.g. `.wh.artifacts`
    }
    if (this.nodes.has(target)) await this.removeNode(target);
  }

  private async opaque(dir: string): Promise<void> {
    for (const s of [...this.specials.keys()]) if (under(s, dir) && !this.written.has(s)) this.specials.delete(s);
    // Shallowest first, so removing a directory takes its subtree with it once.
    const victims = [...this.nodes.keys()]
      .filter((q) => under(q, dir) && !this.keep.has(q))
      .sort((a, b) => a.length - b.length);
    for (const q of victims) if (this.nodes.has(q)) await this.removeNode(q);
  }

  /** Directory modes last: a read-only directory must not stop the layers above it. Deepest first. */
  async finish(): Promise<void> {
    const dirs = [...this.dirModes].sort((a, b) => b[0].length - a[0].length);
    for (const [p, mode] of dirs) await chmod(this.diskPath(p), mode);
  }

  /** The kernel's view of every link must stay in the output root, whatever chain of links it follows. */
  async checkLinks(): Promise<void> {
    const rootReal = await realpath(this.root);
    for (const [p, k] of this.nodes) {
      if (k !== 'symlink') continue;
      const disk = this.diskPath(p);
      const real = await realpath(disk).catch(() => undefined);
      if (real === undefined) {
        const t = await readlink(disk);
        throw new ImportError(`link /${p} points to '${t}', which does not exist in the image`);
      }
      if (real !== rootReal && !real.startsWith(rootReal + path.sep)) {
        throw new ImportError(`link /${p} resolves outside the tree; refusing it`);
      }
    }
  }
}

async function readAll(stream: EntryStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
