/**
 * `dcos_install.sh --preflight-only <role>` run as root in the mount-namespace sandbox, with the stand-ins of
 * test/support/stubs first on PATH. Checks the role-aware result and that one failing check never stops the rest.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Sandbox, withSandbox } from '../support/sandbox.js';
import { renderInstallScript } from '../../src/bundle/install-script.js';
import { buildTestBundle, type TestBundle } from './bundle-fixture.js';
import { needSandbox } from './tools.js';
import { CHECKS, checkIdOf } from '../../src/stages/check-ids.js';
import { parsePreflightChecks } from '../../src/stages/judge.js';

/** The line format documented at the top of templates/dcos_install.sh.tmpl. */
const CHECK_LINE = /^(.*): (PASS|FAIL|WARN)(?: \((.*)\))?$/;
const SCRIPT = '/opt/dcos_install_tmp/dcos_install.sh';

interface Preflight {
  status: number;
  checks: { text: string; result: string; detail?: string }[];
  summary: { fail: string[]; warn: string[]; header?: string };
  stdout: string;
}

function parse(status: number, stdout: string): Preflight {
  const checks: Preflight['checks'] = [];
  const summary: Preflight['summary'] = { fail: [], warn: [] };
  for (const raw of stdout.split('\n')) {
    // eslint-disable-next-line no-control-regex
    const line = raw.replace(/\x1b\[[0-9;]*m/g, '');
    const s = /^ {2}(FAIL|WARN): (.*)$/.exec(line);
    if (s) {
      (s[1] === 'FAIL' ? summary.fail : summary.warn).push(s[2] as string);
      continue;
    }
    if (line.startsWith('Preflight summary: ')) {
      summary.header = line;
      continue;
    }
    const m = CHECK_LINE.exec(line);
    if (m)
      checks.push({ text: m[1] as string, result: m[2] as string, ...(m[3] === undefined ? {} : { detail: m[3] }) });
  }
  return { status, checks, summary, stdout };
}

let work: string;
let bundle: TestBundle;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'preflight-'));
  bundle = await buildTestBundle(path.join(work, 'serve'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A fresh node with the serve dir at /opt/dcos_install_tmp (and `script` as its dcos_install.sh). */
function withNode<T>(fn: (sb: Sandbox) => T, script = path.join(bundle.serveDir, 'dcos_install.sh')): Promise<T> {
  return withSandbox(fn, (sb) => {
    fs.cpSync(bundle.serveDir, sb.hostPath('/opt/dcos_install_tmp'), { recursive: true });
    fs.copyFileSync(script, sb.hostPath(SCRIPT));
  });
}

function preflight(sb: Sandbox, ...roles: string[]): Preflight {
  const r = sb.run(['bash', SCRIPT, '--preflight-only', ...roles]);
  expect(r.stderr).toBe('');
  return parse(r.status, r.stdout);
}

function consistent(p: Preflight): void {
  // Every FAIL and WARN is listed at the end, in order; the exit status is the number of FAILs.
  expect(p.summary.fail).toEqual(p.checks.filter((c) => c.result === 'FAIL').map((c) => c.text));
  expect(p.summary.warn).toEqual(p.checks.filter((c) => c.result === 'WARN').map((c) => c.text));
  expect(p.summary.header).toBe(`Preflight summary: ${p.summary.fail.length} FAIL, ${p.summary.warn.length} WARN`);
  expect(p.status).toBe(p.summary.fail.length);
  // Each check runs once.
  const texts = p.checks.map((c) => c.text);
  expect(new Set(texts).size).toBe(texts.length);
}

const ports = (p: Preflight): number[] =>
  p.checks.flatMap((c) => {
    const m = /^Checking if port (\d+) \(required by .+\) is in use$/.exec(c.text);
    return m ? [Number(m[1])] : [];
  });
const has = (p: Preflight, re: RegExp): boolean => p.checks.some((c) => re.test(c.text));
const result = (p: Preflight, text: string): string | undefined => p.checks.find((c) => c.text === text)?.result;

const MASTER_PORTS = [
  53, 80, 443, 1050, 2181, 5050, 7070, 8080, 8101, 8123, 8181, 9000, 9942, 9990, 15055, 36771, 41281, 46839, 61053,
  61091, 61420, 62080, 62501,
];
const AGENT_PORTS = [53, 5051, 61001, 61091, 61420, 62080, 62501];

describe('dcos_install.sh --preflight-only in a sandbox', { timeout: 180_000 }, () => {
  test('master: the master port list, no ftype check, master minimums', async (ctx) => {
    needSandbox(ctx);
    await withNode((sb) => {
      const p = preflight(sb, 'master');
      consistent(p);
      expect(ports(p)).toEqual(MASTER_PORTS);
      expect(has(p, /ftype=1/)).toBe(false);
      expect(has(p, /^Checking CPU count for the master role \(>= 4\)$/)).toBe(true);
      expect(has(p, /^Checking memory for the master role \(>= 32\.0 GB\)$/)).toBe(true);
      expect(has(p, /^Checking disk size of \/var\/lib for the master role \(>= 120\.0 GB\)$/)).toBe(true);
      // Resource shortfalls only warn.
      for (const c of p.checks.filter((c) => /^Checking (CPU|memory|disk)/.test(c.text)))
        expect(c.result).not.toBe('FAIL');
      // The stubs make these pass on any machine.
      for (const t of [
        'Checking if DC/OS is already installed',
        'Is SELinux disabled?',
        'Checking if Docker is running',
        'Checking docker version requirement (>= 1.6)',
        'Checking systemd version requirement (>= 200)',
        'Checking Docker is configured with a production storage driver',
        'Checking if the clock is synchronised',
        'Checking if ip-detect prints one valid IPv4 address',
      ]) {
        expect(result(p, t), t).toBe('PASS');
      }
      expect(p.checks.find((c) => c.text === 'Checking if ip-detect prints one valid IPv4 address')?.detail).toBe(
        '10.0.0.1',
      );
    });
  });

  for (const role of ['slave', 'slave_public']) {
    test(`${role}: the agent port list, the XFS ftype check, agent minimums`, async (ctx) => {
      needSandbox(ctx);
      await withNode((sb) => {
        const p = preflight(sb, role);
        consistent(p);
        expect(ports(p)).toEqual(AGENT_PORTS);
        expect(p.checks.filter((c) => /ftype=1/.test(c.text)).map((c) => c.text)).toEqual([
          'Checking if /var/lib/mesos/slave is mounted with "ftype=1"',
          'Checking if /var/lib/docker is mounted with "ftype=1"',
        ]);
        expect(has(p, /^Checking CPU count for the agent role \(>= 2\)$/)).toBe(true);
        expect(has(p, /^Checking memory for the agent role \(>= 16\.0 GB\)$/)).toBe(true);
      });
    });
  }

  test('several roles in one call: the union of the port lists, each port once', async (ctx) => {
    needSandbox(ctx);
    await withNode((sb) => {
      const p = preflight(sb, 'slave', 'slave_public');
      consistent(p);
      expect(ports(p)).toEqual(AGENT_PORTS);
      const both = preflight(sb, 'master', 'slave');
      consistent(both);
      expect(ports(both)).toEqual([...new Set([...MASTER_PORTS, ...AGENT_PORTS])]);
      expect(has(both, /ftype=1/)).toBe(true);
    });
  });

  test('a stopped Docker fails its checks and every other check still runs', async (ctx) => {
    needSandbox(ctx);
    await withNode((sb) => {
      const healthy = preflight(sb, 'slave');
      sb.sh('systemctl stop docker');
      const p = preflight(sb, 'slave');
      consistent(p);
      expect(p.checks.map((c) => c.text)).toEqual(healthy.checks.map((c) => c.text));
      expect(result(p, 'Checking if Docker is running')).toBe('FAIL');
      expect(result(p, 'Checking docker version requirement (>= 1.6)')).toBe('FAIL');
      expect(result(p, 'Checking Docker is configured with a production storage driver')).toBe('FAIL');
      expect(p.summary.fail).toContain('Checking if Docker is running');
      expect(result(p, 'Checking if ip-detect prints one valid IPv4 address')).toBe('PASS');
      expect(p.status).toBeGreaterThanOrEqual(3);
    });
  });

  test('--ignore-check: exactly the named failed checks are printed IGNORED, listed apart, and fail nothing', async (ctx) => {
    needSandbox(ctx);
    await withNode((sb) => {
      sb.sh('systemctl stop docker');
      const plain = preflight(sb, 'slave');
      const r = sb.run([
        'bash',
        SCRIPT,
        '--preflight-only',
        '--ignore-check',
        'docker-running,docker-version',
        'slave',
      ]);
      expect(r.stderr).toBe('');
      const lines = r.stdout.split('\n');
      expect(lines).toContain('Checking if Docker is running: IGNORED (FAIL; --ignore-check docker-running)');
      expect(lines).toContain(
        'Checking docker version requirement (>= 1.6): IGNORED (FAIL: Docker is not running; --ignore-check docker-version)',
      );
      // The storage driver check was not named: it still fails, and only it counts.
      expect(lines).toContain(
        'Checking Docker is configured with a production storage driver: FAIL (Docker is not running)',
      );
      const fails = plain.summary.fail.length - 2;
      const warns = plain.summary.warn.length;
      expect(lines).toContain(`Preflight summary: ${fails} FAIL, ${warns} WARN, 2 IGNORED`);
      expect(lines).toContain('  IGNORED: Checking if Docker is running');
      expect(lines).toContain('  IGNORED: Checking docker version requirement (>= 1.6)');
      expect(r.status).toBe(fails);
      // Every other line is the same as without the flag.
      const other = (out: string) =>
        out.split('\n').filter((l) => !/Docker is running|docker version|Preflight summary|IGNORED/.test(l));
      expect(other(r.stdout)).toEqual(other(plain.stdout));
      // The genconf side reads the IGNORED lines as ignored checks.
      expect(
        parsePreflightChecks(r.stdout)
          .filter((c) => c.status === 'ignored')
          .map((c) => checkIdOf(c.name)),
      ).toEqual(['docker-running', 'docker-version']);

      // An id nobody knows is refused before any check runs; a port id of any port is accepted.
      const bad = sb.run([
        'bash',
        SCRIPT,
        '--preflight-only',
        '--ignore-check',
        'docker-running,no-such-check',
        'slave',
      ]);
      expect(bad.status).toBe(1);
      expect(bad.stdout).toContain(
        "Unknown check id 'no-such-check' for --ignore-check; known ids: dcos-not-installed",
      );
      expect(bad.stdout).not.toContain('Running preflight checks');
      const port = sb.run(['bash', SCRIPT, '--preflight-only', '--ignore-check', 'port-1', 'slave']);
      expect(port.stdout).toContain('Running preflight checks');
    });
  });

  test("every check's id in dcos_install.sh is the id genconf gives its text, and the script knows each", () => {
    const template = fs.readFileSync(new URL('../../templates/dcos_install.sh.tmpl', import.meta.url), 'utf8');
    const sample = (t: string): string =>
      t
        .replace(/\\"/g, '"')
        .replace(/\$\{cmd\}/g, 'ipset')
        .replace(/\$\{port\}/g, '5051')
        .replace(/\$\{service\}/g, 'mesos-agent')
        .replace(/\$\{dir\}/g, '/var/lib/docker')
        .replace(/\$\{role\}/g, 'agent')
        .replace(/\$\{min_cpus\}/g, '2')
        .replace(/\$\(gb "\$\w+"\)/g, '16.0 GB');
    const known = /^KNOWN_CHECK_IDS=\(\n([\s\S]*?)\n\)/m.exec(template)![1]!.split(/\s+/).filter(Boolean);
    // Line by line: a function's `text="…"` is the text of its `report ID "$text"` calls.
    let text = '';
    let calls = 0;
    for (const line of template.split('\n')) {
      const t = /^\s*(?:local )?text="((?:[^"\\]|\\.)*)"/.exec(line);
      if (t) text = t[1]!;
      const r = /\breport ("[^"]+"|[a-z][\w-]*) "((?:[^"\\]|\\.)*)"/.exec(line);
      if (!r || line.trimStart().startsWith('#')) continue;
      calls++;
      const id = sample(r[1]!.replace(/"/g, ''));
      const shown = sample(r[2] === '$text' ? text : r[2]!);
      expect(checkIdOf(shown), shown).toBe(id);
      expect(id.startsWith('port-') || known.includes(id), id).toBe(true);
    }
    expect(calls).toBeGreaterThan(40);
    expect(known.sort()).toEqual(
      CHECKS.filter((c) => c.by === 'dcos_install.sh')
        .map((c) => c.id)
        .sort(),
    );
  });

  test('a port in use fails only for the role that needs it', async (ctx) => {
    needSandbox(ctx);
    await withNode((sb) => {
      // The listener and the preflight share a private network namespace: a port held on the machine's own
      // loopback would leak into every other test (the SSH lab's hosts share the machine's network).
      const listener = `require('net').createServer().listen(5051, '127.0.0.1', () => console.log('ready'))`;
      const inNetns = (role: string): Preflight => {
        const script = [
          'ip link set lo up',
          `${JSON.stringify(process.execPath)} -e ${JSON.stringify(listener)} > /tmp/listener.out &`,
          'for _ in $(seq 200); do grep -q ready /tmp/listener.out && break; sleep 0.05; done',
          `bash ${SCRIPT} --preflight-only ${role}; rc=$?`,
          'kill %1',
          'exit $rc',
        ].join('\n');
        const r = sb.run(['unshare', '--net', 'bash', '-c', script]);
        return parse(r.status, r.stdout);
      };
      const agent = inNetns('slave');
      consistent(agent);
      expect(result(agent, 'Checking if port 5051 (required by mesos-agent) is in use')).toBe('FAIL');
      expect(agent.summary.fail).toContain('Checking if port 5051 (required by mesos-agent) is in use');
      const master = inNetns('master');
      expect(ports(master)).not.toContain(5051);
    });
  });

  test('each failing condition is reported by its check, and the rest still run', async (ctx) => {
    needSandbox(ctx);
    await withNode((sb) => {
      const st = sb.hostPath('/etc/systemd/.stub-state');
      fs.mkdirSync(st, { recursive: true });
      fs.writeFileSync(path.join(st, 'selinux'), 'Enforcing\n');
      fs.writeFileSync(path.join(st, 'clock-unsynchronised'), '');
      fs.writeFileSync(path.join(st, 'docker-storage-driver'), 'devicemapper\n');
      fs.writeFileSync(path.join(st, 'docker-data-file'), '/dev/loop0\n');
      fs.writeFileSync(path.join(st, 'docker-version'), '1.5.0\n');
      fs.writeFileSync(sb.hostPath('/etc/systemd/system/dcos.target'), '[Unit]\n');
      const p = preflight(sb, 'slave');
      consistent(p);
      for (const t of [
        'Checking if DC/OS is already installed',
        'Is SELinux disabled?',
        'Checking docker version requirement (>= 1.6)',
        'Checking Docker is configured with a production storage driver',
        'Checking if the clock is synchronised',
      ]) {
        expect(result(p, t), t).toBe('FAIL');
      }
      expect(p.stdout).toContain('Found an existing DC/OS installation.');
      expect(p.stdout).toContain('devicemapper with loopback devices');
      expect(result(p, 'Checking if ip-detect prints one valid IPv4 address')).toBe('PASS');
      expect(ports(p)).toEqual(AGENT_PORTS);
    });
  });

  test('ip-detect must print one valid IPv4 address, the same on two runs', async (ctx) => {
    needSandbox(ctx);
    const cases: [string, RegExp][] = [
      ["'#!/bin/sh\n\n  echo 10.0.0.300\n\n  '\n", /^not one valid IPv4 address/],
      ["'#!/bin/sh\n\n  echo 10.0.0.1; echo 10.0.0.2\n\n  '\n", /^not one valid IPv4 address/],
      ["'#!/bin/sh\n\n  exit 3\n\n  '\n", /^ip-detect failed$/],
      // A different address on every run (a counter kept in /tmp).
      [
        "'#!/bin/sh\n\n  n=$(cat /tmp/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /tmp/n; echo 10.0.0.$n\n\n  '\n",
        /^two runs gave 10\.0\.0\.1 and 10\.0\.0\.2$/,
      ],
    ];
    for (const [ipDetect, detail] of cases) {
      const script = path.join(work, 'flaky-ip.sh');
      fs.writeFileSync(script, renderInstallScript({ ...bundle.args, ip_detect_contents: ipDetect }, bundle.manifest));
      await withNode((sb) => {
        const p = preflight(sb, 'master');
        consistent(p);
        const c = p.checks.find((x) => x.text === 'Checking if ip-detect prints one valid IPv4 address');
        expect(c?.result).toBe('FAIL');
        expect(c?.detail).toMatch(detail);
      }, script);
    }
  });

  test('arguments: usage, both modes, invalid and missing roles, unknown options', async (ctx) => {
    needSandbox(ctx);
    await withNode((sb) => {
      const run = (...a: string[]) => sb.run(['bash', SCRIPT, ...a]);
      const help = run('-h');
      expect(help.status).toBe(1);
      expect(help.stdout).toMatch(
        /^Usage: \S+ \[--disable-preflight\|--preflight-only\] \[--no-block-dcos-setup\] <roles>\n$/,
      );
      const both = run('-d', '-p', 'master');
      expect(both.status).toBe(1);
      expect(both.stdout).toContain('Both --disable-preflight and --preflight-only can not be specified');
      const invalid = run('-p', 'slave', 'agent');
      expect(invalid.status).toBe(1);
      expect(invalid.stdout).toContain('FAIL Invalid role agent. Role must be one of {master,slave,slave_public}');
      const none = run();
      expect(none.status).toBe(1);
      expect(none.stdout).toContain('Atleast one role name must be specified');
      const unknown = run('--frobnicate', 'master');
      expect(unknown.status).toBe(1);
      expect(unknown.stderr).toContain('frobnicate');
      // Nothing was written by any of these.
      expect(fs.readdirSync(sb.hostPath('/etc/mesosphere'))).toEqual([]);
    });
  });
});
