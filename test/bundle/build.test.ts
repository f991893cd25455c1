import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBundle, type BuildOptions } from '../../src/bundle/build.js';
import { InterruptedError } from '../../src/errors.js';
import type { Renderers } from '../../src/bundle/render/types.js';
import { fakeArgs, fakeRenderers, makeArtifacts, makeGenconf, tempDir } from './helpers.js';

async function setup(ipDetect?: string): Promise<{ dir: string; opts: BuildOptions }> {
  const dir = await tempDir();
  await makeArtifacts(path.join(dir, 'artifacts'));
  const genconfDir = await makeGenconf(dir);
  const { args, userArgs } = fakeArgs(ipDetect);
  return {
    dir,
    opts: { genconfDir, artifactsDir: path.join(dir, 'artifacts'), args, userArgs, renderers: fakeRenderers },
  };
}

async function tree(root: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(path.join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${d.name}` : d.name;
    if (d.isDirectory()) out.push(`${rel}/`, ...(await tree(root, rel)));
    else out.push(rel);
  }
  return out.sort();
}

describe('buildBundle', () => {
  it('writes the serve tree of DC/OS 1.11 plus SHA256SUMS and dcos-install.tar', async () => {
    const { dir, opts } = await setup();
    const logs: string[] = [];
    const r = await buildBundle({ ...opts, log: (l) => logs.push(l) });
    const serve = path.join(opts.genconfDir, 'serve');
    const id = r.configId;
    const b = r.bootstrapId;
    expect(await tree(serve)).toEqual([
      'SHA256SUMS',
      'bootstrap.latest',
      'bootstrap/',
      `bootstrap/${b}.active.json`,
      `bootstrap/${b}.bootstrap.tar.xz`,
      'cluster-package-info.json',
      'cluster-package-list.latest',
      'dcos-install.tar',
      'dcos_install.sh',
      'package_lists/',
      `package_lists/${r.clusterPackageListId}.package_list.json`,
      'packages/',
      'packages/dcos-config/',
      `packages/dcos-config/dcos-config--setup_${id}.tar.xz`,
      'packages/dcos-metadata/',
      `packages/dcos-metadata/dcos-metadata--setup_${id}.tar.xz`,
      'packages/dcos-net/',
      'packages/dcos-net/dcos-net--abc_1.tar.xz',
      'packages/mesos/',
      'packages/mesos/mesos--1.5.0.tar.xz',
    ]);
    expect(logs).toEqual([
      `Cluster package list: package_lists/${r.clusterPackageListId}.package_list.json`,
      `Package filename: packages/dcos-config/dcos-config--setup_${id}.tar.xz`,
      `Package filename: packages/dcos-metadata/dcos-metadata--setup_${id}.tar.xz`,
    ]);
    // Small text files end without a newline, as the original's.
    expect(await readFile(path.join(serve, 'bootstrap.latest'), 'utf8')).toBe(b);
    expect(await readFile(path.join(serve, 'cluster-package-list.latest'), 'utf8')).toBe(r.clusterPackageListId);
    expect(await readFile(path.join(serve, `package_lists/${r.clusterPackageListId}.package_list.json`), 'utf8')).toBe(
      `["dcos-config--setup_${id}", "dcos-metadata--setup_${id}", "dcos-net--abc_1", "mesos--1.5.0"]`,
    );
    const info = await readFile(path.join(serve, 'cluster-package-info.json'), 'utf8');
    expect(info).toContain(
      `{\n  "dcos-config":{\n    "filename":"packages/dcos-config/dcos-config--setup_${id}.tar.xz",\n    "id":"dcos-config--setup_${id}"\n  },`,
    );
    expect(JSON.parse(info)).toEqual(r.clusterPackageInfo);
    expect(await readFile(path.join(opts.genconfDir, 'cluster_packages.json'), 'utf8')).toBe(info);
    expect((await stat(path.join(serve, 'dcos_install.sh'))).mode & 0o777).toBe(0o755);
    expect((await stat(path.join(serve, 'cluster-package-info.json'))).mode & 0o777).toBe(0o644);
    // SHA256SUMS is what sha256sum -c expects.
    const check = spawnSync('sha256sum', ['-c', '--strict', 'SHA256SUMS'], { cwd: serve, encoding: 'utf8' });
    expect(check.status).toBe(0);
    // The install script got a manifest covering every artifact a node fetches.
    const script = await readFile(path.join(serve, 'dcos_install.sh'), 'utf8');
    for (const p of [
      `bootstrap/${b}.bootstrap.tar.xz`,
      `package_lists/${r.clusterPackageListId}.package_list.json`,
      'packages/mesos/mesos--1.5.0.tar.xz',
      `packages/dcos-config/dcos-config--setup_${id}.tar.xz`,
    ]) {
      expect(script).toContain(`  ${p}`);
    }
    void dir;
  });

  it('gives a byte-identical dcos-install.tar on two runs, and the same ids in another directory', async () => {
    const a = await setup();
    const r1 = await buildBundle(a.opts);
    const t1 = await readFile(r1.tarball.path);
    const r2 = await buildBundle(a.opts);
    const t2 = await readFile(r2.tarball.path);
    expect(t2.equals(t1)).toBe(true);
    expect(r2.tarball.sha256).toBe(r1.tarball.sha256);
    const b = await setup();
    const r3 = await buildBundle(b.opts);
    expect(r3.configId).toBe(r1.configId);
    expect((await readFile(r3.tarball.path)).equals(t1)).toBe(true);
  });

  it('archives every file with uid/gid 0, mtime 0 and explicit modes, SHA256SUMS inside', async () => {
    const { opts } = await setup();
    const r = await buildBundle(opts);
    const listing = spawnSync('tar', ['--numeric-owner', '--full-time', '-tvf', r.tarball.path], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n');
    expect(listing.length).toBe(r.files.length + 1 + 7); // files, SHA256SUMS, 7 directories
    for (const line of listing) {
      const [mode, owner, , date, time, name] = line.split(/\s+/);
      expect(owner).toBe('0/0');
      expect(`${date} ${time}`).toBe('1970-01-01 00:00:00');
      if (name!.endsWith('/')) expect(mode).toBe('drwxr-xr-x');
      else if (name === 'dcos_install.sh') expect(mode).toBe('-rwxr-xr-x');
      else expect(mode).toBe('-rw-r--r--');
    }
    const names = listing.map((l) => l.split(/\s+/).pop()!);
    expect(names).toEqual([...names].sort());
    const inner = spawnSync('tar', ['-xOf', r.tarball.path, 'SHA256SUMS'], { encoding: 'utf8' }).stdout;
    expect(inner).toBe(await readFile(path.join(r.serveDir, 'SHA256SUMS'), 'utf8'));
    expect(inner).not.toContain('dcos-install.tar');
  });

  it('gives a new config_id when ip-detect changes, and when an artifact changes under the same id', async () => {
    const a = await setup('#!/bin/sh\necho 10.0.0.1\n');
    const b = await setup('#!/bin/sh\necho 10.0.0.2\n');
    const ra = await buildBundle(a.opts);
    const rb = await buildBundle(b.opts);
    expect(rb.configId).not.toBe(ra.configId);
    expect(rb.clusterPackageListId).not.toBe(ra.clusterPackageListId);
    await makeArtifacts(a.opts.artifactsDir, { salt: 'rebuilt' });
    const rc = await buildBundle(a.opts);
    expect(rc.configId).not.toBe(ra.configId);
  });

  it('replaces serve/ whole: no temp dirs left, no stale setup packages or package lists', async () => {
    const a = await setup('#!/bin/sh\necho 10.0.0.1\n');
    const r1 = await buildBundle(a.opts);
    await writeFile(path.join(r1.serveDir, 'stray-file'), 'x');
    const r2 = await buildBundle({
      ...a.opts,
      args: { ...a.opts.args, ip_detect_contents: '#!/bin/sh\necho 10.0.0.9\n' },
    });
    expect(r2.configId).not.toBe(r1.configId);
    expect((await readdir(a.opts.genconfDir)).sort()).toEqual(['cluster_packages.json', 'ip-detect', 'serve']);
    expect(await readdir(path.join(r2.serveDir, 'packages', 'dcos-config'))).toEqual([
      `dcos-config--setup_${r2.configId}.tar.xz`,
    ]);
    expect(await readdir(path.join(r2.serveDir, 'packages', 'dcos-metadata'))).toEqual([
      `dcos-metadata--setup_${r2.configId}.tar.xz`,
    ]);
    expect(await readdir(path.join(r2.serveDir, 'package_lists'))).toEqual([
      `${r2.clusterPackageListId}.package_list.json`,
    ]);
    expect(await readdir(r2.serveDir)).not.toContain('stray-file');
  });

  it('clears leftovers of a killed run and keeps the old serve dir when a run fails', async () => {
    const a = await setup();
    const r1 = await buildBundle(a.opts);
    // A dead process's temp dir (pid far above pid_max) and lock.
    await mkdir(path.join(a.opts.genconfDir, '.serve.tmp-99999999', 'packages'), { recursive: true });
    await writeFile(path.join(a.opts.genconfDir, '.serve.lock'), '99999999\n');
    const failing: Renderers = {
      ...fakeRenderers,
      renderInstallScript: () => {
        throw new Error('template exploded');
      },
    };
    await expect(buildBundle({ ...a.opts, renderers: failing })).rejects.toThrow('template exploded');
    expect((await readdir(a.opts.genconfDir)).sort()).toEqual(['cluster_packages.json', 'ip-detect', 'serve']);
    expect((await readFile(r1.tarball.path)).length).toBe(r1.tarball.size);
    expect(spawnSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: r1.serveDir }).status).toBe(0);
  });

  it('stops on abort, leaving the previous bundle as it was', async () => {
    const a = await setup();
    const r1 = await buildBundle(a.opts);
    const ac = new AbortController();
    const logs: string[] = [];
    const p = buildBundle({
      ...a.opts,
      args: { ...a.opts.args, cluster_name: 'other' },
      signal: ac.signal,
      log: (l) => {
        logs.push(l);
        ac.abort();
      },
    });
    await expect(p).rejects.toBeInstanceOf(InterruptedError);
    expect(await readdir(a.opts.genconfDir)).not.toContain(`.serve.tmp-${process.pid}`);
    expect(await readdir(path.join(r1.serveDir, 'packages', 'dcos-config'))).toEqual([
      `dcos-config--setup_${r1.configId}.tar.xz`,
    ]);
  });

  it('stops while hashing the artifacts when already interrupted, writing nothing', async () => {
    const a = await setup();
    const ac = new AbortController();
    ac.abort();
    await expect(buildBundle({ ...a.opts, signal: ac.signal })).rejects.toBeInstanceOf(InterruptedError);
    expect(await readdir(a.opts.genconfDir)).toEqual(['ip-detect']);
  });

  it('refuses a concurrent run holding the lock', async () => {
    const a = await setup();
    // Our parent process is alive: its pid in the lock means another run is in progress.
    await writeFile(path.join(a.opts.genconfDir, '.serve.lock'), `${process.ppid}\n`);
    await expect(buildBundle(a.opts)).rejects.toThrow(`another genconf run (pid ${process.ppid})`);
    expect(await readdir(a.opts.genconfDir)).not.toContain('serve');
  });

  it('hard-links readable artifacts and copies unreadable ones with mode 0644', async () => {
    const a = await setup();
    const art = path.join(a.opts.artifactsDir, 'packages', 'mesos', 'mesos--1.5.0.tar.xz');
    await chmod(art, 0o600);
    const r = await buildBundle(a.opts);
    const served = await stat(path.join(r.serveDir, 'packages', 'mesos', 'mesos--1.5.0.tar.xz'));
    expect(served.ino).not.toBe((await stat(art)).ino);
    expect(served.mode & 0o777).toBe(0o644);
    expect((await stat(art)).mode & 0o777).toBe(0o600);
    const linked = await stat(path.join(r.serveDir, 'packages', 'dcos-net', 'dcos-net--abc_1.tar.xz'));
    expect(linked.ino).toBe(
      (await stat(path.join(a.opts.artifactsDir, 'packages', 'dcos-net', 'dcos-net--abc_1.tar.xz'))).ino,
    );
  });

  it('ships genconf/check_bins as custom-check-bins--<dirhash> with executable files', async () => {
    const a = await setup();
    await mkdir(path.join(a.opts.genconfDir, 'check_bins'));
    await writeFile(path.join(a.opts.genconfDir, 'check_bins', 'check_a'), '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    await writeFile(path.join(a.opts.genconfDir, 'check_bins', 'check_b'), '#!/bin/sh\nexit 1\n');
    const logs: string[] = [];
    // Validation reads genconf/check_bins/ with the other inputs and hands it to the bundle writer.
    const { readCheckBins } = await import('../../src/config/inputs.js');
    const checkBins = readCheckBins(a.opts.genconfDir);
    const r = await buildBundle({ ...a.opts, checkBins, log: (l) => logs.push(l) });
    const pkg = r.clusterPackages.find((p) => p.startsWith('custom-check-bins--'))!;
    // checksumdir's sha1 dirhash: sha1 over the sorted per-file sha1 hex digests.
    const sha1 = (s: string): string => spawnSync('sha1sum', { input: s, encoding: 'utf8' }).stdout.slice(0, 40);
    const digests = [sha1('#!/bin/sh\nexit 0\n'), sha1('#!/bin/sh\nexit 1\n')].sort().join('');
    expect(pkg).toBe(`custom-check-bins--${sha1(digests)}`);
    expect(logs).toContain(`Package filename: packages/custom-check-bins/${pkg}.tar.xz`);
    const listing = spawnSync(
      'tar',
      ['-tvJf', path.join(r.serveDir, 'packages', 'custom-check-bins', `${pkg}.tar.xz`)],
      { encoding: 'utf8' },
    ).stdout;
    expect(listing).toMatch(/-rwxr-xr-x 0\/0 .* \.\/check_a\n/);
    expect(listing).toMatch(/-rw-r--r-- 0\/0 .* \.\/pkginfo.json\n/);
    await mkdir(path.join(a.opts.genconfDir, 'check_bins', 'sub'));
    expect(() => readCheckBins(a.opts.genconfDir)).toThrow('genconf/check_bins must not contain any subdirectories');
  });

  it('writes the node upgrade script under upgrade/<random hex>/ and reports its URL', async () => {
    const a = await setup();
    const r = await buildBundle({ ...a.opts, upgradeFrom: '1.10.5' });
    expect(r.upgrade!.url).toMatch(/^http:\/\/10\.0\.0\.100:8080\/upgrade\/[0-9a-f]{32}\/dcos_node_upgrade\.sh$/);
    const rel = path.relative(r.serveDir, r.upgrade!.path);
    expect(r.upgrade!.url.endsWith(rel)).toBe(true);
    expect(await readFile(r.upgrade!.path, 'utf8')).toContain('upgrade from 1.10.5');
    expect((await stat(r.upgrade!.path)).mode & 0o777).toBe(0o755);
    expect(r.files.map((f) => f.path)).toContain(rel);
  });

  it('writes nothing when the artifacts are missing', async () => {
    const a = await setup();
    await expect(buildBundle({ ...a.opts, artifactsDir: path.join(a.dir, 'nope') })).rejects.toThrow(/does not exist/);
    expect(await readdir(a.opts.genconfDir)).toEqual(['ip-detect']);
  });
});

describe('bundleArguments', () => {
  it('fills the build arguments validation leaves blank, and keeps the checks config validation computed', async () => {
    const { bundleArguments } = await import('../../src/bundle/build.js');
    const { loadArtifacts } = await import('../../src/bundle/artifacts.js');
    const { calculateCheckConfig, calculateCheckConfigContents } =
      await import('../../src/config/dcos-health-checks.js');
    const dir = await tempDir();
    await makeArtifacts(dir);
    const artifacts = await loadArtifacts(dir);
    const checkConfig = calculateCheckConfig('true');
    const base = {
      package_ids: '',
      custom_check_bins_provided: '',
      check_search_path: '/opt/mesosphere/bin:/usr/bin:/bin:/sbin',
      check_config: checkConfig,
      custom_checks: '{}',
      check_ld_library_path: '/opt/mesosphere/lib',
      check_config_contents: 'from validation',
    };
    const plain = bundleArguments(base, artifacts, undefined);
    expect(plain).toMatchObject({
      bootstrap_id: artifacts.bootstrapId,
      bootstrap_variant: '',
      package_ids: '["dcos-net--abc_1", "mesos--1.5.0"]',
      custom_check_bins_provided: 'false',
      custom_check_bins_package_id: '',
      check_search_path: base.check_search_path,
      check_config_contents: 'from validation',
      template_filenames:
        '[\n  "dcos-config.yaml",\n  "cloud-config.yaml",\n  "dcos-metadata.yaml",\n  "dcos-services.yaml"\n]',
      config_package_names: '[\n  "dcos-config",\n  "dcos-metadata"\n]',
    });
    expect(plain.dcos_image_commit).toMatch(/^dcos-genconf-\d+\.\d+\.\d+/);
    const bins = { dir: '/x', hash: 'abc', packageId: 'custom-check-bins--abc', files: [] };
    // Validation already put the package on the search path and computed the checks config from it, once.
    const searchPath = '/opt/mesosphere/bin:/usr/bin:/bin:/sbin:/opt/mesosphere/packages/custom-check-bins--abc';
    const contents = calculateCheckConfigContents(checkConfig, '{}', searchPath, '/opt/mesosphere/lib');
    const validated = { ...base, check_search_path: searchPath, check_config_contents: contents };
    const withBins = bundleArguments(validated, artifacts, bins);
    expect(withBins).toMatchObject({
      package_ids: '["dcos-net--abc_1", "mesos--1.5.0", "custom-check-bins--abc"]',
      custom_check_bins_provided: 'true',
      custom_check_bins_hash: 'abc',
      custom_check_bins_package_id: 'custom-check-bins--abc',
      check_search_path: searchPath,
      check_config_contents: contents,
    });
  });
});

describe('buildBundle under a strict umask', () => {
  it('still makes every served directory 0755 and file 0644/0755', async () => {
    const { opts } = await setup();
    const old = process.umask(0o077);
    try {
      const r = await buildBundle(opts);
      const modes: string[] = [];
      const walk = async (rel: string): Promise<void> => {
        const st = await stat(path.join(r.serveDir, rel));
        modes.push(`${(st.mode & 0o777).toString(8)} ${rel}`);
        if (st.isDirectory())
          for (const n of await readdir(path.join(r.serveDir, rel))) await walk(rel === '.' ? n : `${rel}/${n}`);
      };
      await walk('.');
      for (const m of modes)
        expect(m).toMatch(/^(755 (\.|bootstrap|packages(\/[^/]+)?|package_lists|dcos_install\.sh)|644 .*)$/);
    } finally {
      process.umask(old);
    }
  });
});

describe('relativizeProjectPaths', () => {
  it('stores the runner SSH key path relative to the project dir, and leaves node paths alone', async () => {
    const { relativizeProjectPaths } = await import('../../src/bundle/build.js');
    const args = {
      ssh_key_path: '/var/proj/genconf/ssh_key',
      mesos_agent_work_dir: '/var/proj/x',
      other: '/var/proj/genconf/ssh_key',
    };
    expect(relativizeProjectPaths(args, '/var/proj')).toEqual({ ...args, ssh_key_path: 'genconf/ssh_key' });
    expect(relativizeProjectPaths({ ssh_key_path: '/home/me/.ssh/id' }, '/var/proj')).toEqual({
      ssh_key_path: '/home/me/.ssh/id',
    });
    expect(relativizeProjectPaths({ ssh_key_path: 'genconf/ssh_key' }, '/var/proj')).toEqual({
      ssh_key_path: 'genconf/ssh_key',
    });
  });
});
