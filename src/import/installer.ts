/**
 * `--import-installer FILE`: the official dcos_generate_config.sh → the artifacts directory `--genconf` reads.
 *
 * One pass over the file: script header → `#EOF#` → outer tar → the docker-save image tar → each layer, every
 * stage a stream, so memory does not grow with the installer. Everything is written into a work directory beside
 * the target and renamed into place only when the tree is complete and consistent; on any failure the work
 * directory is removed and nothing is left behind.
 */
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import { GenconfError, InterruptedError } from '../errors.js';
import { recordIfConsistent } from './consistency.js';
import { ImportError } from './errors.js';
import { InstallerSplitter } from './header.js';
import { ImageReader, type ImageSummary } from './image.js';
import { RECORD_NAME, type InstallerRecord } from '../bundle/installer-record.js';
import { ImageTree } from './tree.js';

const MIB = 1024 * 1024;

export interface ImportOptions {
  file: string;
  /** The artifacts directory to create. */
  target: string;
  /** Replace an existing target. */
  force?: boolean;
  signal?: AbortSignal;
  /** Bytes of the installer read so far, and its size. */
  onProgress?: (bytes: number, total: number) => void;
  log?: (line: string) => void;
}

export interface ImportResult {
  target: string;
  record: InstallerRecord;
  image: ImageSummary;
  bytes: number;
}

export async function importInstaller(opts: ImportOptions): Promise<ImportResult> {
  const log = opts.log ?? (() => undefined);
  const st = await stat(opts.file).catch((err: NodeJS.ErrnoException) => {
    throw new ImportError(
      `cannot read installer ${opts.file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`,
      opts.file,
    );
  });
  if (!st.isFile()) throw new ImportError(`installer ${opts.file} is not a file`, opts.file);
  const targetExists = await stat(opts.target).then(
    () => true,
    () => false,
  );
  if (targetExists && !opts.force) {
    throw new ImportError(
      `artifacts directory ${opts.target} already exists`,
      opts.target,
      'pass --force to replace it (atomically, once the import succeeded)',
    );
  }
  const parent = path.dirname(opts.target);
  await mkdir(parent, { recursive: true });
  await removeStaleWork(parent, path.basename(opts.target));
  const work = await mkdtemp(path.join(parent, `.${path.basename(opts.target)}.import-${process.pid}-`));
  try {
    const out = path.join(work, 'out');
    const spool = path.join(work, 'spool');
    await mkdir(out, { mode: 0o755 });
    await mkdir(spool, { mode: 0o700 });
    const tree = new ImageTree(out);
    const splitter = new InstallerSplitter(opts.file, (n) => opts.onProgress?.(n, st.size));
    let image: ImageSummary;
    let imageName: string;
    try {
      ({ image, imageName } = await readInstaller(opts.file, splitter, tree, spool, log, opts.signal));
    } catch (err) {
      throw explain(err, splitter, opts, parent);
    }
    await tree.checkLinks();
    const record = await recordIfConsistent(tree, {
      installerName: path.basename(opts.file),
      imageName,
      layout: image.layout,
      script: splitter.scriptText,
    });
    await writeFile(path.join(out, RECORD_NAME), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
    await tree.finish();
    if (opts.signal?.aborted) throw new InterruptedError();
    await commit(out, opts.target, work, targetExists);
    return { target: opts.target, record, image, bytes: st.size };
  } catch (err) {
    if (opts.signal?.aborted && !(err instanceof ImportError)) throw new InterruptedError();
    throw explainFs(err, parent);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function readInstaller(
  file: string,
  splitter: InstallerSplitter,
  tree: ImageTree,
  spoolDir: string,
  log: (line: string) => void,
  signal: AbortSignal | undefined,
): Promise<{ image: ImageSummary; imageName: string }> {
  const source = createReadStream(file, { highWaterMark: MIB });
  const outer = tarExtract();
  const feed = pipeline(source, splitter, outer as unknown as NodeJS.WritableStream, ...(signal ? [{ signal }] : []));
  feed.catch(() => undefined);
  const reader = new ImageReader(tree, spoolDir, log);
  let imageName: string | undefined;
  let lastEnd = 0;
  try {
    for await (const entry of outer) {
      // Where this member's data (padded to 512) ends: the end-of-archive blocks must follow the last one.
      const h = entry.header as typeof entry.header & { byteOffset?: number };
      lastEnd = (h.byteOffset ?? 0) + Math.ceil((h.size ?? 0) / 512) * 512;
      const name = entry.header.name.replace(/^(\.\/)+/, '');
      if (
        imageName === undefined &&
        (entry.header.type === 'file' || entry.header.type === 'contiguous-file') &&
        name.endsWith('.tar') &&
        !name.includes('/')
      ) {
        imageName = name;
        log(`image: reading ${name}`);
        const inner = tarExtract();
        const innerFeed = pipeline(
          entry as unknown as NodeJS.ReadableStream,
          inner as unknown as NodeJS.WritableStream,
        );
        innerFeed.catch(() => undefined);
        try {
          for await (const member of inner) await reader.member(member.header, member);
          await innerFeed;
        } catch (err) {
          inner.destroy();
          entry.destroy();
          await innerFeed.catch(() => undefined);
          throw err;
        }
      } else {
        entry.resume();
      }
    }
    await feed;
  } catch (err) {
    outer.destroy();
    source.destroy();
    // The splitter's own verdict (no #EOF#) is the better message than what it caused downstream.
    const feedErr: unknown = await feed.then(
      () => undefined,
      (e: unknown) => e,
    );
    throw feedErr instanceof GenconfError || isEndOfData(feedErr) ? feedErr : err;
  }
  if (!splitter.payloadComplete(lastEnd)) throw new Truncated();
  if (imageName === undefined)
    throw new ImportError(`not a DC/OS installer: no image tar after the #EOF# line of ${file}`);
  return { image: await reader.finish(), imageName };
}

/** The payload ended before its end-of-archive blocks. */
class Truncated extends Error {}

/** tar-stream's word for input that stopped inside an archive. */
function isEndOfData(err: unknown): boolean {
  return err instanceof Error && err.message === 'Unexpected end of data';
}

/** Stream errors mean "cut short" when the file ended early, else "corrupt"; our own refusals pass as they are. */
function explain(err: unknown, splitter: InstallerSplitter, opts: ImportOptions, parent: string): unknown {
  if (opts.signal?.aborted) return new InterruptedError();
  if (err instanceof GenconfError) return err;
  const fs = explainFs(err, parent);
  if (fs !== err) return fs;
  if (err instanceof Truncated || (isEndOfData(err) && splitter.sourceEnded)) {
    return new ImportError(
      `${opts.file}: truncated after ${(splitter.bytesIn / MIB).toFixed(1)} MiB: the file ends inside the installer's image`,
      opts.file,
      'download the installer again (compare its size and checksum with the published ones)',
    );
  }
  return new ImportError(
    `${opts.file}: corrupt installer at about byte ${splitter.bytesIn}: ${(err as Error).message}`,
    opts.file,
  );
}

function explainFs(err: unknown, parent: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new ImportError(
      `no space left on the device of ${parent} while importing: nothing was kept`,
      parent,
      'free space there: the import needs about the installer size for the artifacts, plus the size of the layers that arrive before the image manifest',
    );
  }
  return err;
}

/** Rename into place; with --force the old tree moves aside first and comes back if the second rename fails. */
async function commit(out: string, target: string, work: string, replace: boolean): Promise<void> {
  if (!replace) {
    await rename(out, target);
    return;
  }
  const old = path.join(work, 'old');
  await rename(target, old);
  try {
    await rename(out, target);
  } catch (err) {
    await rename(old, target);
    throw err;
  }
}

/** Work directories of imports whose process is gone (killed hard) are removed before a new import starts. */
async function removeStaleWork(parent: string, base: string): Promise<void> {
  const re = new RegExp(`^\\.${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.import-(\\d+)-`);
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    const m = re.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && !alive(pid)) await rm(path.join(parent, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
