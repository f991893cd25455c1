import { describe, expect, it } from 'vitest';
import { renderJUnit } from '../../src/report/junit.js';
import { mixedResult } from '../fakes/results.js';

describe('renderJUnit', () => {
  it('has one test case per host, failures, errors and skips counted, text escaped', () => {
    const xml = renderJUnit(mixedResult());
    expect(xml).toMatchInlineSnapshot(`
      "<?xml version="1.0" encoding="UTF-8"?>
      <testsuites name="dcos-genconf" tests="7" failures="3" errors="2" skipped="1" time="131.000">
        <testsuite name="deploy" tests="7" failures="3" errors="2" skipped="1" time="131.000" timestamp="2026-11-25T09:00:00.000Z">
          <testcase classname="deploy" name="10.0.0.1:22 (master)" time="12.345">
          </testcase>
          <testcase classname="deploy" name="10.0.0.2:22 (master)" time="3.210">
            <failure type="failed" message="Install DC/OS as master: exited 1">Starting DC/OS Install Process
      Running preflight checks
      FAIL something
      Preflight checks failed. Exiting installation.</failure>
          </testcase>
          <testcase classname="deploy" name="10.0.0.3:22 (master)" time="120.500">
            <failure type="timed-out" message="Install DC/OS as master: 10.0.0.3:22: &quot;Install DC/OS as master&quot; timed out after 120 s (raise process_timeout in config.yaml)"></failure>
          </testcase>
          <testcase classname="deploy" name="10.0.0.4:22 (agent)" time="10.002">
            <error type="unreachable" message="connect ECONNREFUSED 10.0.0.4:22"></error>
          </testcase>
          <testcase classname="deploy" name="10.0.0.6:22 (agent)" time="0.000">
            <skipped message="not started: master 10.0.0.2:22 failed (--continue-on-master-failure deploys agents anyway)"/>
          </testcase>
          <testcase classname="deploy" name="10.0.0.5:22 (public_agent)" time="0.800">
            <error type="interrupted" message="Copy dcos-install.tar: interrupted during &quot;Copy dcos-install.tar&quot;"></error>
          </testcase>
          <testcase classname="deploy" name="10.0.0.7:22 (public_agent)" time="0.900">
            <failure type="failed" message="Run the preflight checks: ip-detect printed 10.0.0.1, but config.yaml lists this host as 10.0.0.7">@@genconf ip-detect exit=0
      10.0.0.1

      @@genconf ip-detect stderr

      @@genconf preflight
      Preflight summary: 0 FAIL, 0 WARN
      @@genconf preflight exit=0</failure>
            <system-out>FAIL ip-detect: printed 10.0.0.1, listed 10.0.0.7
      PASS Checking if &lt;x&gt; &amp; &quot;y&quot; installed</system-out>
          </testcase>
        </testsuite>
      </testsuites>
      "
    `);
  });
});
