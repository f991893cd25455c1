import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseFindings, PROBE_ARGV } from '../../src/cluster/probe.js';
import { run as status } from '../../src/commands/status.js';
import { command } from '../../src/transport/quote.js';
import { FakeTransport } from '../fakes/fake-transport.js';
import { CONFIG_ID, makeFixture, writeInstalled, type Fixture } from './day2-fixture.js';

let f: Fixture;
beforeEach(async () => {
  f = await makeFixture();
});
afterEach(async () => {
  await f.cleanup();
});

const probeCommand = command(PROBE_ARGV);
const found = (o: { roles?: string; config?: string; units?: string; fd?: string }) => ({
  exitCode: 0,
  stdout: `roles=${o.roles ?? ''}\nconfig=${o.config ? `/opt/mesosphere/packages/dcos-config--setup_${o.config}` : ''}\nunits=${o.units ?? ''}\n${o.fd !== undefined ? `fault_domain=${o.fd}\n` : ''}`,
});

describe('--status', () => {
  it('prints the record as a table, and as JSON with --json, touching no host', async () => {
    await writeInstalled(f.genconf, [
      ['10.0.0.1', 'master', { region: 'east', zone: 'e1' }],
      ['10.0.0.4', 'agent', { region: 'west', zone: 'w1', remoteRegion: true }],
    ]);
    const t = new FakeTransport();
    const r = await f.cli((ctx) => status(ctx, { makeTransport: async () => t }), ['--status']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`config_id ${CONFIG_ID}`);
    expect(r.stdout).toMatch(/10\.0\.0\.1:22\s+master\s+yes\s+installed\s+c0ffee\s+east\s+e1/);
    expect(r.stdout).toMatch(/10\.0\.0\.4:22\s+agent\s+yes\s+installed\s+c0ffee\s+west \(remote region\)\s+w1/);
    expect(r.stdout).toMatch(/10\.0\.0\.5:22\s+agent\s+yes\s+not installed/);
    const j = await f.cli((ctx) => status(ctx, { makeTransport: async () => t }), ['--status', '--json']);
    const doc = JSON.parse(j.stdout) as { record: { configId: string }; hosts: { host: string }[] };
    expect(doc.record.configId).toBe(CONFIG_ID);
    expect(doc.hosts.find((h: { host: string }) => h.host === '10.0.0.4:22')).toMatchObject({
      remoteRegion: true,
      state: 'installed',
    });
    expect(t.calls).toEqual([]);
  });

  it('--probe runs one read-only command per host and names every drift', async () => {
    // Recorded: 10.0.0.1 master, 10.0.0.4 agent and 10.0.0.9 (no longer in config.yaml) installed.
    await writeInstalled(f.genconf, [
      ['10.0.0.1', 'master'],
      ['10.0.0.4', 'agent'],
      ['10.0.0.9', 'agent'],
    ]);
    const t = new FakeTransport()
      .onExec(
        probeCommand,
        found({
          roles: 'master',
          config: CONFIG_ID,
          units: 'dcos-mesos-master.service:active',
          fd: '{"fault_domain":{"region":{"name":"east"},"zone":{"name":"e1"}}}',
        }),
        '10.0.0.1',
      )
      // Installed by hand with another config.
      .onExec(
        probeCommand,
        found({ roles: 'slave', config: 'beef', units: 'dcos-mesos-slave.service:active' }),
        '10.0.0.4',
      )
      // Listed, never installed.
      .onExec(probeCommand, found({}), '10.0.0.5')
      .onExec(probeCommand, found({}), '10.0.0.6')
      // Removed from the config, still installed.
      .onExec(
        probeCommand,
        found({ roles: 'slave', config: CONFIG_ID, units: 'dcos-mesos-slave.service:inactive' }),
        '10.0.0.9',
      );
    const r = await f.cli((ctx) => status(ctx, { makeTransport: async () => t }), ['--status', '--probe']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`10.0.0.4:22: drift: installed with config_id beef, the cluster's is ${CONFIG_ID}`);
    expect(r.stdout).toContain('10.0.0.5:22: drift: listed in config.yaml but nothing is installed');
    expect(r.stdout).toContain(
      '10.0.0.9:22: drift: DC/OS is installed (config_id c0ffee) but the host is no longer listed in config.yaml',
    );
    expect(r.stdout).not.toContain('10.0.0.1:22: drift');
    expect(r.stdout).toMatch(/10\.0\.0\.1:22\s+master\s+yes\s+yes\s+master\s+c0ffee\s+1\/1 active\s+east\s+e1/);
    for (const h of ['10.0.0.1:22', '10.0.0.4:22', '10.0.0.5:22', '10.0.0.6:22', '10.0.0.9:22']) {
      expect(t.commands(h)).toEqual([probeCommand]);
      expect(t.callsOf(h).filter((c) => c.kind === 'put')).toEqual([]);
    }
  });

  it('the probe command writes nothing: no sudo, no redirection into a file, no mkdir/rm/touch', () => {
    const script = PROBE_ARGV[2]!;
    expect(script).not.toMatch(/sudo|mkdir|\brm\b|touch|tee|>\s*[^&/]|>\s*\/(?!dev\/null)/);
    expect(
      parseFindings(
        'roles=slave \nconfig=/opt/mesosphere/packages/dcos-config--setup_abc123\nunits=a.service:active b.service:inactive \n',
      ),
    ).toEqual({
      roles: ['slave'],
      configId: 'abc123',
      configPackage: 'dcos-config--setup_abc123',
      units: [
        { name: 'a.service', active: true },
        { name: 'b.service', active: false },
      ],
    });
  });

  it('an unreachable host is reported, not a crash (exit 4 when nothing else is wrong)', async () => {
    await writeInstalled(f.genconf, [
      ['10.0.0.1', 'master'],
      ['10.0.0.4', 'agent'],
      ['10.0.0.5', 'agent'],
      ['10.0.0.6', 'public_agent'],
    ]);
    const t = new FakeTransport()
      .onExec(probeCommand, found({ roles: 'master', config: CONFIG_ID }), '10.0.0.1')
      .onExec(probeCommand, found({ roles: 'slave', config: CONFIG_ID }), '10.0.0.4')
      .onExec(probeCommand, found({ roles: 'slave_public', config: CONFIG_ID }), '10.0.0.6')
      .unreachable('10.0.0.5');
    const r = await f.cli((ctx) => status(ctx, { makeTransport: async () => t }), ['--status', '--probe']);
    expect(r.stdout).toContain('10.0.0.5:22: unreachable: connect ECONNREFUSED 10.0.0.5');
    expect(r.code).toBe(4);
  });
});
