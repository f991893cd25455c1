import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { judgeConfigText } from '../../src/config/validate.js';
import type { Target, ValidationResult } from '../../src/config/types.js';

/** A valid 3-master static config; cases replace or remove keys (values are raw YAML text). */
export const BASE: Record<string, string> = {
  cluster_name: 'test',
  bootstrap_url: 'file:///opt/dcos_install_tmp',
  exhibitor_storage_backend: 'static',
  master_discovery: 'static',
  master_list: '[10.0.0.1, 10.0.0.2, 10.0.0.3]',
  agent_list: '[10.0.0.11]',
  public_agent_list: '[10.0.0.21]',
  resolvers: '[8.8.8.8]',
};

let workDir: string | undefined;

/** A directory holding genconf/ip-detect (and genconf/ip-detect-public), created once per test file. */
export function baseDir(): string {
  if (!workDir) {
    workDir = mkdtempSync(path.join(tmpdir(), 'genconf-test-'));
    mkdirSync(path.join(workDir, 'genconf'));
    writeFileSync(path.join(workDir, 'genconf', 'ip-detect'), '#!/bin/sh\necho 10.0.0.1\n');
    writeFileSync(path.join(workDir, 'genconf', 'ip-detect-public'), '#!/bin/sh\necho 1.2.3.4\n');
  }
  return workDir;
}

export function yamlOf(overrides: Record<string, string | null>, base: Record<string, string> = BASE): string {
  const merged: Record<string, string | null> = { ...base, ...overrides };
  return (
    Object.entries(merged)
      .filter((e): e is [string, string] => e[1] !== null)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n') + '\n'
  );
}

export function judge(text: string, target: Target = 'ssh', strict = false): ValidationResult {
  const dir = baseDir();
  return judgeConfigText(text, {
    genconfDir: path.join(dir, 'genconf'),
    baseDir: dir,
    target,
    strict,
    displayFile: 'genconf/config.yaml',
  });
}

export function judgeWith(
  overrides: Record<string, string | null>,
  target: Target = 'ssh',
  strict = false,
): ValidationResult {
  return judge(yamlOf(overrides), target, strict);
}

/** key → message of every error. */
export function errorMap(r: ValidationResult): Record<string, string> {
  return Object.fromEntries(r.errors.map((e) => [e.key, e.message]));
}
