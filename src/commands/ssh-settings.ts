/**
 * Which ssh_config file a run reads, read once before planning (the plan itself stays pure):
 *   --ssh-config FILE | none, else config.yaml's ssh_config_file (a path, or none), else genconf/ssh_config when it
 *   exists, else none. ~/.ssh/config is read only when one of the first two names it, so a bootstrap node's personal
 *   config never changes a run by surprise.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CliOptions } from '../cli/context.js';
import type { ConfigValues } from '../config/types.js';
import type { PlanOptions } from '../derive/plan.js';
import { InputError } from '../errors.js';
import { expandTilde, loadSshConfig, type LoadedSshConfig } from '../transport/ssh-config.js';

export interface ChosenSshConfig {
  /** Absolute path, or undefined when no ssh_config is used. */
  file?: string;
  /** Why this file (or none): `--ssh-config`, `ssh_config_file in config.yaml`, `genconf/ssh_config`. */
  source: string;
}

export function chooseSshConfig(
  o: Pick<CliOptions, 'sshConfig' | 'genconfDir' | 'baseDir'>,
  args: ConfigValues,
  home = os.homedir(),
): ChosenSshConfig {
  const must = (file: string, source: string): ChosenSshConfig => {
    if (!existsSync(file))
      throw new InputError(
        `the ssh_config file named by ${source} does not exist: ${file}`,
        file,
        'give an existing file, or none',
      );
    return { file, source };
  };
  if (o.sshConfig === 'none') return { source: '--ssh-config none' };
  if (o.sshConfig !== undefined) return must(o.sshConfig, '--ssh-config');
  const key = (args.ssh_config_file ?? '').trim();
  if (key === 'none') return { source: 'ssh_config_file: none in config.yaml' };
  if (key !== '') return must(path.resolve(o.baseDir, expandTilde(key, home)), 'ssh_config_file in config.yaml');
  const inGenconf = path.join(o.genconfDir, 'ssh_config');
  if (existsSync(inGenconf)) return { file: inGenconf, source: `${path.basename(o.genconfDir)}/ssh_config` };
  return { source: 'none found' };
}

export interface SshSettings {
  chosen: ChosenSshConfig;
  loaded?: LoadedSshConfig;
  /** For planCluster. */
  plan?: PlanOptions['ssh'];
}

/** Read the chosen file; undefined `plan` when none is used (then every host is planned exactly as before). */
export function readSshSettings(o: CliOptions, args: ConfigValues, home = os.homedir()): SshSettings {
  const chosen = chooseSshConfig(o, args, home);
  if (!chosen.file) return { chosen };
  const loaded = loadSshConfig(chosen.file, { home });
  const given = o.sshFlagsGiven;
  let localUser: string;
  try {
    localUser = os.userInfo().username;
  } catch {
    localUser = process.env.USER ?? 'root';
  }
  return {
    chosen,
    loaded,
    plan: {
      sshConfig: loaded,
      flags: {
        ...(given?.connectTimeout ? { connectTimeoutSec: o.connectTimeoutSec } : {}),
        ...(given?.hostKeyChecking ? { hostKeyChecking: o.hostKeyChecking } : {}),
        ...(given?.knownHosts ? { knownHostsFile: o.knownHostsFile } : {}),
      },
      baseDir: o.baseDir,
      home,
      localUser,
    },
  };
}

/** The header line: which file, and (with -v) the keys it has that this tool ignores. */
export function describeSshSettings(s: SshSettings, verbose: boolean, cwd = process.cwd()): string[] {
  if (!s.loaded)
    return s.chosen.source.startsWith('--ssh-config') || s.chosen.source.startsWith('ssh_config_file')
      ? [`ssh_config: none (${s.chosen.source})`]
      : [];
  const rel = (p: string): string => {
    const r = path.relative(cwd, p);
    return r.startsWith('..') ? p : r;
  };
  const more = s.loaded.files.length > 1 ? ` (+ Included ${s.loaded.files.slice(1).map(rel).join(', ')})` : '';
  const lines = [`ssh_config: ${rel(s.loaded.file)}${more}, from ${s.chosen.source}`];
  if (verbose && s.loaded.ignored.length > 0)
    lines.push(`ssh_config: keys ignored (genconf does not use them): ${s.loaded.ignored.join(', ')}`);
  return lines;
}
