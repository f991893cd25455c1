/**
 * The image inside the installer: the output of `docker save`, read member by member as it streams past.
 *
 * Two layouts: the classic one (`manifest.json`, `<config>.json`, `<dir>/layer.tar`) and OCI (`index.json`,
 * `blobs/sha256/<hex>`, possibly with a docker `manifest.json` too). Either way the order of the layers is known
 * only from a manifest that usually comes after them (members are sorted by name). A layer that arrives when it is
 * the next one to apply goes straight into the tree; any other is spooled to a file in the work directory (never
 * memory) and applied once its turn is known. Every layer's sha256 is computed while its bytes pass and checked
 * against the config's diff_ids.
 *
 * The classic layout says a little more before the manifest: each `<dir>/json` (sorted before its `layer.tar`)
 * names the layer's parent. A layer whose parent is the layer applied last (or that has none, when nothing is
 * applied yet) is next in the chain, so it is applied as it streams past instead of being spooled. When the
 * manifest and config arrive, the layers applied that way must be exactly the first ones of the manifest, with the
 * config's digests; anything else fails the import.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract, type Header } from 'tar-stream';
import { ImportError } from './errors.js';
import { normalizeEntryName, type EntryStream, type ImageTree } from './tree.js';

/** Manifests, configs and the like are a few KiB; this bounds what is held in memory per member. */
const JSON_MAX = 8 * 1024 * 1024;

export type ImageLayout = 'docker-save' | 'oci';

interface PlannedLayer {
  /** 1-based, in apply order: the number error messages use. */
  n: number;
  member: string;
  diffId: string;
  gzip: boolean;
}

interface Spooled {
  file: string;
  sha256: string;
  size: number;
}

export interface ImageSummary {
  layout: ImageLayout;
  layers: number;
  /** Layers that had to wait in a spool file for their turn. */
  spooled: number;
}

export class ImageReader {
  private plan: PlannedLayer[] | undefined;
  private layout: ImageLayout = 'docker-save';
  private next = 0;
  private spoolCount = 0;
  private spooledLayers = 0;
  private readonly small = new Map<string, Buffer>();
  /** Classic layout: layer dir → its parent's dir (null for the base), from `<dir>/json`. */
  private readonly parents = new Map<string, string | null>();
  /** Layers applied from the parent chain before the plan was known, with their digests, in order. */
  private readonly chained: { member: string; sha256: string }[] = [];
  private readonly spooled = new Map<string, Spooled>();

  constructor(
    private readonly tree: ImageTree,
    private readonly spoolDir: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** One member of the image tar. Its stream is always consumed. */
  async member(header: Header, stream: EntryStream): Promise<void> {
    let name: string;
    try {
      name = normalizeEntryName(header.name, 'image');
    } catch (err) {
      stream.resume();
      throw err;
    }
    if (header.type !== 'file' && header.type !== 'contiguous-file') {
      stream.resume();
      return;
    }
    const isLayerish = name.endsWith('/layer.tar') || name.startsWith('blobs/');
    if (isLayerish) {
      const want = this.plan?.[this.next];
      if (want !== undefined && want.member === name) {
        checkDigest(want, (await this.applyLayer(want, stream))!);
        await this.drainSpooled();
      } else if (!this.plan && this.nextInChain(name)) {
        const n = this.next + 1;
        const sha256 = (await this.applyLayer({ n, member: name, gzip: false }, stream))!;
        this.chained.push({ member: name, sha256 });
      } else {
        await this.spool(name, stream);
        await this.tryPlan();
        await this.drainSpooled();
      }
      return;
    }
    const v1 = /^([^/]+)\/json$/.exec(name);
    if (v1 && (header.size ?? 0) <= JSON_MAX) {
      const doc = parseJson(await readAll(stream), name) as { parent?: unknown };
      this.parents.set(v1[1]!, typeof doc?.parent === 'string' && doc.parent !== '' ? doc.parent : null);
      return;
    }
    if (!name.includes('/') && (name.endsWith('.json') || name === 'repositories' || name === 'oci-layout')) {
      if ((header.size ?? 0) > JSON_MAX) {
        stream.resume();
        throw new ImportError(`image: ${name} is larger than ${JSON_MAX} bytes; this is not a DC/OS installer image`);
      }
      this.small.set(name, await readAll(stream));
      await this.tryPlan();
      await this.drainSpooled();
      return;
    }
    stream.resume();
  }

  /** After the last member: apply what waited, and insist that every layer was there. */
  async finish(): Promise<ImageSummary> {
    await this.tryPlan();
    if (!this.plan) throw new ImportError('image: no manifest.json or index.json: this is not a docker-save image');
    await this.drainSpooled();
    const missing = this.plan[this.next];
    if (missing) throw new ImportError(`image: layer ${missing.n} (${missing.member}) is missing from the image`);
    for (const s of this.spooled.values()) await unlink(s.file).catch(() => undefined);
    this.spooled.clear();
    return { layout: this.layout, layers: this.plan.length, spooled: this.spooledLayers };
  }

  /** Whether `<dir>/layer.tar` continues the chain of layers applied so far (known from `<dir>/json`). */
  private nextInChain(name: string): boolean {
    const m = /^([^/]+)\/layer\.tar$/.exec(name);
    if (!m || !this.parents.has(m[1]!)) return false;
    const parent = this.parents.get(m[1]!)!;
    const last = this.chained.at(-1);
    if (this.chained.length !== this.next) return false;
    return last === undefined ? parent === null : parent === last.member.slice(0, -'/layer.tar'.length);
  }

  private async spool(name: string, stream: EntryStream): Promise<void> {
    if (this.spooled.has(name)) {
      stream.resume();
      throw new ImportError(`image: ${name} appears twice`);
    }
    const file = path.join(this.spoolDir, String(++this.spoolCount));
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    await pipeline(
      stream as unknown as NodeJS.ReadableStream,
      tap,
      createWriteStream(file, { flags: 'wx', mode: 0o600 }),
    );
    const sha256 = hash.digest('hex');
    // A blob is named by its digest: a mismatch is corruption, reported by layer number when it is a layer.
    this.spooled.set(name, { file, sha256, size });
  }

  private async drainSpooled(): Promise<void> {
    if (!this.plan) return;
    for (;;) {
      const want = this.plan[this.next];
      const s = want && this.spooled.get(want.member);
      if (!want || !s) return;
      if (!want.gzip) checkDigest(want, s.sha256);
      this.log(`layer ${want.n} of ${this.plan.length}: applying ${want.member} from its spool file`);
      this.spooledLayers += 1;
      // Its digest was taken while it was spooled (checked just above unless gzip): no second hash of the bytes.
      const hex = await this.applyLayer(want, createReadStream(s.file, { highWaterMark: 1 << 20 }), !want.gzip);
      if (hex !== undefined) checkDigest(want, hex);
      this.spooled.delete(want.member);
      await unlink(s.file);
    }
  }

  /** Applies one layer to the tree; returns its sha256 unless `verified` (then it is not computed again). */
  private async applyLayer(
    layer: Pick<PlannedLayer, 'n' | 'member' | 'gzip'>,
    source: EntryStream,
    verified = false,
  ): Promise<string | undefined> {
    const hash = createHash('sha256');
    const tap = new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    const where = `layer ${layer.n} (${layer.member})`;
    const extract = tarExtract();
    const stages: NodeJS.ReadWriteStream[] = [...(layer.gzip ? [createGunzip()] : []), ...(verified ? [] : [tap])];
    const feed = pipeline([
      source as unknown as NodeJS.ReadableStream,
      ...stages,
      extract as unknown as NodeJS.WritableStream,
    ]);
    feed.catch(() => undefined);
    this.tree.beginLayer();
    try {
      for await (const entry of extract) await this.tree.apply(entry.header, entry, where);
      await feed;
    } catch (err) {
      extract.destroy();
      source.destroy();
      await feed.catch(() => undefined);
      throw err;
    }
    this.next += 1;
    return verified ? undefined : hash.digest('hex');
  }

  private async tryPlan(): Promise<void> {
    if (this.plan) return;
    const manifest = this.small.get('manifest.json');
    if (manifest) return this.planFromDockerManifest(parseJson(manifest, 'manifest.json'));
    const index = this.small.get('index.json');
    if (index) return this.planFromOciIndex(parseJson(index, 'index.json'));
  }

  private async planFromDockerManifest(doc: unknown): Promise<void> {
    const first = Array.isArray(doc) ? (doc[0] as Record<string, unknown> | undefined) : undefined;
    const cfgName = first?.Config;
    const layers = first?.Layers;
    if (typeof cfgName !== 'string' || !Array.isArray(layers) || !layers.every((l) => typeof l === 'string')) {
      throw new ImportError('image: manifest.json is not a docker-save manifest ([{"Config": ..., "Layers": [...]}])');
    }
    if ((doc as unknown[]).length > 1)
      this.log(`image: manifest.json lists ${(doc as unknown[]).length} images; using the first`);
    const cfg = await this.readJsonMember(normalizeEntryName(cfgName, 'manifest.json'));
    if (cfg === undefined) return; // the config comes later
    const members = layers.map((l) => normalizeEntryName(l, 'manifest.json'));
    this.layout = members.some((m) => m.startsWith('blobs/')) ? 'oci' : 'docker-save';
    this.setPlan(
      members.map((m) => ({ member: m, gzip: false })),
      cfg,
      cfgName,
    );
  }

  private async planFromOciIndex(doc: unknown): Promise<void> {
    let manifest = doc;
    // An index may point to another index (multi-platform); follow the first entry down to an image manifest.
    for (let depth = 0; depth < 4; depth += 1) {
      const m = manifest as { manifests?: { digest?: unknown }[]; layers?: unknown };
      if (Array.isArray(m?.layers)) break;
      const digest = m?.manifests?.[0]?.digest;
      if (typeof digest !== 'string') throw new ImportError('image: index.json names no image manifest');
      manifest = await this.readJsonMember(blobPath(digest));
      if (manifest === undefined)
        throw new ImportError(`image: the manifest blob ${digest} named by index.json is missing`);
    }
    const m = manifest as { config?: { digest?: unknown }; layers?: { digest?: unknown; mediaType?: unknown }[] };
    if (typeof m?.config?.digest !== 'string' || !Array.isArray(m.layers))
      throw new ImportError('image: the OCI image manifest has no config or layers');
    const cfg = await this.readJsonMember(blobPath(m.config.digest));
    if (cfg === undefined) throw new ImportError(`image: the config blob ${m.config.digest} is missing`);
    this.layout = 'oci';
    const layers = m.layers.map((l) => {
      if (typeof l.digest !== 'string') throw new ImportError('image: an OCI layer has no digest');
      const type = typeof l.mediaType === 'string' ? l.mediaType : '';
      if (/zstd/.test(type))
        throw new ImportError(`image: layer ${l.digest} is zstd-compressed, which this import does not read`);
      return { member: blobPath(l.digest), gzip: /gzip/.test(type) };
    });
    this.setPlan(layers, cfg, m.config.digest);
  }

  private setPlan(layers: { member: string; gzip: boolean }[], cfg: unknown, cfgName: string): void {
    const ids = (cfg as { rootfs?: { diff_ids?: unknown } })?.rootfs?.diff_ids;
    if (!Array.isArray(ids) || !ids.every((d) => typeof d === 'string' && /^sha256:[0-9a-f]{64}$/.test(d))) {
      throw new ImportError(`image: config ${cfgName} has no rootfs.diff_ids list of sha256 digests`);
    }
    if (ids.length !== layers.length) {
      throw new ImportError(
        `image: the manifest lists ${layers.length} layers but config ${cfgName} has ${ids.length} diff_ids`,
      );
    }
    this.plan = layers.map((l, i) => ({ n: i + 1, member: l.member, gzip: l.gzip, diffId: ids[i] as string }));
    this.chained.forEach((c, i) => {
      const p = this.plan![i];
      if (p?.member !== c.member) {
        throw new ImportError(
          `image: the layers' parent ids put ${c.member} at layer ${i + 1}, but manifest.json puts ${p?.member ?? 'nothing'} there`,
        );
      }
      checkDigest(p, c.sha256);
    });
    this.log(`image: ${this.layout} layout, ${layers.length} layers`);
  }

  /** A JSON member that is small (held) or a spooled blob; undefined when it has not arrived yet. */
  private async readJsonMember(name: string): Promise<unknown> {
    const held = this.small.get(name);
    if (held) return parseJson(held, name);
    const s = this.spooled.get(name);
    if (!s) return undefined;
    if ((await stat(s.file)).size > JSON_MAX) throw new ImportError(`image: ${name} is larger than ${JSON_MAX} bytes`);
    if (name.startsWith('blobs/sha256/') && path.posix.basename(name) !== s.sha256) {
      throw new ImportError(`image: blob ${name} checksum mismatch: its content hashes to sha256:${s.sha256}`);
    }
    return parseJson(await readFile(s.file), name);
  }
}

function checkDigest(layer: PlannedLayer, hex: string): void {
  if (`sha256:${hex}` !== layer.diffId) {
    throw new ImportError(
      `layer ${layer.n} checksum mismatch: ${layer.member} hashes to sha256:${hex} but the image config says ${layer.diffId}`,
    );
  }
}

function blobPath(digest: string): string {
  const m = /^(sha256):([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new ImportError(`image: '${digest}' is not a sha256 digest`);
  return `blobs/${m[1]}/${m[2]}`;
}

function parseJson(buf: Buffer, name: string): unknown {
  try {
    return JSON.parse(buf.toString('utf8')) as unknown;
  } catch (err) {
    throw new ImportError(`image: ${name} is not valid JSON: ${(err as Error).message}`);
  }
}

async function readAll(stream: EntryStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
