import { describe, expect, it } from 'vitest';
import {
  judgeDiagnostics,
  judgeFramedPreflight,
  judgeIpDetect,
  judgePreflight,
  parsePreflightChecks,
} from '../../src/stages/judge.js';
import { judgePrereqs, judgeUninstall } from '../../src/stages/remote-script.js';

const preflightOut = [
  'Running preflight checks',
  '\x1b[1mChecking if DC/OS is already installed: \x1b[0m\x1b[1;32mPASS \x1b[0m(Not installed)\r',
  'PASS Is SELinux disabled?',
  'Checking if docker is installed and in PATH: PASS',
  'Checking docker version requirement (>= 1.6): PASS (1.13.1)',
  'Checking if port 5051 (required by mesos-agent) is in use: FAIL',
  'Checking if ipset is installed and in PATH: WARN not found in /usr/sbin',
].join('\n');

describe('parsePreflightChecks', () => {
  it('reads every PASS/FAIL/WARN line into a named check, colours and carriage returns removed', () => {
    expect(parsePreflightChecks(preflightOut)).toEqual([
      { name: 'Checking if DC/OS is already installed', status: 'pass', detail: 'Not installed' },
      { name: 'Is SELinux disabled?', status: 'pass' },
      { name: 'Checking if docker is installed and in PATH', status: 'pass' },
      { name: 'Checking docker version requirement (>= 1.6)', status: 'pass', detail: '1.13.1' },
      { name: 'Checking if port 5051 (required by mesos-agent) is in use', status: 'fail' },
      { name: 'Checking if ipset is installed and in PATH', status: 'warn', detail: 'not found in /usr/sbin' },
    ]);
  });

  it('fails the step naming the failed checks', () => {
    const v = judgePreflight({ exitCode: 1, stdout: preflightOut, stderr: '' });
    expect(v.ok).toBe(false);
    expect(v.message).toBe('1 preflight check failed: Checking if port 5051 (required by mesos-agent) is in use');
    expect(judgePreflight({ exitCode: 0, stdout: 'Checking x: PASS', stderr: '' })).toEqual({
      ok: true,
      checks: [{ name: 'Checking x', status: 'pass' }],
    });
    expect(judgePreflight({ exitCode: 1, stdout: 'line 233: $3: unbound variable', stderr: '' }).message).toBe(
      'dcos_install.sh --preflight-only exited 1',
    );
  });
});

describe('judgeDiagnostics', () => {
  it('reads the check runner JSON', () => {
    const out = JSON.stringify({
      status: 0,
      checks: { xz: { status: 0, output: '' }, components_master: { status: 0, output: 'all good' } },
    });
    expect(judgeDiagnostics('node-poststart', { exitCode: 0, stdout: out, stderr: '' })).toEqual({
      ok: true,
      checks: [
        { name: 'xz', status: 'pass' },
        { name: 'components_master', status: 'pass', detail: 'all good' },
      ],
    });
  });

  it('names the unhealthy checks', () => {
    const out = JSON.stringify({
      status: 2,
      checks: { xz: { status: 0 }, mesos_agent_registered_with_masters: { status: 2, output: 'not registered' } },
    });
    const v = judgeDiagnostics('node-poststart', { exitCode: 2, stdout: out, stderr: '' });
    expect(v.ok).toBe(false);
    expect(v.message).toBe('node-poststart: mesos_agent_registered_with_masters not healthy');
  });

  it('reports {"error": …} as a failed check', () => {
    const v = judgeDiagnostics('cluster', { exitCode: 1, stdout: '{"error":"no such check"}', stderr: '' });
    expect(v).toMatchObject({ ok: false, message: 'cluster: no such check' });
  });

  it.each(['', 'sudo: /opt/mesosphere/bin/dcos-diagnostics: command not found', '[1,2]', 'null', '{"status": 0'])(
    'turns non-JSON output %j into a failed check with the raw output, never an exception',
    (stdout) => {
      const v = judgeDiagnostics('node-poststart', { exitCode: 0, stdout, stderr: 'stderr text' });
      expect(v.ok).toBe(false);
      expect(v.message).toContain('not JSON');
      expect(v.checks![0]!.detail).toBe(stdout.trim() || 'stderr text');
    },
  );
});

describe('judgeIpDetect', () => {
  it('needs exactly one IPv4 address equal to the listed one', () => {
    expect(judgeIpDetect('10.0.0.1', { exitCode: 0, stdout: '10.0.0.1\n', stderr: '' })).toMatchObject({
      ok: true,
      facts: { detectedIp: '10.0.0.1' },
    });
    expect(judgeIpDetect('10.0.0.1', { exitCode: 0, stdout: '10.0.0.1\n10.0.0.2\n', stderr: '' }).message).toMatch(
      /not one IPv4 address/,
    );
    expect(judgeIpDetect('10.0.0.1', { exitCode: 0, stdout: '', stderr: '' }).message).toBe(
      'ip-detect printed nothing, not one IPv4 address',
    );
    expect(judgeIpDetect('10.0.0.1', { exitCode: 3, stdout: '', stderr: 'boom' }).message).toBe('ip-detect exited 3');
    expect(judgeIpDetect('10.0.0.1', { exitCode: 0, stdout: '256.0.0.1', stderr: '' }).ok).toBe(false);
  });
});

describe('remote script reports', () => {
  it('uninstall succeeds only with no leftovers', () => {
    expect(
      judgeUninstall({ exitCode: 0, stdout: 'REMOVED /opt/mesosphere\nABSENT /var/lib/dcos\n', stderr: '' }).ok,
    ).toBe(true);
    const v = judgeUninstall({
      exitCode: 1,
      stdout: 'REMOVED /opt/mesosphere\nLEFTOVER /var/lib/dcos\nLEFTOVER /etc/mesosphere\n',
      stderr: '',
    });
    expect(v).toMatchObject({ ok: false, message: 'still present after uninstall: /var/lib/dcos, /etc/mesosphere' });
  });

  it('install-prereqs says plainly that a distribution is unsupported', () => {
    const v = judgePrereqs({
      exitCode: 3,
      stdout: 'UNSUPPORTED Debian GNU/Linux 12 (bookworm): --install-prereqs supports CentOS\n',
      stderr: '',
    });
    expect(v.ok).toBe(false);
    expect(v.message).toBe(
      'unsupported distribution: Debian GNU/Linux 12 (bookworm): --install-prereqs supports CentOS',
    );
  });
});

describe('judgeFramedPreflight when the output was cut (a flooding ip-detect)', () => {
  // What is left of preflight.sh's output when ip-detect printed 100 MB on stdout and only the end was kept: the
  // ip-detect exit frame, at the very start, is gone; the later frames and the checks survived.
  const flood = 'x'.repeat(4096);
  const cut = (checks: string, exit: number): string =>
    `${flood}\n\n@@genconf ip-detect stderr\n\n@@genconf preflight\n${checks}@@genconf preflight exit=${exit}\n`;

  it('names ip-detect\'s flood as the cause, never "could not start", and never a frame line', () => {
    const v = judgeFramedPreflight('10.0.0.4', {
      exitCode: 0,
      stdout: cut('Checking if DC/OS is already installed: PASS (Not installed)\n', 0),
      stderr: '',
    });
    expect(v.ok).toBe(false);
    expect(v.message).toBe(
      'ip-detect printed more on stdout than is kept (only the end of the output is), so its answer was lost: it must print one IPv4 address (10.0.0.4) and little else',
    );
    expect(v.message).not.toContain('@@genconf');
    expect(v.message).not.toContain('could not start');
    expect(v.checks).toContainEqual({ name: 'ip-detect', status: 'fail', detail: 'flooded stdout' });
    expect(v.checks).toContainEqual(expect.objectContaining({ name: 'Checking if DC/OS is already installed' }));
  });

  it('a flood on stderr is named as such, and failed checks are still reported', () => {
    const v = judgeFramedPreflight('10.0.0.4', {
      exitCode: 1,
      stdout: `${flood}\n@@genconf preflight\nChecking if port 53 (required by dcos-net) is in use: FAIL\n@@genconf preflight exit=1\n`,
      stderr: '',
    });
    expect(v.message).toMatch(/^ip-detect printed more on stderr than is kept/);
    expect(v.checks!.some((c) => c.status === 'fail' && c.name.includes('port 53'))).toBe(true);
  });

  it('a command that really could not start names its last line, not a frame line', () => {
    const v = judgeFramedPreflight('10.0.0.4', {
      exitCode: 1,
      stdout: 'something went wrong\n@@genconf preflight exit=1\n',
      stderr: '',
    });
    expect(v.message).toBe('the preflight could not start (exit 1): something went wrong');
  });
});

describe('judgeFramedPreflight when the node cut ip-detect’s output (templates/remote/preflight.sh keeps 64 KiB)', () => {
  const framed = (cut: string, ipOut: string) => ({
    exitCode: 0,
    stdout: `${cut}@@genconf ip-detect exit=0\n${ipOut}\n@@genconf ip-detect stderr\nnoise\n@@genconf preflight\nChecking if DC/OS is already installed: PASS (Not installed)\n@@genconf preflight exit=0\n`,
    stderr: '',
  });

  it('a cut stdout is the flood, with the counts, and the checks are still judged', () => {
    const v = judgeFramedPreflight(
      '10.0.0.4',
      framed('@@genconf ip-detect cut stdout=104857600 stderr=0 kept=65536\n', 'x'.repeat(65536)),
    );
    expect(v).toMatchObject({
      ok: false,
      message:
        'ip-detect printed more on stdout than is kept (104857600 bytes; the node keeps the first 65536), so its answer was lost: it must print one IPv4 address (10.0.0.4) and little else',
      byChecks: true,
    });
    expect(v.checks!.map((c) => [c.name, c.status])).toEqual([
      ['ip-detect', 'fail'],
      ['Checking if DC/OS is already installed', 'pass'],
    ]);
  });

  it('a cut stderr alone leaves the answer on stdout to decide', () => {
    const v = judgeFramedPreflight(
      '10.0.0.4',
      framed('@@genconf ip-detect cut stdout=9 stderr=5000000 kept=65536\n', '10.0.0.4'),
    );
    expect(v.ok).toBe(true);
    expect(v.facts).toEqual({ detectedIp: '10.0.0.4' });
  });
});
