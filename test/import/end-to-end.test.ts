/**
 * Import, then --genconf: the bundle carries the installer's bootstrap id, packages, image commit and version.
 * Also the CLI's exit codes and output, and the dcos_generate_config.sh wrapper importing first.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import type { CommandContext } from '../../src/cli/context.js';
import { run as genconf } from '../../src/commands/genconf.js';
import { run as importCmd } from '../../src/commands/import-installer.js';
import { BOOTSTRAP_ID, baseLayer, buildInstaller, COMMIT, simpleInstaller, tarOf } from './fixture.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WRAPPER = path.join(REPO, 'dcos_generate_config.sh');
const CLI = path.join(REPO, 'dist/cli/main.js');
const built = fs.existsSync(CLI);
const runBuilt = built || process.env.CI === 'true';

const CONFIG = `---
cluster_name: imported
bootstrap_url: http://10.0.0.100:8080
exhibitor_storage_backend: static
master_discovery: static
master_list:
- 10.0.0.1
resolvers:
- 8.8.8.8
`;

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function project(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'import-e2e-'));
  dirs.push(dir);
  await mkdir(path.join(dir, 'genconf'));
  await writeFile(path.join(dir, 'genconf', 'config.yaml'), CONFIG);
  await writeFile(path.join(dir, 'genconf', 'ip-detect'), '#!/bin/sh\necho 10.0.0.1\n');
  return dir;
}

async function invoke(
  command: (ctx: CommandContext) => Promise<number>,
  argv: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const ctx: CommandContext = {
    options: parseArgs(argv, cwd, {}),
    signal: new AbortController().signal,
    stdout,
    stderr,
    interactive: false,
  };
  const code = await command(ctx);
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

const PACKAGES = ['mesos--1.5.0', 'dcos-net--imp_7', 'adminrouter--9'];

describe('import → --genconf', () => {
  it('dcos_install.sh, the package list and the ids carry the imported bootstrap id, packages and commit', async () => {
    const dir = await project();
    await writeFile(path.join(dir, 'dcos_generate_config.sh'), await simpleInstaller(PACKAGES));
    const imp = await invoke(importCmd, ['--import-installer', 'dcos_generate_config.sh', '--json'], dir);
    expect(imp.code).toBe(0);
    const doc = JSON.parse(imp.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({
      bootstrap_id: BOOTSTRAP_ID,
      variant: 'open',
      dcos_version: '1.11.7',
      packages: 3,
      genconf_ready: true,
      artifacts_dir: path.join(dir, 'artifacts'),
    });
    // Plain lines on a pipe, never the in-place terminal line.
    expect(imp.stderr).toContain('import: 100% read');
    expect(imp.stderr).not.toContain('\r');

    const g = await invoke(genconf, ['--json'], dir);
    expect(g.stderr).not.toContain('error');
    expect(g.code).toBe(0);
    const b = JSON.parse(g.stdout) as {
      bootstrap_id: string;
      cluster_packages: string[];
      cluster_package_list_id: string;
    };
    expect(b.bootstrap_id).toBe(BOOTSTRAP_ID);
    for (const p of PACKAGES) expect(b.cluster_packages).toContain(p);
    const serve = path.join(dir, 'genconf', 'serve');
    const install = await readFile(path.join(serve, 'dcos_install.sh'), 'utf8');
    expect(install).toMatch(new RegExp(`^BOOTSTRAP_ID='?${BOOTSTRAP_ID}'?$`, 'm'));
    expect(install).toMatch(/^DCOS_VERSION='?1\.11\.7'?$/m);
    const list = JSON.parse(
      await readFile(path.join(serve, 'package_lists', `${b.cluster_package_list_id}.package_list.json`), 'utf8'),
    ) as string[];
    expect(list.filter((p) => !p.startsWith('dcos-config--') && !p.startsWith('dcos-metadata--')).sort()).toEqual(
      [...PACKAGES].sort(),
    );
    expect(await readFile(path.join(serve, 'bootstrap.latest'), 'utf8')).toBe(BOOTSTRAP_ID);
    expect(await readFile(path.join(serve, 'bootstrap', `${BOOTSTRAP_ID}.bootstrap.tar.xz`), 'utf8')).toBe(
      `bootstrap ${BOOTSTRAP_ID}`,
    );
    // The metadata package names the installer's image commit, as the original's did.
    const configId = /dcos-metadata--setup_([0-9a-f]{40})/.exec(list.join(' '))![1]!;
    const meta = spawnSync(
      'tar',
      [
        '-xOJf',
        path.join(serve, 'packages', 'dcos-metadata', `dcos-metadata--setup_${configId}.tar.xz`),
        './etc/dcos-version.json',
      ],
      { encoding: 'utf8' },
    ).stdout;
    expect(JSON.parse(meta)).toMatchObject({
      'bootstrap-id': BOOTSTRAP_ID,
      'dcos-image-commit': COMMIT,
      version: '1.11.7',
    });
  });

  it('--genconf refuses artifacts whose installer brought gen_extra/ overrides, saying why', async () => {
    const dir = await project();
    const layer = await tarOf([...baseLayer(PACKAGES), { name: 'gen_extra/calc.py', data: 'entry = {}\n' }]);
    await writeFile(
      path.join(dir, 'dcos_generate_config.sh'),
      await buildInstaller({ layers: [layer], commit: COMMIT, bootstrapId: BOOTSTRAP_ID }),
    );
    const imp = await invoke(importCmd, ['--import-installer', 'dcos_generate_config.sh'], dir);
    expect(imp.code).toBe(0);
    expect(imp.stdout).toContain('gen_extra/: 1 file(s) of calculation overrides kept (calc.py)');
    expect(imp.stdout).toContain('--genconf refuses these artifacts');
    await expect(invoke(genconf, [], dir)).rejects.toThrow(
      /gen_extra\/ calculation overrides \(calc\.py\): this tool cannot apply them/,
    );
  });
});

describe.runIf(runBuilt)('the built CLI and the dcos_generate_config.sh wrapper', () => {
  it('is built', () => expect(built).toBe(true));

  it('exits 1 with the message and leaves nothing behind; exits 0 with the summary', async () => {
    const dir = await project();
    await writeFile(path.join(dir, 'bad.sh'), '#!/bin/sh\necho no payload\n');
    const bad = spawnSync('node', [CLI, '--import-installer', 'bad.sh'], { cwd: dir, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('error: not a DC/OS installer: no #EOF# line');
    expect(fs.readdirSync(dir).sort()).toEqual(['bad.sh', 'genconf']);

    await writeFile(path.join(dir, 'dcos_generate_config.sh'), await simpleInstaller(PACKAGES));
    const ok = spawnSync('node', [CLI, '--import-installer', 'dcos_generate_config.sh'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`Bootstrap id: ${BOOTSTRAP_ID}`);
    expect(ok.stdout).toContain('DC/OS version: 1.11.7');
    expect(ok.stdout).toContain('Variant: open');
    expect(ok.stdout).toContain('Packages: 3');
    const again = spawnSync('node', [CLI, '--import-installer', 'dcos_generate_config.sh'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already exists');
    expect(again.stderr).toContain('--force');
  });

  it('the wrapper imports DCOS_INSTALLER or --installer FILE first when artifacts/ is missing, and says so', async () => {
    const dir = await project();
    const installer = path.join(dir, 'dcos_generate_config.official.sh');
    await writeFile(installer, await simpleInstaller(PACKAGES));
    const env = { ...process.env, NO_COLOR: '1', DCOS_INSTALLER: installer };
    const first = spawnSync('bash', [WRAPPER, '--genconf', '--json'], { cwd: dir, encoding: 'utf8', env });
    expect(first.stderr).toContain(`importing the DC/OS installer ${installer}`);
    expect(first.status).toBe(0);
    expect((JSON.parse(first.stdout) as { bootstrap_id: string }).bootstrap_id).toBe(BOOTSTRAP_ID);
    // With artifacts/ in place the wrapper does not import again.
    const second = spawnSync('bash', [WRAPPER, '--validate-config'], { cwd: dir, encoding: 'utf8', env });
    expect(second.stderr).not.toContain('importing');

    const other = await project();
    const viaFlag = spawnSync('bash', [WRAPPER, '--installer', installer, '--genconf'], {
      cwd: other,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(viaFlag.stderr).toContain(`importing the DC/OS installer ${installer}`);
    expect(viaFlag.status).toBe(0);
    expect(fs.readFileSync(path.join(other, 'genconf/serve/bootstrap.latest'), 'utf8')).toBe(BOOTSTRAP_ID);

    // A broken installer stops the wrapper before the action, with the import's exit code.
    const third = await project();
    await writeFile(path.join(third, 'broken.sh'), 'no eof\n');
    const broken = spawnSync('bash', [WRAPPER, '--installer', 'broken.sh', '--genconf'], {
      cwd: third,
      encoding: 'utf8',
    });
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain('no #EOF# line');
    expect(fs.existsSync(path.join(third, 'genconf/serve'))).toBe(false);
  });
});
