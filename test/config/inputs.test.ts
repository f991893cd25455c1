/**
 * The one input reader (config/inputs.ts): genconf/check_bins/ and the fault-domain script are read by validation,
 * so `--validate-config` finds their problems, with the file named, before `--genconf` builds anything; and the
 * check search path and the checks config that depends on it are computed once, by validation.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { calculateCheckConfig, calculateCheckConfigContents } from '../../src/config/dcos-health-checks.js';
import { readCheckBins } from '../../src/config/inputs.js';
import { judgeConfig } from '../../src/config/validate.js';
import { yamlOf } from './helpers.js';

let dir: string;
let genconf: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'genconf-inputs-'));
  genconf = path.join(dir, 'genconf');
  mkdirSync(genconf);
  writeFileSync(path.join(genconf, 'ip-detect'), '#!/bin/sh\necho 10.0.0.1\n');
  writeFileSync(path.join(genconf, 'config.yaml'), yamlOf({}));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const judge = () => judgeConfig({ genconfDir: genconf, baseDir: dir, target: 'ssh', strict: false });

describe('genconf/check_bins/ at validation', () => {
  it('a file where the directory should be fails validation, naming it', async () => {
    writeFileSync(path.join(genconf, 'check_bins'), 'not a directory');
    const r = await judge();
    expect(r.valid).toBe(false);
    expect(r.errors.map((e) => `${e.key}: ${e.message}`)).toEqual([
      'check_bins: genconf/check_bins must be a directory',
    ]);
  });

  it('a FIFO among the check binaries is refused by name, without blocking', async () => {
    mkdirSync(path.join(genconf, 'check_bins'));
    expect(spawnSync('mkfifo', [path.join(genconf, 'check_bins', 'pipe')]).status).toBe(0);
    const r = await judge();
    expect(r.valid).toBe(false);
    expect(r.errors[0]!.message).toMatch(/^genconf\/check_bins entry pipe is a FIFO, not a regular file/);
  });

  it('a dangling link is an error, not "no check_bins"', async () => {
    symlinkSync(path.join(dir, 'nowhere'), path.join(genconf, 'check_bins'));
    expect(() => readCheckBins(genconf)).toThrow(/genconf\/check_bins could not be read/);
  });

  it('puts the package on the check search path and computes the checks config once, from it', async () => {
    mkdirSync(path.join(genconf, 'check_bins'));
    writeFileSync(path.join(genconf, 'check_bins', 'my_check'), '#!/bin/sh\nexit 0\n');
    const r = await judge();
    expect(r.valid).toBe(true);
    const pkg = `custom-check-bins--${r.checkBins!.hash}`;
    const searchPath = `/opt/mesosphere/bin:/usr/bin:/bin:/sbin:/opt/mesosphere/packages/${pkg}`;
    expect(r.args!.check_search_path).toBe(searchPath);
    expect(r.args!.check_config_contents).toBe(
      calculateCheckConfigContents(calculateCheckConfig('true'), '{}', searchPath, '/opt/mesosphere/lib'),
    );
    expect(r.checkBins!.files.map((f) => f.name)).toEqual(['my_check']);
  });

  it('without check_bins the search path is the default one', async () => {
    const r = await judge();
    expect(r.valid).toBe(true);
    expect(r.checkBins).toBeUndefined();
    expect(r.args!.check_search_path).toBe('/opt/mesosphere/bin:/usr/bin:/bin:/sbin');
  });
});

describe('the fault-domain script at validation', () => {
  it('a directory at the default path is an error, not a silent "no fault domain"', async () => {
    mkdirSync(path.join(genconf, 'fault-domain-detect'));
    const r = await judge();
    expect(r.valid).toBe(false);
    expect(r.errors.map((e) => e.message)).toEqual([
      'fault-domain-detect script `genconf/fault-domain-detect` is a directory, not a file',
    ]);
  });

  it('is read once and handed over as fault_domain_detect_contents', async () => {
    writeFileSync(path.join(genconf, 'fault-domain-detect'), '#!/bin/sh\r\necho fd\r\n');
    const r = await judge();
    expect(r.valid).toBe(true);
    expect(r.args!.fault_domain_detect_contents).toBe('#!/bin/sh\necho fd\n');
  });
});
