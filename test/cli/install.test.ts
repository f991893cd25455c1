/**
 * The real install path the README gives: `npm pack` makes a tarball, `npm install -g` of it puts `genconf` and
 * `genconf-example-artifacts` on the PATH (here: a temporary prefix), and both work outside the repository,
 * including the example-artifacts hint. Needs dist/ (npm ci builds it) and the npm cache of `npm ci`.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { exampleArtifactsCommand } from '../../src/bundle/artifacts.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const built =
  fs.existsSync(path.join(REPO, 'dist/cli/main.js')) &&
  fs.existsSync(path.join(REPO, 'dist/scripts/example-artifacts.js'));

describe('the example-artifacts hint names a command that works where genconf runs', () => {
  it('in a clone (src/ beside dist/): npm run; in an installed package: the bin', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'genconf-hint-'));
    fs.mkdirSync(path.join(root, 'dist', 'cli'), { recursive: true });
    fs.writeFileSync(path.join(root, 'package.json'), '{}');
    expect(exampleArtifactsCommand('/x/artifacts', root)).toBe('genconf-example-artifacts /x/artifacts');
    fs.mkdirSync(path.join(root, 'src'));
    fs.writeFileSync(path.join(root, 'src', 'main.ts'), '');
    expect(exampleArtifactsCommand('/x/artifacts', root)).toBe('npm run example-artifacts -- /x/artifacts');
  });
});

describe('npm pack + npm install -g', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'genconf-install-'));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  const sh = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> =>
    spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 300_000, env: { ...process.env, NO_COLOR: '1', ...env } });

  it.runIf(built || process.env.CI === 'true')(
    'the tarball installs a working genconf outside the repository',
    () => {
      expect(built).toBe(true);
      // --ignore-scripts: dist/ is already built; packing must not rebuild it.
      const pack = sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], REPO);
      expect(pack.status, pack.stderr).toBe(0);
      const info = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
      const files = info[0]!.files.map((f) => f.path);
      expect(files).toContain('dist/cli/main.js');
      expect(files).toContain('templates/ip-detect/route-based.sh');
      // Development tools are not shipped: no test harness, no benches, no lab script.
      expect(
        files.filter((f) => f.startsWith('dist/test/') || f.startsWith('dist/bench/') || f === 'dist/scripts/lab.js'),
      ).toEqual([]);

      const prefix = path.join(work, 'prefix');
      const install = sh(
        'npm',
        [
          'install',
          '-g',
          '--prefix',
          prefix,
          '--prefer-offline',
          '--no-audit',
          '--no-fund',
          path.join(work, info[0]!.filename),
        ],
        work,
      );
      expect(install.status, install.stderr).toBe(0);
      const env = { PATH: `${path.join(prefix, 'bin')}:${process.env.PATH ?? ''}` };

      const site = path.join(work, 'site');
      fs.cpSync(path.join(REPO, 'genconf-examples/1-master/genconf'), path.join(site, 'genconf'), { recursive: true });
      const version = sh('genconf', ['--version'], site, env);
      expect(version.status, version.stderr).toBe(0);
      expect(JSON.parse(version.stdout)).toMatchObject({ version: expect.any(String) });

      // Without artifacts, the hint names the installed bin, and that command works as printed.
      const missing = sh('genconf', ['--genconf'], site, env);
      expect(missing.status).not.toBe(0);
      const hint = /write the small example set with: (genconf-example-artifacts \S+)/.exec(missing.stderr);
      expect(hint, missing.stderr).not.toBeNull();
      const [bin, dir] = hint![1]!.split(' ') as [string, string];
      const gen = sh(bin, [dir], site, env);
      expect(gen.status, gen.stderr).toBe(0);

      const genconf = sh('genconf', ['--genconf'], site, env);
      expect(genconf.status, genconf.stderr).toBe(0);
      expect(fs.existsSync(path.join(site, 'genconf/serve/dcos-install.tar'))).toBe(true);
      const verify = sh('genconf', ['--verify-bundle'], site, env);
      expect(verify.status, verify.stderr).toBe(0);
    },
    400_000,
  );
});
