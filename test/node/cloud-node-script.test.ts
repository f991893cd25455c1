/**
 * The node install script of the cloud templates, as the templates carry it: shellcheck-clean, and run "as a node"
 * in the sandbox against a bundle served over HTTP. It installs the node for its role, and refuses a dcos_install.sh
 * whose sha256 is not the one baked into the template (nothing is installed then).
 *
 * The bundle is built by `--aws-cloudformation` itself (in-process) from a config whose bootstrap_url is the test's
 * HTTP server, so the user data tested here is the text of the generated template.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { run as cloud } from '../../src/commands/cloud.js';
import { writeExampleArtifacts } from '../../scripts/example-artifacts.js';
import { type Sandbox, withSandbox } from '../support/sandbox.js';
import { needSandbox, needTool } from './tools.js';

let work: string;
let server: http.Server;
/** Paths requested from the HTTP server, in order. */
const requests: string[] = [];
/** When set, served in place of the bundle's dcos_install.sh (a bundle that changed after the template was made). */
let replacedInstall: string | undefined;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cloud-node-'));
  server = http.createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    requests.push(url);
    if (url === '/dcos_install.sh' && replacedInstall !== undefined) return void res.end(replacedInstall);
    const file = path.join(work, 'genconf/serve', path.normalize(url).replace(/^(\.\.[/\\])+/, ''));
    fs.readFile(file, (err, data) => {
      if (err) {
        res.statusCode = 404;
        res.end('not found');
      } else res.end(data);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  fs.mkdirSync(path.join(work, 'genconf'));
  fs.writeFileSync(
    path.join(work, 'genconf/config.yaml'),
    [
      'cluster_name: cloud-node',
      `bootstrap_url: http://127.0.0.1:${port}`,
      'exhibitor_storage_backend: zookeeper',
      'exhibitor_zk_hosts: 127.0.0.1:2181',
      'exhibitor_zk_path: /cloud-node',
      'master_discovery: master_http_loadbalancer',
      'exhibitor_address: masters.cloud-node.internal',
      'num_masters: 1',
      'resolvers:',
      '- 8.8.8.8',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(work, 'genconf/ip-detect'), '#!/bin/sh\necho 10.0.0.1\n');
  await writeExampleArtifacts(path.join(work, 'artifacts'));
  const sink = new PassThrough();
  sink.resume();
  const code = await cloud({
    options: parseArgs(['--aws-cloudformation', '--out', 'tpl'], work, {}),
    signal: new AbortController().signal,
    stdout: sink,
    stderr: sink,
    interactive: false,
  });
  expect(code).toBe(0);
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(work, { recursive: true, force: true });
});

/** The user data of one role, exactly as the generated basic template carries it. */
function userData(role: 'master' | 'slave' | 'slave_public'): string {
  const t = JSON.parse(fs.readFileSync(path.join(work, 'tpl/basic.json'), 'utf8')) as {
    Resources: Record<string, { Properties: { LaunchTemplateData: { UserData: { 'Fn::Base64': string } } } }>;
  };
  const lt = {
    master: 'MasterLaunchTemplate',
    slave: 'PrivateAgentLaunchTemplate',
    slave_public: 'PublicAgentLaunchTemplate',
  }[role];
  return t.Resources[lt]!.Properties.LaunchTemplateData.UserData['Fn::Base64'];
}

/** Read a file as the node sees it: pkgpanda's links are absolute paths inside the sandbox. */
function readInSandbox(sb: Sandbox, file: string): string {
  let p = file;
  for (let hops = 0; hops < 10; hops++) {
    const host = sb.hostPath(p);
    if (!fs.lstatSync(host).isSymbolicLink()) return fs.readFileSync(host, 'utf8');
    const target = fs.readlinkSync(host);
    p = path.posix.isAbsolute(target) ? target : path.posix.join(path.posix.dirname(p), target);
  }
  throw new Error(`${file}: too many links`);
}

/**
 * The sandbox has no Docker or time sync for dcos_install.sh's preflight to pass, so the test turns it off the way
 * an operator could: the script's one INSTALL_OPTIONS line. Everything else is the template's text.
 */
function withoutPreflight(script: string): string {
  const out = script.replace(/^INSTALL_OPTIONS=\(\)$/m, 'INSTALL_OPTIONS=(--disable-preflight)');
  expect(out).not.toBe(script);
  return out;
}

describe('cloud node install script', { timeout: 240_000 }, () => {
  test('the scripts in the template are clean under shellcheck', (ctx) => {
    needTool('shellcheck', ctx);
    for (const role of ['master', 'slave', 'slave_public'] as const) {
      const f = path.join(work, `user-data-${role}.sh`);
      fs.writeFileSync(f, userData(role));
      const r = spawnSync('shellcheck', [f], { encoding: 'utf8' });
      expect(r.stdout + r.stderr, role).toBe('');
      expect(r.status).toBe(0);
    }
  });

  for (const role of ['master', 'slave', 'slave_public'] as const) {
    test(`installs a ${role} from the bundle served over HTTP`, async (ctx) => {
      needSandbox(ctx);
      replacedInstall = undefined;
      requests.length = 0;
      await withSandbox(async (sb) => {
        fs.writeFileSync(sb.hostPath('/tmp/user-data'), withoutPreflight(userData(role)));
        const r = await sb.runAsync(['bash', '/tmp/user-data']);
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(r.stderr).toMatch(/dcos_install\.sh sha256 verified \([0-9a-f]{64}\); installing role/);
        expect(fs.readdirSync(sb.hostPath('/etc/mesosphere/roles'))).toEqual([role]);
        expect(readInSandbox(sb, '/opt/mesosphere/bin/detect_ip')).toBe('#!/bin/sh\necho 10.0.0.1\n');
        // The AWS fault-domain script came with the config package (the config had none).
        expect(readInSandbox(sb, '/opt/mesosphere/bin/detect_fault_domain')).toContain('detect_aws');
        // The download scratch directory is gone.
        expect(fs.readdirSync(sb.hostPath('/tmp')).filter((f) => f.startsWith('dcos-cloud-install.'))).toEqual([]);
      });
      expect(requests[0]).toBe('/dcos_install.sh');
      expect(requests.some((r) => r.startsWith('/bootstrap/'))).toBe(true);
    });
  }

  test('refuses a dcos_install.sh whose sha256 is not the baked-in one, and installs nothing', async (ctx) => {
    needSandbox(ctx);
    const real = fs.readFileSync(path.join(work, 'genconf/serve/dcos_install.sh'), 'utf8');
    replacedInstall = `${real}\n# changed after the templates were generated\n`;
    requests.length = 0;
    try {
      await withSandbox(async (sb) => {
        fs.writeFileSync(sb.hostPath('/tmp/user-data'), withoutPreflight(userData('slave')));
        const r = await sb.runAsync(['bash', '/tmp/user-data']);
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(
          /REFUSED: dcos_install\.sh has sha256 [0-9a-f]{64}, this template expects [0-9a-f]{64}/,
        );
        expect(fs.existsSync(sb.hostPath('/etc/mesosphere/roles/slave'))).toBe(false);
        expect(fs.existsSync(sb.hostPath('/opt/mesosphere'))).toBe(false);
      });
    } finally {
      replacedInstall = undefined;
    }
    expect(requests).toEqual(['/dcos_install.sh']);
  });

  test('a bootstrap URL that does not answer fails the script (no install)', async (ctx) => {
    needSandbox(ctx);
    await withSandbox(async (sb) => {
      // Port 9 (discard) on loopback refuses at once; cut the 5-minute retry down for the test.
      const script = withoutPreflight(userData('slave'))
        .replace(/^BOOTSTRAP_URL=.*$/m, 'BOOTSTRAP_URL=http://127.0.0.1:9')
        .replace('--retry 30 --retry-delay 10', '--retry 1 --retry-delay 1');
      fs.writeFileSync(sb.hostPath('/tmp/user-data'), script);
      const r = await sb.runAsync(['bash', '/tmp/user-data']);
      expect(r.status).not.toBe(0);
      expect(fs.existsSync(sb.hostPath('/opt/mesosphere'))).toBe(false);
    });
  });
});
