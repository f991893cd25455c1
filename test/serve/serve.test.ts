/**
 * genconf --serve: the generated nginx configuration passes `nginx -t`, and the command runs real nginx in the
 * foreground serving genconf/serve (octet-stream, Range, ETag, no listing, GET only), prints the per-role commands
 * with the script's sha256, and stops nginx on abort (Ctrl-C). Under CI=true a missing nginx fails these tests.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test, type TestContext } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import type { CommandContext } from '../../src/cli/context.js';
import { run as serve } from '../../src/commands/serve.js';
import { UsageError } from '../../src/errors.js';
import { renderNginxConf } from '../../src/serve/nginx-conf.js';
import { defaultPort, roleCommands, scriptBootstrapUrl, sha256Hex } from '../../src/serve/serve.js';
import { freePort, NGINX, nginxUnavailable, parseAccessLog } from '../support/nginx.js';

const IN_CI = process.env.CI === 'true';
function needNginx(ctx: TestContext): void {
  const why = nginxUnavailable();
  if (!why) return;
  if (!IN_CI) ctx.skip(why);
  throw new Error(`under CI=true: ${why}`);
}

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'serve-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('the generated nginx configuration', () => {
  test('passes nginx -t, with the settings the bootstrap node relies on', (ctx) => {
    needNginx(ctx);
    const state = path.join(work, 'state');
    fs.mkdirSync(path.join(state, 'tmp'), { recursive: true });
    const conf = renderNginxConf({
      root: path.join(work, 'serve dir'),
      bind: '127.0.0.1',
      port: 18080,
      stateDir: state,
    });
    for (const line of [
      'daemon off;',
      'sendfile on;',
      'autoindex off;',
      'etag on;',
      'disable_symlinks on;',
      'application/octet-stream xz tar gz;',
      'default_type application/octet-stream;',
      'listen 127.0.0.1:18080;',
      'limit_except GET { deny all; }',
    ]) {
      expect(conf, line).toContain(line);
    }
    expect(conf).toContain(`access_log "${state}/access.log" genconf;`);
    expect(conf).toContain(`pid "${state}/nginx.pid";`);
    expect(conf).not.toMatch(/\/var\/log|\/run\//);
    const file = path.join(state, 'nginx.conf');
    fs.writeFileSync(file, conf);
    const t = spawnSync(NGINX, ['-t', '-e', path.join(state, 'error.log'), '-c', file], { encoding: 'utf8' });
    expect(t.status, t.stderr).toBe(0);
    expect(t.stderr).toContain('test is successful');
    // IPv6 and a worker user render too.
    const v6 = renderNginxConf({ root: '/srv/serve', bind: '::1', port: 8080, stateDir: state, user: 'root' });
    expect(v6).toContain('listen [::1]:8080;');
    expect(v6).toContain('user "root";');
  });

  test('refuses a path nginx quoting cannot carry, and a bad port', () => {
    expect(() => renderNginxConf({ root: '/srv/a"b', bind: '0.0.0.0', port: 80, stateDir: '/x' })).toThrow(
      /serve directory/,
    );
    expect(() => renderNginxConf({ root: '/srv/a;b', bind: '0.0.0.0', port: 80, stateDir: '/x' })).toThrow(
      /serve directory/,
    );
    expect(() => renderNginxConf({ root: '/srv', bind: '0.0.0.0', port: 70000, stateDir: '/x' })).toThrow(/port/);
  });

  test('default port follows bootstrap_url; the role commands check the sha256 before running', () => {
    expect(defaultPort('http://10.0.0.5:8081')).toBe(8081);
    expect(defaultPort('http://10.0.0.5')).toBe(80);
    expect(defaultPort('file:///opt/dcos_install_tmp')).toBe(8080);
    expect(scriptBootstrapUrl("X=1\nBOOTSTRAP_URL='http://b:9'\n")).toBe('http://b:9');
    const cmds = roleCommands({ scriptBase: 'http://b:9', scriptSha256: 'a'.repeat(64) });
    expect(cmds.map((c) => c.role)).toEqual(['master', 'slave', 'slave_public']);
    expect(cmds[1]!.command).toBe(
      `curl -fsSLO http://b:9/dcos_install.sh && echo '${'a'.repeat(64)}  dcos_install.sh' | sha256sum -c - && sudo bash dcos_install.sh slave`,
    );
  });

  test('--port, --bind and --print-config go with --serve only; --pull with --deploy only', () => {
    expect(parseArgs(['--serve', '--port', '8081', '--bind', '127.0.0.1'], work)).toMatchObject({
      action: 'serve',
      servePort: 8081,
      serveBind: '127.0.0.1',
    });
    expect(() => parseArgs(['--genconf', '--port', '8081'], work)).toThrow(UsageError);
    expect(() => parseArgs(['--preflight', '--pull'], work)).toThrow(/--pull goes with --deploy/);
    expect(() => parseArgs(['--serve', '--port', '0'], work)).toThrow(/--port must be between 1 and 65535/);
    expect(parseArgs(['--deploy', '--pull'], work)).toMatchObject({ action: 'deploy', pull: true });
  });
});

describe('genconf --serve', () => {
  function ctxFor(argv: string[], signal: AbortSignal): { ctx: CommandContext; out: () => string; err: () => string } {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const o: Buffer[] = [];
    const e: Buffer[] = [];
    stdout.on('data', (c: Buffer) => o.push(c));
    stderr.on('data', (c: Buffer) => e.push(c));
    const options = parseArgs(['--genconf-dir', path.join(work, 'genconf'), ...argv], work, {});
    return {
      ctx: { options, signal, stdout, stderr, interactive: false },
      out: () => Buffer.concat(o).toString(),
      err: () => Buffer.concat(e).toString(),
    };
  }

  test('--print-config prints the configuration for genconf/serve and exits 0', async () => {
    const serveDir = path.join(work, 'genconf', 'serve');
    fs.mkdirSync(serveDir, { recursive: true });
    fs.writeFileSync(path.join(serveDir, 'dcos_install.sh'), "#!/bin/bash\nBOOTSTRAP_URL='http://127.0.0.1:18999'\n");
    const { ctx, out } = ctxFor(['--serve', '--print-config'], new AbortController().signal);
    expect(await serve(ctx)).toBe(0);
    expect(out()).toContain(`root "${serveDir}";`);
    expect(out()).toContain('listen 0.0.0.0:18999;');
  });

  test('serves genconf/serve until aborted, then nginx is stopped', async (ctx) => {
    needNginx(ctx);
    const serveDir = path.join(work, 'genconf', 'serve');
    const port = await freePort();
    const script = `#!/bin/bash\nBOOTSTRAP_URL='http://127.0.0.1:${port}'\n`;
    fs.writeFileSync(path.join(serveDir, 'dcos_install.sh'), script);
    fs.mkdirSync(path.join(serveDir, 'bootstrap'), { recursive: true });
    const payload = Buffer.alloc(100_000, 7);
    fs.writeFileSync(path.join(serveDir, 'bootstrap', 'x.bootstrap.tar.xz'), payload);
    fs.symlinkSync('/etc/passwd', path.join(serveDir, 'passwd'));
    const abort = new AbortController();
    const c = ctxFor(['--serve', '--bind', '127.0.0.1'], abort.signal);
    const running = serve(c.ctx);
    for (let i = 0; i < 500 && !c.out().includes('slave_public'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(c.out()).toContain(`Serving ${serveDir} on 127.0.0.1:${port}`);
    expect(c.out()).toContain(
      `curl -fsSLO http://127.0.0.1:${port}/dcos_install.sh && echo '${sha256Hex(script)}  dcos_install.sh' | sha256sum -c - && sudo bash dcos_install.sh master`,
    );

    const base = `http://127.0.0.1:${port}`;
    const full = await fetch(`${base}/bootstrap/x.bootstrap.tar.xz`);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('application/octet-stream');
    expect(full.headers.get('etag')).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(Buffer.from(await full.arrayBuffer()).equals(payload)).toBe(true);
    const part = await fetch(`${base}/bootstrap/x.bootstrap.tar.xz`, { headers: { Range: 'bytes=1000-' } });
    expect(part.status).toBe(206);
    expect((await part.arrayBuffer()).byteLength).toBe(99_000);
    expect((await fetch(`${base}/bootstrap/`)).status).toBe(404); // no listing
    const link = await fetch(`${base}/passwd`); // no symlink followed
    expect(link.status).toBe(404);
    expect(await link.text()).not.toContain('root:');
    expect((await fetch(`${base}/dcos_install.sh`, { method: 'POST' })).status).toBe(403);
    const log = parseAccessLog(fs.readFileSync(path.join(work, 'genconf', 'nginx', 'access.log'), 'utf8'));
    expect(log.map((e) => [e.path, e.status, e.range])).toContainEqual([
      '/bootstrap/x.bootstrap.tar.xz',
      206,
      'bytes=1000-',
    ]);

    abort.abort();
    expect(await running).toBe(0); // main turns an interrupted run into 130
    await expect(fetch(`${base}/dcos_install.sh`)).rejects.toThrow();
  }, 60_000);
});

describe('--deploy --pull, before any host is touched', () => {
  test('bootstrap_url must be http(s) and serve this very dcos_install.sh', async () => {
    const { pullFiles } = await import('../../src/serve/pull.js');
    const http = await import('node:http');
    const serveDir = path.join(work, 'pull-serve');
    fs.mkdirSync(serveDir, { recursive: true });
    fs.writeFileSync(path.join(serveDir, 'dcos_install.sh'), 'local script\n');
    let body = 'local script\n';
    const server = http.createServer((req, res) =>
      req.url === '/dcos_install.sh' ? res.end(body) : res.writeHead(404).end(),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      await expect(pullFiles(serveDir, `${url}/`)).resolves.toEqual({
        pullUrl: url,
        installScriptSha256: sha256Hex('local script\n'),
        installScriptSize: 13,
        // Not a script genconf rendered: no mirrors, no proxy.
        pullSettings: '@@genconf pull settings\nmirrors\nuse_proxy false\nhttp_proxy\nhttps_proxy\nno_proxy\n',
      });
      body = 'another bundle\n';
      await expect(pullFiles(serveDir, url)).rejects.toThrow(
        `--pull: ${url}/dcos_install.sh is not this bundle's dcos_install.sh (SHA-256 ${sha256Hex(body)}, genconf/serve has ${sha256Hex('local script\n')})`,
      );
      await expect(pullFiles(serveDir, `${url}/elsewhere`)).rejects.toThrow(
        `--pull: ${url}/elsewhere/dcos_install.sh answered HTTP 404`,
      );
      await expect(pullFiles(serveDir, 'file:///opt/dcos_install_tmp')).rejects.toThrow(
        '--pull needs an http:// or https:// bootstrap_url; config.yaml has file:///opt/dcos_install_tmp',
      );
    } finally {
      await new Promise((r) => server.close(r));
    }
    const dead = `http://127.0.0.1:${await freePort()}`;
    await expect(pullFiles(serveDir, dead)).rejects.toThrow(
      `--pull: cannot fetch ${dead}/dcos_install.sh from this machine`,
    );
  });
});
