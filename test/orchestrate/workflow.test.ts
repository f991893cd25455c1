/**
 * Workflows (orchestrate/run-workflow.ts) and --ignore-check, over the scripted fake transport: a host that fails a
 * stage never enters the next one (the fake fails the test on any command nobody scripted for it), and an ignored
 * check is recorded in the results, the summary, the NDJSON and the JUnit.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { UsageError } from '../../src/errors.js';
import { ExitCode } from '../../src/exit-codes.js';
import { exitCodeOf } from '../../src/orchestrate/result.js';
import { runStage } from '../../src/orchestrate/run-stage.js';
import { runWorkflow } from '../../src/orchestrate/run-workflow.js';
import { renderJUnit } from '../../src/report/junit.js';
import { eventRecord } from '../../src/report/ndjson.js';
import { renderSummary } from '../../src/report/summary.js';
import { CHECKS, checkIdOf } from '../../src/stages/check-ids.js';
import { STAGES } from '../../src/stages/index.js';
import { pullDeploySteps, withIgnoredInstallChecks } from '../../src/stages/deploy.js';
import type { ExecStep } from '../../src/stages/types.js';
import { clusterPlan } from '../fakes/cluster.js';
import { FakeTransport, type FakeResponse } from '../fakes/fake-transport.js';

const words =
  (...w: string[]) =>
  (command: string): boolean =>
    command.replace(/['"]/g, '').includes(w.join(' '));

const SHA = 'ab'.repeat(32);
const PASSING = 'Checking if DC/OS is already installed: PASS (Not installed)\n';
const PORT_FAIL = 'Checking if port 5051 (required by mesos-agent) is in use: FAIL\n';

/** templates/remote/preflight.sh's framed output: ip-detect's answer, then the checks and their exit status. */
function framed(ip: string, checks = PASSING, exit = 0): FakeResponse {
  return {
    exitCode: exit,
    stdout: `@@genconf ip-detect exit=0\n${ip}\n\n@@genconf ip-detect stderr\n\n@@genconf preflight\n${checks}@@genconf preflight exit=${exit}\n`,
  };
}

const PREFLIGHT = words('sudo -n bash -s -- /opt/dcos_install_tmp');

function deployOk(t: FakeTransport, host: string): FakeTransport {
  return t
    .onExec(words('install -d -o centos -m 0755 /opt/dcos_install_tmp'), {}, host)
    .onPut('/opt/dcos_install_tmp/dcos-install.tar', {}, host)
    .onExec(words('sha256sum'), { stdout: `${SHA}  /opt/dcos_install_tmp/dcos-install.tar\n` }, host)
    .onExec(words('tar -xf'), {}, host)
    .onExec(words('dcos_install.sh'), { stdout: 'Starting DC/OS Install Process\n' }, host)
    .onExec(words('rm -rf --one-file-system /opt/dcos_install_tmp'), {}, host);
}

const AGENTS = ['10.0.0.4', '10.0.0.5'];
const agentPlan = () => clusterPlan({}, { only: AGENTS });
const opts = (t: FakeTransport, extra: { ignoreChecks?: string[] } = {}) => ({
  transport: t,
  readStdin: async (p: string) => Buffer.from(`# script ${p}\n`),
  ...extra,
});

describe('runWorkflow', () => {
  it('runs each stage only on the hosts that passed the stage before: a failed host enters no later stage', async () => {
    // 10.0.0.5 fails preflight; only 10.0.0.4 is scripted for deploy and postflight, so any command sent to
    // 10.0.0.5 after preflight fails the test.
    const t = new FakeTransport()
      .onExec(PREFLIGHT, framed('10.0.0.4'), '10.0.0.4')
      .onExec(PREFLIGHT, framed('10.0.0.5', PORT_FAIL, 1), '10.0.0.5');
    deployOk(t, '10.0.0.4').onExec(words('node-poststart'), {
      exitCode: 0,
      stdout: JSON.stringify({ status: 0, checks: {} }),
    });
    const seen: Array<[string, string[]]> = [];
    const flow = await runWorkflow(
      { name: 'add-nodes', stages: [STAGES.preflight, STAGES.deploy, STAGES.postflight] },
      agentPlan(),
      (stage, plan) => {
        seen.push([stage.name, plan.hosts.map((h) => h.address)]);
        return runStage(stage, plan, opts(t));
      },
    );
    expect(seen).toEqual([
      ['preflight', AGENTS],
      ['deploy', ['10.0.0.4']],
      ['postflight', ['10.0.0.4']],
    ]);
    expect(flow.passed).toEqual(['10.0.0.4:22']);
    expect(flow.results.map(exitCodeOf)).toEqual([3, 0, 0]);
    expect(flow.exitCode).toBe(3);
    expect(t.commands('10.0.0.5:22')).toHaveLength(1);
  });

  it('stops when no host is left: a stage nobody passed ends the workflow', async () => {
    const t = new FakeTransport().onExec(PREFLIGHT, (_c, h) => framed(h.address, PORT_FAIL, 1));
    const flow = await runWorkflow(
      { name: 'add-nodes', stages: [STAGES.preflight, STAGES.deploy] },
      agentPlan(),
      (stage, plan) => runStage(stage, plan, opts(t)),
    );
    expect(flow.results.map((r) => r.stage)).toEqual(['preflight']);
    expect(flow.passed).toEqual([]);
    expect(flow.exitCode).toBe(3);
  });
});

describe('--ignore-check', () => {
  it('records an ignored failed check instead of failing the host, in the result, summary, NDJSON and JUnit', async () => {
    const t = new FakeTransport().onExec(PREFLIGHT, (_c, h) =>
      h.address === '10.0.0.5' ? framed(h.address, PASSING + PORT_FAIL, 1) : framed(h.address),
    );
    const result = await runStage(STAGES.preflight, agentPlan(), opts(t, { ignoreChecks: ['port-5051'] }));
    expect(result.hosts.map((h) => h.status)).toEqual(['ok', 'ok']);
    expect(exitCodeOf(result)).toBe(0);
    expect(result.hosts[1]!.checks).toContainEqual({
      name: 'Checking if port 5051 (required by mesos-agent) is in use',
      status: 'ignored',
    });
    expect(result.ignoredChecks).toEqual({
      ids: ['port-5051'],
      where: [
        { host: '10.0.0.5:22', id: 'port-5051', name: 'Checking if port 5051 (required by mesos-agent) is in use' },
      ],
    });
    const summary = renderSummary(result, { color: false });
    expect(summary).toContain('Ignored checks (--ignore-check port-5051):');
    expect(summary).toMatch(/~ port-5051 \(Checking if port 5051 .*\)\n\s+failed and ignored on 10\.0\.0\.5:22/);
    const ndjson = eventRecord({ type: 'summary', result });
    expect(ndjson).toMatchObject({ exitCode: 0, ignoredChecks: result.ignoredChecks });
    const junit = renderJUnit(result);
    expect(junit).toContain('<property name="ignore-check" value="port-5051"/>');
    expect(junit).toContain('<property name="ignored-check" value="10.0.0.5:22 port-5051"/>');
    expect(junit).toContain('IGNORED Checking if port 5051');
    expect(junit).not.toContain('<failure');
  });

  it('without the flag the same output fails the host; a check not named stays failed beside an ignored one', async () => {
    const two = PORT_FAIL + 'Checking if /opt is on the root filesystem: FAIL (/opt is a separate filesystem)\n';
    const t = new FakeTransport().onExec(PREFLIGHT, (_c, h) =>
      h.address === '10.0.0.5' ? framed(h.address, two, 2) : framed(h.address),
    );
    const plain = await runStage(STAGES.preflight, agentPlan(), opts(t));
    expect(plain.hosts[1]!.status).toBe('failed');
    expect(plain.ignoredChecks).toBeUndefined();
    const partly = await runStage(STAGES.preflight, agentPlan(), opts(t, { ignoreChecks: ['port-5051'] }));
    expect(partly.hosts[1]!.status).toBe('failed');
    expect(partly.hosts[1]!.checks.map((c) => [checkIdOf(c.name), c.status])).toEqual([
      ['ip-detect', 'pass'],
      ['port-5051', 'ignored'],
      ['opt-on-root', 'fail'],
    ]);
    expect(renderSummary(partly, { color: false })).toContain('✗ Checking if /opt is on the root filesystem');
  });

  it('an exit status the check lines do not explain is not ignorable', async () => {
    // Two FAIL lines would be exit 1; exit 7 means something else broke too.
    const t = new FakeTransport().onExec(PREFLIGHT, (_c, h) => framed(h.address, PORT_FAIL, 7));
    const r = await runStage(STAGES.preflight, agentPlan(), opts(t, { ignoreChecks: ['port-5051'] }));
    expect(r.hosts.map((h) => h.status)).toEqual(['failed', 'failed']);
  });

  it('ignores the cross-host unique-address check when named, and says so even when nothing failed', async () => {
    const t = new FakeTransport().onExec(PREFLIGHT, framed('10.0.0.4'), '10.0.0.4');
    t.onExec(PREFLIGHT, framed('10.0.0.4', PASSING, 0), '10.0.0.5');
    // 10.0.0.5 printed 10.0.0.4: its own ip-detect check fails (ignored too) and both hosts share an address.
    const r = await runStage(STAGES.preflight, agentPlan(), opts(t, { ignoreChecks: ['unique-address', 'ip-detect'] }));
    expect(r.hosts.map((h) => h.status)).toEqual(['ok', 'ok']);
    expect(r.ignoredChecks!.where.map((w) => [w.host, w.id])).toEqual([
      ['10.0.0.4:22', 'unique-address'],
      ['10.0.0.5:22', 'ip-detect'],
      ['10.0.0.5:22', 'unique-address'],
    ]);
    const clean = new FakeTransport().onExec(PREFLIGHT, (_c, h) => framed(h.address));
    const none = await runStage(STAGES.preflight, agentPlan(), opts(clean, { ignoreChecks: ['selinux-disabled'] }));
    expect(renderSummary(none, { color: false })).toContain(
      'Ignored checks (--ignore-check selinux-disabled):\n  none of them failed on any host',
    );
  });

  it('an unknown check name is a usage error (exit 2) that lists the valid names', () => {
    let err: unknown;
    try {
      parseArgs(['--preflight', '--ignore-check', 'port-5051,no-such-check'], '/');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.USAGE);
    expect((err as UsageError).message).toBe('--ignore-check: unknown check name no-such-check');
    for (const c of CHECKS) expect((err as UsageError).hint).toContain(c.id);
    expect(parseArgs(['--preflight', '--ignore-check', 'port-5051, selinux-disabled'], '/').ignoreChecks).toEqual([
      'port-5051',
      'selinux-disabled',
    ]);
    expect(() => parseArgs(['--genconf', '--ignore-check', 'port-5051'], '/')).toThrowError(UsageError);
  });

  it('postflight: an ignored dcos-diagnostics check passes the host, is recorded everywhere, and reaches the loop', async () => {
    // What the check runner prints (indented JSON) while an agent is not yet registered with the masters.
    const agentDown = (extra: Record<string, { status: number; output: string }> = {}): FakeResponse => ({
      exitCode: 2,
      stdout: JSON.stringify(
        {
          status: 2,
          checks: {
            mesos_agent_registered_with_masters: { output: 'agent not registered', status: 2 },
            xz: { output: '', status: 0 },
            ...extra,
          },
        },
        null,
        2,
      ),
    });
    const ignore = ['mesos-agent-registered-with-masters'];
    const t = new FakeTransport().onExec(words('node-poststart'), (_c, h) =>
      h.address === '10.0.0.5' ? agentDown() : { exitCode: 0, stdout: JSON.stringify({ status: 0, checks: {} }) },
    );
    const plain = await runStage(STAGES.postflight, agentPlan(), opts(t));
    expect(plain.hosts.map((h) => h.status)).toEqual(['ok', 'failed']);
    expect(plain.hosts[1]!.reason).toContain('mesos_agent_registered_with_masters not healthy');
    // No ignores: the loop gets exactly its three arguments, as before.
    expect(t.commands('10.0.0.5:22').at(-1)).toMatch(/dcos-postflight'? '?900'? '?node-poststart'?$/);

    const t2 = new FakeTransport().onExec(words('node-poststart'), (_c, h) =>
      h.address === '10.0.0.5' ? agentDown() : { exitCode: 0, stdout: JSON.stringify({ status: 0, checks: {} }) },
    );
    const result = await runStage(STAGES.postflight, agentPlan(), opts(t2, { ignoreChecks: ignore }));
    expect(result.hosts.map((h) => h.status)).toEqual(['ok', 'ok']);
    expect(exitCodeOf(result)).toBe(0);
    // The node's wait loop is told the check by the name dcos-diagnostics gives it, so it stops waiting on it.
    for (const host of ['10.0.0.4:22', '10.0.0.5:22'])
      expect(t2.commands(host).at(-1)).toMatch(/node-poststart'? '?mesos_agent_registered_with_masters'?$/);
    expect(result.hosts[1]!.checks).toContainEqual({
      name: 'mesos_agent_registered_with_masters',
      status: 'ignored',
      detail: 'agent not registered',
    });
    expect(result.ignoredChecks).toEqual({
      ids: ignore,
      where: [
        {
          host: '10.0.0.5:22',
          id: 'mesos-agent-registered-with-masters',
          name: 'mesos_agent_registered_with_masters',
          detail: 'agent not registered',
        },
      ],
    });
    const summary = renderSummary(result, { color: false });
    expect(summary).toContain('Ignored checks (--ignore-check mesos-agent-registered-with-masters):');
    expect(summary).toMatch(/failed and ignored on 10\.0\.0\.5:22/);
    expect(eventRecord({ type: 'summary', result })).toMatchObject({
      exitCode: 0,
      ignoredChecks: result.ignoredChecks,
    });
    const junit = renderJUnit(result);
    expect(junit).toContain(
      '<property name="ignored-check" value="10.0.0.5:22 mesos-agent-registered-with-masters: agent not registered"/>',
    );
    expect(junit).not.toContain('<failure');

    // A check not named still fails the host beside the ignored one.
    const t3 = new FakeTransport().onExec(words('node-poststart'), (_c, h) =>
      h.address === '10.0.0.5'
        ? agentDown({ journald_dir_permissions: { output: 'wrong owner', status: 2 } })
        : { exitCode: 0, stdout: JSON.stringify({ status: 0, checks: {} }) },
    );
    const partly = await runStage(STAGES.postflight, agentPlan(), opts(t3, { ignoreChecks: ignore }));
    expect(partly.hosts[1]!.status).toBe('failed');
    expect(partly.hosts[1]!.checks.map((c) => [checkIdOf(c.name), c.status])).toEqual([
      ['mesos-agent-registered-with-masters', 'ignored'],
      ['xz', 'pass'],
      ['journald-dir-permissions', 'fail'],
    ]);
    // The runner's own failures (no dcos-diagnostics, output that is not JSON) have no id to ignore.
    expect(() => parseArgs(['--postflight', '--ignore-check', 'node-poststart'], '/')).toThrowError(UsageError);
    expect(parseArgs(['--postflight', '--ignore-check', 'clock-sync,components-agent'], '/').ignoreChecks).toEqual([
      'clock-sync',
      'components-agent',
    ]);
  });

  it('deploy: the ignored ids dcos_install.sh knows reach its install run; what it reports IGNORED is recorded', async () => {
    const installOut =
      'Running preflight checks\n' +
      'Checking if port 5051 (required by mesos-agent) is in use: IGNORED (FAIL; --ignore-check port-5051)\n' +
      'Preflight summary: 0 FAIL, 0 WARN, 1 IGNORED\n  IGNORED: Checking if port 5051 (required by mesos-agent) is in use\n' +
      'Starting DC/OS Install Process\n';
    const t = new FakeTransport();
    for (const h of AGENTS) deployOk(t, h);
    const t2 = new FakeTransport();
    // Later rules win: the install with the ignored ids answers with the checks it reported IGNORED.
    for (const h of AGENTS)
      deployOk(t2, h).onExec(
        words('dcos_install.sh --ignore-check port-5051,docker-running slave'),
        { stdout: installOut },
        h,
      );
    // Without ignores the install command is exactly as before.
    await runStage(STAGES.deploy, agentPlan(), opts(t));
    expect(t.commands('10.0.0.4:22').find((c) => c.includes('dcos_install.sh'))).toMatch(
      /bash '?\/opt\/dcos_install_tmp\/dcos_install\.sh'? '?slave'?$/,
    );

    // Ids the install does not check (genconf's own, postflight's) are not sent to it.
    const ignore = ['ip-detect', 'port-5051', 'xz', 'docker-running'];
    const result = await runStage(STAGES.deploy, agentPlan(), opts(t2, { ignoreChecks: ignore }));
    expect(result.hosts.map((h) => h.status)).toEqual(['ok', 'ok']);
    for (const h of ['10.0.0.4:22', '10.0.0.5:22'])
      expect(t2.commands(h).find((c) => c.includes('dcos_install.sh'))).toMatch(
        /dcos_install\.sh'? '?--ignore-check'? '?port-5051,docker-running'? '?slave(_public)?'?$/,
      );
    expect(result.ignoredChecks!.where).toEqual(
      ['10.0.0.4:22', '10.0.0.5:22'].map((host) => ({
        host,
        id: 'port-5051',
        name: 'Checking if port 5051 (required by mesos-agent) is in use',
        detail: 'FAIL; --ignore-check port-5051',
      })),
    );
    expect(renderSummary(result, { color: false })).toContain(
      'Ignored checks (--ignore-check ip-detect,port-5051,xz,docker-running):',
    );
    expect(renderJUnit(result)).toContain(
      '<property name="ignored-check" value="10.0.0.5:22 port-5051: FAIL; --ignore-check port-5051"/>',
    );

    // The pull sends them as the script's sixth argument; without ignores it has five, as before.
    const files = {
      bundleTar: '/g/serve/dcos-install.tar',
      bundleSha256: SHA,
      pullUrl: 'http://10.0.0.9:8080',
      installScriptSha256: SHA,
      pullScript: '/t/pull-install.sh',
      installScriptSize: 4096,
      pullSettings: '@@genconf pull settings\n',
      pullLib: '/t/lib/fetch-artifacts.sh',
    };
    const plan = agentPlan();
    const host = plan.hosts[0]!;
    const argv = (p: typeof plan) => (pullDeploySteps(p, host, files).find((s) => s.id === 'install') as ExecStep).argv;
    expect(argv(plan).slice(-4)).toEqual(['slave', files.pullUrl, SHA, '4096']);
    expect(argv({ ...plan, ignoreChecks: ignore }).slice(-2)).toEqual(['4096', 'port-5051,docker-running']);
    const pulled = withIgnoredInstallChecks(
      { ok: true },
      { exitCode: 0, stdout: `@@genconf pull sha256 ${SHA}\n${installOut}@@genconf pull install exit=0\n`, stderr: '' },
    );
    expect(pulled.checks?.map((c) => [checkIdOf(c.name), c.status])).toEqual([['port-5051', 'ignored']]);
  });

  it('preflight: the ignored ids dcos_install.sh knows reach the node as they reach the install; its IGNORED lines are what is recorded', async () => {
    // What dcos_install.sh --preflight-only prints with `--ignore-check port-5051`: the check IGNORED, exit 0.
    const nodeSays =
      'Running preflight checks\n' +
      PASSING +
      'Checking if port 5051 (required by mesos-agent) is in use: IGNORED (FAIL; --ignore-check port-5051)\n' +
      'Preflight summary: 0 FAIL, 0 WARN, 1 IGNORED\n  IGNORED: Checking if port 5051 (required by mesos-agent) is in use\n';
    const base = 'sudo -n bash -s -- /opt/dcos_install_tmp';
    const roles = new Map(agentPlan().hosts.map((h) => [h.address, h.installRole]));
    /** Each host answers only its exact command (the fake fails the test on any other). */
    const exactly = (suffix: string, checks: (host: string) => string): FakeTransport => {
      const t = new FakeTransport();
      for (const h of AGENTS)
        t.onExec((c) => c === `${base} ${roles.get(h)}${suffix}`, framed(h, checks(h)), h).onExec(
          words('rm -rf --one-file-system /opt/dcos_install_tmp'),
          {},
          h,
        );
      return t;
    };
    const t = exactly(' --ignore-check port-5051,docker-running', (h) => (h === '10.0.0.5' ? nodeSays : PASSING));
    // Ids dcos_install.sh does not check (genconf's own, postflight's) are not sent to it.
    const ignore = ['ip-detect', 'port-5051', 'xz', 'docker-running', 'unique-address'];
    const result = await runStage(STAGES.preflight, agentPlan(), opts(t, { ignoreChecks: ignore }));
    for (const h of AGENTS)
      expect(t.commands(`${h}:22`)[0]).toBe(`${base} ${roles.get(h)} --ignore-check port-5051,docker-running`);
    expect(result.hosts.map((h) => h.status)).toEqual(['ok', 'ok']);
    expect(result.ignoredChecks!.where).toEqual([
      {
        host: '10.0.0.5:22',
        id: 'port-5051',
        name: 'Checking if port 5051 (required by mesos-agent) is in use',
        detail: 'FAIL; --ignore-check port-5051',
      },
    ]);
    expect(renderJUnit(result)).toContain(
      '<property name="ignored-check" value="10.0.0.5:22 port-5051: FAIL; --ignore-check port-5051"/>',
    );

    // Without ignores, or with only ids the node does not check, the command is exactly what it was.
    for (const ids of [undefined, ['ip-detect', 'unique-address', 'xz']]) {
      const plain = exactly('', () => PASSING);
      const r = await runStage(STAGES.preflight, agentPlan(), opts(plain, ids ? { ignoreChecks: ids } : {}));
      expect(r.hosts.map((h) => h.status)).toEqual(['ok', 'ok']);
      for (const h of AGENTS) expect(plain.commands(`${h}:22`)[0]).toBe(`${base} ${roles.get(h)}`);
    }
    // A role or staging path that needs quoting is quoted by the transport, the ids too.
    const odd = agentPlan();
    const quoted = new FakeTransport().onExec(
      () => true,
      (_c, h) => framed(h.address),
    );
    await runStage(
      STAGES.preflight,
      { ...odd, stagingDir: "/opt/it's here" },
      opts(quoted, { ignoreChecks: ['port-5051'] }),
    );
    expect(quoted.commands('10.0.0.4:22')[0]).toBe(
      `sudo -n bash -s -- '/opt/it'\\''s here' ${roles.get('10.0.0.4')} --ignore-check port-5051`,
    );
  });

  it("the README's check names table lists every catalogued id", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('**Check names.**'), readme.indexOf('A real run from the test lab'));
    for (const c of CHECKS) {
      const shown = c.id.startsWith('command-') ? '`command-<name>`' : `\`${c.id}\``;
      expect(table, c.id).toContain(shown);
      if (c.id.startsWith('command-')) expect(table).toContain(`\`${c.id.slice('command-'.length)}\``);
    }
  });
});

describe('a host that refuses session channels', () => {
  it('fails the step as "cannot start the command" with the MaxSessions hint, not as a lost connection', async () => {
    const t = new FakeTransport()
      .onExec(PREFLIGHT, framed('10.0.0.4'), '10.0.0.4')
      .onExec(PREFLIGHT, { refuseChannel: true }, '10.0.0.5')
      // The cut-off command may have left its directory behind: the cleanup is tried, and refused too.
      .onExec(words('rm -rf --one-file-system /opt/dcos_install_tmp'), { refuseChannel: true }, '10.0.0.5');
    const r = await runStage(STAGES.preflight, agentPlan(), opts(t));
    expect(r.hosts.map((h) => h.status)).toEqual(['ok', 'failed']);
    expect(r.hosts[1]!.failedStep).toBe('Run the preflight checks');
    expect(r.hosts[1]!.reason).toBe(
      '10.0.0.5:22: cannot start the command: (SSH) Channel open failure: open failed; the host refuses new SSH sessions: check sshd MaxSessions and its logs',
    );
    expect(r.hosts[1]!.reason).not.toContain('connection closed');
  });
});

describe('stage inputs', () => {
  it('a stage declares what it sends; the runner refuses a plan that lacks it before touching any host', async () => {
    expect(STAGES.deploy.inputs.required).toEqual(['bundleTar', 'bundleSha256']);
    expect(STAGES.preflight.inputs).toEqual({
      required: ['preflightScript', 'installScript', 'ipDetect'],
      optional: ['faultDomainDetect'],
    });
    const t = new FakeTransport();
    const plan = agentPlan();
    const { bundleTar: _gone, ...files } = plan.files;
    await expect(runStage(STAGES.deploy, { ...plan, files }, opts(t))).rejects.toThrow(
      'stage deploy is missing its inputs: bundleTar',
    );
    expect(t.callsOf('10.0.0.4:22')).toEqual([]);
  });
});
