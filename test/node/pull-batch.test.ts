/**
 * What a pulling node costs, and the one command `--deploy --pull` sends, against real nginx in the mount-namespace
 * sandbox (as root):
 * - dcos_install.sh fetches a whole bundle with two curls (one file alone to find a base URL that answers, then every
 *   other file over one connection) and one sha256sum for what arrived, however many files the bundle has; a re-run
 *   keeps what it checked and resumes a cut file inside the batch with a Range request;
 * - dcos_node_upgrade.sh reads each file once from the server, checks it, and pkgpanda fetches that checked copy.
 * (templates/remote/pull-install.sh, the command --deploy --pull sends: test/node/pull-command.test.ts.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test, type TestContext } from 'vitest';
import { type Sandbox, withSandbox } from '../support/sandbox.js';
import { nginxUnavailable, startNginx, type TestNginx } from '../support/nginx.js';
import { buildTestBundle, type TestBundle, writeUpgradeScript } from './bundle-fixture.js';
import { IN_CI, needSandbox } from './tools.js';

const REPO = '/var/lib/dcos/genconf-repo';
const OPT = '/opt/mesosphere';
const FAST = { DCOS_INSTALL_DOWNLOAD_BACKOFF: '0', DCOS_INSTALL_DOWNLOAD_TRIES: '2' };
/** Shims ahead of the real tools on the sandbox's PATH: each call is counted in /tmp/calls. */
const COUNTED = ['curl', 'sha256sum'];

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

function countCalls(sb: Sandbox): void {
  for (const tool of COUNTED) {
    fs.writeFileSync(
      sb.hostPath(`/usr/local/bin/${tool}`),
      `#!/bin/sh\necho ${tool} >> /tmp/calls\nexec /usr/bin/${tool} "$@"\n`,
      { mode: 0o755 },
    );
  }
}
function calls(sb: Sandbox): Record<string, number> {
  const text = fs.existsSync(sb.hostPath('/tmp/calls')) ? fs.readFileSync(sb.hostPath('/tmp/calls'), 'utf8') : '';
  fs.rmSync(sb.hostPath('/tmp/calls'), { force: true });
  const out: Record<string, number> = Object.fromEntries(COUNTED.map((t) => [t, 0]));
  for (const l of text.split('\n').filter(Boolean)) out[l] = (out[l] ?? 0) + 1;
  return out;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pull-batch-'));
  served = path.join(work, 'served');
  fs.mkdirSync(served);
  if (!nginxUnavailable()) nginx = await startNginx(served, '127.0.0.4');
  a = await buildTestBundle(path.join(served, 'a'), { bootstrapUrl: `${nginx?.url ?? 'http://127.0.0.4:1'}/a` });
}, 120_000);
afterAll(async () => {
  await nginx?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('a pulling node', { timeout: 480_000 }, () => {
  test('fetches the whole bundle with two curls and one sha256sum; a re-run keeps what it checked and resumes inside the batch', async (ctx) => {
    needSandbox(ctx);
    needNginx(ctx);
    const files = a.manifest.files;
    const script = fs.readFileSync(path.join(a.serveDir, 'dcos_install.sh'), 'utf8');
    // The same script stopped after the download and check, for the re-run.
    const fetchOnly = script.replace(/\nmain\n$/, '\nfetch_artifacts "install DC/OS"\n');
    expect(fetchOnly).not.toBe(script);
    await withSandbox(async (sb) => {
      countCalls(sb);
      fs.writeFileSync(sb.hostPath('/tmp/dcos_install.sh'), script);
      fs.writeFileSync(sb.hostPath('/tmp/fetch.sh'), fetchOnly);
      const before = nginx!.accessLog().length;
      const r = await sb.runAsync(['bash', '/tmp/dcos_install.sh', '-d', 'slave'], { env: FAST });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`All ${files.length} artifacts match the bundle manifest (${files.length} downloaded`);
      expect(fs.readdirSync(sb.hostPath(`${OPT}/active`)).length).toBe(a.packageIds.length);
      // One curl for the first file, one for the other files; one sha256sum for the first, one for the batch.
      expect(calls(sb)).toEqual({ curl: 2, sha256sum: 2 });
      expect(files.length).toBeGreaterThan(4);
      const log = nginx!.accessLog().slice(before);
      expect(log.map((e) => [e.path, e.status]).sort()).toEqual(files.map((f) => [`/a/${f.path}`, 200]).sort());

      // An interrupted earlier run: two files gone, one cut in half. Only those are fetched, in one batch, the cut
      // one with a Range request for the rest; one sha256sum checks what was kept, one what arrived.
      const [kept, gone1, gone2, cut] = [files[0]!, files[1]!, files[2]!, files[files.length - 1]!];
      fs.rmSync(sb.hostPath(`${REPO}/${gone1.path}`));
      fs.rmSync(sb.hostPath(`${REPO}/${gone2.path}`));
      fs.truncateSync(sb.hostPath(`${REPO}/${cut.path}`), cut.size >> 1);
      const mark = nginx!.accessLog().length;
      const again = await sb.runAsync(['bash', '/tmp/fetch.sh', '-d', 'slave'], { env: FAST });
      expect(again.status, again.stdout + again.stderr).toBe(0);
      expect(again.stdout).toContain(`All ${files.length} artifacts match the bundle manifest (3 downloaded`);
      expect(calls(sb)).toEqual({ curl: 2, sha256sum: 3 });
      const log2 = nginx!.accessLog().slice(mark);
      expect(log2.some((e) => e.path === `/a/${kept.path}`)).toBe(false);
      expect(log2.filter((e) => e.path === `/a/${cut.path}`).map((e) => [e.status, e.range])).toEqual([
        [206, `bytes=${cut.size >> 1}-`],
      ]);
      expect(log2.length).toBe(3);
    });
  });

  test('dcos_node_upgrade.sh downloads each file once, checks it, and pkgpanda installs that copy', async (ctx) => {
    needSandbox(ctx);
    needNginx(ctx);
    const b = await buildTestBundle(path.join(served, 'b'), {
      bootstrapUrl: `${nginx!.url}/b`,
      configVersion: 'test2',
    });
    writeUpgradeScript({ ...b, args: { ...b.args, dcos_version: '1.11.15-dev' } }, '1.11.14-dev');
    await withSandbox(async (sb) => {
      fs.writeFileSync(sb.hostPath('/tmp/dcos_install.sh'), fs.readFileSync(path.join(a.serveDir, 'dcos_install.sh')));
      const r = await sb.runAsync(['bash', '/tmp/dcos_install.sh', '-d', 'master'], { env: FAST });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      fs.writeFileSync(sb.hostPath(`${OPT}/etc/dcos-version.json`), '{\n  "version": "1.11.14-dev"\n}\n');
      fs.writeFileSync(
        sb.hostPath('/tmp/upgrade.sh'),
        fs.readFileSync(path.join(b.serveDir, 'upgrade', 'dcos_node_upgrade.sh')),
      );
      const before = nginx!.accessLog().length;
      const up = await sb.runAsync(['bash', '/tmp/upgrade.sh', '--skip-checks'], { env: FAST });
      expect(up.status, up.stdout + up.stderr).toBe(0);
      expect(up.stdout).toContain('Upgrade to 1.11.15-dev activated (checks skipped)');
      expect(fs.readlinkSync(sb.hostPath(`${OPT}/active/dcos-config`))).toBe(
        `${OPT}/packages/dcos-config--setup_test2`,
      );
      expect(fs.readFileSync(sb.hostPath('/etc/mesosphere/setup-flags/repository-url'), 'utf8')).toBe(
        `file://${REPO}\n`,
      );
      // What the upgrade needs and the node did not already hold (the new config package and package list), each
      // read once; the packages the first install checked are not read again; pkgpanda reads nothing from nginx.
      const log = nginx!.accessLog().slice(before);
      const fresh = b.manifest.files
        .filter((f) => /^(packages|package_lists)\//.test(f.path))
        .filter((f) => !a.manifest.files.some((g) => g.path === f.path && g.sha256 === f.sha256))
        .map((f) => `/b/${f.path}`);
      expect(fresh.length).toBeGreaterThanOrEqual(2);
      expect(log.map((e) => e.path).sort()).toEqual([...fresh].sort());
      expect(log.every((e) => e.status === 200)).toBe(true);
    });
  });
});
