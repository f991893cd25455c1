import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildBundle } from '../../src/bundle/build.js';
import { parseArgs } from '../../src/cli/args.js';
import type { CommandContext } from '../../src/cli/context.js';
import { run } from '../../src/commands/verify-bundle.js';
import { fakeArgs, fakeRenderers, makeArtifacts, makeGenconf, tempDir } from '../bundle/helpers.js';

function context(argv: string[], cwd: string): { ctx: CommandContext; out: () => string } {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  const ctx: CommandContext = {
    options: parseArgs(argv, cwd, {}),
    signal: new AbortController().signal,
    stdout,
    stderr: new PassThrough(),
    interactive: false,
  };
  return { ctx, out: () => Buffer.concat(chunks).toString('utf8') };
}

async function served(): Promise<{ dir: string; serve: string }> {
  const dir = await tempDir();
  await makeArtifacts(path.join(dir, 'artifacts'));
  const genconfDir = await makeGenconf(dir);
  const r = await buildBundle({
    genconfDir,
    artifactsDir: path.join(dir, 'artifacts'),
    ...fakeArgs(),
    renderers: fakeRenderers,
  });
  return { dir, serve: r.serveDir };
}

describe('--verify-bundle', () => {
  it('checks genconf/serve and its dcos-install.tar by default, exit 0', async () => {
    const { dir, serve } = await served();
    const { ctx, out } = context(['--verify-bundle'], dir);
    expect(await run(ctx)).toBe(0);
    expect(out()).toMatch(
      new RegExp(
        `^${serve}: OK \\(directory, \\d+ files match SHA256SUMS\\)\n${serve}/dcos-install.tar: OK \\(archive, \\d+ files match SHA256SUMS\\)\n$`,
      ),
    );
  });

  it('prints one line per problem and exits 1 for a corrupted tar given as PATH', async () => {
    const { dir, serve } = await served();
    const copy = path.join(dir, 'copy');
    expect(spawnSync('cp', ['-r', serve, copy]).status).toBe(0);
    await appendFile(path.join(copy, 'bootstrap.latest'), 'x');
    expect(spawnSync('tar', ['-cf', '../bad.tar', '.'], { cwd: copy }).status).toBe(0);
    const { ctx, out } = context(['--verify-bundle', path.join(dir, 'bad.tar')], dir);
    expect(await run(ctx)).toBe(1);
    const lines = out().trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(
        /bad\.tar: CHANGED bootstrap\.latest \(sha256 [0-9a-f]{64}, SHA256SUMS says [0-9a-f]{64}\)$/,
      ),
      expect.stringMatching(/bad\.tar: EXTRA dcos-install\.tar \(present, not listed in SHA256SUMS\)$/),
      expect.stringMatching(/bad\.tar: FAILED \(archive, 2 problems, \d+ files listed in SHA256SUMS\)$/),
    ]);
  });

  it('reports a corrupted serve dir as JSON with --json', async () => {
    const { dir, serve } = await served();
    const copy = path.join(dir, 'copy');
    expect(spawnSync('cp', ['-r', serve, copy]).status).toBe(0);
    await appendFile(path.join(copy, 'dcos_install.sh'), '# tampered\n');
    const { ctx, out } = context(['--verify-bundle', copy, '--json'], dir);
    expect(await run(ctx)).toBe(1);
    const doc = JSON.parse(out()) as {
      ok: boolean;
      reports: { form: string; problems: { kind: string; path: string }[] }[];
    };
    expect(doc.ok).toBe(false);
    expect(doc.reports.map((r) => [r.form, r.problems.map((p) => `${p.kind} ${p.path}`)])).toEqual([
      ['dir', ['changed dcos_install.sh']],
      ['tar', []],
    ]);
  });
});
