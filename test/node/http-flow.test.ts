/**
 * The README's manual (advanced) flow over HTTP, with real nginx: `genconf --genconf` with an http bootstrap_url,
 * genconf/ served by nginx on a loopback port (serve/ reached through the genconf directory, as the README's docker
 * command does), then on a sandboxed node `curl -fsSO <bootstrap_url>/dcos_install.sh` and `bash dcos_install.sh
 * slave`, which fetches everything else over HTTP. nginx's access log shows what the node downloaded.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { withSandbox } from '../support/sandbox.js';
import { writeExampleArtifacts } from '../../scripts/example-artifacts.js';
import { IN_CI, needSandbox, needTool } from './tools.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'dist/src/main.js');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

let work: string | undefined;
let nginx: ChildProcess | undefined;
afterAll(() => {
  nginx?.kill('SIGTERM');
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the advanced flow: serve genconf/serve over HTTP, install by hand', { timeout: 240_000 }, () => {
  test('curl dcos_install.sh from nginx, then bash dcos_install.sh slave installs from bootstrap_url', async (ctx) => {
    needSandbox(ctx);
    needTool('nginx', ctx);
    if (!fs.existsSync(CLI)) {
      if (!IN_CI) ctx.skip('dist/ is not built (npm run build)');
      throw new Error(`${CLI} missing: the CLI must be built before the tests under CI`);
    }
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'genconf-http-'));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    fs.mkdirSync(path.join(work, 'genconf'));
    fs.writeFileSync(
      path.join(work, 'genconf/config.yaml'),
      [
        'cluster_name: http-flow',
        `bootstrap_url: ${url}`,
        'exhibitor_storage_backend: static',
        'master_discovery: static',
        'master_list: [10.0.0.1]',
        'resolvers: [8.8.8.8]',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(work, 'genconf/ip-detect'), '#!/bin/sh\necho 10.0.0.1\n');
    await writeExampleArtifacts(path.join(work, 'artifacts'));
    const gen = spawnSync(process.execPath, [CLI, '--genconf'], { cwd: work, encoding: 'utf8' });
    expect(gen.status, gen.stdout + gen.stderr).toBe(0);

    // nginx serves the genconf directory's serve/ (an alias through genconf/, so a later --genconf's new serve/
    // is picked up without a restart).
    const prefix = path.join(work, 'nginx');
    fs.mkdirSync(path.join(prefix, 'logs'), { recursive: true });
    const conf = path.join(prefix, 'nginx.conf');
    fs.writeFileSync(
      conf,
      [
        'worker_processes 1;',
        'error_log logs/error.log;',
        `pid ${path.join(prefix, 'nginx.pid')};`,
        'events { worker_connections 64; }',
        'http {',
        '  access_log logs/access.log;',
        '  default_type application/octet-stream;',
        `  server { listen 127.0.0.1:${port}; location / { alias ${path.join(work, 'genconf', 'serve')}/; } }`,
        '}',
        '',
      ].join('\n'),
    );
    nginx = spawn('nginx', ['-p', prefix, '-c', conf, '-g', 'daemon off; user root;'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const started = Date.now();
    for (;;) {
      const probe = spawnSync('curl', ['-fsS', '-o', '/dev/null', `${url}/dcos_install.sh`]);
      if (probe.status === 0) break;
      if (Date.now() - started > 20_000 || nginx.exitCode !== null)
        throw new Error(`nginx did not start: ${fs.readFileSync(path.join(prefix, 'logs', 'error.log'), 'utf8')}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const seen: { install?: string; installed?: boolean; check?: string } = {};
    await withSandbox((sb) => {
      const r = sb.run([
        'sh',
        '-c',
        `mkdir -p /tmp/dcos && cd /tmp/dcos && curl -fsSO ${url}/dcos_install.sh && bash dcos_install.sh --disable-preflight slave`,
      ]);
      seen.install = `${r.status}\n${r.stdout}${r.stderr}`;
      // lstat: the file is a link whose absolute target only resolves inside the sandbox.
      seen.installed =
        fs.lstatSync(sb.hostPath('/opt/mesosphere/etc/dcos-version.json'), { throwIfNoEntry: false }) !== undefined;
      const c = sb.run([
        '/opt/mesosphere/bin/dcos-shell',
        '/opt/mesosphere/bin/dcos-diagnostics',
        'check',
        'node-poststart',
      ]);
      seen.check = `${c.status}\n${c.stdout}${c.stderr}`;
    }).catch((err: unknown) => {
      throw new Error(`${String(err)}\ninstall: ${seen.install}\ncheck: ${seen.check}`);
    });
    expect(seen.install).toMatch(/^0\n/);
    expect(seen.installed).toBe(true);
    expect(seen.check).toMatch(/^0\n/);
    const log = fs.readFileSync(path.join(prefix, 'logs', 'access.log'), 'utf8');
    // The node fetched the installer, the package list and packages over HTTP, all with 200.
    expect(log).toMatch(/"GET \/dcos_install.sh HTTP\/1\.1" 200/);
    expect(log).toMatch(/"GET \/package_lists\/[0-9a-f]+\.package_list\.json HTTP\/1\.1" 200/);
    expect(log).toMatch(/"GET \/packages\/dcos-config\/dcos-config--setup_[0-9a-f]+\.tar\.xz HTTP\/1\.1" 200/);
    expect(log).not.toMatch(/" (4|5)\d\d /);
  });
});
