/**
 * A 1 GiB synthetic installer of random data, made here as a stream (never committed), imported by the built CLI
 * in a child process whose own peak RSS must stay under 150 MB: memory is flat in the installer size.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LARGE_BOOTSTRAP_ID, writeLargeInstaller } from '../../bench/lib/installer-gen.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'dist/cli/main.js');
const built = fs.existsSync(CLI);
const GIB = 1024 * 1024 * 1024;
const RSS_LIMIT = 150 * 1000 * 1000;

let work: string | undefined;
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs the CLI with a preload that records the process's own peak RSS (getrusage ru_maxrss) when it exits. */
async function runMeasured(
  args: string[],
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string; maxRssBytes: number }> {
  const hook = path.join(cwd, 'rss-hook.mjs');
  const rssOut = path.join(cwd, 'rss.txt');
  await writeFile(
    hook,
    "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.RSS_OUT, String(process.resourceUsage().maxRSS)));\n",
  );
  const child = spawn(process.execPath, ['--import', hook, CLI, ...args], {
    cwd,
    env: { ...process.env, RSS_OUT: rssOut },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const kib = Number(await readFile(rssOut, 'utf8'));
  return { code, stdout, stderr, maxRssBytes: kib * 1024 };
}

describe.runIf(built || process.env.CI === 'true')('a 1 GiB installer', () => {
  it(
    'imports with the built CLI at a peak RSS under 150 MB, every package intact',
    async () => {
      expect(built).toBe(true);
      work = await mkdtemp(path.join(os.tmpdir(), 'import-large-'));
      const file = path.join(work, 'dcos_generate_config.sh');
      // The big layer arrives before its parent, so it goes through a spool file: the longer path, at full size.
      const made = await writeLargeInstaller(file, GIB, { bigFirst: true });
      expect((await stat(file)).size).toBeGreaterThanOrEqual(GIB);

      const r = await runMeasured(
        ['--import-installer', file, '--artifacts', path.join(work, 'artifacts'), '--json'],
        work,
      );
      expect(r.stderr).not.toContain('error');
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout) as {
        bootstrap_id: string;
        packages: number;
        layers: number;
        layers_spooled: number;
      };
      expect(doc).toMatchObject({
        bootstrap_id: LARGE_BOOTSTRAP_ID,
        packages: made.packages.length,
        layers: 2,
        layers_spooled: 1,
      });
      expect(r.maxRssBytes).toBeGreaterThan(0);
      expect(r.maxRssBytes).toBeLessThan(RSS_LIMIT);

      // Sizes of all, contents of the first and last (reading 1 GiB back would only slow the test down).
      for (const id of made.packages)
        expect((await stat(path.join(work, 'artifacts/packages', id.split('--')[0]!, `${id}.tar.xz`))).size).toBe(
          64 * 1024 * 1024,
        );
      for (const id of [made.packages[0]!, made.packages.at(-1)!]) {
        const got = createHash('sha256')
          .update(await readFile(path.join(work, 'artifacts/packages', id.split('--')[0]!, `${id}.tar.xz`)))
          .digest('hex');
        expect(got).toBe(made.sha256[id]);
      }
      await rm(file);
    },
    20 * 60 * 1000,
  );
});
