/**
 * The reports at 10,000 hosts, written the way a run writes them (streams, never one string): the NDJSON is one
 * valid JSON document per line, the JUnit file is well-formed XML whose counts match, the summary groups the
 * failures, cuts its host lists and its table and ends with the totals, and the per-host logs do not keep every
 * host's files open. Sizes only; nothing here measures time.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/orchestrate/events.js';
import { writeJUnit } from '../../src/report/junit.js';
import { HostLogs, MAX_OPEN_HOSTS } from '../../src/report/logs.js';
import { ndjsonWriter } from '../../src/report/ndjson.js';
import { writeSummaryFile } from '../../src/report/summary-file.js';
import { TABLE_ALL_HOSTS, writeSummary } from '../../src/report/summary.js';
import { syntheticCounts, syntheticRun } from '../../bench/lib/synthetic-results.js';
import { checkWellFormed } from '../support/xml-check.js';

const N = 10_000;

/** A writable that keeps what it is given, chunk by chunk, and says how many writes it took. */
function collector(): { stream: Writable; text: () => string; writes: () => number } {
  const parts: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      parts.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, text: () => parts.join(''), writes: () => parts.length };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'many-hosts-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('reports for 10,000 hosts', () => {
  const result = syntheticRun(N);
  const counts = syntheticCounts(N);

  it('the synthetic run has every kind of host', () => {
    expect(counts.ok).toBeGreaterThan(9000);
    expect(counts.failed).toBeGreaterThan(100);
    expect(counts.unreachable).toBeGreaterThan(10);
    expect(counts.ok + counts.failed + counts.unreachable).toBe(N);
  });

  it('NDJSON: every line parses, one host_result per host, the summary counts them', async () => {
    const out = collector();
    const write = ndjsonWriter(out.stream);
    const events: RunEvent[] = [
      {
        type: 'run',
        runId: result.runId,
        stage: result.stage,
        hosts: result.hosts.map((h) => h.host),
        parallelism: 500,
        startedAt: result.startedAt,
      },
      ...result.hosts.map((r): RunEvent => ({ type: 'host-result', result: r })),
      { type: 'summary', result },
    ];
    for (const e of events) write(e);
    await new Promise<void>((resolve) => out.stream.end(resolve));
    const lines = out.text().split('\n');
    expect(lines.pop()).toBe('');
    const records = lines.map((l) => JSON.parse(l) as { type: string; status?: string; host?: string });
    expect(records).toHaveLength(N + 2);
    expect(records.filter((r) => r.type === 'host_result')).toHaveLength(N);
    expect(new Set(records.filter((r) => r.type === 'host_result').map((r) => r.host)).size).toBe(N);
    const summary = records.at(-1) as unknown as { type: string; total: number; counts: Record<string, number> };
    expect(summary.type).toBe('summary');
    expect(summary.total).toBe(N);
    expect(summary.counts).toEqual(counts);
  });

  it('JUnit: well-formed XML, one test case per host, failures and errors counted', async () => {
    const file = path.join(dir, 'junit.xml');
    await writeJUnit(file, result);
    expect((await readdir(dir)).sort()).toEqual(['junit.xml']); // the temporary file was renamed away
    const xml = await readFile(file, 'utf8');
    const names = checkWellFormed(xml);
    expect(names.filter((n) => n === 'testcase')).toHaveLength(N);
    expect(names.filter((n) => n === 'failure')).toHaveLength(counts.failed);
    expect(names.filter((n) => n === 'error')).toHaveLength(counts.unreachable);
    expect(xml).toContain(
      `<testsuites name="dcos-genconf" tests="${N}" failures="${counts.failed}" errors="${counts.unreachable}" skipped="0"`,
    );
    // The synthetic failure text carries <, &, " and a control character: escaped or dropped, never raw.
    expect(xml).toContain('found &lt;dcos.target&gt; &amp; &quot;pkginfo&quot; leftovers');
  });

  it('the XML check itself rejects what is not well-formed', () => {
    expect(() => checkWellFormed('<a><b></a></b>')).toThrow(/does not close/);
    expect(() => checkWellFormed('<a x="1 & 2"/>')).toThrow(/bad entity/);
    expect(() => checkWellFormed('<a>\u0007</a>')).toThrow(/forbidden/);
    expect(() => checkWellFormed('<a/><b/>')).toThrow(/second root/);
    expect(checkWellFormed('<?xml version="1.0"?>\n<a k="&lt;"><b/>t&amp;t</a>\n')).toEqual(['a', 'b']);
  });

  it('summary: failures grouped with cut host lists, a cut table pointing at the full one, the totals', async () => {
    const out = collector();
    await writeSummary(out.stream, result, { color: false, fullTableFile: '/g/logs/run/summary.txt' });
    const text = out.text();
    expect(out.writes()).toBeGreaterThan(0);
    const lines = text.split('\n');
    // The table: header, then only hosts that did not succeed, at most TABLE_ALL_HOSTS of them.
    const rows = lines.slice(
      2,
      lines.findIndex((l) => l.startsWith('(')),
    );
    expect(rows).toHaveLength(TABLE_ALL_HOSTS);
    expect(rows.every((r) => !/\sok\s/.test(r))).toBe(true);
    const notListed = N - TABLE_ALL_HOSTS;
    const moreBad = counts.failed + counts.unreachable - TABLE_ALL_HOSTS;
    expect(text).toContain(
      `(${notListed} hosts not listed: ${counts.ok} ok, ${moreBad} more; every host: /g/logs/run/summary.txt)\n`,
    );
    // Three failures repeat across hosts: three blocks, each listing ten hosts and counting the rest.
    const blocks = lines.filter((l) => /^\d+ hosts failed at "Run the preflight checks"/.test(l));
    expect(blocks).toHaveLength(3);
    for (const l of lines.filter((x) => /^ {2}\d+ hosts: /.test(x))) expect(l).toMatch(/, … and \d+ more$/);
    // Unreachable hosts name themselves in the reason; still one group.
    expect(text).toContain(`\n${counts.unreachable} hosts unreachable: connect ETIMEDOUT <host>\n`);
    expect(text).toContain(
      `Hosts: ${N} — ${counts.ok} ok, ${counts.failed} failed, ${counts.unreachable} unreachable\n`,
    );
    expect(lines.length).toBeLessThan(TABLE_ALL_HOSTS + 100);
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      `${counts.ok} out of ${N} hosts successfully completed run_preflight stage.`,
    );
  });

  it('summary.txt: the same summary with every host in the table', async () => {
    const file = await writeSummaryFile(dir, result);
    expect(file).toBe(path.join(dir, 'summary.txt'));
    const lines = (await readFile(file, 'utf8')).split('\n');
    expect(lines.filter((l) => /^10\.\d+\.\d+\.\d+:22 +(master|agent|public_agent) /.test(l))).toHaveLength(N);
    expect(lines).toContain(
      `Hosts: ${N} — ${counts.ok} ok, ${counts.failed} failed, ${counts.unreachable} unreachable`,
    );
    expect((await readdir(dir)).sort()).toEqual(['summary.txt']);
  });

  it.each([
    ['synchronous appends (a local disk): no file stays open between events', false],
    ['asynchronous appends (after a slow disk): a burst opens at most the cap', true],
  ])(
    'per-host logs, %s; every host gets its stdout log, and a stderr log when it has one',
    async (_what, asynchronous) => {
      const logs = new HostLogs(path.join(dir, `logs-${asynchronous}`), { asynchronous });
      let most = 0;
      let mostFiles = 0;
      for (const r of result.hosts) {
        const step = {
          kind: 'exec' as const,
          id: 'preflight',
          title: 'Run the preflight checks',
          argv: ['sudo', '-n', 'bash', '-s'],
          timeout: { ms: 1, option: 'x' },
        };
        logs.listener({ type: 'step-start', host: r.host, step, command: 'sudo -n bash -s' });
        logs.listener({ type: 'output', host: r.host, step, stream: 'stdout', chunk: r.steps[0]?.stdoutTail ?? '' });
        if (r.steps[0]) logs.listener({ type: 'step-end', host: r.host, step, result: r.steps[0] });
        most = Math.max(most, logs.openHosts);
        logs.listener({ type: 'host-done', result: r });
        mostFiles = Math.max(mostFiles, logs.filesOpen);
      }
      expect(most).toBe(1);
      // Every host was emitted in one synchronous burst: asynchronous appends open files in slots, never all at once;
      // synchronous ones have closed each file before the next event.
      expect(mostFiles).toBe(asynchronous ? 2 * MAX_OPEN_HOSTS : 0);
      expect(logs.openHosts).toBe(0);
      await logs.close();
      expect(logs.filesOpen).toBe(0);
      expect(logs.firstError).toBeUndefined();
      const files = await readdir(path.join(dir, `logs-${asynchronous}`));
      expect(files.filter((f) => f.endsWith('.stdout.log'))).toHaveLength(N);
      // Only the unreachable hosts wrote to stderr (their reason): no other host has an empty stderr log.
      expect(files.filter((f) => f.endsWith('.stderr.log'))).toHaveLength(counts.unreachable);
      expect(files).toHaveLength(N + counts.unreachable);
      const unreachable = result.hosts.find((h) => h.status === 'unreachable')!;
      expect(
        await readFile(path.join(dir, `logs-${asynchronous}`, `${unreachable.host.label}.stderr.log`), 'utf8'),
      ).toContain('unreachable: connect ETIMEDOUT');
    },
  );
});
