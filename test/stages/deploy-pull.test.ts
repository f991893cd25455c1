/**
 * `--deploy --pull` as steps: one command per host under one sudo (templates/remote/pull-install.sh on stdin), and
 * its judge, which reads the script's frame lines and words each failure as the step it replaces would have.
 */
import { describe, expect, it } from 'vitest';
import type { PlannedHost } from '../../src/derive/plan.js';
import { deployPull, deploySteps, judgePull, pullDeploySteps } from '../../src/stages/deploy.js';
import { INSTALLED_PROBE } from '../../src/stages/installed.js';
import { shellQuote } from '../../src/bundle/install-script.js';
import { pullSettings } from '../../src/serve/pull.js';
import { bindWaves, type ExecStep } from '../../src/stages/types.js';
import { clusterPlan, FILES } from '../fakes/cluster.js';

const SHA = 'cd'.repeat(32);
const BASE = 'http://10.0.0.5:8080';
const plan = clusterPlan();
const SETTINGS = '@@genconf pull settings\nmirrors http://m1:8080\nuse_proxy true\nhttp_proxy http://u:secret@p:3128\n';
const PULL = {
  ...FILES,
  pullUrl: BASE,
  installScriptSha256: SHA,
  installScriptSize: 4242,
  pullSettings: SETTINGS,
  pullScript: '/t/remote/pull-install.sh',
  pullLib: '/t/lib/fetch-artifacts.sh',
};
plan.files = PULL;
const byRole = (role: PlannedHost['role']): PlannedHost => plan.hosts.find((h) => h.role === role)!;
const judge = (stdout: string, exitCode: number | null = 0, stderr = '') =>
  judgePull(SHA, { exitCode, stdout, stderr });

describe('pull deploy steps', () => {
  it.each([
    ['master', 'master'],
    ['agent', 'slave'],
    ['public_agent', 'slave_public'],
  ] as const)('a %s pulls and installs as %s in one command under one sudo', (role, installRole) => {
    const steps = pullDeploySteps(plan, byRole(role), PULL);
    expect(steps.map((s) => [s.id, s.kind === 'exec' ? s.argv : s.remote, s.cleanup ?? false])).toEqual([
      ['install', ['sudo', '-n', 'bash', '-s', '--', '/opt/dcos_install_tmp', installRole, BASE, SHA, '4242'], false],
      ['cleanup', ['sudo', '-n', 'rm', '-rf', '--one-file-system', '/opt/dcos_install_tmp'], 'after-abort'],
    ]);
    // The download functions, the script, then the settings: on stdin, never in argv (a proxy password).
    expect((steps[0] as ExecStep).stdin).toEqual([
      { file: '/t/lib/fetch-artifacts.sh' },
      { file: '/t/remote/pull-install.sh' },
      { text: SETTINGS, label: 'mirrors and proxy settings' },
    ]);
    expect((steps[0] as ExecStep).argv.join(' ')).not.toContain('secret');
    expect(steps.every((s) => s.timeout.option === 'process_timeout in config.yaml')).toBe(true);
  });

  it('looks first, as the push does, when the bundle has a config_id: read-only, as the SSH user, no sudo', () => {
    const withId = { ...PULL, bundleConfigId: 'c0ffee' };
    for (const role of ['master', 'agent', 'public_agent'] as const) {
      const pull = pullDeploySteps(plan, byRole(role), withId);
      const push = deploySteps(plan, byRole(role), withId);
      expect(pull.map((s) => s.id)).toEqual(['check-installed', 'install', 'cleanup']);
      const [look, pushLook] = [pull[0] as ExecStep, push[0] as ExecStep];
      expect(look.argv).toEqual(['sh', '-c', INSTALLED_PROBE]);
      // The very step the push runs (same probe, title and timeout), so the verdicts and messages are the same.
      expect({ ...look, judge: undefined }).toEqual({ ...pushLook, judge: undefined });
      const other = {
        exitCode: 0,
        stdout: 'roles=master \nconfig=/opt/mesosphere/packages/dcos-config--setup_0123\nopt=yes\nunits=yes\n',
        stderr: '',
      };
      expect(look.judge!(other)).toEqual(pushLook.judge!(other));
    }
  });

  it('keeps the push stage: masters first, agents only after every master succeeded', () => {
    expect(deployPull.name).toBe('deploy');
    expect(deployPull.summaryName).toBe('install_dcos');
    expect(deployPull.waves.map((p) => p.name)).toEqual(['masters', 'agents']);
    expect(
      deployPull.waves[1]!.gate!({
        failedLabels: new Set([byRole('master').label]),
        plan,
      }),
    ).toMatch(/^not started: master /);
  });

  it('refuses to plan without the pull URL, the checksum or the script', () => {
    const bare = clusterPlan();
    // Checked once for the whole stage, before any host: the steps receive them typed, never undefined.
    expect(() => bindWaves(deployPull, bare.files)).toThrow(
      /stage deploy is missing its inputs: pullUrl, installScriptSha256, installScriptSize, pullSettings, pullScript, pullLib/,
    );
    expect(bindWaves(deployPull, PULL).map((w) => w.steps(plan, byRole('agent')).map((s) => s.id))).toEqual([
      ['install', 'cleanup'],
      ['install', 'cleanup'],
    ]);
  });
});

describe('judgePull', () => {
  const ok = `@@genconf pull fetched ${BASE}/dcos_install.sh\nStarting DC/OS Install Process\n@@genconf pull install exit=0\n`;
  const failed = (reasons: string[], extra = '') =>
    judge(
      '@@genconf pull fetch failed\n',
      69,
      `${extra}ERROR: could not download dcos_install.sh from any base URL:\n${reasons.map((r) => `  ${r}\n`).join('')}`,
    );

  it('passes a checked script whose install exited 0', () => {
    expect(judge(ok)).toEqual({ ok: true });
  });

  it('an install that fails reads as the push: exited N', () => {
    expect(
      judge(
        `@@genconf pull fetched ${BASE}/dcos_install.sh\nPreflight checks failed\n@@genconf pull install exit=3\n`,
        3,
      ),
    ).toEqual({ ok: false, message: 'exited 3' });
  });

  it('finds the exit frame after output that did not end its last line', () => {
    expect(judge(`@@genconf pull fetched ${BASE}/dcos_install.sh\nno newline@@genconf pull install exit=0\n`)).toEqual({
      ok: true,
    });
  });

  it('names every URL tried and why, when dcos_install.sh could be had from none', () => {
    expect(
      failed(
        [
          `${BASE}/dcos_install.sh: no HTTP answer (curl exit 7: Failed to connect) after 4 attempts`,
          'http://m1:8080/dcos_install.sh: HTTP 404',
        ],
        `Download of ${BASE}/dcos_install.sh failed (no HTTP answer); attempt 2 of 4 in 1 s\n`,
      ),
    ).toEqual({
      ok: false,
      message: `could not download dcos_install.sh (SHA-256 ${SHA}) from bootstrap_url or its mirrors: ${BASE}/dcos_install.sh: no HTTP answer (curl exit 7: Failed to connect) after 4 attempts; http://m1:8080/dcos_install.sh: HTTP 404`,
    });
  });

  it('says what a wrong dcos_install.sh means', () => {
    expect(failed([`${BASE}/dcos_install.sh: SHA-256 mismatch`]).message).toBe(
      `could not download dcos_install.sh (SHA-256 ${SHA}) from bootstrap_url or its mirrors: ${BASE}/dcos_install.sh: SHA-256 mismatch; a server that answers with another dcos_install.sh does not serve this genconf/serve (run --genconf and serve it again)`,
    );
  });

  it('a failed download without the list of URLs still says something', () => {
    expect(judge('@@genconf pull fetch failed\n', 69, 'mkdir: cannot create directory\n').message).toBe(
      `could not download dcos_install.sh (SHA-256 ${SHA}) from bootstrap_url or its mirrors: mkdir: cannot create directory`,
    );
  });

  it('says when the command never started (sudo refused), with its last words', () => {
    expect(judge('', 1, 'sudo: a password is required\n')).toEqual({
      ok: false,
      message: 'the pull could not start (exit 1): sudo: a password is required',
    });
  });

  it('says when the install ended without a status', () => {
    expect(judge(`@@genconf pull fetched ${BASE}/dcos_install.sh\nInstalling\n`, 143)).toEqual({
      ok: false,
      message: 'the install ended without a status (exit 143)',
    });
  });
});

describe('pullSettings: the mirrors and proxy the bundle’s dcos_install.sh downloads with', () => {
  const script = (values: Record<string, string>) =>
    ['#!/usr/bin/env bash', ...Object.entries(values).map(([k, v]) => `${k}=${v}`), 'main'].join('\n') + '\n';

  it('reads them as the renderer wrote them (shell-quoted, mirrors one a line), one line each', () => {
    expect(
      pullSettings(
        script({
          MIRRORS: "'http://m1:8080\nhttps://cdn.example.com/dcos'",
          USE_PROXY: "'true'",
          HTTP_PROXY_URL: "'http://u:p%40ss@proxy:3128'",
          HTTPS_PROXY_URL: "'http://proxy:3128'",
          NO_PROXY_LIST: "'.mesos,localhost'",
        }),
        'serve/dcos_install.sh',
      ),
    ).toBe(
      '@@genconf pull settings\nmirrors http://m1:8080 https://cdn.example.com/dcos\nuse_proxy true\nhttp_proxy http://u:p%40ss@proxy:3128\nhttps_proxy http://proxy:3128\nno_proxy .mesos,localhost\n',
    );
  });

  it('with use_proxy false no proxy value is sent; a script without the values (not genconf’s) means none', () => {
    const none = '@@genconf pull settings\nmirrors\nuse_proxy false\nhttp_proxy\nhttps_proxy\nno_proxy\n';
    expect(
      pullSettings(
        script({
          MIRRORS: "''",
          USE_PROXY: "'false'",
          HTTP_PROXY_URL: "''",
          HTTPS_PROXY_URL: "''",
          NO_PROXY_LIST: "''",
        }),
        'f',
      ),
    ).toBe(none);
    expect(pullSettings('#!/bin/bash\necho original installer\n', 'f')).toBe(none);
  });

  it('decodes the renderer’s shell quoting, a quote inside included', () => {
    const rendered = [
      `MIRRORS=${shellQuote('http://m1:8080\nhttp://m2')}`,
      `USE_PROXY=${shellQuote('true')}`,
      `HTTP_PROXY_URL=${shellQuote("http://it's:3128")}`,
      `HTTPS_PROXY_URL=${shellQuote('http://s:3128')}`,
      `NO_PROXY_LIST=${shellQuote('')}`,
    ].join('\n');
    expect(pullSettings(rendered, 'f')).toBe(
      "@@genconf pull settings\nmirrors http://m1:8080 http://m2\nuse_proxy true\nhttp_proxy http://it's:3128\nhttps_proxy http://s:3128\nno_proxy\n",
    );
  });

  it('refuses an edited script, naming the file and the fix', () => {
    expect(() => pullSettings(script({ USE_PROXY: "'maybe'" }), 'genconf/serve/dcos_install.sh')).toThrow(
      /genconf\/serve\/dcos_install\.sh: USE_PROXY is "maybe", not true or false/,
    );
    expect(() => pullSettings(script({ USE_PROXY: "'true'", MIRRORS: "''" }), 'f')).toThrow(
      /USE_PROXY is true but HTTP_PROXY_URL, HTTPS_PROXY_URL or NO_PROXY_LIST is missing/,
    );
    expect(() => pullSettings(script({ MIRRORS: "'http://a b'" }), 'f')).toThrow(/MIRRORS holds a blank/);
  });
});
