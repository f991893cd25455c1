/**
 * Replacing genconf/serve as a whole. The new tree is built in a sibling temp dir (same filesystem, so renames
 * are atomic), then swapped in: the old tree is renamed away, the new one renamed in, the old one deleted.
 * An interrupted run leaves the previous serve dir untouched, and files from earlier runs (old setup_<config_id>
 * packages, package lists) do not pile up. Leftovers of a killed run are removed by the next one.
 *
 * The swap is two renames, and a `kill -9` between them leaves no `serve/` at all, only `.serve.old-<pid>`. That
 * state is recoverable: the next run (and --verify-bundle) finds a dead run's `.serve.old-<pid>` while `serve/` is
 * missing and renames it back (recoverServeDir).
 */
import { link, lstat, mkdir, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GenconfError } from '../errors.js';

const LEFTOVER_RE = /^\.serve\.(?:tmp|old)-(\d+)$/;
const OLD_RE = /^\.serve\.old-(\d+)$/;
const LOCK_NAME = '.serve.lock';
/**
 * A lock file whose content cannot be read as a pid (empty, garbage) is taken as held, not as a dead run's: it may be
 * a live run's lock in the instant between creating and writing it. Only past this age is it taken over.
 */
export const UNREADABLE_LOCK_MAX_AGE_MS = 10 * 60 * 1000;

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
    await restorePrevious(genconfDir);
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

/**
 * `serve/` is missing but a dead run's `.serve.old-<pid>` exists: that run was killed between the two renames of the
 * swap. Put the previous tree back. Returns the restored name, if any. The caller holds the serve lock.
 */
async function restorePrevious(genconfDir: string): Promise<string | undefined> {
  const serveDir = path.join(genconfDir, 'serve');
  if (
    await lstat(serveDir).then(
      () => true,
      () => false,
    )
  )
    return undefined;
  const names = (await readdir(genconfDir)).filter((n) => {
    const m = OLD_RE.exec(n);
    return m !== null && Number(m[1]) !== process.pid && !alive(Number(m[1]));
  });
  if (names.length === 0) return undefined;
  // Several would mean several killed runs; the newest one held the tree that was serve/ last.
  const withTimes = await Promise.all(
    names.map(async (n) => ({ n, t: (await lstat(path.join(genconfDir, n))).ctimeMs })),
  );
  withTimes.sort((a, b) => b.t - a.t);
  await rename(path.join(genconfDir, withTimes[0]!.n), serveDir);
  return withTimes[0]!.n;
}

/**
 * For --verify-bundle: when a killed run left `serve/` missing, restore the previous tree first (under the serve
 * lock, so never while a live run swaps). Returns a line saying what was restored, or undefined.
 */
export async function recoverServeDir(genconfDir: string): Promise<string | undefined> {
  const lockPath = path.join(genconfDir, LOCK_NAME);
  try {
    await takeLock(lockPath);
  } catch {
    return undefined; // a live run holds it: it will finish its own swap
  }
  try {
    const restored = await restorePrevious(genconfDir);
    return restored === undefined
      ? undefined
      : `restored ${path.join(genconfDir, 'serve')} from ${restored}, left by a run that was killed while swapping it`;
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}

/**
 * The lock's content (our pid) is written to a private temp file first and then hard-linked to the lock's name, so
 * the lock never exists without its pid: an empty lock can only be damage, not a run that has not written it yet.
 */
async function takeLock(lockPath: string): Promise<void> {
  const tmp = `${lockPath}.${process.pid}.tmp`;
  await writeFile(tmp, `${process.pid}\n`, { mode: 0o644 });
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await link(tmp, lockPath);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const text = await readFile(lockPath, 'utf8').catch(() => undefined);
        const owner = text === undefined ? NaN : Number(text.trim());
        const readable = text !== undefined && /^\d+\n?$/.test(text) && Number.isInteger(owner) && owner > 0;
        if (readable && owner !== process.pid && alive(owner)) {
          throw new GenconfError(
            `another genconf run (pid ${owner}) is writing ${path.join(path.dirname(lockPath), 'serve')}`,
            undefined,
            `wait for it to finish; if no such run exists, remove ${lockPath}`,
          );
        }
        if (!readable) {
          const age = await lstat(lockPath).then(
            (s) => Date.now() - s.mtimeMs,
            () => Infinity,
          );
          if (age < UNREADABLE_LOCK_MAX_AGE_MS) {
            throw new GenconfError(
              `the lock ${lockPath} exists but names no process; another run may hold it`,
              undefined,
              `if no other genconf run is working on this directory, remove ${lockPath} (it is taken over by itself after ${UNREADABLE_LOCK_MAX_AGE_MS / 60000} minutes)`,
            );
          }
        }
        // A dead run's lock, or an unreadable one past the age bound: take it over.
        await unlink(lockPath).catch(() => undefined);
      }
    }
    throw new GenconfError(`cannot take the lock ${lockPath}`);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
