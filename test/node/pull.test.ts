/**
 * dcos_install.sh pulling the bundle over HTTP from real nginx (the configuration `genconf --serve` generates), run as
 * root in the mount-namespace sandbox: downloaded once and checked, a tampered file refused and named, a cut download
 * resumed with a Range request (nginx's log shows the 206), a dead base URL falling back to a mirror, a 404 named,
 * the proxy used for the downloads and written where each role reads it, and the dcos-download unit refusing a
 * bootstrap tarball that changed after the install's check.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test, type TestContext } from 'vitest';
import { renderInstallScript } from '../../src/bundle/install-script.js';
import { type Sandbox, withSandbox } from '../support/sandbox.js';
import { freePort, nginxUnavailable, startNginx, type TestNginx } from '../support/nginx.js';
import { buildTestBundle, type TestBundle } from './bundle-fixture.js';
import { IN_CI, needSandbox } from './tools.js';

const REPO = '/var/lib/dcos/genconf-repo';
const TEMPLATES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../templates');
const UNINSTALL = path.join(TEMPLATES, 'remote', 'uninstall.sh');
const OPT = '/opt/mesosphere';
// Short backoff: the tests' failures are immediate (refused connections), the behaviour is the same.
const FAST = { DCOS_INSTALL_DOWNLOAD_BACKOFF: '0', DCOS_INSTALL_DOWNLOAD_TRIES: '3' };

let work: string;
let served: string;
let nginx: TestNginx | undefined;
let bundle: TestBundle;

function needNginx(ctx: TestContext): void {
  const why = nginxUnavailable();
  if (!why) return;
  if (!IN_CI) ctx.skip(why);
  throw new Error(`under CI=true: ${why}`);
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pull-'));
  served = path.join(work, 'served');
  fs.mkdirSync(served);
  if (!nginxUnavailable()) nginx = await startNginx(served, '127.0.0.2');
  // Rendered for nginx's URL; copied into `served` by each test (and damaged there when the test wants it).
  bundle = await buildTestBundle(path.join(work, 'bundle'), { bootstrapUrl: nginx?.url ?? 'http://127.0.0.2:1' });
}, 120_000);
afterAll(async () => {
  await nginx?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** Serve a fresh copy of the bundle (with `script` as its dcos_install.sh when given). */
function serveBundle(script?: string): void {
  fs.rmSync(served, { recursive: true, force: true });
  fs.cpSync(bundle.serveDir, served, { recursive: true });
  if (script !== undefined) fs.writeFileSync(path.join(served, 'dcos_install.sh'), script, { mode: 0o755 });
}

/** Runs dcos_install.sh (fetched from nginx, as an operator would with curl) in a fresh sandbox. */
async function install(
  role: string,
  fn: (sb: Sandbox, r: { status: number; stdout: string; stderr: string }) => void | Promise<void>,
): Promise<void> {
  const script = path.join(work, 'dcos_install.sh');
  const got = spawnSync('curl', ['-fsS', '-o', script, `${nginx!.url}/dcos_install.sh`], { encoding: 'utf8' });
  expect(got.status, got.stderr).toBe(0);
  await withSandbox(async (sb) => {
    fs.copyFileSync(script, sb.hostPath('/tmp/dcos_install.sh'));
    const r = await sb.runAsync(['bash', '/tmp/dcos_install.sh', '-d', role], { env: FAST, timeoutMs: 180_000 });
    await fn(sb, r);
  });
}

const artifactPaths = (): string[] => bundle.manifest.files.map((f) => f.path);
const requestsFor = (rel: string) => nginx!.accessLog().filter((e) => e.path === `/${rel}`);

describe('dcos_install.sh pulling from nginx', { timeout: 480_000 }, () => {
  test('each artifact is downloaded once into root-only storage, checked, and exactly that copy is installed', async (ctx) => {
    needSandbox(ctx);
    needNginx(ctx);
    serveBundle();
    const before = nginx!.accessLog().length;
    await install('slave', (sb, r) => {
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(
        `All ${bundle.manifest.files.length} artifacts match the bundle manifest (${bundle.manifest.files.length} downloaded, 0 already here)`,
      );
      expect(fs.readdirSync(sb.hostPath(`${OPT}/active`)).length).toBe(bundle.packageIds.length);
      expect(fs.statSync(sb.hostPath(REPO)).mode & 0o777).toBe(0o700);
      expect(fs.statSync(sb.hostPath(REPO)).uid).toBe(0);
      expect(fs.readFileSync(sb.hostPath('/etc/mesosphere/setup-flags/repository-url'), 'utf8')).toBe(
        `file://${REPO}\n`,
      );
      for (const f of bundle.manifest.files)
        expect(fs.statSync(sb.hostPath(`${REPO}/${f.path}`)).size, f.path).toBe(f.size);
      // Nothing of the download went through /tmp.
      expect(fs.readdirSync(sb.hostPath('/tmp')).filter((f) => f.includes('bootstrap'))).toEqual([]);
    });
    // Once each: neither the dcos-download unit nor pkgpanda went back to the server.
    const log = nginx!.accessLog().slice(before);
    for (const rel of artifactPaths())
      expect(
        log.filter((e) => e.path === `/${rel}`).map((e) => e.status),
        rel,
      ).toEqual([200]);
    expect(log.filter((e) => e.path !== '/dcos_install.sh').length).toBe(artifactPaths().length);
  });

  test('a tampered artifact is refused and named; nothing is installed', async (ctx) => {
    needSandbox(ctx);
    needNginx(ctx);
    serveBundle();
    const pkg = artifactPaths().find((p) => p.startsWith('packages/example-tools/')) as string;
    const file = path.join(served, pkg);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 0x55;
    fs.writeFileSync(file, bytes);
    await install('master', (sb, r) => {
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`ERROR: artifact ${pkg} from ${nginx!.url}/${pkg} does not match the bundle manifest`);
      expect(r.stderr).toContain(`${nginx!.url}/${pkg}: SHA-256 mismatch`);
      expect(r.stderr).toContain('Refusing to install DC/OS: 1 of');
      expect(fs.existsSync(sb.hostPath(OPT))).toBe(false);
      expect(fs.readdirSync(sb.hostPath('/etc/mesosphere'))).toEqual([]);
      // The refused file is not kept.
      expect(fs.existsSync(sb.hostPath(`${REPO}/${pkg}`))).toBe(false);
      expect(fs.existsSync(sb.hostPath(`${REPO}/${pkg}.part`))).toBe(false);
    });
  });

  test('a download cut halfway resumes with a Range request (nginx logs the 206)', async (ctx) => {
    needSandbox(ctx);
    needNginx(ctx);
    serveBundle();
    const tarball = artifactPaths().find((p) => p.endsWith('.bootstrap.tar.xz')) as string;
    const size = fs.statSync(path.join(served, tarball)).size;
    // A relay in front of nginx that cuts the first answer for the tarball after half its bytes. The request may come
    // anywhere on a kept-alive connection (the node fetches most files in one batch): curl sends it only after the
    // previous answer is complete, so every byte from nginx after it belongs to the tarball's answer.
    let cut = false;
    const relay = net.createServer((client) => {
      const upstream = net.connect(nginx!.port, '127.0.0.2');
      let watch = false;
      let sent = 0;
      client.on('data', (chunk: Buffer) => {
        if (!cut && chunk.toString('latin1').includes(`GET /${tarball} `)) watch = cut = true;
        upstream.write(chunk);
      });
      client.on('end', () => upstream.end());
      upstream.on('data', (chunk: Buffer) => {
        if (!watch) {
          client.write(chunk);
          return;
        }
        const room = (size >> 1) + 300 - sent; // headers are ~250 bytes: about half the body gets through
        if (room > 0) client.write(chunk.subarray(0, room));
        sent += chunk.length;
        if (sent >= (size >> 1) + 300) {
          client.destroy();
          upstream.destroy();
        }
      });
      upstream.on('end', () => client.end());
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    const port = await freePort('127.0.0.3');
    await new Promise<void>((r) => relay.listen(port, '127.0.0.3', r));
    try {
      const viaRelay = { ...bundle.args, bootstrap_url: `http://127.0.0.3:${port}` };
      serveBundle(renderInstallScript(viaRelay, bundle.manifest));
      const before = nginx!.accessLog().length;
      await install('slave', (_sb, r) => {
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(r.stderr).toMatch(
          new RegExp(
            `Download of http://127\\.0\\.0\\.3:${port}/${tarball.replace(/\./g, '\\.')} stopped at \\d+ of ${size} bytes; resuming it`,
          ),
        );
      });
      expect(cut).toBe(true);
      const got = nginx!
        .accessLog()
        .slice(before)
        .filter((e) => e.path === `/${tarball}`);
      expect(got.map((e) => e.status)).toEqual([200, 206]);
      const range = /^bytes=(\d+)-$/.exec(got[1]!.range);
      expect(range, got[1]!.range).not.toBeNull();
      const from = Number(range![1]);
      expect(from).toBeGreaterThan(0);
      expect(from).toBeLessThan(size);
      expect(got[1]!.bytes).toBe(size - from);
    } finally {
      await new Promise((r) => relay.close(r));
    }
  });

  test('a dead bootstrap_url falls back to the next mirror; a 404 everywhere is named with its URLs', async (ctx) => {
    needSandbox(ctx);
    needNginx(ctx);
    const dead = `http://127.0.0.2:${await freePort('127.0.0.2')}`;
    const withMirror = { ...bundle.args, bootstrap_url: dead, bootstrap_url_mirrors: JSON.stringify([nginx!.url]) };
    serveBundle(renderInstallScript(withMirror, bundle.manifest));
    await install('slave', (sb, r) => {
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`(mirrors: ${nginx!.url})`);
      expect(r.stderr).toContain(`Download of ${dead}/`);
      expect(r.stderr).toContain('no HTTP answer (curl exit 7');
      expect(fs.readdirSync(sb.hostPath(`${OPT}/active`)).length).toBe(bundle.packageIds.length);
    });

    const list = artifactPaths().find((p) => p.startsWith('package_lists/')) as string;
    fs.rmSync(path.join(served, list));
    await install('slave', (sb, r) => {
      expect(r.status).toBe(1);
      // The dead base URL was tried (3 attempts) for the first artifact only, then skipped.
      expect(r.stderr.match(new RegExp(`Download of ${dead.replace(/\./g, '\\.')}/`, 'g'))).toHaveLength(2);
      expect(r.stderr).toContain(
        `ERROR: could not download ${list} from any base URL:\n  ${dead}/${list}: skipped (${dead} gave no HTTP answer earlier in this run)\n  ${nginx!.url}/${list}: HTTP 404\n`,
      );
      expect(r.stderr).toContain('Refusing to install DC/OS: 1 of');
      expect(fs.existsSync(sb.hostPath(OPT))).toBe(false);
    });
    expect(requestsFor(list).at(-1)?.status).toBe(404);
  });

  test('the proxy carries the downloads and is written where each role reads it', async (ctx) => {
    needSandbox(ctx);
    needNginx(ctx);
    // A small forwarding proxy: absolute-URI GETs are forwarded to the origin and recorded.
    const seen: string[] = [];
    const proxy = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      const target = new URL(req.url ?? '');
      const headers = { ...req.headers };
      delete headers['proxy-connection'];
      const up = http.request(
        { host: target.hostname, port: target.port, path: target.pathname, method: req.method, headers },
        (ur) => {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          ur.pipe(res);
        },
      );
      up.on('error', () => res.writeHead(502).end());
      req.pipe(up);
    });
    const proxyPort = await freePort();
    await new Promise<void>((r) => proxy.listen(proxyPort, '127.0.0.1', r));
    try {
      const proxyUrl = `http://127.0.0.1:${proxyPort}`;
      const noProxy = '.mesos,.thisdcos.directory,.dcos.directory,.zk,127.0.0.1,localhost';
      const proxied = {
        ...bundle.args,
        use_proxy: 'true',
        http_proxy: proxyUrl,
        https_proxy: proxyUrl,
        no_proxy_final: noProxy,
      };
      serveBundle(renderInstallScript(proxied, bundle.manifest));
      const env = [
        `http_proxy=${proxyUrl}`,
        `https_proxy=${proxyUrl}`,
        `no_proxy=${noProxy}`,
        `HTTP_PROXY=${proxyUrl}`,
        `HTTPS_PROXY=${proxyUrl}`,
        `NO_PROXY=${noProxy}`,
      ];
      const dropIn = `# Written by dcos_install.sh (use_proxy: true); genconf --uninstall removes it.\n[Service]\nEnvironment="HTTP_PROXY=${proxyUrl}" "HTTPS_PROXY=${proxyUrl}" "NO_PROXY=${noProxy}"\n`;
      await install('master', (sb, r) => {
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(fs.readFileSync(sb.hostPath('/var/lib/dcos/environment.proxy'), 'utf8')).toBe(`${env.join('\n')}\n`);
        expect(fs.statSync(sb.hostPath('/var/lib/dcos/environment.proxy')).mode & 0o777).toBe(0o600);
        expect(fs.existsSync(sb.hostPath('/var/lib/dcos/mesos-slave-common'))).toBe(false);
        expect(fs.readFileSync(sb.hostPath('/etc/systemd/system/docker.service.d/http-proxy.conf'), 'utf8')).toBe(
          dropIn,
        );
        // daemon-reload, then the docker restart that picks the drop-in up.
        expect(fs.readFileSync(sb.hostPath('/etc/systemd/.stub-calls'), 'utf8')).toMatch(
          /^daemon-reload\nrestart systemd-journald\nrestart docker\n/,
        );
        // genconf --uninstall's script removes the drop-in this install wrote, and tells systemd.
        fs.rmSync(sb.hostPath('/etc/systemd/.stub-calls'));
        const un = sb.run(['bash', '-s'], { input: fs.readFileSync(UNINSTALL, 'utf8') });
        expect(un.status, un.stdout + un.stderr).toBe(0);
        expect(un.stdout).toContain('REMOVED /etc/systemd/system/docker.service.d/http-proxy.conf\n');
        expect(fs.existsSync(sb.hostPath('/etc/systemd/system/docker.service.d'))).toBe(false);
        expect(fs.readFileSync(sb.hostPath('/etc/systemd/.stub-calls'), 'utf8')).toContain('daemon-reload\n');
      });
      for (const rel of artifactPaths()) expect(seen, rel).toContain(`${nginx!.url}/${rel}`);

      seen.length = 0;
      for (const role of ['slave', 'slave_public']) {
        await install(role, (sb, r) => {
          expect(r.status, r.stdout + r.stderr).toBe(0);
          expect(fs.readFileSync(sb.hostPath('/var/lib/dcos/mesos-slave-common'), 'utf8')).toBe(`${env.join('\n')}\n`);
          expect(fs.statSync(sb.hostPath('/var/lib/dcos/mesos-slave-common')).mode & 0o777).toBe(0o600);
          expect(fs.existsSync(sb.hostPath('/var/lib/dcos/environment.proxy'))).toBe(false);
          expect(fs.readFileSync(sb.hostPath('/etc/systemd/system/docker.service.d/http-proxy.conf'), 'utf8')).toBe(
            dropIn,
          );
        });
      }
      expect(seen.length).toBe(2 * artifactPaths().length);

      // use_proxy false: no proxy file anywhere, and the proxy sees nothing.
      seen.length = 0;
      serveBundle();
      await install('slave', (sb, r) => {
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(fs.existsSync(sb.hostPath('/var/lib/dcos/mesos-slave-common'))).toBe(false);
        expect(fs.existsSync(sb.hostPath('/etc/systemd/system/docker.service.d'))).toBe(false);
      });
      expect(seen).toEqual([]);
    } finally {
      await new Promise((r) => proxy.close(r));
    }
  });

  test('the dcos-download unit refuses a bootstrap tarball that changed after the install checked it', async (ctx) => {
    needSandbox(ctx);
    needNginx(ctx);
    serveBundle();
    const tarball = artifactPaths().find((p) => p.endsWith('.bootstrap.tar.xz')) as string;
    await install('slave', (sb, r) => {
      expect(r.status, r.stdout + r.stderr).toBe(0);
      // A swapped repository file (here: root's own; with file:// the SSH user's staging directory).
      sb.sh(`systemctl stop dcos-setup; rm -rf ${OPT}; printf 'evil' >> ${REPO}/${tarball}`);
      const again = sb.run(['systemctl', 'restart', 'dcos-download']);
      expect(again.status).not.toBe(0);
      expect(again.stdout + again.stderr).toContain('/var/lib/dcos/dcos-download/bootstrap.tar.xz: FAILED');
      expect(fs.existsSync(sb.hostPath(`${OPT}/bin`))).toBe(false);
      // The same unit with the checked file back in place unpacks it.
      fs.truncateSync(sb.hostPath(`${REPO}/${tarball}`), bundle.manifest.files.find((f) => f.path === tarball)!.size);
      const fixed = sb.run(['systemctl', 'restart', 'dcos-download']);
      expect(fixed.status, fixed.stdout + fixed.stderr).toBe(0);
      expect(fs.lstatSync(sb.hostPath(`${OPT}/bin/pkgpanda`)).isSymbolicLink()).toBe(true);
    });
  });

  test('a file planted at /tmp/bootstrap.tar.xz by a local user is never unpacked (file:// push)', async (ctx) => {
    needSandbox(ctx);
    const pushed = await buildTestBundle(path.join(work, 'pushed'));
    await withSandbox(
      (sb) => {
        // What a local user could have planted before root's download (the 1.11 unit used this very path).
        const evil = path.join(work, 'evil');
        fs.mkdirSync(path.join(evil, 'bin'), { recursive: true });
        fs.writeFileSync(path.join(evil, 'bin', 'planted'), 'x');
        spawnSync('tar', ['-cJf', sb.hostPath('/tmp/bootstrap.tar.xz'), '-C', evil, 'bin']);
        fs.chmodSync(sb.hostPath('/tmp/bootstrap.tar.xz'), 0o666);
        const r = sb.run(['bash', '/opt/dcos_install_tmp/dcos_install.sh', '-d', 'slave']);
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(fs.existsSync(sb.hostPath(`${OPT}/bin/planted`))).toBe(false);
        // (a link into the package tree, valid inside the sandbox only)
        expect(fs.lstatSync(sb.hostPath(`${OPT}/bin/pkgpanda`)).isSymbolicLink()).toBe(true);
      },
      (sb) => fs.cpSync(pushed.serveDir, sb.hostPath('/opt/dcos_install_tmp'), { recursive: true }),
    );
  });
});
