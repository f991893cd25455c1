/** Shared shapes of the config pipeline: load → validate → finalized arguments. */
import type { ConfigValues } from './engine.js';
import type { SshSettings } from './ssh-settings.js';
import type { CheckBinsInput } from './inputs.js';

/** 1-based position of a key in config.yaml. */
export interface Position {
  line: number;
  column: number;
}

/** One problem found in the configuration: `key: message`, located when the key is in the file. */
export interface Issue {
  key: string;
  message: string;
  /** Path of the file as the operator named it (e.g. `genconf/config.yaml`). */
  file?: string;
  line?: number;
  column?: number;
}

/**
 * Which set of rules to judge, as in DC/OS 1.11: `genconf` is the narrower set used by `--genconf`
 * (no agent_list/public_agent_list/ssh_* rules); `ssh` adds those, for `--validate-config` and every SSH action.
 */
export type Target = 'genconf' | 'ssh';

/** Every finalized value after validation (engine.ts ConfigValues). */
export type { ConfigValues };

export interface ValidationResult {
  valid: boolean;
  errors: Issue[];
  warnings: Issue[];
  /** Present only when `valid`. */
  args?: ConfigValues;
  /**
   * The keys the user wrote in config.yaml, stringified as DC/OS 1.11 did (source of user.config.yaml).
   * Present only when `valid`.
   */
  userArgs?: ConfigValues;
  /** The typed SSH settings (flags applied): present when `valid` and the target is `ssh`. */
  ssh?: SshSettings;
  /** genconf/check_bins/ as read (and hashed) once during validation; absent when there is none. */
  checkBins?: CheckBinsInput;
}
