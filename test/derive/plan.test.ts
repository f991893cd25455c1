import { describe, expect, it } from 'vitest';
import { sshSettings } from '../../src/config/ssh-settings.js';
import { planCluster } from '../../src/derive/plan.js';
import { UsageError } from '../../src/errors.js';
import { clusterArgs } from '../fakes/cluster.js';

describe('planCluster', () => {
  it('lists masters, then agents, then public agents, with the install role dcos_install.sh takes', () => {
    const plan = planCluster(sshSettings(clusterArgs()));
    expect(plan.hosts.map((h) => [h.label, h.role, h.installRole, h.index])).toEqual([
      ['10.0.0.1:22', 'master', 'master', 0],
      ['10.0.0.2:22', 'master', 'master', 1],
      ['10.0.0.3:22', 'master', 'master', 2],
      ['10.0.0.4:22', 'agent', 'slave', 3],
      ['10.0.0.5:22', 'public_agent', 'slave_public', 4],
    ]);
    expect(plan.firstMaster?.address).toBe('10.0.0.1');
    expect(plan.parallelism).toBe(20);
    expect(plan.processTimeoutMs).toBe(120_000);
    expect(plan.postflightTimeoutMs).toBe(900_000);
    expect(plan.stagingDir).toBe('/opt/dcos_install_tmp');
  });

  it('takes ssh_user, ssh_port, ssh_parallelism and process_timeout from the arguments', () => {
    const plan = planCluster(
      sshSettings(clusterArgs({ ssh_user: 'admin', ssh_port: '2222', ssh_parallelism: '3', process_timeout: '600' })),
    );
    expect(plan.hosts.every((h) => h.user === 'admin' && h.port === 2222 && h.label.endsWith(':2222'))).toBe(true);
    expect(plan.parallelism).toBe(3);
    expect(plan.processTimeoutMs).toBe(600_000);
  });

  it('applies per-host port and user overrides only to the named host', () => {
    const plan = planCluster(
      sshSettings(clusterArgs({ ssh_host_overrides: JSON.stringify({ '10.0.0.4': { port: 60022, user: 'core' } }) })),
    );
    const agent = plan.hosts.find((h) => h.address === '10.0.0.4')!;
    expect(agent).toMatchObject({ port: 60022, user: 'core', label: '10.0.0.4:60022' });
    expect(plan.hosts.filter((h) => h.address !== '10.0.0.4').every((h) => h.port === 22 && h.user === 'centos')).toBe(
      true,
    );
  });

  it('--parallelism and --postflight-timeout override the config', () => {
    const plan = planCluster(
      sshSettings(clusterArgs({ ssh_parallelism: '50' }), { parallelism: 2, postflightTimeoutSec: 30 }),
    );
    expect(plan.parallelism).toBe(2);
    expect(plan.postflightTimeoutMs).toBe(30_000);
  });

  it('--hosts keeps the named hosts in cluster order, by address or label', () => {
    const plan = planCluster(sshSettings(clusterArgs()), { only: ['10.0.0.5', '10.0.0.2:22'] });
    expect(plan.hosts.map((h) => h.address)).toEqual(['10.0.0.2', '10.0.0.5']);
    expect(plan.allHosts).toHaveLength(5);
    expect(plan.firstMaster?.address).toBe('10.0.0.1');
  });

  it('--hosts with an address the config does not list is a usage error naming it', () => {
    expect(() => planCluster(sshSettings(clusterArgs()), { only: ['10.0.0.1', '10.9.9.9'] })).toThrowError(UsageError);
    expect(() => planCluster(sshSettings(clusterArgs()), { only: ['10.9.9.9'] })).toThrow(/10\.9\.9\.9/);
  });

  it('--retry-failed keeps only the labels it is given', () => {
    const plan = planCluster(sshSettings(clusterArgs()), { retryLabels: new Set(['10.0.0.3:22', '10.0.0.4:22']) });
    expect(plan.hosts.map((h) => h.address)).toEqual(['10.0.0.3', '10.0.0.4']);
  });

  it('treats missing agent lists as empty', () => {
    const plan = planCluster(sshSettings(clusterArgs({ agent_list: '[]', public_agent_list: '' })));
    expect(plan.hosts.map((h) => h.role)).toEqual(['master', 'master', 'master']);
  });
});
