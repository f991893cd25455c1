import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { fileEntry, normalizeEntries, writeTarFile } from '../../src/bundle/tar.js';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run as addNodes } from '../../src/commands/add-nodes.js';
import { run as exportBundle } from '../../src/commands/export-bundle.js';
import { readRecord } from '../../src/cluster/record.js';
import { GenconfError, InputError } from '../../src/errors.js';
import { FakeTransport } from '../fakes/fake-transport.js';
import {
  CONFIG,
  CONFIG_ID,
  makeFixture,
  packageInfo,
  scriptInstall,
  SHA,
  writeInstalled,
  type Fixture,
} from './day2-fixture.js';

let f: Fixture;
beforeEach(async () => {
  f = await makeFixture();
});
afterEach(async () => {
  await f.cleanup();
});

const fd = (region: string, zone: string): string =>
  JSON.stringify({ fault_domain: { region: { name: region }, zone: { name: zone } } });

describe('--add-nodes', () => {
  it('installs only the listed hosts the record does not show installed; installed hosts are never contacted; a second run adds 0', async () => {
    await writeInstalled(f.genconf, [
      ['10.0.0.1', 'master'],
      ['10.0.0.4', 'agent'],
    ]);
    // 10.0.0.4 is installed and unreachable: it must not matter.
    const t = scriptInstall(scriptInstall(new FakeTransport(), '10.0.0.5'), '10.0.0.6')
      .unreachable('10.0.0.4')
      .unreachable('10.0.0.1');
    const r = await f.cli((ctx) => addNodes(ctx, { makeTransport: async () => t }), ['--add-nodes']);
    expect(r.stdout).toContain('[add-nodes] 2 added: 10.0.0.5:22, 10.0.0.6:22; 0 not added.');
    expect(r.code).toBe(0);
    expect(t.callsOf('10.0.0.1:22')).toEqual([]);
    expect(t.callsOf('10.0.0.4:22')).toEqual([]);
    // One connection per stage on each new host, and no command nobody programmed.
    expect(t.connects('10.0.0.5:22')).toBe(3);
    expect(t.commands('10.0.0.5:22').some((c) => c.includes('dcos_install.sh slave'))).toBe(true);
    expect(t.commands('10.0.0.6:22').some((c) => c.includes('dcos_install.sh slave_public'))).toBe(true);
    const rec = (await readRecord(f.genconf))!;
    expect(rec.hosts['10.0.0.5:22']!.installed).toMatchObject({
      configId: CONFIG_ID,
      bundleSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(Object.keys(rec.hosts['10.0.0.5:22']!.stages).sort()).toEqual(['deploy', 'postflight', 'preflight']);

    const t2 = new FakeTransport();
    const again = await f.cli((ctx) => addNodes(ctx, { makeTransport: async () => t2 }), ['--add-nodes']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 added');
    expect(t2.calls).toEqual([]);
  });

  it('refuses a bundle of another config_id, showing both, before any host is touched', async () => {
    await writeInstalled(f.genconf, [['10.0.0.1', 'master']]);
    await writeFile(path.join(f.genconf, 'serve', 'cluster-package-info.json'), packageInfo('beef'));
    const t = new FakeTransport();
    const e = (await f
      .cli((ctx) => addNodes(ctx, { makeTransport: async () => t }), ['--add-nodes'])
      .catch((x: unknown) => x)) as GenconfError;
    expect(e).toBeInstanceOf(GenconfError);
    expect(e.message).toContain('config_id beef');
    expect(e.message).toContain(`installed with config_id ${CONFIG_ID}`);
    expect(t.calls).toEqual([]);
  });

  it('--bundle FILE installs an archived dcos-install.tar (no serve directory needed) and checks its config_id', async () => {
    await writeInstalled(f.genconf, [
      ['10.0.0.1', 'master'],
      ['10.0.0.4', 'agent'],
      ['10.0.0.6', 'public_agent'],
    ]);
    await rm(path.join(f.genconf, 'serve'), { recursive: true });
    const archive = path.join(f.work, 'backup.tar');
    const entries = (id: string) =>
      normalizeEntries([
        fileEntry('cluster-package-info.json', 0o644, packageInfo(id)),
        fileEntry('dcos_install.sh', 0o755, '#!/bin/bash\necho archived\n'),
      ]);
    await writeTarFile(entries(CONFIG_ID), archive);
    const sha = createHash('sha256')
      .update(await readFile(archive))
      .digest('hex');
    const t = scriptInstall(new FakeTransport(), '10.0.0.5');
    t.onExec('sha256sum', { stdout: `${sha}  /opt/dcos_install_tmp/backup.tar\n` }, '10.0.0.5').onPut(
      '/opt/dcos_install_tmp/backup.tar',
      {},
      '10.0.0.5',
    );
    t.onExec('tar -xf', {}, '10.0.0.5');
    const r = await f.cli(
      (ctx) => addNodes(ctx, { makeTransport: async () => t }),
      ['--add-nodes', '--bundle', archive],
    );
    expect(r.stdout).toContain('1 added: 10.0.0.5:22');
    expect(r.code).toBe(0);
    expect(
      t
        .callsOf('10.0.0.5:22')
        .filter((c) => c.kind === 'put')
        .map((c) => c.local),
    ).toEqual([archive]);
    // The preflight ran the archive's own dcos_install.sh.
    const pre = t.callsOf('10.0.0.5:22').find((c) => c.command?.includes('bash -s -- /opt/dcos_install_tmp'))!;
    expect(pre.stdin).toContain('echo archived');
    expect((await readRecord(f.genconf))!.hosts['10.0.0.5:22']!.installed!.bundleSha256).toBe(sha);

    await writeTarFile(entries('beef'), archive);
    await expect(
      f.cli((ctx) => addNodes(ctx, { makeTransport: async () => t }), ['--add-nodes', '--bundle', archive]),
    ).rejects.toThrow(/config_id beef, but the cluster was installed with config_id c0ffee/);
  });

  it('while another run holds the cluster lock, it says who and touches no host', async () => {
    await writeInstalled(f.genconf, [
      ['10.0.0.1', 'master'],
      ['10.0.0.4', 'agent'],
    ]);
    await writeFile(
      path.join(f.genconf, 'cluster.lock'),
      JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: '2026-12-02T07:00:00Z', action: 'deploy' }),
    );
    const t = new FakeTransport();
    await expect(f.cli((ctx) => addNodes(ctx, { makeTransport: async () => t }), ['--add-nodes'])).rejects.toThrow(
      `pid ${process.pid} on ${os.hostname()}, --deploy since 2026-12-02T07:00:00Z`,
    );
    expect(t.calls).toEqual([]);
  });

  it('needs a recorded installation', async () => {
    await expect(
      f.cli((ctx) => addNodes(ctx, { makeTransport: async () => new FakeTransport() }), ['--add-nodes']),
    ).rejects.toThrow(InputError);
  });

  it('--dry-run prints the plan of the new hosts only and connects to nothing', async () => {
    await writeInstalled(f.genconf, [
      ['10.0.0.1', 'master'],
      ['10.0.0.4', 'agent'],
      ['10.0.0.6', 'public_agent'],
    ]);
    const t = new FakeTransport();
    const r = await f.cli((ctx) => addNodes(ctx, { makeTransport: async () => t }), ['--add-nodes', '--dry-run']);
    expect(r.code).toBe(0);
    expect(t.calls).toEqual([]);
    expect(r.stdout).toContain('[add-nodes] 1 new host');
    expect(r.stdout).toContain('[preflight] dry run');
    expect(r.stdout).toContain('[deploy] dry run');
    expect(r.stdout).toContain('sudo -n bash /opt/dcos_install_tmp/dcos_install.sh slave');
    expect(r.stdout).not.toContain('10.0.0.4:22 (');
    expect(r.stdout).not.toContain('10.0.0.1:22 (');
  });

  it('new agents in another region are shown with their region before the install and recorded as remote', async () => {
    await writeFile(path.join(f.genconf, 'fault-domain-detect'), '#!/bin/sh\necho x\n', { mode: 0o755 });
    await writeInstalled(f.genconf, [
      ['10.0.0.1', 'master', { region: 'east', zone: 'e1' }],
      ['10.0.0.4', 'agent', { region: 'east', zone: 'e2' }],
      ['10.0.0.6', 'public_agent'],
    ]);
    const t = scriptInstall(new FakeTransport(), '10.0.0.5', { faultDomain: fd('west', 'w1') });
    const r = await f.cli((ctx) => addNodes(ctx, { makeTransport: async () => t }), ['--add-nodes']);
    expect(r.code).toBe(0);
    const before = r.stdout.indexOf('region west, zone w1  (remote region)');
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(r.stdout.indexOf('[deploy]'));
    expect((await readRecord(f.genconf))!.hosts['10.0.0.5:22']).toMatchObject({
      region: 'west',
      zone: 'w1',
      remoteRegion: true,
    });
  });

  it("--dry-run with a fault-domain script shows each new host's region (running only the script, on new hosts only) and stops", async () => {
    await writeFile(path.join(f.genconf, 'fault-domain-detect'), '#!/bin/sh\necho x\n', { mode: 0o755 });
    await writeInstalled(f.genconf, [
      ['10.0.0.1', 'master', { region: 'east', zone: 'e1' }],
      ['10.0.0.4', 'agent'],
      ['10.0.0.6', 'public_agent'],
    ]);
    const t = new FakeTransport().onExec('fault-domain-detect', { exitCode: 0, stdout: fd('west', 'w9') }, '10.0.0.5');
    const r = await f.cli((ctx) => addNodes(ctx, { makeTransport: async () => t }), ['--add-nodes', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/10\.0\.0\.5:22\s+agent\s+region west, zone w9 {2}\(remote region\)/);
    expect(r.stdout).toContain('stopped before installing anything');
    expect(t.commands('10.0.0.5:22')).toHaveLength(1);
    expect(new Set(t.calls.map((c) => c.host))).toEqual(new Set(['10.0.0.5:22']));
    expect(await readRecord(f.genconf)).toMatchObject({
      hosts: { '10.0.0.1:22': { installed: { configId: CONFIG_ID } } },
    });
    expect((await readRecord(f.genconf))!.hosts['10.0.0.5:22']).toBeUndefined();
  });

  it('a new host whose fault-domain-detect prints junk fails preflight with the output shown, and is not deployed', async () => {
    await writeFile(path.join(f.genconf, 'fault-domain-detect'), '#!/bin/sh\necho x\n', { mode: 0o755 });
    await writeInstalled(f.genconf, [
      ['10.0.0.1', 'master'],
      ['10.0.0.4', 'agent'],
      ['10.0.0.6', 'public_agent'],
    ]);
    const t = scriptInstall(new FakeTransport(), '10.0.0.5', { faultDomain: 'us-west-2' });
    const r = await f.cli((ctx) => addNodes(ctx, { makeTransport: async () => t }), ['--add-nodes']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('fault-domain-detect did not print JSON');
    expect(r.stdout).toContain('us-west-2');
    expect(r.stdout).toContain('0 added');
    expect(t.commands('10.0.0.5:22').some((c) => c.includes('dcos_install.sh slave'))).toBe(false);
  });
});

describe('--export-bundle', () => {
  it('writes the deployed archive with its sha256; the same serve tree gives the same bytes', async () => {
    const a = path.join(f.work, 'a.tar');
    const b = path.join(f.work, 'b.tar');
    const r1 = await f.cli(exportBundle, ['--export-bundle', a]);
    const r2 = await f.cli(exportBundle, ['--export-bundle', b]);
    expect(r1.code).toBe(0);
    const sha = r1.stdout.split(' ')[0]!;
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    expect(r2.stdout.split(' ')[0]).toBe(sha);
    expect(await readFile(a)).toEqual(await readFile(b));
    expect(r1.stdout).toContain(`config_id ${CONFIG_ID}`);
    expect(r1.stdout).toContain('dcos_install.sh slave');
    void SHA;
    void CONFIG;
  });
});
