/**
 * Inputs that are not ordinary files: config.yaml, ip-detect or fault-domain-detect linked to /dev/zero, a FIFO, a
 * file over the size cap; `--verify-bundle /dev/zero`. Each must end at once with an error naming the file and the
 * limit, never read without end, block, or run out of memory.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { run as verifyBundleCommand } from '../../src/commands/verify-bundle.js';
import { INPUT_LIMITS, readInputFileSync } from '../../src/config/input-file.js';
import { formatIssuesHuman } from '../../src/config/report.js';
import { judgeConfig } from '../../src/config/validate.js';
import { GenconfError } from '../../src/errors.js';
import { yamlOf } from './helpers.js';

let dir: string;
let genconf: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'genconf-special-'));
  genconf = path.join(dir, 'genconf');
  mkdirSync(genconf);
  writeFileSync(path.join(genconf, 'ip-detect'), '#!/bin/sh\necho 10.0.0.1\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const judge = () => judgeConfig({ genconfDir: genconf, baseDir: dir, target: 'genconf', strict: false });

function mkfifo(p: string): void {
  const r = spawnSync('mkfifo', [p]);
  expect(r.status).toBe(0);
}

describe('config.yaml', () => {
  it('linked to /dev/zero: refused as a character device', async () => {
    symlinkSync('/dev/zero', path.join(genconf, 'config.yaml'));
    const r = await judge();
    expect(r.valid).toBe(false);
    expect(r.errors[0]!.message).toMatch(/config\.yaml: it is a character device, not a regular file/);
  });

  it('a FIFO: refused, does not block', async () => {
    mkfifo(path.join(genconf, 'config.yaml'));
    const r = await judge();
    expect(r.errors[0]!.message).toContain('is a FIFO, not a regular file');
  });

  it('over 16 MiB: refused, naming the limit', async () => {
    const file = path.join(genconf, 'config.yaml');
    writeFileSync(file, 'cluster_name: x\n');
    truncateSync(file, INPUT_LIMITS.config + 1);
    const r = await judge();
    expect(r.errors[0]!.message).toContain('larger than the limit of 16 MiB');
    expect(r.errors[0]!.message).toContain('config.yaml');
    // Shown to people: the file is the location, not also a key; the limit is said once.
    const line = formatIssuesHuman(r, { color: false }).split('\n')[0]!;
    expect(line).toMatch(/config\.yaml: Failed to open config file at /);
    expect(line).not.toMatch(/config\.yaml: config\.yaml:/);
    expect(line.match(/16 MiB/g)).toHaveLength(1);
  });
});

describe('scripts named by config.yaml', () => {
  it('ip-detect linked to /dev/zero: a located error on ip_detect_filename', async () => {
    writeFileSync(path.join(genconf, 'config.yaml'), yamlOf({}));
    rmSync(path.join(genconf, 'ip-detect'));
    symlinkSync('/dev/zero', path.join(genconf, 'ip-detect'));
    const r = await judge();
    expect(r.valid).toBe(false);
    const e = r.errors.find((x) => x.message.includes('ip-detect'));
    expect(e?.message).toContain('is a character device, not a regular file');
  });

  it('ip-detect over 1 MiB: refused with the limit, no out-of-memory', async () => {
    writeFileSync(path.join(genconf, 'config.yaml'), yamlOf({}));
    truncateSync(path.join(genconf, 'ip-detect'), INPUT_LIMITS.script + 10);
    const r = await judge();
    const e = r.errors.find((x) => x.message.includes('ip-detect'));
    expect(e?.message).toContain('larger than the limit of 1 MiB');
  });

  it('fault-domain-detect as a FIFO: refused on its key, does not block', async () => {
    writeFileSync(path.join(genconf, 'config.yaml'), yamlOf({}));
    mkfifo(path.join(genconf, 'fault-domain-detect'));
    const r = await judge();
    expect(r.valid).toBe(false);
    expect(r.errors[0]!.key).toBe('fault_domain_detect_filename');
    expect(r.errors[0]!.message).toContain('is a FIFO');
  });

  it('fault-domain-detect absent: fine', async () => {
    writeFileSync(path.join(genconf, 'config.yaml'), yamlOf({}));
    const r = await judge();
    expect(r.errors).toEqual([]);
  });
});

describe('readInputFileSync', () => {
  it('reads a regular file within the limit, refuses one byte more', () => {
    const f = path.join(dir, 'f');
    writeFileSync(f, 'abc');
    expect(readInputFileSync(f, 3).toString()).toBe('abc');
    expect(() => readInputFileSync(f, 2)).toThrow(/larger than the limit of 2 bytes/);
  });
});

describe('--verify-bundle on a special file', () => {
  it('/dev/zero is refused at once (exit 1), not read forever', async () => {
    const stdout = new PassThrough();
    const ctx = {
      options: parseArgs(['--verify-bundle', '/dev/zero'], dir, {}),
      signal: new AbortController().signal,
      stdout,
      stderr: new PassThrough(),
      interactive: false,
    };
    const err = await verifyBundleCommand(ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GenconfError);
    expect((err as GenconfError).message).toContain('/dev/zero is a character device, not a regular file');
    expect((err as GenconfError).exitCode).toBe(1);
  });
});
