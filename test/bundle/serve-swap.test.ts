/**
 * The serve/ swap and its lock under a `kill -9`: a real child process is killed between the two renames of the
 * swap (no serve/ left, only .serve.old-<pid>); the next run and --verify-bundle restore the previous tree. The lock's
 * content is written atomically, and an unreadable (empty) lock is taken as held unless it is older than the bound.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildBundle, type BuildOptions } from '../../src/bundle/build.js';
import { beginServeWork, UNREADABLE_LOCK_MAX_AGE_MS } from '../../src/bundle/serve-dir.js';
import { parseArgs } from '../../src/cli/args.js';
import { run as verifyBundleCommand } from '../../src/commands/verify-bundle.js';
import { fakeArgs, fakeRenderers, makeArtifacts, makeGenconf, tempDir } from './helpers.js';

async function setup(): Promise<{ dir: string; opts: BuildOptions }> {
  const dir = await tempDir();
  await makeArtifacts(path.join(dir, 'artifacts'));
  const genconfDir = await makeGenconf(dir);
  return {
    dir,
    opts: { genconfDir, artifactsDir: path.join(dir, 'artifacts'), ...fakeArgs(), renderers: fakeRenderers },
  };
}

/**
 * A real process that does the first rename of the swap (serve → .serve.old-<its pid>) and is then SIGKILLed before
 * the second, exactly the state a `kill -9` between the two renames leaves. Returns the dead pid.
 */
async function killedMidSwap(genconfDir: string): Promise<number> {
  const script = `
    const fs = require('node:fs');
    fs.renameSync(${JSON.stringify(path.join(genconfDir, 'serve'))}, ${JSON.stringify(genconfDir)} + '/.serve.old-' + process.pid);
    fs.mkdirSync(${JSON.stringify(genconfDir)} + '/.serve.tmp-' + process.pid);
    process.stdout.write('renamed\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
  return child.pid!;
}

describe('a kill -9 between the two renames of the serve/ swap', () => {
  it('leaves serve/ missing; the next run restores the previous tree before building', async () => {
    const { opts } = await setup();
    const r1 = await buildBundle(opts);
    const pid = await killedMidSwap(opts.genconfDir);
    expect(existsSync(r1.serveDir)).toBe(false);
    expect(await readdir(opts.genconfDir)).toContain(`.serve.old-${pid}`);
    // A run that fails after taking the lock must still leave the restored tree, not nothing.
    const failing = {
      ...opts,
      renderers: {
        ...fakeRenderers,
        renderInstallScript: () => {
          throw new Error('template exploded');
        },
      },
    };
    await expect(buildBundle(failing)).rejects.toThrow('template exploded');
    expect(existsSync(path.join(r1.serveDir, 'SHA256SUMS'))).toBe(true);
    expect((await readdir(opts.genconfDir)).filter((n) => n.startsWith('.serve'))).toEqual([]);
  });

  it('--verify-bundle restores it too, says so, and verifies it OK', async () => {
    const { dir, opts } = await setup();
    await buildBundle(opts);
    await killedMidSwap(opts.genconfDir);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const err: Buffer[] = [];
    stderr.on('data', (c: Buffer) => err.push(c));
    const out: Buffer[] = [];
    stdout.on('data', (c: Buffer) => out.push(c));
    const ctx = {
      options: parseArgs(['--verify-bundle'], dir, {}),
      signal: new AbortController().signal,
      stdout,
      stderr,
      interactive: false,
    };
    expect(await verifyBundleCommand(ctx)).toBe(0);
    expect(Buffer.concat(err).toString()).toMatch(/note: restored .*serve from \.serve\.old-\d+/);
    expect(Buffer.concat(out).toString()).toContain(': OK (directory');
  });
});

describe('the serve lock', () => {
  it("an empty lock file is held (another run may be writing it), not taken as a dead run's", async () => {
    const { opts } = await setup();
    await mkdir(opts.genconfDir, { recursive: true });
    await writeFile(path.join(opts.genconfDir, '.serve.lock'), '');
    await expect(beginServeWork(opts.genconfDir)).rejects.toThrow(/exists but names no process/);
  });

  it('an unreadable lock older than the bound is taken over', async () => {
    const { opts } = await setup();
    const lock = path.join(opts.genconfDir, '.serve.lock');
    await writeFile(lock, 'garbage');
    const old = (Date.now() - UNREADABLE_LOCK_MAX_AGE_MS - 60_000) / 1000;
    await utimes(lock, old, old);
    const work = await beginServeWork(opts.genconfDir);
    await work.release();
  });

  it('the lock never exists without its pid: it is linked from a fully written file', async () => {
    const { opts } = await setup();
    const work = await beginServeWork(opts.genconfDir);
    try {
      const { readFile } = await import('node:fs/promises');
      expect(await readFile(path.join(opts.genconfDir, '.serve.lock'), 'utf8')).toBe(`${process.pid}\n`);
      expect((await readdir(opts.genconfDir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    } finally {
      await work.release();
    }
    await rename(opts.genconfDir, `${opts.genconfDir}.done`);
  });
});
