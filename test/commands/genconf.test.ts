/**
 * `--genconf` end to end in-process: real validation, real renderers, the bundle writer, on a small artifacts set.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import type { CommandContext } from '../../src/cli/context.js';
import { run as genconf } from '../../src/commands/genconf.js';
import { run as nodeUpgrade } from '../../src/commands/node-upgrade.js';
import { InputError } from '../../src/errors.js';
import { makeArtifacts, tempDir } from '../bundle/helpers.js';

const CONFIG = `---
cluster_name: test-a
bootstrap_url: http://10.0.0.100:8080
exhibitor_storage_backend: static
master_discovery: static
master_list:
- 10.0.0.1
- 10.0.0.2
- 10.0.0.3
resolvers:
- 8.8.8.8
`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function invoke(command: (ctx: CommandContext) => Promise<number>, argv: string[], cwd: string): Promise<Run> {
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

async function project(config = CONFIG, ipDetect = '#!/bin/sh\necho 10.0.0.1\n'): Promise<string> {
  const dir = await tempDir('genconf-cmd-');
  await mkdir(path.join(dir, 'genconf'));
  await writeFile(path.join(dir, 'genconf', 'config.yaml'), config);
  await writeFile(path.join(dir, 'genconf', 'ip-detect'), ipDetect);
  await makeArtifacts(path.join(dir, 'artifacts'));
  return dir;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('--genconf', () => {
  it('builds genconf/serve with the original log lines and a summary', async () => {
    const dir = await project();
    const r = await invoke(genconf, ['--genconf', '--no-color'], dir);
    expect(r.code).toBe(0);
    const err = r.stderr.split('\n');
    expect(err.slice(0, 2)).toEqual(['====> EXECUTING CONFIGURATION GENERATION', 'Generating configuration files...']);
    expect(err[2]).toMatch(/^Cluster package list: package_lists\/[0-9a-f]{40}\.package_list\.json$/);
    expect(err[3]).toMatch(/^Package filename: packages\/dcos-config\/dcos-config--setup_[0-9a-f]{40}\.tar\.xz$/);
    expect(err[4]).toMatch(/^Package filename: packages\/dcos-metadata\/dcos-metadata--setup_[0-9a-f]{40}\.tar\.xz$/);
    expect(r.stdout).toMatch(/^Generating Bash configuration files for DC\/OS\nconfig_id: [0-9a-f]{40}\n/);
    const serve = path.join(dir, 'genconf', 'serve');
    const configId = /config_id: ([0-9a-f]{40})/.exec(r.stdout)![1]!;
    // The real config package: the ip-detect script as bin/detect_ip, mode 0755, owner 0.
    const pkg = path.join(serve, 'packages', 'dcos-config', `dcos-config--setup_${configId}.tar.xz`);
    const listing = spawnSync('tar', ['--numeric-owner', '-tvJf', pkg], { encoding: 'utf8' }).stdout;
    expect(listing).toMatch(/-rwxr-xr-x 0\/0 .* \.\/bin\/detect_ip\n/);
    expect(listing).toMatch(/-rw------- 0\/0 .* \.\/etc\/user\.config\.full\.yaml\n/);
    expect(spawnSync('tar', ['-xOJf', pkg, './bin/detect_ip'], { encoding: 'utf8' }).stdout).toBe(
      '#!/bin/sh\necho 10.0.0.1\n',
    );
    const meta = spawnSync(
      'tar',
      [
        '-xOJf',
        path.join(serve, 'packages', 'dcos-metadata', `dcos-metadata--setup_${configId}.tar.xz`),
        './etc/dcos-version.json',
      ],
      {
        encoding: 'utf8',
      },
    ).stdout;
    expect(JSON.parse(meta)).toMatchObject({
      'bootstrap-id': '0123456789abcdef0123456789abcdef01234567',
      'dcos-image-commit': expect.stringMatching(/^dcos-genconf-/),
    });
    expect(spawnSync('bash', ['-n', path.join(serve, 'dcos_install.sh')]).status).toBe(0);
    expect(spawnSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: serve }).status).toBe(0);
    expect((await readdir(path.join(dir, 'genconf'))).sort()).toEqual([
      'cluster_packages.json',
      'config.yaml',
      'ip-detect',
      'serve',
    ]);
  });

  it('gives a byte-identical dcos-install.tar on a second run', async () => {
    const a = await project();
    await invoke(genconf, [], a);
    const first = await readFile(path.join(a, 'genconf', 'serve', 'dcos-install.tar'));
    await invoke(genconf, [], a);
    expect(sha256(await readFile(path.join(a, 'genconf', 'serve', 'dcos-install.tar')))).toBe(sha256(first));
  });

  it('gives the same ids and bytes for the same inputs in another directory', async () => {
    const a = await project();
    const b = await project();
    const ra = JSON.parse((await invoke(genconf, ['--json'], a)).stdout) as {
      config_id: string;
      files: { path: string; sha256: string }[];
    };
    const rb = JSON.parse((await invoke(genconf, ['--json'], b)).stdout) as {
      config_id: string;
      files: { path: string; sha256: string }[];
    };
    // A path of the project dir inside the arguments would make both differ: name the file that differs.
    const differing = ra.files.filter((f, i) => rb.files[i]?.sha256 !== f.sha256).map((f) => f.path);
    expect(differing).toEqual([]);
    expect(rb.config_id).toBe(ra.config_id);
  });

  it('gives a new config_id when ip-detect changes, and drops the old packages', async () => {
    const dir = await project();
    const one = JSON.parse((await invoke(genconf, ['--json'], dir)).stdout) as { config_id: string };
    await writeFile(path.join(dir, 'genconf', 'ip-detect'), '#!/bin/sh\necho 10.0.0.2\n');
    const two = JSON.parse((await invoke(genconf, ['--json'], dir)).stdout) as { config_id: string };
    expect(two.config_id).not.toBe(one.config_id);
    expect(await readdir(path.join(dir, 'genconf', 'serve', 'packages', 'dcos-config'))).toEqual([
      `dcos-config--setup_${two.config_id}.tar.xz`,
    ]);
  });

  it('prints one JSON document with --json', async () => {
    const dir = await project();
    const r = await invoke(genconf, ['--json'], dir);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      config_id: string;
      cluster_package_list_id: string;
      bootstrap_id: string;
      serve_dir: string;
      tarball: { path: string; sha256: string; size: number };
      files: { path: string; mode: string; sha256: string; size: number }[];
    };
    expect(doc.serve_dir).toBe(path.join(dir, 'genconf', 'serve'));
    expect(doc.bootstrap_id).toBe('0123456789abcdef0123456789abcdef01234567');
    const tar = await readFile(doc.tarball.path);
    expect([doc.tarball.sha256, doc.tarball.size]).toEqual([sha256(tar), tar.length]);
    expect(doc.files.find((f) => f.path === 'dcos_install.sh')!.mode).toBe('0755');
    expect(doc.files.map((f) => f.path)).toContain(`package_lists/${doc.cluster_package_list_id}.package_list.json`);
    for (const f of doc.files) expect(sha256(await readFile(path.join(doc.serve_dir, f.path)))).toBe(f.sha256);
  });

  it('writes nothing and exits 1 when the config is invalid', async () => {
    const dir = await project(CONFIG.replace('master_discovery: static', 'master_discovery: bogus'));
    const r = await invoke(genconf, ['--no-color'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('master_discovery');
    expect(r.stdout).toBe('');
    expect((await readdir(path.join(dir, 'genconf'))).sort()).toEqual(['config.yaml', 'ip-detect']);
    const j = await invoke(genconf, ['--json'], dir);
    expect(j.code).toBe(1);
    expect((JSON.parse(j.stdout) as { valid: boolean }).valid).toBe(false);
    expect((await readdir(path.join(dir, 'genconf'))).sort()).toEqual(['config.yaml', 'ip-detect']);
  });

  it('keeps the previous bundle when a later run fails on its artifacts', async () => {
    const dir = await project();
    await invoke(genconf, [], dir);
    const before = await readFile(path.join(dir, 'genconf', 'serve', 'dcos-install.tar'));
    await rm(path.join(dir, 'artifacts', 'packages', 'mesos'), { recursive: true });
    const failed = invoke(genconf, [], dir);
    await expect(failed).rejects.toBeInstanceOf(InputError);
    await expect(failed).rejects.toThrow('missing packages/mesos/mesos--1.5.0.tar.xz');
    expect((await readFile(path.join(dir, 'genconf', 'serve', 'dcos-install.tar'))).equals(before)).toBe(true);
    expect((await readdir(path.join(dir, 'genconf'))).sort()).toEqual([
      'cluster_packages.json',
      'config.yaml',
      'ip-detect',
      'serve',
    ]);
  });

  it('names the bundle relative to where it was run, or absolute from outside', async () => {
    const dir = await project();
    const here = await invoke(genconf, ['--genconf'], dir);
    expect(here.stdout).toContain('Bundle: genconf/serve/ (');
    const parent = path.dirname(dir);
    const above = await invoke(genconf, ['--genconf', '--genconf-dir', path.join(dir, 'genconf')], parent);
    expect(above.code).toBe(0);
    expect(above.stdout).toContain(`Bundle: ${path.join(path.basename(dir), 'genconf', 'serve')}/ (`);
    const elsewhere = await tempDir('genconf-elsewhere-');
    const away = await invoke(genconf, ['--genconf', '--genconf-dir', path.join(dir, 'genconf')], elsewhere);
    expect(away.stdout).toContain(`Bundle: ${path.join(dir, 'genconf', 'serve')}/ (`);
    expect(away.stdout).toContain(`Archive: ${path.join(dir, 'genconf', 'serve', 'dcos-install.tar')} sha256`);
  });

  it('puts genconf/check_bins on the checks search path', async () => {
    const dir = await project();
    await mkdir(path.join(dir, 'genconf', 'check_bins'));
    await writeFile(path.join(dir, 'genconf', 'check_bins', 'my_check'), '#!/bin/sh\nexit 0\n');
    const doc = JSON.parse((await invoke(genconf, ['--json'], dir)).stdout) as {
      config_id: string;
      files: { path: string }[];
    };
    const bins = doc.files.find((f) => f.path.startsWith('packages/custom-check-bins/'))!.path;
    const id = path.basename(bins, '.tar.xz');
    const pkg = path.join(
      dir,
      'genconf',
      'serve',
      'packages',
      'dcos-config',
      `dcos-config--setup_${doc.config_id}.tar.xz`,
    );
    const expanded = JSON.parse(
      spawnSync('tar', ['-xOJf', pkg, './etc/expanded.config.json'], { encoding: 'utf8' }).stdout,
    ) as Record<string, string>;
    expect(expanded.custom_check_bins_provided).toBe('true');
    expect(expanded.check_search_path).toBe(`/opt/mesosphere/bin:/usr/bin:/bin:/sbin:/opt/mesosphere/packages/${id}`);
    expect(expanded.package_ids).toContain(id);
  });
});

describe('--generate-node-upgrade-script', () => {
  it('needs the version upgraded from', async () => {
    const dir = await project();
    const r = await invoke(nodeUpgrade, ['--generate-node-upgrade-script'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'Must provide the version of the cluster upgrading from\nhint: give it after the flag, e.g. --generate-node-upgrade-script 1.10.0\n',
    );
    expect(await readdir(path.join(dir, 'genconf'))).not.toContain('serve');
  });

  it('runs genconf and prints the script URL', async () => {
    const dir = await project();
    const r = await invoke(nodeUpgrade, ['--generate-node-upgrade-script', '1.10.5'], dir);
    expect(r.code).toBe(0);
    const m =
      /^Node upgrade script URL: http:\/\/10\.0\.0\.100:8080\/(upgrade\/[0-9a-f]{32}\/dcos_node_upgrade\.sh)\n$/.exec(
        r.stdout,
      );
    expect(m).not.toBeNull();
    const script = path.join(dir, 'genconf', 'serve', m![1]!);
    expect(spawnSync('bash', ['-n', script]).status).toBe(0);
    expect(await readFile(script, 'utf8')).toContain('1.10.5');
    expect(
      spawnSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: path.join(dir, 'genconf', 'serve') }).status,
    ).toBe(0);
  });
});
