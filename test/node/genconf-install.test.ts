/**
 * The whole flow as an operator runs it: the example artifacts set, `genconf --genconf` (the built CLI, as
 * `dcos_generate_config.sh` runs it), then the generated dcos_install.sh on a sandboxed master and a sandboxed agent,
 * then the node's post-install checks. This ties the real config package (bin/detect_ip, etc_<role>/, …) to the
 * node side.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { withSandbox } from '../support/sandbox.js';
import { writeExampleArtifacts } from '../../scripts/example-artifacts.js';
import { IN_CI, needSandbox } from './tools.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'dist/src/main.js');

let work: string;
beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'genconf-install-'));
  fs.mkdirSync(path.join(work, 'genconf'));
  fs.writeFileSync(
    path.join(work, 'genconf/config.yaml'),
    [
      'cluster_name: node-e2e',
      'bootstrap_url: file:///opt/dcos_install_tmp',
      'exhibitor_storage_backend: static',
      'master_discovery: static',
      'master_list:',
      '- 10.0.0.1',
      'resolvers:',
      '- 8.8.8.8',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(work, 'genconf/ip-detect'), '#!/bin/sh\necho 10.0.0.1\n');
  await writeExampleArtifacts(path.join(work, 'artifacts'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('genconf --genconf, then dcos_install.sh on the nodes', { timeout: 240_000 }, () => {
  test('master and agent install from the generated bundle and pass their checks', async (ctx) => {
    needSandbox(ctx);
    if (!fs.existsSync(CLI)) {
      if (!IN_CI) ctx.skip('dist/ is not built (npm run build)');
      throw new Error(`${CLI} missing: the CLI must be built before the tests under CI`);
    }
    const gen = spawnSync(process.execPath, [CLI, '--genconf'], { cwd: work, encoding: 'utf8' });
    expect(gen.status, gen.stdout + gen.stderr).toBe(0);
    const serve = path.join(work, 'genconf/serve');

    for (const role of ['master', 'slave']) {
      await withSandbox(
        (sb) => {
          const pre = sb.run(['bash', '/opt/dcos_install_tmp/dcos_install.sh', '--preflight-only', role]);
          expect(pre.stdout).toContain('Checking if ip-detect prints one valid IPv4 address: PASS (10.0.0.1)');
          const r = sb.run(['bash', '/opt/dcos_install_tmp/dcos_install.sh', '--disable-preflight', role]);
          expect(r.status, r.stdout + r.stderr).toBe(0);
          // The real config package: its role files land only on nodes of that role.
          const etc = (f: string): boolean =>
            fs.lstatSync(sb.hostPath(`/opt/mesosphere/etc/${f}`), { throwIfNoEntry: false }) !== undefined;
          expect(etc('master_count')).toBe(role === 'master');
          expect(etc('dcos-version.json')).toBe(true);
          for (const check of ['node-poststart', 'cluster']) {
            const c = sb.run([
              '/opt/mesosphere/bin/dcos-shell',
              '/opt/mesosphere/bin/dcos-diagnostics',
              'check',
              check,
            ]);
            expect(c.status, `${role} ${check}: ${c.stdout}${c.stderr}`).toBe(0);
            expect((JSON.parse(c.stdout) as { status: number }).status).toBe(0);
          }
        },
        (sb) => fs.cpSync(serve, sb.hostPath('/opt/dcos_install_tmp'), { recursive: true }),
      );
    }
  });
});
