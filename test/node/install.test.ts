/**
 * The install path of dcos_install.sh, run as root in the mount-namespace sandbox against the example artifacts (and a
 * stand-in config package) served at file:///opt/dcos_install_tmp, as the SSH deploy copies them, or over HTTP.
 * The stub systemctl runs the units the script writes, so the bootstrap is really downloaded and unpacked, and the
 * stand-in pkgpanda really fetches and activates every package.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Sandbox, withSandbox } from '../support/sandbox.js';
import { buildTestBundle, writeUpgradeScript, type TestBundle } from './bundle-fixture.js';
import { needSandbox } from './tools.js';

const SCRIPT = '/opt/dcos_install_tmp/dcos_install.sh';
const OPT = '/opt/mesosphere';

let work: string;
let bundle: TestBundle;

/** Paths the install writes on a node: on this machine they must look the same before and after the tests. */
const HOST_PATHS = [
  '/opt/mesosphere',
  '/etc/systemd/system/dcos-setup.service',
  '/etc/profile.d/dcos.sh',
  '/etc/mesosphere/roles',
  '/etc/rexray/config.yml',
];
const hostState = (): string[] => HOST_PATHS.filter((p) => fs.existsSync(p));
const before = hostState();
afterAll(() => {
  // The sandbox's promise: nothing of the installs reached the real machine.
  expect(hostState()).toEqual(before);
});

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'install-'));
  bundle = await buildTestBundle(path.join(work, 'serve'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function node<T>(
  fn: (sb: Sandbox) => Promise<T> | T,
  serveDir = bundle.serveDir,
  at = '/opt/dcos_install_tmp',
): Promise<T> {
  return withSandbox(fn, (sb) => fs.cpSync(serveDir, sb.hostPath(at), { recursive: true }));
}

/** Exists in the sandbox (a symlink into /opt/mesosphere counts: its target is only valid inside the sandbox). */
function present(sb: Sandbox, p: string): boolean {
  try {
    fs.lstatSync(sb.hostPath(p));
    return true;
  } catch {
    return false;
  }
}

function read(sb: Sandbox, p: string): string {
  return fs.readFileSync(sb.hostPath(p), 'utf8');
}

function diagnostics(
  sb: Sandbox,
  which: 'node-poststart' | 'cluster',
): { status: number; json: { status: number; checks: Record<string, { status: number; output: string }> } } {
  const r = sb.run([`${OPT}/bin/dcos-shell`, `${OPT}/bin/dcos-diagnostics`, 'check', which]);
  return { status: r.status, json: JSON.parse(r.stdout) as never };
}

/** The whole node after an install: activated packages, role dirs, setup flags, units, stub calls. */
function expectInstalled(sb: Sandbox, roles: string[]): void {
  const active = fs.readdirSync(sb.hostPath(`${OPT}/active`)).sort();
  expect(active).toEqual(bundle.packageIds.map((id) => id.split('--')[0]).sort());
  for (const id of bundle.packageIds) {
    const name = id.split('--')[0] as string;
    expect(fs.readlinkSync(sb.hostPath(`${OPT}/active/${name}`))).toBe(`${OPT}/packages/${id}`);
  }
  for (const bin of ['pkgpanda', 'dcos-shell', 'dcos-diagnostics', 'add_dcos_path.sh', 'detect_ip']) {
    expect(present(sb, `${OPT}/bin/${bin}`), bin).toBe(true);
  }
  // etc_<role> only for this node's roles.
  expect(present(sb, `${OPT}/etc/master_count`)).toBe(roles.includes('master'));
  expect(present(sb, `${OPT}/etc/slave-only.conf`)).toBe(roles.includes('slave'));
  expect(present(sb, `${OPT}/etc/public-only.conf`)).toBe(roles.includes('slave_public'));
  expect(fs.readdirSync(sb.hostPath('/etc/mesosphere/roles')).sort()).toEqual([...roles].sort());

  expect(read(sb, '/etc/mesosphere/setup-flags/repository-url')).toBe('file:///opt/dcos_install_tmp\n');
  expect(read(sb, '/etc/mesosphere/setup-flags/cluster-package-list')).toBe(`${bundle.args.cluster_package_list_id}\n`);
  expect(read(sb, '/etc/systemd/journald.conf.d/dcos.conf')).toBe(
    '[Journal]\nMaxLevelConsole=warning\nRateLimitInterval=1s\nRateLimitBurst=20000\n',
  );
  expect(read(sb, '/etc/rexray/config.yml')).toBe(
    'rexray:\n  loglevel: info\n  modules:\n    default-docker:\n      disabled: true\n  service: vfs\n',
  );
  expect(fs.existsSync(sb.hostPath('/etc/mesosphere/docker_credentials'))).toBe(false);

  const download = read(sb, '/etc/systemd/system/dcos-download.service');
  expect(download).toContain('ConditionPathExists=!/opt/mesosphere/active/');
  // The unit copies the tarball into root's own directory (never /tmp), checks its SHA-256, and unpacks that copy.
  expect(download).toContain(
    `-o /var/lib/dcos/dcos-download/bootstrap.tar.xz file:///opt/dcos_install_tmp/bootstrap/${bundle.args.bootstrap_id}.bootstrap.tar.xz\n`,
  );
  expect(download).toContain(
    'ExecStartPre=/usr/bin/sha256sum --check --strict /var/lib/dcos/dcos-download/bootstrap.tar.xz.sha256\n',
  );
  expect(download).toContain(
    'ExecStart=/usr/bin/tar -axf /var/lib/dcos/dcos-download/bootstrap.tar.xz -C /opt/mesosphere\n',
  );
  expect(download).not.toContain('/tmp/');
  expect(fs.statSync(sb.hostPath('/var/lib/dcos/dcos-download')).mode & 0o777).toBe(0o700);
  expect(read(sb, '/etc/systemd/system/dcos-setup.service')).toContain(
    'ExecStart=/opt/mesosphere/bin/pkgpanda setup --no-block-systemd\n',
  );
  expect(read(sb, '/etc/systemd/system/dcos-link-env.service')).toContain(
    'ExecStart=/usr/bin/ln -sf /opt/mesosphere/bin/add_dcos_path.sh /etc/profile.d/dcos.sh\n',
  );
  expect(fs.readlinkSync(sb.hostPath('/etc/profile.d/dcos.sh'))).toBe('/opt/mesosphere/bin/add_dcos_path.sh');
  // The bootstrap tarball was removed after unpacking.
  expect(fs.existsSync(sb.hostPath('/var/lib/dcos/dcos-download/bootstrap.tar.xz'))).toBe(false);

  // The systemctl calls of the original, in its order (daemon-reload added first).
  const calls = read(sb, '/etc/systemd/.stub-calls').trim().split('\n');
  expect(calls.slice(0, 6)).toEqual([
    'daemon-reload',
    'restart systemd-journald',
    'restart docker',
    'start dcos-link-env',
    'enable dcos-setup',
    'start dcos-setup',
  ]);
  // pkgpanda setup started dcos.target, which started this role's example unit.
  expect(calls).toContain('start --no-block dcos.target');
  for (const role of roles)
    expect(fs.existsSync(sb.hostPath(`/var/lib/dcos/dcos-example-${role}.ready`)), role).toBe(true);
}

// Generous: a loaded CI machine runs xz, curl and a few hundred processes per install.
describe('dcos_install.sh install path in a sandbox', { timeout: 240_000 }, () => {
  test('master then slave: activated, units written, node-poststart and cluster checks pass', async (ctx) => {
    needSandbox(ctx);
    for (const role of ['master', 'slave']) {
      await node((sb) => {
        const r = sb.run(['bash', SCRIPT, '--disable-preflight', role]);
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(r.stdout).toContain(`All ${bundle.manifest.files.length} artifacts match the bundle manifest`);
        expect(r.stdout).not.toContain('Running preflight checks');
        expectInstalled(sb, [role]);
        const poststart = diagnostics(sb, 'node-poststart');
        expect(poststart.status, JSON.stringify(poststart.json)).toBe(0);
        expect(poststart.json.status).toBe(0);
        expect(Object.keys(poststart.json.checks)).toEqual([
          'components',
          'curl',
          'ip_detect_script',
          'node_role',
          'packages_active',
          'tar',
          'xz',
        ]);
        const cluster = diagnostics(sb, 'cluster');
        expect(cluster.status).toBe(0);
        expect(Object.keys(cluster.json.checks)).toEqual(
          role === 'master' ? ['ip_in_master_list', 'packages_active'] : ['packages_active'],
        );
        // The example binaries run through dcos-shell with the activated environment.
        const v = sb.run([`${OPT}/bin/dcos-shell`, 'sh', '-c', 'example-tools-version; echo "$EXAMPLE_TOOLS_CONF"']);
        expect(v.stdout).toBe('example-tools 0.1.0\n/opt/mesosphere/etc/example-tools.conf\n');
      });
    }
  });

  test('with preflight on: a failing preflight installs nothing; a second install of the node is refused', async (ctx) => {
    needSandbox(ctx);
    await node((sb) => {
      sb.sh('systemctl stop docker');
      const r = sb.run(['bash', SCRIPT, 'slave']);
      expect(r.stdout).toContain('Running preflight checks');
      expect(r.stdout).toContain('Preflight checks failed. Exiting installation. Please consult product documentation');
      expect(r.status).toBeGreaterThanOrEqual(3);
      expect(fs.readdirSync(sb.hostPath('/etc/mesosphere'))).toEqual([]);
      expect(fs.readdirSync(sb.hostPath('/opt'))).toEqual(['dcos_install_tmp']);

      expect(sb.run(['bash', SCRIPT, '-d', 'slave']).status).toBe(0);
      const again = sb.run(['bash', SCRIPT, '--preflight-only', 'slave']);
      expect(again.stdout).toContain('Checking if DC/OS is already installed: FAIL (Currently installed)');
    });
  });

  test('--ignore-check: the install reports the named failed checks IGNORED and goes on; another FAIL still stops it', async (ctx) => {
    needSandbox(ctx);
    await node((sb) => {
      sb.sh('systemctl stop docker');
      // Not every failing check named: the storage driver check still fails the install, and nothing is written.
      const partly = sb.run(['bash', SCRIPT, '--ignore-check', 'docker-running,docker-version', 'slave']);
      expect(partly.stdout).toContain('Checking if Docker is running: IGNORED (FAIL; --ignore-check docker-running)');
      expect(partly.stdout).toContain('Preflight checks failed. Exiting installation.');
      expect(partly.status).toBe(1);
      expect(fs.readdirSync(sb.hostPath('/etc/mesosphere'))).toEqual([]);

      const r = sb.run([
        'bash',
        SCRIPT,
        '--ignore-check',
        'docker-running,docker-version',
        '--ignore-check',
        'docker-storage-driver',
        'slave',
      ]);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('Running preflight checks');
      for (const line of [
        'Checking if Docker is running: IGNORED (FAIL; --ignore-check docker-running)',
        'Checking docker version requirement (>= 1.6): IGNORED (FAIL: Docker is not running; --ignore-check docker-version)',
        'Checking Docker is configured with a production storage driver: IGNORED (FAIL: Docker is not running; --ignore-check docker-storage-driver)',
        '  IGNORED: Checking if Docker is running',
      ])
        expect(r.stdout.split('\n')).toContain(line);
      expect(r.stdout).toMatch(/^Preflight summary: 0 FAIL, \d+ WARN, 3 IGNORED$/m);
      expect(r.stdout).not.toContain('Preflight checks failed');
      // Installed (the preflight's own systemctl calls make the full expectInstalled call list differ).
      expect(fs.readdirSync(sb.hostPath('/etc/mesosphere/roles'))).toEqual(['slave']);
      expect(fs.readdirSync(sb.hostPath(`${OPT}/active`)).sort()).toEqual(
        bundle.packageIds.map((id) => id.split('--')[0]).sort(),
      );
      expect(fs.existsSync(sb.hostPath('/var/lib/dcos/dcos-example-slave.ready'))).toBe(true);
    });
  });

  test('several roles in one call, and --no-block-dcos-setup', async (ctx) => {
    needSandbox(ctx);
    await node((sb) => {
      const r = sb.run(['bash', SCRIPT, '-d', '--no-block-dcos-setup', 'slave', 'slave_public']);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(fs.readdirSync(sb.hostPath('/etc/mesosphere/roles')).sort()).toEqual(['slave', 'slave_public']);
      expect(present(sb, `${OPT}/etc/slave-only.conf`)).toBe(true);
      expect(present(sb, `${OPT}/etc/public-only.conf`)).toBe(true);
      expect(read(sb, '/etc/systemd/.stub-calls')).toContain('start --no-block dcos-setup\n');
    });
  });

  test('a percent-encoded file:// bootstrap_url works through the unit, the verification and pkgpanda', async (ctx) => {
    needSandbox(ctx);
    const encoded = await buildTestBundle(path.join(work, 'serve-encoded'), {
      bootstrapUrl: 'file:///opt/dcos%20bundle',
    });
    await node(
      (sb) => {
        const r = sb.run(['bash', '/opt/dcos bundle/dcos_install.sh', '-d', 'slave']);
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(read(sb, '/etc/systemd/system/dcos-download.service')).toContain(
          'file:///opt/dcos%%20bundle/bootstrap/',
        );
        expect(fs.readdirSync(sb.hostPath(`${OPT}/active`)).length).toBe(encoded.packageIds.length);
      },
      encoded.serveDir,
      '/opt/dcos bundle',
    );
  });

  test('docker credentials are written 0600 when the config asks for it', async (ctx) => {
    needSandbox(ctx);
    const creds = '{"auths": {"registry.example.com": {"auth": "dXNlcjpwYXNz"}}}';
    const serve = path.join(work, 'serve-creds');
    fs.cpSync(bundle.serveDir, serve, { recursive: true });
    const { renderInstallScript } = await import('../../src/bundle/install-script.js');
    fs.writeFileSync(
      path.join(serve, 'dcos_install.sh'),
      renderInstallScript(
        { ...bundle.args, cluster_docker_credentials: creds, cluster_docker_credentials_write_to_etc: 'true' },
        bundle.manifest,
      ),
    );
    await node((sb) => {
      expect(sb.run(['bash', SCRIPT, '-d', 'slave']).status).toBe(0);
      const f = sb.hostPath('/etc/mesosphere/docker_credentials');
      expect(fs.readFileSync(f, 'utf8')).toBe(`${creds}\n`);
      expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    }, serve);
  });

  test('a corrupted or missing artifact is refused before anything is installed', async (ctx) => {
    needSandbox(ctx);
    const pkg = bundle.manifest.files.find((f) => f.path.startsWith('packages/example-tools/'))?.path as string;
    for (const damage of ['corrupt', 'missing'] as const) {
      await node((sb) => {
        const file = sb.hostPath(`/opt/dcos_install_tmp/${pkg}`);
        if (damage === 'corrupt') {
          const bytes = fs.readFileSync(file);
          const mid = bytes.length >> 1;
          bytes[mid] = (bytes[mid] as number) ^ 0xff;
          fs.writeFileSync(file, bytes);
        } else {
          fs.rmSync(file);
        }
        const r = sb.run(['bash', SCRIPT, '-d', 'master']);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain(`ERROR: artifact ${pkg} `);
        expect(r.stderr).toContain('Refusing to install DC/OS: 1 of');
        expect(fs.readdirSync(sb.hostPath('/etc/mesosphere'))).toEqual([]);
        expect(fs.readdirSync(sb.hostPath('/etc/systemd/system'))).toEqual([]);
        expect(fs.existsSync(sb.hostPath(OPT))).toBe(false);
      });
    }
  });

  test('over HTTP: artifacts are downloaded and verified, then installed; a corrupted one is refused', async (ctx) => {
    needSandbox(ctx);
    needCurl();
    const served = path.join(work, 'http-serve');
    fs.cpSync(bundle.serveDir, served, { recursive: true });
    const server = http.createServer((req, res) => {
      const rel = decodeURIComponent((req.url ?? '/').split('?')[0] as string);
      const file = path.join(served, path.normalize(rel));
      if (!file.startsWith(served + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200).end(fs.readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const httpBundle = await buildTestBundle(path.join(work, 'serve-http'), { bootstrapUrl: url });
      fs.rmSync(served, { recursive: true });
      fs.cpSync(httpBundle.serveDir, served, { recursive: true });
      await node(async (sb) => {
        const r = await sb.runAsync(['bash', SCRIPT, '-d', 'slave']);
        expect(r.status, r.stdout + r.stderr).toBe(0);
        // Downloaded once into root's own repository; the node installs from there, never from the URL again.
        expect(read(sb, '/etc/mesosphere/setup-flags/repository-url')).toBe('file:///var/lib/dcos/genconf-repo\n');
        expect(fs.readdirSync(sb.hostPath(`${OPT}/active`)).length).toBe(httpBundle.packageIds.length);
        // The verification downloads went to a temporary directory that is gone.
        expect(fs.readdirSync(sb.hostPath('/tmp')).filter((f) => f.startsWith('dcos-install.'))).toEqual([]);
      }, httpBundle.serveDir);
      const list = httpBundle.manifest.files.find((f) => f.path.startsWith('package_lists/'))?.path as string;
      fs.appendFileSync(path.join(served, list), ' ');
      await node(async (sb) => {
        const r = await sb.runAsync(['bash', SCRIPT, '-d', 'slave']);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain(`ERROR: artifact ${list} from ${url}/${list} does not match the bundle manifest`);
        expect(fs.existsSync(sb.hostPath(OPT))).toBe(false);
      }, httpBundle.serveDir);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  test('pkgpanda uninstall removes /opt/mesosphere and dcos.target', async (ctx) => {
    needSandbox(ctx);
    await node((sb) => {
      expect(sb.run(['bash', SCRIPT, '-d', 'master']).status).toBe(0);
      const r = sb.run([`${OPT}/bin/pkgpanda`, 'uninstall']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe('Uninstalling DC/OS\n');
      expect(fs.existsSync(sb.hostPath(OPT))).toBe(false);
      expect(fs.existsSync(sb.hostPath('/etc/systemd/system/dcos.target'))).toBe(false);
    });
  });
});

describe('dcos_node_upgrade.sh in a sandbox', { timeout: 240_000 }, () => {
  test('upgrades an installed node to the new package set; refuses a node of another version', async (ctx) => {
    needSandbox(ctx);
    // The new bundle: another config package and DC/OS version, served from a second directory.
    const next = await buildTestBundle(path.join(work, 'serve-next'), {
      bootstrapUrl: 'file:///opt/dcos_install_next',
      configVersion: 'test2',
    });
    const upgradeArgs = { ...next.args, dcos_version: '1.11.15-dev' };
    const wrongFrom = writeUpgradeScript({ ...next, args: upgradeArgs }, '1.11.0');
    fs.renameSync(wrongFrom, path.join(next.serveDir, 'upgrade', 'wrong-from.sh'));
    writeUpgradeScript({ ...next, args: upgradeArgs }, '1.11.14-dev');
    await node((sb) => {
      fs.cpSync(next.serveDir, sb.hostPath('/opt/dcos_install_next'), { recursive: true });
      expect(sb.run(['bash', SCRIPT, '-d', 'master']).status).toBe(0);
      // The stand-in config package carries no dcos-version.json: give the node its version as dcos-metadata would.
      fs.writeFileSync(sb.hostPath(`${OPT}/etc/dcos-version.json`), '{\n  "version": "1.11.14-dev"\n}\n');

      const wrong = sb.run(['bash', '/opt/dcos_install_next/upgrade/wrong-from.sh']);
      expect(wrong.status).toBe(1);
      expect(wrong.stderr).toContain(
        'ERROR: Expecting to upgrade DC/OS from 1.11.0 to 1.11.15-dev. Version found on node: 1.11.14-dev',
      );

      const r = sb.run(['bash', '/opt/dcos_install_next/upgrade/dcos_node_upgrade.sh']);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('Upgrading DC/OS master node from 1.11.14-dev to 1.11.15-dev');
      expect(r.stdout).toContain('Upgrade to 1.11.15-dev complete');
      expect(fs.readlinkSync(sb.hostPath(`${OPT}/active/dcos-config`))).toBe(
        `${OPT}/packages/dcos-config--setup_test2`,
      );
      expect(read(sb, '/etc/mesosphere/setup-flags/cluster-package-list')).toBe(
        `${next.args.cluster_package_list_id}\n`,
      );
      expect(diagnostics(sb, 'node-poststart').status).toBe(0);
    });
  });
});

function needCurl(): void {
  if (spawnSync('sh', ['-c', 'command -v curl']).status !== 0)
    throw new Error('curl is required (dcos-download runs it)');
}
