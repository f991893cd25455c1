/**
 * templates/remote/pull-install.sh, the one command `--deploy --pull` sends, run as root in the mount-namespace
 * sandbox against real nginx, with the stdin the orchestrator sends (lib/fetch-artifacts.sh, the script, then the
 * settings src/serve/pull.ts reads out of the bundle's dcos_install.sh). Its own download of dcos_install.sh is the
 * artifacts' download: bootstrap_url, then each mirror, through the configured proxy, with retries; a copy with the
 * wrong SHA-256 refused before anything runs; every URL tried named when all fail; no working directory left behind.
 * judgePull reads its frames.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test, type TestContext } from 'vitest';
import { renderInstallScript } from '../../src/bundle/install-script.js';
import type { ConfigValues } from '../../src/config/types.js';
import { pullSettings } from '../../src/serve/pull.js';
import { judgePull } from '../../src/stages/deploy.js';
import { packageFile } from '../../src/package-files.js';
import { type Sandbox, withSandbox } from '../support/sandbox.js';
import { freePort, nginxUnavailable, startNginx, type TestNginx } from '../support/nginx.js';
import { buildTestBundle, type TestBundle } from './bundle-fixture.js';
import { IN_CI, needSandbox } from './tools.js';

const OPT = '/opt/mesosphere';
const REPO = '/var/lib/dcos/genconf-repo';
const STAGING = '/opt/dcos_install_tmp';
const LIB = fs.readFileSync(packageFile('templates', 'lib', 'fetch-artifacts.sh'), 'utf8');
const SCRIPT = fs.readFileSync(packageFile('templates', 'remote', 'pull-install.sh'), 'utf8');
// Short backoff: the failures here are immediate (refused connections, 404s), the behaviour is the same.
const FAST = { DCOS_INSTALL_DOWNLOAD_BACKOFF: '0', DCOS_INSTALL_DOWNLOAD_TRIES: '2' };

let work: string;
let served: string;
let nginx: TestNginx | undefined;
let a: TestBundle;

function needNginx(ctx: TestContext): void {
  const why = nginxUnavailable();
  if (!why) return;
  if (!IN_CI) ctx.skip(why);
  throw new Error(`under CI=true: ${why}`);
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pull-command-'));
  served = path.join(work, 'served');
  fs.mkdirSync(served);
  if (!nginxUnavailable()) nginx = await startNginx(served, '127.0.0.6');
  a = await buildTestBundle(path.join(served, 'a'), { bootstrapUrl: `${nginx?.url ?? 'http://127.0.0.6:1'}/a` });
}, 120_000);
afterAll(async () => {
  await nginx?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** Serve bundle a under /<dir>/ with dcos_install.sh rendered for `args`; returns that script. */
function serveVariant(dir: string, args: ConfigValues): string {
  const root = path.join(served, dir);
  fs.rmSync(root, { recursive: true, force: true });
  fs.cpSync(a.serveDir, root, { recursive: true });
  const script = renderInstallScript(args, a.manifest);
  fs.writeFileSync(path.join(root, 'dcos_install.sh'), script, { mode: 0o755 });
  return script;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The command as --deploy --pull sends it: `bash -s -- STAGING ROLE BASE SHA SIZE`, lib + script + settings. */
function pull(sb: Sandbox, o: { base: string; script: string; sha?: string; role?: string }) {
  const input = LIB + SCRIPT + pullSettings(o.script, 'genconf/serve/dcos_install.sh');
  const sha = o.sha ?? sha256(o.script);
  const size = String(Buffer.byteLength(o.script));
  return sb.runAsync(['bash', '-s', '--', STAGING, o.role ?? 'slave', o.base, sha, size], {
    input,
    env: FAST,
    timeoutMs: 180_000,
  });
}

describe('the pull command downloads dcos_install.sh as the artifacts are downloaded', { timeout: 480_000 }, () => {
  test('a dead bootstrap_url falls back to the mirror; the checked script installs from there', async (ctx) => {
    needSandbox(ctx);
    needNginx(ctx);
    const dead = `http://127.0.0.6:${await freePort('127.0.0.6')}`;
    const mirror = `${nginx!.url}/m`;
    const script = serveVariant('m', {
      ...a.args,
      bootstrap_url: dead,
      bootstrap_url_mirrors: JSON.stringify([mirror]),
    });
    await withSandbox(async (sb) => {
      const before = nginx!.accessLog().length;
      const r = await pull(sb, { base: dead, script });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`@@genconf pull fetched ${mirror}/dcos_install.sh\n`);
      // Retried (2 attempts) on the dead base URL, as an artifact would be, then the mirror.
      expect(r.stderr).toContain(`Download of ${dead}/dcos_install.sh failed (no HTTP answer (curl exit 7`);
      expect(judgePull(sha256(script), { exitCode: r.status, ...r })).toEqual({ ok: true });
      expect(fs.readdirSync(sb.hostPath(`${OPT}/active`)).length).toBe(a.packageIds.length);
      expect(fs.existsSync(sb.hostPath(STAGING))).toBe(false);
      const log = nginx!.accessLog().slice(before);
      expect(log.filter((e) => e.path === '/m/dcos_install.sh').map((e) => e.status)).toEqual([200]);
    });
  });

  test('when every base URL fails, each URL tried is named with its reason, and nothing runs', async (ctx) => {
    needSandbox(ctx);
    needNginx(ctx);
    const dead = `http://127.0.0.6:${await freePort('127.0.0.6')}`;
    const nowhere = `${nginx!.url}/nowhere`;
    const script = serveVariant('n', {
      ...a.args,
      bootstrap_url: dead,
      bootstrap_url_mirrors: JSON.stringify([nowhere]),
    });
    await withSandbox(async (sb) => {
      const r = await pull(sb, { base: dead, script });
      expect(r.status).toBe(69);
      expect(r.stdout).toContain('@@genconf pull fetch failed\n');
      const v = judgePull(sha256(script), { exitCode: r.status, ...r });
      expect(v.ok).toBe(false);
      expect(v.message).toMatch(
        new RegExp(
          `^could not download dcos_install\\.sh \\(SHA-256 ${sha256(script)}\\) from bootstrap_url or its mirrors: ` +
            `${dead.replace(/\./g, '\\.')}/dcos_install\\.sh: no HTTP answer \\(curl exit 7[^;]*\\) after 2 attempts; ` +
            `${nowhere.replace(/\./g, '\\.')}/dcos_install\\.sh: HTTP 404$`,
        ),
      );
      expect(fs.existsSync(sb.hostPath(OPT))).toBe(false);
      expect(fs.existsSync(sb.hostPath(REPO))).toBe(false);
      expect(fs.existsSync(sb.hostPath(STAGING))).toBe(false);
    });
  });

  test('a dcos_install.sh with the wrong SHA-256 is refused on every base URL, before anything runs', async (ctx) => {
    needSandbox(ctx);
    needNginx(ctx);
    const script = fs.readFileSync(path.join(a.serveDir, 'dcos_install.sh'), 'utf8');
    const base = `${nginx!.url}/a`;
    await withSandbox(async (sb) => {
      const want = 'ab'.repeat(32);
      const r = await pull(sb, { base, script, sha: want });
      expect(r.status).toBe(69);
      expect(r.stderr).toContain(`found ${sha256(script)}`);
      expect(judgePull(want, { exitCode: r.status, ...r }).message).toBe(
        `could not download dcos_install.sh (SHA-256 ${want}) from bootstrap_url or its mirrors: ${base}/dcos_install.sh: SHA-256 mismatch; ` +
          'a server that answers with another dcos_install.sh does not serve this genconf/serve (run --genconf and serve it again)',
      );
      expect(fs.existsSync(sb.hostPath(OPT))).toBe(false);
      expect(fs.existsSync(sb.hostPath(STAGING))).toBe(false);
    });
  });

  test('with use_proxy the script comes through the proxy, as every artifact does; without, the proxy sees nothing', async (ctx) => {
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
    const port = await freePort();
    await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', r));
    try {
      const proxyUrl = `http://127.0.0.1:${port}`;
      const base = `${nginx!.url}/p`;
      const script = serveVariant('p', {
        ...a.args,
        bootstrap_url: base,
        use_proxy: 'true',
        http_proxy: proxyUrl,
        https_proxy: proxyUrl,
        no_proxy_final: '.mesos,localhost',
      });
      await withSandbox(async (sb) => {
        const r = await pull(sb, { base, script, role: 'master' });
        expect(r.status, r.stdout + r.stderr).toBe(0);
      });
      expect(seen[0]).toBe(`${base}/dcos_install.sh`);
      for (const f of a.manifest.files) expect(seen).toContain(`${base}/${f.path}`);

      seen.length = 0;
      const plain = fs.readFileSync(path.join(a.serveDir, 'dcos_install.sh'), 'utf8');
      await withSandbox(async (sb) => {
        const r = await pull(sb, { base: `${nginx!.url}/a`, script: plain });
        expect(r.status, r.stdout + r.stderr).toBe(0);
      });
      expect(seen).toEqual([]);
    } finally {
      await new Promise((r) => proxy.close(r));
    }
  });

  test('settings that did not arrive intact stop the command before it makes a directory', async (ctx) => {
    needSandbox(ctx);
    await withSandbox(async (sb) => {
      const r = await sb.runAsync(['bash', '-s', '--', STAGING, 'slave', 'http://127.0.0.6:1', 'ab'.repeat(32), '1'], {
        input: LIB + SCRIPT + '@@genconf pull settings\nmirrors\n',
        env: FAST,
      });
      expect(r.status).toBe(70);
      expect(r.stderr).toContain('genconf pull: the settings did not arrive intact on stdin');
      expect(judgePull('ab'.repeat(32), { exitCode: r.status, ...r }).message).toBe(
        'the pull could not start (exit 70): genconf pull: the settings did not arrive intact on stdin',
      );
      expect(fs.existsSync(sb.hostPath(STAGING))).toBe(false);
    });
  });
});
