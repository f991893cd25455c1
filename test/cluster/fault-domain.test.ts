import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { domainNotes, judgeDomains, judgeFaultDomain, parseFaultDomain } from '../../src/stages/fault-domain.js';
import { preflightAcrossHosts, preflightSteps } from '../../src/stages/preflight.js';
import type { HostFacts } from '../../src/stages/types.js';
import { clusterPlan, FILES } from '../fakes/cluster.js';

const fd = (region: string, zone: string): string =>
  JSON.stringify({ fault_domain: { region: { name: region }, zone: { name: zone } } });

describe('fault-domain-detect output', () => {
  it('accepts region and zone side by side', () => {
    expect(parseFaultDomain(fd('aws/us-east-1', 'aws/us-east-1a') + '\n')).toEqual({
      region: 'aws/us-east-1',
      zone: 'aws/us-east-1a',
    });
  });

  it('names what is wrong: junk, a zone nested in the region, missing names, extra keys', () => {
    expect(parseFaultDomain('hello')).toEqual({ error: expect.stringContaining('did not print JSON') });
    expect(parseFaultDomain('')).toEqual({ error: expect.stringContaining('printed nothing') });
    expect(parseFaultDomain(JSON.stringify({ fault_domain: { region: { name: 'r', zone: { name: 'z' } } } }))).toEqual({
      error: expect.stringContaining('nests "zone" inside "region"'),
    });
    expect(parseFaultDomain(JSON.stringify({ fault_domain: { region: { name: '' }, zone: { name: 'z' } } }))).toEqual({
      error: expect.stringContaining('"region"'),
    });
    expect(parseFaultDomain(JSON.stringify({ fault_domain: { region: { name: 'r' }, zone: 'z' } }))).toEqual({
      error: expect.stringContaining('"zone"'),
    });
    expect(parseFaultDomain(JSON.stringify({ region: 'r' }))).toEqual({
      error: expect.stringContaining('without a "fault_domain"'),
    });
  });

  it('a failing or junk-printing script fails the step with its output shown', () => {
    const bad = judgeFaultDomain({ exitCode: 3, stdout: '', stderr: 'no metadata service' });
    expect(bad).toMatchObject({ ok: false, message: expect.stringContaining('exited 3: no metadata service') });
    const junk = judgeFaultDomain({ exitCode: 0, stdout: 'region=us', stderr: '' });
    expect(junk.ok).toBe(false);
    expect(junk.message).toContain('it printed: region=us');
    expect(judgeFaultDomain({ exitCode: 0, stdout: fd('r', 'z'), stderr: '' })).toMatchObject({
      ok: true,
      facts: { region: 'r', zone: 'z' },
    });
  });
});

describe('fault domains across hosts', () => {
  const host = (label: string, role: string, region: string, zone: string) => ({
    label,
    ok: true,
    role,
    facts: { region, zone },
  });

  it('masters in another region fail; agents elsewhere are remote; masters in one zone warn', () => {
    const d = judgeDomains(
      [
        host('m1', 'master', 'east', 'a'),
        host('m2', 'master', 'east', 'a'),
        host('m3', 'master', 'west', 'a'),
        host('a1', 'agent', 'east', 'b'),
        host('a2', 'agent', 'west', 'c'),
      ],
      'step',
    );
    expect(d.localRegion).toBe('east');
    expect([...d.failures.keys()]).toEqual(['m3']);
    expect(d.failures.get('m3')!.message).toContain("master in region west, but the masters' region is east");
    expect([...d.remote]).toEqual(['a2']);
    expect(judgeDomains([host('m1', 'master', 'east', 'a'), host('m2', 'master', 'east', 'a')], 's').warnings).toEqual([
      expect.stringContaining('all 2 masters are in zone a'),
    ]);
    expect(judgeDomains([host('m1', 'master', 'east', 'a'), host('m2', 'master', 'east', 'b')], 's').warnings).toEqual(
      [],
    );
  });

  it('with the local region from the record (no master in the run), new agents elsewhere are remote', () => {
    const d = judgeDomains([host('a1', 'agent', 'west', 'w1'), host('a2', 'agent', 'east', 'e1')], 's', 'east');
    expect([...d.remote]).toEqual(['a1']);
    expect(
      domainNotes([{ host: { label: 'a1', role: 'agent' }, facts: { region: 'west', zone: 'w1' } }], 'east'),
    ).toEqual(['Fault domains (local region east):', '  a1  agent         region west, zone w1  (remote region)']);
  });

  it('the preflight judgement marks remote agents in their facts and fails stray masters', () => {
    const hosts: HostFacts[] = [
      { label: 'm1', ok: true, facts: { region: 'east', zone: 'a', role: 'master' } },
      { label: 'm2', ok: true, facts: { region: 'west', zone: 'b', role: 'master' } },
      { label: 'm3', ok: true, facts: { region: 'east', zone: 'c', role: 'master' } },
      { label: 'a1', ok: true, facts: { region: 'west', zone: 'b', role: 'agent' } },
    ];
    const failures = preflightAcrossHosts()(hosts);
    expect([...failures.keys()]).toEqual(['m2']);
    expect(failures.get('m2')!.check).toBe('masters in the local region');
    expect(hosts[3]!.facts.remoteRegion).toBe('true');
    expect(hosts[0]!.facts.remoteRegion).toBeUndefined();
  });

  it('preflight runs fault-domain-detect first, as root from a private directory, only when the config has one', () => {
    const plain = clusterPlan();
    expect(preflightSteps(plain, plain.hosts[0]!, FILES).map((s) => s.id)).toEqual(['preflight', 'cleanup']);
    const files = { ...FILES, faultDomainDetect: '/g/fault-domain-detect' };
    const plan = clusterPlan({}, { files });
    const steps = preflightSteps(plan, plan.hosts[3]!, files);
    expect(steps.map((s) => s.id)).toEqual(['fault-domain', 'preflight', 'cleanup']);
    const step = steps[0]!;
    if (step.kind !== 'exec') throw new Error('exec expected');
    expect(step.argv.slice(0, 4)).toEqual(['sudo', '-n', 'bash', '-c']);
    expect(step.stdin).toEqual([{ file: '/g/fault-domain-detect', encoding: 'base64-line' }]);
    expect(step.continueOnFailure).toBe(true);
    expect(step.judge!({ exitCode: 0, stdout: fd('r', 'z'), stderr: '' }).facts).toEqual({
      region: 'r',
      zone: 'z',
      role: 'agent',
    });
  });
});

describe('the fault-domain runner, run here with bash', () => {
  const files = { ...FILES, faultDomainDetect: '/g/fd' };
  const plan = clusterPlan({}, { files });
  const step = preflightSteps(plan, plan.hosts[0]!, files)[0]!;
  const runLocally = (script: string) => {
    if (step.kind !== 'exec') throw new Error('exec expected');
    const r = spawnSync(step.argv[2]!, step.argv.slice(3), {
      input: Buffer.from(script).toString('base64') + '\n',
      encoding: 'utf8',
    });
    return { exitCode: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('runs the script from / with nothing on stdin and passes its output and exit status through', () => {
    const ok = runLocally(
      `#!/bin/sh\n[ "$(pwd)" = / ] || exit 9\nif read -r x; then exit 8; fi\nprintf '%s\\n' '${fd('east', 'e1')}'\n`,
    );
    expect(ok.exitCode).toBe(0);
    expect(judgeFaultDomain(ok)).toMatchObject({ ok: true, facts: { region: 'east', zone: 'e1' } });
    const failing = runLocally('#!/bin/sh\necho broken >&2\nexit 4\n');
    expect(failing.exitCode).toBe(4);
    expect(judgeFaultDomain(failing).message).toContain('exited 4: broken');
  });
});

describe('fault domains in NDJSON', () => {
  it('host_result carries region, zone and remoteRegion when the host reported a fault domain', async () => {
    const { hostResultRecord } = await import('../../src/report/ndjson.js');
    const plan = clusterPlan();
    const base = { status: 'ok' as const, steps: [], checks: [], durationMs: 1 };
    expect(
      hostResultRecord({ ...base, host: plan.hosts[3]!, facts: { region: 'west', zone: 'w1', remoteRegion: 'true' } }),
    ).toMatchObject({ region: 'west', zone: 'w1', remoteRegion: true });
    expect(hostResultRecord({ ...base, host: plan.hosts[0]!, facts: { region: 'east', zone: 'e1' } })).toMatchObject({
      region: 'east',
      zone: 'e1',
      remoteRegion: false,
    });
    expect(hostResultRecord({ ...base, host: plan.hosts[0]!, facts: {} })).not.toHaveProperty('region');
  });
});
