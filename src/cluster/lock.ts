/**
 * One SSH run at a time per cluster: `<genconfDir>/cluster.lock` holds `{pid, host, startedAt, action}` as JSON.
 * Taking it is one `link()` of a fully written temporary file onto the lock name: the kernel makes that atomic, so
 * another run never sees a half-written lock. A lock whose process is gone (same host, pid not alive) is taken over
 * with a warning; a lock from another machine is never judged stale, it is reported.
 */
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GenconfError } from '../errors.js';

export const LOCK_NAME = 'cluster.lock';

export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
  action: string;
}

export interface ClusterLock {
  readonly path: string;
  /** Remove the lock if it is still ours. Safe to call twice. */
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (
      typeof o.pid === 'number' &&
      Number.isInteger(o.pid) &&
      o.pid > 0 &&
      typeof o.host === 'string' &&
      typeof o.startedAt === 'string'
    ) {
      return {
        pid: o.pid,
        host: o.host,
        startedAt: o.startedAt,
        action: typeof o.action === 'string' ? o.action : '?',
      };
    }
  } catch {
    // fall through: not ours, or damaged
  }
  return undefined;
}

export interface LockOptions {
  action: string;
  warn: (message: string) => void;
  /** Injectable for tests. */
  hostname?: string;
  pid?: number;
  isAlive?: (pid: number) => boolean;
}

export async function takeClusterLock(genconfDir: string, opts: LockOptions): Promise<ClusterLock> {
  const file = path.join(genconfDir, LOCK_NAME);
  const me: LockOwner = {
    pid: opts.pid ?? process.pid,
    host: opts.hostname ?? os.hostname(),
    startedAt: new Date().toISOString(),
    action: opts.action,
  };
  const isAlive = opts.isAlive ?? alive;
  const tmp = `${file}.${me.pid}.${Math.random().toString(16).slice(2)}.tmp`;
  await writeFile(tmp, JSON.stringify(me) + '\n', { mode: 0o644 });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(tmp, file);
        let released = false;
        return {
          path: file,
          release: async () => {
            if (released) return;
            released = true;
            const now = parseOwner(await readFile(file, 'utf8').catch(() => ''));
            if (now && now.pid === me.pid && now.host === me.host && now.startedAt === me.startedAt)
              await unlink(file).catch(() => undefined);
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) continue; // released meanwhile: try again
      const owner = parseOwner(text);
      if (!owner) {
        throw new GenconfError(
          `${file} exists but is not a lock this tool can read`,
          undefined,
          `if no other genconf run is working on this cluster, remove ${file}`,
        );
      }
      if (owner.host !== me.host || isAlive(owner.pid)) {
        throw new GenconfError(
          `another genconf run holds the cluster lock: pid ${owner.pid} on ${owner.host}, --${owner.action} since ${owner.startedAt}`,
          undefined,
          `wait for it to finish; if that run is gone, remove ${file}`,
        );
      }
      opts.warn(
        `taking over the stale cluster lock of pid ${owner.pid} on ${owner.host} (--${owner.action} since ${owner.startedAt}): that process is gone`,
      );
      // Only remove the lock we judged: if another run took it over meanwhile, its content differs and we retry.
      const again = await readFile(file, 'utf8').catch(() => undefined);
      if (again === text) await unlink(file).catch(() => undefined);
    }
    throw new GenconfError(`cannot take the cluster lock ${file}: other runs keep taking it`);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
