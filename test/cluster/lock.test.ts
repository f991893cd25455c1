import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_NAME, takeClusterLock } from '../../src/cluster/lock.js';

let dir: string;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the cluster lock', () => {
  it('holds pid, host and start time; a second run is refused naming the holder; release frees it', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'lock-'));
    const warnings: string[] = [];
    const lock = await takeClusterLock(dir, { action: 'deploy', warn: (m) => warnings.push(m) });
    const owner = JSON.parse(await readFile(path.join(dir, LOCK_NAME), 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, host: os.hostname(), action: 'deploy' });
    expect(Date.parse(owner.startedAt)).not.toBeNaN();
    await expect(takeClusterLock(dir, { action: 'add-nodes', warn: (m) => warnings.push(m) })).rejects.toThrow(
      new RegExp(`pid ${process.pid} on ${os.hostname()}, --deploy since`),
    );
    await lock.release();
    await lock.release();
    const again = await takeClusterLock(dir, { action: 'status', warn: (m) => warnings.push(m) });
    await again.release();
    expect(warnings).toEqual([]);
  });

  it('takes over a stale lock (its process is gone) with a warning', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'lock-'));
    await writeFile(
      path.join(dir, LOCK_NAME),
      JSON.stringify({ pid: 999999, host: 'here', startedAt: '2026-01-01T00:00:00Z', action: 'deploy' }),
    );
    const warnings: string[] = [];
    const lock = await takeClusterLock(dir, {
      action: 'preflight',
      hostname: 'here',
      isAlive: () => false,
      warn: (m) => warnings.push(m),
    });
    expect(warnings).toEqual([expect.stringContaining('stale cluster lock of pid 999999 on here')]);
    expect(JSON.parse(await readFile(path.join(dir, LOCK_NAME), 'utf8'))).toMatchObject({
      host: 'here',
      action: 'preflight',
    });
    await lock.release();
  });

  it('never judges a lock from another machine stale, and refuses an unreadable lock', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'lock-'));
    await writeFile(
      path.join(dir, LOCK_NAME),
      JSON.stringify({ pid: 999999, host: 'elsewhere', startedAt: 'x', action: 'deploy' }),
    );
    await expect(
      takeClusterLock(dir, { action: 'deploy', hostname: 'here', isAlive: () => false, warn: () => undefined }),
    ).rejects.toThrow(/pid 999999 on elsewhere/);
    await writeFile(path.join(dir, LOCK_NAME), 'garbage');
    await expect(takeClusterLock(dir, { action: 'deploy', warn: () => undefined })).rejects.toThrow(
      /not a lock this tool can read/,
    );
  });
});
