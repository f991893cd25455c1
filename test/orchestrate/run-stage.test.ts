import { describe, expect, it } from 'vitest';
import type { ClusterPlan } from '../../src/derive/plan.js';
import type { RunEvent } from '../../src/orchestrate/events.js';
import { exitCodeOf, type StageResult } from '../../src/orchestrate/result.js';
import { runStage, type RunOptions } from '../../src/orchestrate/run-stage.js';
import { deployPull, deployStage } from '../../src/stages/deploy.js';
import { STAGES } from '../../src/stages/index.js';
import type { Stage } from '../../src/stages/types.js';
import { clusterPlan, manyAgents } from '../fakes/cluster.js';
import { FakeTransport, type FakeResponse } from '../fakes/fake-transport.js';

/** Match a command by its words in order, whatever quoting quote.ts chose for them. */
const words =
  (...w: string[]) =>
  (command: string): boolean =>
    command.replace(/['"]/g, '').includes(w.join(' '));

const SHA = 'ab'.repeat(32);

const PASSING = 'Checking if DC/OS is already installed: PASS (Not installed)\n';

/** What templates/remote/preflight.sh prints: ip-detect's answer and the checks, framed (test/node runs the real one). */
function framed(o: { ip: string; ipExit?: number; checks?: string; exit?: number; stderr?: string }): FakeResponse {
  const exit = o.exit ?? 0;
  return {
    exitCode: exit,
    stdout: `@@genconf ip-detect exit=${o.ipExit ?? 0}\n${o.ip}\n\n@@genconf ip-detect stderr\n\n@@genconf preflight\n${o.checks ?? PASSING}@@genconf preflight exit=${exit}\n`,
    ...(o.stderr !== undefined ? { stderr: o.stderr } : {}),
  };
}

const PREFLIGHT = words('sudo -n bash -s -- /opt/dcos_install_tmp');

function preflightOk(t: FakeTransport): FakeTransport {
  return t
    .onExec(PREFLIGHT, (_c, host) => framed({ ip: host.address }))
    .onExec(words('rm -rf --one-file-system /opt/dcos_install_tmp'), {});
}

function deployOk(t: FakeTransport): FakeTransport {
  return t
    .onExec(words('install -d -o centos -m 0755 /opt/dcos_install_tmp'), {})
    .onPut('/opt/dcos_install_tmp/dcos-install.tar')
    .onExec(words('sha256sum'), { stdout: `${SHA}  /opt/dcos_install_tmp/dcos-install.tar\n` })
    .onExec(words('tar -xf'), {})
    .onExec(words('dcos_install.sh'), { stdout: 'Starting DC/OS Install Process\n' })
    .onExec(words('rm -rf --one-file-system /opt/dcos_install_tmp'), {});
}

async function run(
  stage: Stage,
  plan: ClusterPlan,
  t: FakeTransport,
  opts: Partial<RunOptions> = {},
): Promise<{ result: StageResult; events: RunEvent[] }> {
  const events: RunEvent[] = [];
  const result = await runStage(stage, plan, {
    transport: t,
    listener: (e) => events.push(e),
    readStdin: async (p) => Buffer.from(`# script ${p}\n`),
    ...opts,
  });
  return { result, events };
}

const statuses = (r: StageResult): Record<string, string> =>
  Object.fromEntries(r.hosts.map((h) => [h.host.address, h.status]));

describe('runStage: preflight', () => {
  it('runs one command per host, for its own role, with the script, ip-detect and dcos_install.sh on stdin', async () => {
    const t = preflightOk(new FakeTransport());
    const { result } = await run(STAGES.preflight, clusterPlan(), t);
    expect(Object.values(statuses(result))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(exitCodeOf(result)).toBe(0);
    for (const h of result.hosts) {
      expect(t.connects(h.host.label)).toBe(1);
      expect(t.callsOf(h.host.label).map((c) => c.kind)).toEqual(['connect', 'exec', 'close']);
      expect(t.commands(h.host.label).map((c) => c.replace(/'/g, ''))).toEqual([
        `sudo -n bash -s -- /opt/dcos_install_tmp ${h.host.installRole}`,
      ]);
    }
    const stdin = t.calls.find((c) => c.kind === 'exec')!.stdin;
    expect(stdin).toBe(
      '# script /t/remote/preflight.sh\n' +
        Buffer.from('# script /g/ip-detect\n').toString('base64') +
        '\n' +
        '# script /g/serve/dcos_install.sh\n',
    );
    expect(result.hosts[0]!.checks.map((c) => c.name)).toEqual(['ip-detect', 'Checking if DC/OS is already installed']);
  });

  it('reads each stdin file once per run, whatever the number of hosts', async () => {
    const reads: string[] = [];
    const t = preflightOk(new FakeTransport());
    const { result } = await run(STAGES.preflight, clusterPlan(), t, {
      readStdin: async (p) => {
        reads.push(p);
        return Buffer.from(`# script ${p}\n`);
      },
    });
    expect(result.hosts.every((h) => h.status === 'ok')).toBe(true);
    expect(reads.sort()).toEqual(['/g/ip-detect', '/g/serve/dcos_install.sh', '/t/remote/preflight.sh']);
  });

  it('a command that cannot start (sudo wants a password) fails the host with the remote reason', async () => {
    const t = preflightOk(new FakeTransport()).onExec(
      PREFLIGHT,
      { exitCode: 1, stderr: 'sudo: a password is required\n' },
      '10.0.0.2',
    );
    const { result } = await run(STAGES.preflight, clusterPlan(), t);
    expect(result.hosts[1]).toMatchObject({
      status: 'failed',
      reason: 'the preflight could not start (exit 1): sudo: a password is required',
    });
    expect(t.commands('10.0.0.2:22')).toHaveLength(1);
  });

  it('a failing host is a result: the others finish, exit 3', async () => {
    const t = preflightOk(new FakeTransport()).onExec(
      PREFLIGHT,
      framed({ ip: '10.0.0.4', exit: 1, checks: 'Checking if port 5051 (required by mesos-agent) is in use: FAIL\n' }),
      '10.0.0.4',
    );
    const { result } = await run(STAGES.preflight, clusterPlan(), t);
    expect(statuses(result)).toEqual({
      '10.0.0.1': 'ok',
      '10.0.0.2': 'ok',
      '10.0.0.3': 'ok',
      '10.0.0.4': 'failed',
      '10.0.0.5': 'ok',
    });
    const agent = result.hosts[3]!;
    expect(agent.failedStep).toBe('Run the preflight checks');
    expect(agent.reason).toBe('1 preflight check failed: Checking if port 5051 (required by mesos-agent) is in use');
    // The command finished: it removed its own directory, so no separate cleanup is sent.
    expect(t.commands('10.0.0.4:22')).toHaveLength(1);
    expect(exitCodeOf(result)).toBe(3);
  });

  it('an ip-detect mismatch fails the host, and its checks are still reported', async () => {
    const t = preflightOk(new FakeTransport()).onExec(PREFLIGHT, framed({ ip: '192.168.0.9' }), '10.0.0.2');
    const { result } = await run(STAGES.preflight, clusterPlan(), t);
    const h = result.hosts[1]!;
    expect(h.status).toBe('failed');
    expect(h.failedStep).toBe('Run the preflight checks');
    expect(h.reason).toBe('ip-detect printed 192.168.0.9, but config.yaml lists this host as 10.0.0.2');
    expect(h.checks.map((c) => [c.name, c.status])).toEqual([
      ['ip-detect', 'fail'],
      ['Checking if DC/OS is already installed', 'pass'],
    ]);
  });

  it('a failing ip-detect and failed checks are both named in the reason', async () => {
    const t = preflightOk(new FakeTransport()).onExec(
      PREFLIGHT,
      framed({ ip: '', ipExit: 3, exit: 1, checks: 'Checking if docker is installed: FAIL\n' }),
      '10.0.0.2',
    );
    const { result } = await run(STAGES.preflight, clusterPlan(), t);
    expect(result.hosts[1]!.reason).toBe(
      'ip-detect exited 3; 1 preflight check failed: Checking if docker is installed',
    );
  });

  it('two hosts reporting the same address both fail, each message naming the other', async () => {
    const t = preflightOk(new FakeTransport()).onExec(PREFLIGHT, framed({ ip: '10.0.0.1' }), '10.0.0.3');
    const { result } = await run(STAGES.preflight, clusterPlan(), t);
    expect(statuses(result)).toMatchObject({ '10.0.0.1': 'failed', '10.0.0.2': 'ok', '10.0.0.3': 'failed' });
    expect(result.hosts[0]!.failedStep).toBe('Run the preflight checks');
    expect(result.hosts[0]!.reason).toBe(
      'ip-detect printed 10.0.0.1 here and also on 10.0.0.3:22: every host must report its own address',
    );
    expect(result.hosts[2]!.reason).toContain('also on 10.0.0.1:22');
  });

  it('unreachable and failed are distinct; only-unreachable exits 4, with a failure 3', async () => {
    const t = preflightOk(new FakeTransport()).unreachable('10.0.0.5', 'refused', 'connect ECONNREFUSED 10.0.0.5:22');
    const { result } = await run(STAGES.preflight, clusterPlan(), t);
    expect(result.hosts[4]).toMatchObject({ status: 'unreachable', reason: 'connect ECONNREFUSED 10.0.0.5:22' });
    expect(t.commands('10.0.0.5:22')).toEqual([]);
    expect(exitCodeOf(result)).toBe(4);

    const t2 = preflightOk(new FakeTransport())
      .unreachable('10.0.0.5')
      .onExec(PREFLIGHT, framed({ ip: '10.0.0.1', exit: 2 }), '10.0.0.1');
    const r2 = (await run(STAGES.preflight, clusterPlan(), t2)).result;
    expect(exitCodeOf(r2)).toBe(3);
  });

  it('a connect timeout names --connect-timeout', async () => {
    const t = preflightOk(new FakeTransport()).unreachable(
      '10.0.0.3',
      'timeout',
      '10.0.0.3:22: timed out while connecting',
    );
    const { result } = await run(STAGES.preflight, clusterPlan(), t, { connectTimeoutSec: 10 });
    expect(result.hosts[2]!.reason).toBe('10.0.0.3:22: timed out while connecting (raise --connect-timeout, now 10 s)');
  });

  it('never works on more hosts at once than the parallelism, and slots are reused as hosts finish', async () => {
    const t = preflightOk(new FakeTransport()).onExec(PREFLIGHT, (_c, host) => ({
      ...framed({ ip: host.address }),
      delayMs: 5,
    }));
    const plan = { ...clusterPlan(manyAgents(24)), parallelism: 4 };
    const { result } = await run(STAGES.preflight, plan, t);
    expect(result.hosts.every((h) => h.status === 'ok')).toBe(true);
    expect(t.maxConcurrentHosts).toBe(4);
  });

  it('a step that outlives process_timeout is timed-out, naming host, step and option; the cut command is cleaned up after', async () => {
    const t = preflightOk(new FakeTransport()).onExec(PREFLIGHT, { hang: true }, '10.0.0.2');
    const plan = { ...clusterPlan(), processTimeoutMs: 30 };
    const { result } = await run(STAGES.preflight, plan, t);
    const h = result.hosts[1]!;
    expect(h.status).toBe('timed-out');
    expect(h.reason).toBe(
      '10.0.0.2:22: "Run the preflight checks" timed out after 30 ms (raise process_timeout in config.yaml)',
    );
    expect(t.commands('10.0.0.2:22').at(-1)).toSatisfy(words('rm -rf --one-file-system /opt/dcos_install_tmp'));
    expect(t.commands('10.0.0.1:22')).toHaveLength(1);
    expect(exitCodeOf(result)).toBe(3);
  });

  it('a stalled transfer is timed-out, judged by progress, naming the option', async () => {
    const t = deployOk(new FakeTransport()).onPut('/opt/dcos_install_tmp/dcos-install.tar', { hang: true }, '10.0.0.1');
    const plan = { ...clusterPlan(), processTimeoutMs: 20 };
    const { result } = await run(deployStage({ continueOnMasterFailure: true }), plan, t);
    expect(result.hosts[0]!.status).toBe('timed-out');
    expect(result.hosts[0]!.reason).toBe(
      '10.0.0.1:22: "Copy dcos-install.tar" made no progress for 20 ms (raise process_timeout in config.yaml)',
    );
    expect(t.commands('10.0.0.1:22').at(-1)).toSatisfy(words('rm -rf'));
  });

  it('a connection lost mid-step makes the host unreachable with that reason and still attempts the cleanup', async () => {
    const t = preflightOk(new FakeTransport()).onExec(PREFLIGHT, { drop: true }, '10.0.0.3');
    const { result } = await run(STAGES.preflight, clusterPlan(), t);
    expect(result.hosts[2]).toMatchObject({
      status: 'unreachable',
      reason: '10.0.0.3:22: connection lost while the command ran: the host dropped the connection',
    });
    expect(t.commands('10.0.0.3:22').at(-1)).toSatisfy(words('rm -rf'));
    expect(exitCodeOf(result)).toBe(4);
  });

  it('a host that goes away mid-upload is unreachable with "connection lost", never a stall', async () => {
    const t = deployOk(new FakeTransport()).onPut('/opt/dcos_install_tmp/dcos-install.tar', { drop: true }, '10.0.0.4');
    const { result } = await run(STAGES.deploy, clusterPlan(), t);
    expect(result.hosts[3]).toMatchObject({
      status: 'unreachable',
      failedStep: 'Copy dcos-install.tar',
      reason:
        '10.0.0.4:22: connection lost while uploading /opt/dcos_install_tmp/dcos-install.tar: the host dropped the connection',
    });
    expect(result.hosts[3]!.reason).not.toContain('made no progress');
    expect(exitCodeOf(result)).toBe(4);
  });

  it('a failed cleanup fails an otherwise good host', async () => {
    const t = deployOk(new FakeTransport()).onExec(
      words('rm -rf'),
      { exitCode: 1, stderr: 'rm: cannot remove' },
      '10.0.0.5',
    );
    const { result } = await run(STAGES.deploy, clusterPlan(), t);
    expect(result.hosts[4]).toMatchObject({ status: 'failed', failedStep: 'Remove the staging directory' });
  });
});

describe('runStage: interruption and the run deadline', () => {
  it('Ctrl-C stops new work, aborts the running step, runs its cleanup and marks the rest skipped', async () => {
    const abort = new AbortController();
    const t = preflightOk(new FakeTransport()).onExec(PREFLIGHT, (_c, host) => {
      if (host.address === '10.0.0.2') setTimeout(() => abort.abort(), 5);
      return host.address === '10.0.0.2' ? { hang: true } : framed({ ip: host.address });
    });
    const plan = { ...clusterPlan(), parallelism: 1 };
    const { result } = await run(STAGES.preflight, plan, t, { signal: abort.signal });
    expect(result.interrupted).toBe(true);
    expect(statuses(result)).toEqual({
      '10.0.0.1': 'ok',
      '10.0.0.2': 'interrupted',
      '10.0.0.3': 'skipped',
      '10.0.0.4': 'skipped',
      '10.0.0.5': 'skipped',
    });
    expect(t.commands('10.0.0.2:22').at(-1)).toSatisfy(words('rm -rf'));
    expect(t.connects('10.0.0.3:22')).toBe(0);
    expect(exitCodeOf(result)).toBe(130);
  });

  it('the whole-run --timeout ends running steps as timed-out, naming --timeout, and still cleans up', async () => {
    const t = preflightOk(new FakeTransport()).onExec(PREFLIGHT, { hang: true });
    const { result } = await run(STAGES.preflight, clusterPlan(), t, { runTimeoutMs: 200 });
    expect(result.timedOut).toBe(true);
    expect(result.hosts.every((h) => h.status === 'timed-out')).toBe(true);
    // Normally during the hanging checks; on a loaded machine possibly an earlier step: either way named, with the option.
    expect(result.hosts[0]!.reason).toMatch(
      /^the run's deadline passed (during|before) "[^"]+" \(raise --timeout, now 200 ms\)$/,
    );
    for (const h of result.hosts) expect(t.commands(h.host.label).at(-1)).toSatisfy(words('rm -rf'));
    expect(exitCodeOf(result)).toBe(3);
  });
});

describe('runStage: deploy ordering', () => {
  it('finishes every master before any agent starts', async () => {
    const t = deployOk(new FakeTransport()).onExec(words('dcos_install.sh master'), { delayMs: 5 });
    const { result } = await run(STAGES.deploy, clusterPlan(), t);
    expect(Object.values(statuses(result))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    const lastMasterWork = Math.max(
      ...t.calls.map((c, i) =>
        c.host.startsWith('10.0.0.1:') || c.host.startsWith('10.0.0.2:') || c.host.startsWith('10.0.0.3:') ? i : -1,
      ),
    );
    const firstAgentWork = t.calls.findIndex((c) => c.host === '10.0.0.4:22' || c.host === '10.0.0.5:22');
    expect(firstAgentWork).toBeGreaterThan(lastMasterWork);
    expect(t.calls.filter((c) => c.kind === 'put').map((c) => c.remote)).toEqual(
      Array(5).fill('/opt/dcos_install_tmp/dcos-install.tar'),
    );
  });

  it('a failed master stops the run before agents are touched', async () => {
    const t = deployOk(new FakeTransport()).onExec(
      words('dcos_install.sh master'),
      { exitCode: 1, stderr: 'install failed' },
      '10.0.0.2',
    );
    const { result } = await run(STAGES.deploy, clusterPlan(), t);
    expect(statuses(result)).toEqual({
      '10.0.0.1': 'ok',
      '10.0.0.2': 'failed',
      '10.0.0.3': 'ok',
      '10.0.0.4': 'skipped',
      '10.0.0.5': 'skipped',
    });
    expect(result.hosts[3]!.reason).toMatch(/master 10\.0\.0\.2:22 failed/);
    expect(t.connects('10.0.0.4:22') + t.connects('10.0.0.5:22')).toBe(0);
    expect(exitCodeOf(result)).toBe(3);
  });

  it('an interrupt during the masters leaves agents skipped as interrupted, not as a master failure', async () => {
    const abort = new AbortController();
    const t = deployOk(new FakeTransport()).onExec(words('dcos_install.sh master'), () => {
      setTimeout(() => abort.abort(), 5);
      return { hang: true };
    });
    const { result } = await run(STAGES.deploy, clusterPlan(), t, { signal: abort.signal });
    expect(result.hosts.slice(0, 3).map((h) => h.status)).toEqual(['interrupted', 'interrupted', 'interrupted']);
    expect(result.hosts.slice(3).map((h) => [h.status, h.reason])).toEqual([
      ['skipped', 'interrupted before this host started'],
      ['skipped', 'interrupted before this host started'],
    ]);
    expect(exitCodeOf(result)).toBe(130);
  });

  it('--continue-on-master-failure deploys the agents anyway', async () => {
    const t = deployOk(new FakeTransport()).unreachable('10.0.0.1');
    const { result } = await run(deployStage({ continueOnMasterFailure: true }), clusterPlan(), t);
    expect(statuses(result)).toEqual({
      '10.0.0.1': 'unreachable',
      '10.0.0.2': 'ok',
      '10.0.0.3': 'ok',
      '10.0.0.4': 'ok',
      '10.0.0.5': 'ok',
    });
  });

  describe('a re-run on hosts that already hold something', () => {
    const CONFIG_ID = 'c0ffee'.repeat(6) + 'abcd';
    const plan = (): ClusterPlan => {
      const p = clusterPlan();
      return { ...p, files: { ...p.files, bundleConfigId: CONFIG_ID } };
    };
    const PROBE = words('sh -c printf roles=');
    const probe = (roles: string, config: string, opt = 'no', units = 'no'): FakeResponse => ({
      stdout: `roles=${roles}\nconfig=${config}\nopt=${opt}\nunits=${units}\n`,
    });
    const installed = (role: string): FakeResponse =>
      probe(`${role} `, `/opt/mesosphere/packages/dcos-config--setup_${CONFIG_ID}`, 'yes', 'yes');

    it('a host holding exactly this bundle is "already installed, skipped": a success, and agents still deploy', async () => {
      const t = deployOk(new FakeTransport())
        .onExec(PROBE, probe('', ''))
        .onExec(PROBE, installed('master'), '10.0.0.1')
        .onExec(PROBE, installed('master'), '10.0.0.2')
        .onExec(PROBE, installed('master'), '10.0.0.3');
      const { result } = await run(STAGES.deploy, plan(), t);
      expect(Object.values(statuses(result))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
      expect(exitCodeOf(result)).toBe(0);
      for (const i of [0, 1, 2]) {
        expect(result.hosts[i]!.note).toBe(`already installed (config_id ${CONFIG_ID}), skipped`);
        // Nothing was uploaded or installed; the staging cleanup still ran.
        expect(t.callsOf(result.hosts[i]!.host.label).filter((c) => c.kind === 'put')).toEqual([]);
        expect(t.commands(result.hosts[i]!.host.label).some(words('dcos_install.sh'))).toBe(false);
      }
      for (const i of [3, 4]) {
        expect(result.hosts[i]!.note).toBeUndefined();
        expect(t.commands(result.hosts[i]!.host.label).some(words('dcos_install.sh'))).toBe(true);
      }
    });

    it("an install cut off right after it marked the role (its role file only) is installed over; another role's is not", async () => {
      const t = deployOk(new FakeTransport())
        .onExec(PROBE, probe('', ''))
        .onExec(PROBE, probe('slave ', ''), '10.0.0.4')
        .onExec(PROBE, probe('slave ', ''), '10.0.0.5');
      const { result } = await run(STAGES.deploy, plan(), t);
      expect(result.hosts[3]!.status).toBe('ok');
      expect(t.commands('10.0.0.4:22').some(words('dcos_install.sh'))).toBe(true);
      // 10.0.0.5 is a public agent here: a slave role file means something else happened on it.
      expect(result.hosts[4]!.status).toBe('failed');
      expect(result.hosts[4]!.reason).toContain('half-installed: role file /etc/mesosphere/roles/slave');
      expect(t.callsOf('10.0.0.5:22').filter((c) => c.kind === 'put')).toEqual([]);
    });

    it('a half-installed host (role file, units, no active config) fails untouched, saying what to do', async () => {
      const t = deployOk(new FakeTransport())
        .onExec(PROBE, probe('', ''))
        .onExec(PROBE, probe('slave ', '', 'no', 'yes'), '10.0.0.4');
      const { result } = await run(STAGES.deploy, plan(), t);
      expect(result.hosts[3]).toMatchObject({
        status: 'failed',
        failedStep: 'Check whether DC/OS is already installed',
      });
      expect(result.hosts[3]!.reason).toBe(
        'half-installed: role file /etc/mesosphere/roles/slave, DC/OS units in /etc/systemd/system but no active DC/OS config (its install never finished): nothing was changed; run --uninstall --yes --hosts 10.0.0.4 on it, then --deploy again (or --deploy --retry-failed)',
      );
      expect(t.callsOf('10.0.0.4:22').filter((c) => c.kind === 'put')).toEqual([]);
      expect(result.hosts[4]!.status).toBe('ok');
    });

    it('a host installed with another config_id fails untouched, naming both ids', async () => {
      const t = deployOk(new FakeTransport())
        .onExec(PROBE, probe('', ''))
        .onExec(
          PROBE,
          probe('master ', '/opt/mesosphere/packages/dcos-config--setup_0123abcd', 'yes', 'yes'),
          '10.0.0.2',
        );
      const { result } = await run(STAGES.deploy, plan(), t);
      expect(result.hosts[1]!.status).toBe('failed');
      expect(result.hosts[1]!.reason).toContain(`with config_id 0123abcd, this bundle's is ${CONFIG_ID}`);
      expect(t.commands('10.0.0.2:22').some(words('dcos_install.sh'))).toBe(false);
    });

    describe('--deploy --pull looks first too, with the same verdicts', () => {
      const PULL_SHA = 'cd'.repeat(32);
      const PULL_SETTINGS =
        '@@genconf pull settings\nmirrors http://m1\nuse_proxy true\nhttp_proxy http://u:secret@p:3128\nhttps_proxy http://p:3128\nno_proxy\n';
      const pullPlan = (): ClusterPlan => {
        const p = plan();
        return {
          ...p,
          files: {
            ...p.files,
            pullUrl: 'http://10.0.0.9:8080',
            installScriptSha256: PULL_SHA,
            installScriptSize: 4242,
            pullSettings: PULL_SETTINGS,
            pullScript: '/t/remote/pull-install.sh',
            pullLib: '/t/lib/fetch-artifacts.sh',
          },
        };
      };
      const PULL = words('sudo -n bash -s -- /opt/dcos_install_tmp');
      const pullOk = (t: FakeTransport): FakeTransport =>
        t
          .onExec(PULL, {
            stdout:
              '@@genconf pull fetched http://10.0.0.9:8080/dcos_install.sh\nInstalling\n@@genconf pull install exit=0\n',
          })
          .onExec(PROBE, probe('', ''));
      const pulled = (t: FakeTransport, label: string): boolean => t.commands(label).some(PULL);

      it('a host holding exactly this bundle is "already installed, skipped": no sudo, no download, agents still deploy', async () => {
        const t = pullOk(new FakeTransport())
          .onExec(PROBE, installed('master'), '10.0.0.1')
          .onExec(PROBE, installed('master'), '10.0.0.2')
          .onExec(PROBE, installed('master'), '10.0.0.3');
        const { result } = await run(deployPull, pullPlan(), t);
        expect(Object.values(statuses(result))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
        expect(exitCodeOf(result)).toBe(0);
        for (const i of [0, 1, 2]) {
          const label = result.hosts[i]!.host.label;
          expect(result.hosts[i]!.note).toBe(`already installed (config_id ${CONFIG_ID}), skipped`);
          // The look is the only command: as the SSH user, nothing under sudo.
          expect(t.commands(label)).toHaveLength(1);
          expect(t.commands(label)[0]).toMatch(/^sh -c /);
        }
        for (const i of [3, 4]) {
          expect(result.hosts[i]!.note).toBeUndefined();
          expect(pulled(t, result.hosts[i]!.host.label)).toBe(true);
          // The download functions, the script, then the settings (a proxy password) on stdin; argv names none.
          const call = t.callsOf(result.hosts[i]!.host.label).find((c) => c.kind === 'exec' && PULL(c.command!))!;
          expect(call.stdin).toBe(
            '# script /t/lib/fetch-artifacts.sh\n# script /t/remote/pull-install.sh\n' + PULL_SETTINGS,
          );
          expect(call.command).not.toContain('secret');
          expect(call.command!.replace(/'/g, '')).toMatch(new RegExp(`http://10\\.0\\.0\\.9:8080 ${PULL_SHA} 4242$`));
        }
      });

      it('a half-installed host fails untouched with the push’s message', async () => {
        const t = pullOk(new FakeTransport()).onExec(PROBE, probe('slave ', '', 'no', 'yes'), '10.0.0.4');
        const { result } = await run(deployPull, pullPlan(), t);
        expect(result.hosts[3]).toMatchObject({
          status: 'failed',
          failedStep: 'Check whether DC/OS is already installed',
          reason:
            'half-installed: role file /etc/mesosphere/roles/slave, DC/OS units in /etc/systemd/system but no active DC/OS config (its install never finished): nothing was changed; run --uninstall --yes --hosts 10.0.0.4 on it, then --deploy again (or --deploy --retry-failed)',
        });
        expect(t.commands('10.0.0.4:22')).toHaveLength(1);
        expect(exitCodeOf(result)).toBe(3);
        expect(pulled(t, '10.0.0.5:22')).toBe(true);
      });

      it('a master installed with another config_id fails untouched, and the agents are not started', async () => {
        const t = pullOk(new FakeTransport()).onExec(
          PROBE,
          probe('master ', '/opt/mesosphere/packages/dcos-config--setup_0123abcd', 'yes', 'yes'),
          '10.0.0.2',
        );
        const { result } = await run(deployPull, pullPlan(), t);
        expect(result.hosts[1]!.status).toBe('failed');
        expect(result.hosts[1]!.reason).toContain(`with config_id 0123abcd, this bundle's is ${CONFIG_ID}`);
        expect(pulled(t, '10.0.0.2:22')).toBe(false);
        expect(statuses(result)['10.0.0.4']).not.toBe('ok');
        expect(pulled(t, '10.0.0.4:22')).toBe(false);
      });

      it('a probe that cannot run stops the host before the pull', async () => {
        const t = pullOk(new FakeTransport()).onExec(PROBE, { exitCode: 127, stderr: 'sh: not found\n' }, '10.0.0.5');
        const { result } = await run(deployPull, pullPlan(), t);
        expect(result.hosts[4]).toMatchObject({ status: 'failed', reason: 'the check exited 127' });
        expect(pulled(t, '10.0.0.5:22')).toBe(false);
      });
    });
  });

  it('a checksum mismatch on the node stops that host before it installs', async () => {
    const t = deployOk(new FakeTransport()).onExec(
      words('sha256sum'),
      { stdout: `${'00'.repeat(32)}  x\n` },
      '10.0.0.3',
    );
    const { result } = await run(deployStage({ continueOnMasterFailure: true }), clusterPlan(), t);
    expect(result.hosts[2]!.failedStep).toBe('Verify the SHA-256 of dcos-install.tar on the node');
    expect(t.commands('10.0.0.3:22').some(words('dcos_install.sh'))).toBe(false);
  });
});

describe('runStage: postflight', () => {
  const diag = (status: number): FakeResponse => ({
    exitCode: status,
    stdout: JSON.stringify({ status, checks: { xz: { status, output: '' } } }),
  });

  it('runs the node check everywhere and the cluster check on the first master, reusing its connection', async () => {
    const t = new FakeTransport()
      .onExec(words('node-poststart'), diag(0))
      .onExec(words('dcos-postflight 900 cluster'), diag(0));
    const { result } = await run(STAGES.postflight, clusterPlan(), t);
    expect(Object.values(statuses(result))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(t.commands('10.0.0.1:22').filter(words('cluster'))).toHaveLength(1);
    expect(t.commands('10.0.0.2:22').filter(words('cluster'))).toHaveLength(0);
    expect(t.connects('10.0.0.1:22')).toBe(1);
  });

  it('non-JSON output is a failed check showing the raw output, never a crash', async () => {
    const t = new FakeTransport()
      .onExec(words('node-poststart'), diag(0))
      .onExec(
        words('node-poststart'),
        { exitCode: 1, stdout: 'sudo: /opt/mesosphere/bin/dcos-diagnostics: command not found' },
        '10.0.0.4',
      )
      .onExec(words('cluster'), { exitCode: 0, stdout: '<html>oops</html>' });
    const { result } = await run(STAGES.postflight, clusterPlan(), t);
    expect(result.hosts[3]).toMatchObject({
      status: 'failed',
      reason: "node-poststart: the check runner's output is not JSON (exit 1)",
    });
    expect(result.hosts[3]!.checks).toEqual([
      {
        name: 'node-poststart',
        status: 'fail',
        detail: 'sudo: /opt/mesosphere/bin/dcos-diagnostics: command not found',
      },
    ]);
    expect(result.hosts[0]).toMatchObject({ status: 'failed', failedStep: 'Wait for the cluster checks' });
  });

  it('a first master that failed its node check gets no cluster check, and every host is reported done once', async () => {
    const t = new FakeTransport()
      .onExec(words('node-poststart'), diag(0))
      .onExec(words('node-poststart'), diag(2), '10.0.0.1');
    const { result, events } = await run(STAGES.postflight, clusterPlan(), t);
    expect(result.hosts[0]).toMatchObject({ status: 'failed', failedStep: 'Wait for the node checks' });
    expect(t.commands('10.0.0.1:22').some(words('cluster'))).toBe(false);
    const done = events
      .filter((e) => e.type === 'host-done')
      .map((e) => (e.type === 'host-done' ? e.result.host.label : ''));
    expect(done.sort()).toEqual(result.hosts.map((h) => h.host.label).sort());
    expect(t.callsOf('10.0.0.1:22').at(-1)!.kind).toBe('close');
  });

  it('the check loop is limited by --postflight-timeout, not process_timeout', async () => {
    const t = new FakeTransport()
      .onExec(words('node-poststart'), diag(0))
      .onExec(words('node-poststart'), { hang: true }, '10.0.0.5')
      .onExec(words('cluster'), diag(0));
    const plan = { ...clusterPlan(), processTimeoutMs: 1, postflightTimeoutMs: 20 };
    const { result } = await run(STAGES.postflight, plan, t);
    expect(result.hosts[4]!.status).toBe('timed-out');
    expect(result.hosts[4]!.reason).toMatch(
      /"Wait for the node checks" timed out after .* \(raise --postflight-timeout\)/,
    );
    expect(result.hosts[0]!.status).toBe('ok');
  });
});

describe('runStage: uninstall and install-prereqs', () => {
  it('pipes the script on stdin and reports leftovers per host', async () => {
    const t = new FakeTransport()
      .onExec(words('sudo -n bash -s'), { stdout: 'REMOVED /opt/mesosphere\n' })
      .onExec(words('sudo -n bash -s'), { exitCode: 1, stdout: 'LEFTOVER /var/lib/dcos\n' }, '10.0.0.3');
    const { result } = await run(STAGES.uninstall, clusterPlan(), t);
    expect(result.hosts[2]).toMatchObject({ status: 'failed', reason: 'still present after uninstall: /var/lib/dcos' });
    expect(t.calls.find((c) => c.kind === 'exec')!.stdin).toBe('# script /t/remote/uninstall.sh\n');
    expect(result.summaryName).toBe('uninstall_dcos');
  });

  it('reports an unsupported distribution as a failed host with the reason', async () => {
    const t = new FakeTransport().onExec(words('sudo -n bash -s'), {
      exitCode: 3,
      stdout: 'UNSUPPORTED Debian GNU/Linux 12 (bookworm): only CentOS and RHEL\n',
    });
    const { result } = await run(STAGES['install-prereqs'], clusterPlan(), t);
    expect(
      result.hosts.every(
        (h) =>
          h.status === 'failed' &&
          h.reason === 'unsupported distribution: Debian GNU/Linux 12 (bookworm): only CentOS and RHEL',
      ),
    ).toBe(true);
  });
});

describe('runStage: events', () => {
  it('emits run, per-step, per-host and summary events in order', async () => {
    const t = preflightOk(new FakeTransport());
    const { events } = await run(
      STAGES.preflight,
      clusterPlan({ master_list: '["10.0.0.1"]', agent_list: '[]', public_agent_list: '[]' }),
      t,
    );
    const types = events.filter((e) => e.type !== 'output' && e.type !== 'progress').map((e) => e.type);
    expect(types[0]).toBe('run');
    expect(types.at(-1)).toBe('summary');
    expect(types.filter((x) => x === 'step-start')).toHaveLength(1);
    expect(types.filter((x) => x === 'step-end')).toHaveLength(1);
    expect(types.indexOf('host-done')).toBeLessThan(types.indexOf('host-result'));
  });

  it('a flooding command fails with the sizes of what it printed and what was dropped, never a frame marker', async () => {
    // 200 KB of output with no frames at the end: the tail kept is noise, the answer and the exit frame are gone.
    const flood = 'noise from ip-detect\n'.repeat(10_000);
    const t = preflightOk(new FakeTransport()).onExec(PREFLIGHT, { exitCode: 1, stdout: flood }, '10.0.0.2');
    const { result } = await run(STAGES.preflight, clusterPlan(), t);
    const h = result.hosts[1]!;
    expect(h.status).toBe('failed');
    expect(h.reason).toContain('the host printed 210000 bytes on stdout');
    expect(h.reason).toContain('the rest was dropped');
    expect(h.reason).not.toContain('@@genconf');
    expect(result.hosts[0]!.reason).toBeUndefined();
  });
});
