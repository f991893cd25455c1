/**
 * Replacing genconf/serve as a whole. The new tree is built in a sibling temp dir (same filesystem, so renames
 * are atomic), then swapped in: the old tree is renamed away, the new one renamed in, the old one deleted.
 * An interrupted run leaves the previous serve dir untouched, and files from earlier runs (old setup_<config_id>
 * packages, package lists) do not pile up. Leftovers of a killed run are removed by the next one.
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { GenconfError } from '../errors.js';

const LEFTOVER_RE = /^\.serve\.(?:tmp|old)-(\d+)$/;
const LOCK_NAME = '.serve.lock';

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface ServeWork {
  /** Where to build the new tree: `<genconf>/.serve.tmp-<pid>`, created empty. */
  tmpDir: string;
  serveDir: string;
  /** Atomically replace serveDir with tmpDir. */
  commit(): Promise<void>;
  /** Remove the temp dir (if not committed) and release the lock. Safe to call twice. */
  release(): Promise<void>;
}

/**
 * Take the genconf dir's serve lock (one writer at a time), clear leftovers of dead runs, and create a fresh
 * temp dir beside `serve/`.
 */
export async function beginServeWork(genconfDir: string): Promise<ServeWork> {
  await mkdir(genconfDir, { recursive: true });
  const lockPath = path.join(genconfDir, LOCK_NAME);
  await takeLock(lockPath);
  let released = false;
  let committed = false;
  const serveDir = path.join(genconfDir, 'serve');
  const tmpDir = path.join(genconfDir, `.serve.tmp-${process.pid}`);
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    if (!committed) await rm(tmpDir, { recursive: true, force: true });
    await unlink(lockPath).catch(() => undefined);
  };
  try {
    for (const name of await readdir(genconfDir)) {
      const m = LEFTOVER_RE.exec(name);
      if (m && (Number(m[1]) === process.pid || !alive(Number(m[1])))) {
        await rm(path.join(genconfDir, name), { recursive: true, force: true });
      }
    }
    await mkdir(tmpDir, { mode: 0o755 });
  } catch (err) {
    await release();
    throw err;
  }
  return {
    tmpDir,
    serveDir,
    release,
    async commit() {
      const oldDir = path.join(genconfDir, `.serve.old-${process.pid}`);
      let moved = false;
      try {
        await rename(serveDir, oldDir);
        moved = true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EBUSY' || code === 'EXDEV') {
          throw new GenconfError(
            `cannot replace ${serveDir}: it is a mount point (${code})`,
            undefined,
            'mount the genconf directory instead of genconf/serve, so that serve/ can be swapped by rename',
          );
        }
        if (code !== 'ENOENT') throw err;
      }
      try {
        await rename(tmpDir, serveDir);
      } catch (err) {
        if (moved) await rename(oldDir, serveDir).catch(() => undefined);
        throw err;
      }
      committed = true;
      if (moved) await rm(oldDir, { recursive: true, force: true });
    },
  };
}

async function takeLock(lockPath: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(lockPath, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new GenconfError(
          `another genconf run (pid ${owner}) is writing ${path.join(path.dirname(lockPath), 'serve')}`,
          undefined,
          `wait for it to finish; if no such run exists, remove ${lockPath}`,
        );
      }
      // A dead run's lock: take it over.
      await unlink(lockPath).catch(() => undefined);
    }
  }
  throw new GenconfError(`cannot take the lock ${lockPath}`);
}
