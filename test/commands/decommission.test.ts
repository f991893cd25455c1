import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run as decommission } from '../../src/commands/decommission.js';
import { readRecord } from '../../src/cluster/record.js';
import { UsageError } from '../../src/errors.js';
import { FakeTransport } from '../fakes/fake-transport.js';
import { startMesosStandin, type MesosStandin } from '../support/mesos-standin.js';
import { makeFixture, writeInstalled, type Fixture } from './day2-fixture.js';

const TOKEN = 'eyJ-secret-acs-token';
let f: Fixture;
let mesos: MesosStandin;
beforeEach(async () => {
  f = await makeFixture();
  await writeInstalled(f.genconf, [
    ['10.0.0.1', 'master'],
    ['10.0.0.4', 'agent'],
    ['10.0.0.5', 'agent'],
    ['10.0.0.6', 'public_agent'],
  ]);
  await writeFile(path.join(f.genconf, 'token'), `${TOKEN}\n`, { mode: 0o600 });
  mesos = await startMesosStandin({
    masters: 2,
    leader: 1,
    token: TOKEN,
    agents: [
      { id: 'S4', hostname: 'node-4.internal', address: '10.0.0.4' },
      { id: 'S5', hostname: '10.0.0.5', address: '10.0.0.5' },
      { id: 'S6', hostname: '10.0.0.6', address: '10.0.0.6' },
    ],
  });
});
afterEach(async () => {
  await mesos.close();
  await f.cleanup();
});

const UNINSTALLED = { exitCode: 0, stdout: 'STOPPED dcos.target\nREMOVED /opt/mesosphere\n' };
const decom = (t: FakeTransport) => (ctx: Parameters<typeof decommission>[0]) =>
  decommission(ctx, { makeTransport: async () => t, env: {} });
const base = () => [
  '--decommission',
  '--master-url',
  mesos.urls[0]!,
  '--dcos-token-file',
  path.join(f.genconf, 'token'),
  '--yes',
];

async function everything(dir: string): Promise<string> {
  const out: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.push(await readFile(path.join(e.parentPath, e.name), 'utf8'));
  }
  return out.join('\n');
}

describe('--decommission', () => {
  it('looks the agent up on the leader, removes DC/OS over SSH, marks it gone; a second run sends nothing', async () => {
    const t = new FakeTransport().onExec('sudo -n bash -s', UNINSTALLED, '10.0.0.4');
    const r = await f.cli(decom(t), [...base(), '--hosts', '10.0.0.4', '--json']);
    expect(r.stderr).toContain('10.0.0.4:22  decommissioned  (agent S4)');
    expect(r.code).toBe(0);
    expect(mesos.requests.map((q) => [q.master, q.type, q.status])).toEqual([
      [0, 'GET_AGENTS', 307],
      [1, 'GET_AGENTS', 200],
      [1, 'MARK_AGENT_GONE', 200],
    ]);
    expect(mesos.requests[2]!.body).toEqual({
      type: 'MARK_AGENT_GONE',
      mark_agent_gone: { agent_id: { value: 'S4' } },
    });
    expect(mesos.requests.every((q) => q.authorization === `token=${TOKEN}`)).toBe(true);
    expect(mesos.gone).toEqual(['S4']);
    // Only the decommissioned host saw SSH.
    expect(new Set(t.calls.map((c) => c.host))).toEqual(new Set(['10.0.0.4:22']));
    const rec = (await readRecord(f.genconf))!;
    expect(rec.hosts['10.0.0.4:22']!.decommissioned).toMatchObject({ agentId: 'S4', diskCleaned: true });
    expect(rec.hosts['10.0.0.4:22']!.installed).toBeUndefined();
    // The token is nowhere: not in the output, the NDJSON, the record or the logs.
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    const written = await everything(f.genconf);
    expect(written.replaceAll(`${TOKEN}\n`, '')).not.toContain(TOKEN);

    const t2 = new FakeTransport();
    const again = await f.cli(decom(t2), [...base(), '--hosts', '10.0.0.4']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already decommissioned');
    expect(again.stdout).toContain('nothing to change');
    expect(mesos.requests).toHaveLength(3);
    expect(t2.calls).toEqual([]);
  });

  it('refuses masters and addresses config.yaml does not list, with no request and no connection', async () => {
    const t = new FakeTransport();
    await expect(f.cli(decom(t), [...base(), '--hosts', '10.0.0.1'])).rejects.toThrow(/10\.0\.0\.1:22 is a master/);
    await expect(f.cli(decom(t), [...base(), '--hosts', '10.0.0.99'])).rejects.toThrow(UsageError);
    expect(mesos.requests).toEqual([]);
    expect(t.calls).toEqual([]);
  });

  it('a listed host the master does not know as an agent exits non-zero, with no MARK_AGENT_GONE and no SSH', async () => {
    mesos.agents.splice(1, 1); // 10.0.0.5 is not registered
    const t = new FakeTransport();
    const r = await f.cli(decom(t), [...base(), '--hosts', '10.0.0.5']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('not a known agent');
    expect(mesos.requests.map((q) => q.type)).toEqual(['GET_AGENTS', 'GET_AGENTS']);
    expect(t.calls).toEqual([]);
  });

  it('an SSH-unreachable agent is marked gone only with --force, and the disk is reported not cleaned', async () => {
    const t = new FakeTransport().unreachable('10.0.0.5');
    const without = await f.cli(decom(t), [...base(), '--hosts', '10.0.0.5']);
    expect(without.code).toBe(3);
    expect(without.stdout).toContain('--force marks it gone');
    expect(mesos.requests.map((q) => q.type)).not.toContain('MARK_AGENT_GONE');
    const forced = await f.cli(decom(t), [...base(), '--hosts', '10.0.0.5', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('10.0.0.5:22  decommissioned, disk not cleaned  (agent S5)');
    expect(mesos.gone).toEqual(['S5']);
    expect((await readRecord(f.genconf))!.hosts['10.0.0.5:22']!.decommissioned).toMatchObject({
      agentId: 'S5',
      diskCleaned: false,
    });
  });

  it('without the token the master answers 401 and nothing is removed', async () => {
    const t = new FakeTransport();
    const args = base().filter((a, i, all) => a !== '--dcos-token-file' && all[i - 1] !== '--dcos-token-file');
    await expect(f.cli(decom(t), [...args, '--hosts', '10.0.0.4'])).rejects.toThrow(/401 Unauthorized/);
    expect(t.calls).toEqual([]);
    expect(mesos.requests.map((q) => [q.type, q.status, q.authorization])).toEqual([['GET_AGENTS', 401, undefined]]);
  });

  it('needs --yes (or a typed yes); --dry-run prints the plan and sends nothing', async () => {
    const t = new FakeTransport();
    const noYes = base().filter((a) => a !== '--yes');
    await expect(f.cli(decom(t), [...noYes, '--hosts', '10.0.0.4'])).rejects.toMatchObject({
      hint: expect.stringContaining('--yes'),
    });
    const dry = await f.cli(decom(t), [...noYes, '--hosts', '10.0.0.4,10.0.0.6', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('10.0.0.4:22: 1. GET_AGENTS');
    expect(dry.stdout).toContain('MARK_AGENT_GONE');
    expect(dry.stdout).toContain('Stop and remove DC/OS: sudo -n bash -s');
    expect(dry.stdout).not.toContain(TOKEN);
    expect(mesos.requests).toEqual([]);
    expect(t.calls).toEqual([]);
  });
});
