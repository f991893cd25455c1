/**
 * judgeConfig: load genconf/config.yaml and judge it exactly as DC/OS 1.11 (branch tip) did, plus this
 * tool's fixes (clear errors where 1.11 crashed, unknown-key warnings, located messages). Never throws on
 * bad input: every problem becomes an Issue in the result.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Resolver, type Entry, type TargetSpec } from './engine.js';
import { isKnownKey, suggestKey } from './known-keys.js';
import { BUILD_MUSTS, dcosEntries } from './defaults-dcos.js';
import { dcosTarget } from './target-dcos.js';
import {
  checkBinsPackageId,
  InputReadError,
  readCheckBins,
  readConfigYaml,
  readFaultDomainScript,
  type CheckBinsInput,
} from './inputs.js';
import { SSH_ENTRY, SSH_KEYS, SSH_TARGET } from './rules-ssh.js';
import { GENCONF_OWN_ENTRY, GENCONF_OWN_TARGET } from './rules-genconf.js';
import { sshSettings, type SshFlags } from './ssh-settings.js';
import { stringifyValue } from './stringify.js';
import type { Issue, Target, ValidationResult } from './types.js';
import { loadConfigText } from './yaml11.js';
import { toJson } from './schema.js';
import { explainMissing, resolveConfigFile } from './paths.js';
import { typeIssues } from './value-shape.js';
import { blamedItemPosition } from './locate-item.js';

export interface JudgeOptions {
  genconfDir: string;
  baseDir: string;
  target: Target;
  strict: boolean;
  /**
   * Check that ssh_key_path names a file (SSH rule set only): `--validate-config` and the SSH actions set it, so
   * a missing key fails before any host is touched, not in the middle of the real run.
   */
  checkSshKey?: boolean;
  /** SSH_AUTH_SOCK and friends: a missing default key is fine when an agent is there. */
  env?: NodeJS.ProcessEnv;
  /** Flags that override SSH keys for this run (target `ssh`): applied in ssh-settings.ts. */
  sshFlags?: SshFlags;
}

/** How the config file is named in messages: relative to the working directory, as the operator typed it. */
function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel === '' || path.isAbsolute(rel) ? file : rel;
}

const CONFIG_KEY = 'config.yaml';

/** How many unknown keys get a "Did you mean" suggestion; the rest are listed without one. */
export const SUGGEST_FIRST = 20;

function fileIssue(file: string, message: string, line?: number, column?: number): ValidationResult {
  const issue: Issue = { key: CONFIG_KEY, message, file };
  if (line !== undefined) issue.line = line;
  if (column !== undefined) issue.column = column;
  return { valid: false, errors: [issue], warnings: [] };
}

export async function judgeConfig(opts: JudgeOptions): Promise<ValidationResult> {
  const result = judgeConfigSync(opts);
  if (!opts.strict || lastDocument === undefined) return result;
  return addSchemaProblems(result, lastDocument);
}

/** The document judgeConfigSync last loaded, kept for the --strict schema pass (which is async: ajv loads lazily). */
let lastDocument:
  | { values: Record<string, unknown>; file: string; positions: Map<string, { line: number; column: number }> }
  | undefined;

async function addSchemaProblems(
  result: ValidationResult,
  doc: NonNullable<typeof lastDocument>,
): Promise<ValidationResult> {
  const { schemaProblems } = await import('./schema.js');
  const problems = await schemaProblems(doc.values);
  const blamed = new Set([...result.errors, ...result.warnings].map((i) => i.key));
  const extra: Issue[] = [];
  for (const [key, message] of problems) {
    if (blamed.has(key)) continue;
    const pos = doc.positions.get(key);
    extra.push(pos ? { key, message, file: doc.file, line: pos.line, column: pos.column } : { key, message });
  }
  if (extra.length === 0) return result;
  const errors = [...result.errors, ...extra];
  sortByPosition(errors);
  return { valid: false, errors, warnings: result.warnings };
}

export function judgeConfigSync(opts: JudgeOptions): ValidationResult {
  lastDocument = undefined;
  const configPath = path.join(opts.genconfDir, 'config.yaml');
  const shown = displayPath(configPath);
  const read = readConfigYaml(configPath, shown);
  if (!read.ok) {
    if (read.missing) {
      // Run from inside genconf/ (a config.yaml right here): say how to point at it.
      const inside =
        path.resolve(opts.genconfDir) !== process.cwd() && existsSync(path.join(process.cwd(), 'config.yaml'));
      const hint = inside
        ? ` There is a config.yaml in the current directory: run from its parent directory, or pass --genconf-dir .`
        : '';
      return fileIssue(
        shown,
        `No config file found at ${shown}. See the DC/OS documentation for the available configuration options.${hint}`,
      );
    }
    return fileIssue(shown, read.message);
  }
  return judgeConfigText(read.text, { ...opts, displayFile: shown });
}

/** Judge config.yaml text (the file was already read). Exposed for tests and the property test. */
export function judgeConfigText(text: string, opts: JudgeOptions & { displayFile: string }): ValidationResult {
  const file = opts.displayFile;
  // PyYAML reads a lone CR, and CRLF, as one line break; the parser below wants LF.
  const loaded = loadConfigText(text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n'));
  if (!loaded.ok) {
    const message = loaded.message.startsWith('Invalid YAML')
      ? `Unable to load configuration file. Invalid YAML in ${file}: ${loaded.message.replace(/^Invalid YAML: /, '')}`
      : loaded.message;
    return fileIssue(file, message, loaded.line, loaded.column);
  }

  const positions = new Map<string, { line: number; column: number }>();
  // Only --strict reads it: a copy of every value is not made for a run that never looks at it.
  if (opts.strict)
    lastDocument = { values: Object.fromEntries(loaded.keys.map((k) => [k.key, toJson(k.value)])), file, positions };
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  const located = (key: string, message: string): Issue => {
    const pos = positions.get(key);
    return pos ? { key, message, file, line: pos.line, column: pos.column } : { key, message };
  };

  // A rule over a list that names a bad item points at the item's line (the key's when it is not found).
  // The text's lines are split only when a rule fails: a valid config of 10,000 hosts never needs them.
  let textLines: string[] | undefined;
  const locatedItem = (key: string, message: string): Issue => {
    const keyAt = positions.get(key);
    const listText = user[key];
    if (keyAt === undefined || listText === undefined) return located(key, message);
    let next: number | undefined;
    for (const k of loaded.keys) if (k.line > keyAt.line && (next === undefined || k.line < next)) next = k.line;
    textLines ??= text.split(/\r\n?|\n/);
    const at = blamedItemPosition(textLines, keyAt, next, listText, message);
    return at ? { key, message, file, line: at.line, column: at.column } : located(key, message);
  };

  const user: Record<string, string> = {};
  // A file that is not a config at all (config.yaml linked to /etc/shadow reads as a mapping of `user:hash:…` keys):
  // no key is a configuration key. Refuse it as a whole and never repeat its lines back.
  if (loaded.keys.length > 0 && !loaded.keys.some((k) => isKnownKey(k.key))) {
    return fileIssue(
      file,
      `${file} is not a DC/OS configuration: none of its ${loaded.keys.length} keys is a configuration key (its text is not shown); is it the right file?`,
    );
  }
  for (const p of loaded.problems) {
    errors.push({ key: shownKey(p.key, p.line), message: p.message, file, line: p.line, column: p.column });
  }
  const failedKeys = new Set(loaded.problems.map((p) => p.key));
  let unknownSeen = 0;
  for (const { key, value, line, column } of loaded.keys) {
    positions.set(key, { line, column });
    const s = stringifyValue(value);
    if (!s.ok) {
      errors.push(located(key, s.message));
      failedKeys.add(key);
      continue;
    }
    setOwn(user, key, s.value);
    if (!isKnownKey(key)) {
      // Suggestions cost a distance to every known key: only the first few unknown keys get one, so that a
      // config of 50,000 unknown keys stays linear.
      // A key not shaped like any configuration key may be data (a hash, a token): it is never echoed back.
      if (!KEY_SHAPE.test(key)) {
        (opts.strict ? errors : warnings).push({
          key: shownKey(key, line),
          message: 'Unknown key (not a configuration key name; its text is not shown); DC/OS 1.11 ignores it',
          file,
          line,
          column,
        });
        continue;
      }
      const hint = unknownSeen++ < SUGGEST_FIRST ? suggestKey(key) : undefined;
      const message = `Unknown key '${key}'; DC/OS 1.11 ignores it${hint ? `. Did you mean '${hint}'?` : ''}`;
      (opts.strict ? errors : warnings).push(located(key, message));
    }
  }

  // The other input files, each read once here: genconf/check_bins/ (its package joins the check search path)
  // and the fault-domain script.
  const ruleIssues: Issue[] = [];
  const inputs = readOtherInputs(user, opts);
  for (const issue of inputs.issues) ruleIssues.push(issue.key in user ? located(issue.key, issue.message) : issue);

  const ssh = opts.target === 'ssh';
  const entries: Entry[] = [
    ...dcosEntries({
      baseDir: opts.baseDir,
      genconfDir: opts.genconfDir,
      ...(inputs.checkBins ? { checkBinsPackageId: checkBinsPackageId(inputs.checkBins) } : {}),
    }),
    GENCONF_OWN_ENTRY,
    ...(ssh ? [SSH_ENTRY] : []),
  ];
  const targets: TargetSpec[] = ssh
    ? [dcosTarget(), GENCONF_OWN_TARGET, SSH_TARGET]
    : [dcosTarget(), GENCONF_OWN_TARGET];
  const resolution = new Resolver(entries, user, targets).resolve();

  for (const [key, message] of resolution.messages) {
    if (failedKeys.has(key)) continue;
    // A file the script key names is the user's key, not the calculated one: blame the line they wrote.
    const owner = FILE_KEY_OF[key];
    const blamed = owner !== undefined && !(key in user) ? owner : key;
    ruleIssues.push(locatedItem(blamed, message));
  }
  const sshKey =
    opts.target === 'ssh' && opts.checkSshKey === true && !failedKeys.has('ssh_key_path')
      ? sshKeyIssue(user, opts)
      : undefined;
  if (sshKey !== undefined) ruleIssues.push(located('ssh_key_path', sshKey));
  for (const w of typeIssues(loaded.keys)) (opts.strict ? errors : warnings).push(located(w.key, w.message));
  for (const key of resolution.unset) {
    if (!failedKeys.has(key) && !resolution.messages.has(key))
      ruleIssues.push(located(key, `Must set ${key}, no way to calculate value.`));
  }
  errors.push(...ruleIssues);
  sortByPosition(errors);
  sortByPosition(warnings);

  if (errors.length > 0) return { valid: false, errors, warnings };

  const args: Record<string, string> = {};
  const drop = new Set<string>([...BUILD_MUSTS, 'bootstrap_id']);
  for (const [k, v] of resolution.values) {
    if (drop.has(k) || !isKnownKey(k)) continue;
    const later = resolution.deferred.get(k);
    if (later === undefined) args[k] = v;
    else setOnFirstRead(args, k, later);
  }
  addRunnerArguments(args, user, opts, inputs.faultDomainScript);
  return {
    valid: true,
    errors,
    warnings,
    args,
    userArgs: user,
    ...(ssh ? { ssh: sshSettings(args, opts.sshFlags) } : {}),
    ...(inputs.checkBins ? { checkBins: inputs.checkBins } : {}),
  };
}

/**
 * ConfigValues beyond what 1.11's genconf target resolved: the SSH keys (validated only for the SSH target, taken
 * as given or defaulted for --genconf), the SSH key as an absolute path, and the fault-domain script text.
 */
function addRunnerArguments(
  args: Record<string, string>,
  user: Record<string, string>,
  opts: JudgeOptions,
  faultDomainScript: string,
): void {
  const defaults = SSH_ENTRY.default as Record<string, string>;
  for (const key of SSH_KEYS) {
    if (args[key] === undefined) {
      const v = user[key] ?? defaults[key];
      if (v !== undefined) args[key] = v;
    }
  }
  const ctx = { baseDir: opts.baseDir, genconfDir: opts.genconfDir };
  args.ssh_key_path = path.resolve(resolveConfigFile(args.ssh_key_path ?? 'genconf/ssh_key', ctx).full);
  args.fault_domain_detect_contents = faultDomainScript;
}

interface OtherInputs {
  checkBins: CheckBinsInput | undefined;
  faultDomainScript: string;
  issues: Issue[];
}

/** genconf/check_bins/ and the fault-domain script (1.11 read both outside its rules); problems as issues. */
function readOtherInputs(user: Record<string, string>, opts: JudgeOptions): OtherInputs {
  const out: OtherInputs = { checkBins: undefined, faultDomainScript: '', issues: [] };
  const ctx = { baseDir: opts.baseDir, genconfDir: opts.genconfDir };
  try {
    out.faultDomainScript = readFaultDomainScript(ctx, user.fault_domain_detect_filename);
  } catch (err) {
    if (!(err instanceof InputReadError)) throw err;
    out.issues.push({ key: 'fault_domain_detect_filename', message: err.message });
  }
  try {
    out.checkBins = readCheckBins(opts.genconfDir);
  } catch (err) {
    if (!(err instanceof InputReadError)) throw err;
    out.issues.push({
      key: 'check_bins',
      message: err.message,
      file: displayPath(path.join(opts.genconfDir, 'check_bins')),
    });
  }
  return out;
}

/** Messages of calculated script keys belong to the file key the operator writes. */
const FILE_KEY_OF: Readonly<Record<string, string>> = {
  ip_detect_contents: 'ip_detect_filename',
  ip_detect_public_contents: 'ip_detect_public_filename',
};

/**
 * The SSH key must be a file. Only the default path may be missing, and only when an ssh-agent is there (the run
 * then uses the agent); a path the operator wrote is always checked.
 */
function sshKeyIssue(user: Record<string, string>, opts: JudgeOptions): string | undefined {
  const written = user.ssh_key_path;
  const keyPath = written ?? 'genconf/ssh_key';
  const why = explainMissing(keyPath, { baseDir: opts.baseDir, genconfDir: opts.genconfDir });
  if (why === undefined) return undefined;
  if (written === undefined && (opts.env ?? process.env).SSH_AUTH_SOCK) return undefined;
  const which = written === undefined ? `the default SSH key \`${keyPath}\`` : `SSH key \`${keyPath}\``;
  return `${which} must exist: ${why}; or set ssh_key_path to your private key`;
}

/** What a configuration key can look like; anything else is never echoed back. */
const KEY_SHAPE = /^[A-Za-z0-9_.-]{1,128}$/;

function shownKey(key: string, line: number): string {
  return KEY_SHAPE.test(key) ? key : `(key at line ${line})`;
}

/**
 * A key whose value is computed when first read (a deferred calculation: only generating reads it), then kept as a
 * plain property. Spreading, Object.entries and JSON.stringify read it like any other; an assignment replaces it.
 */
function setOnFirstRead(obj: Record<string, string>, key: string, compute: () => string): void {
  const settle = (value: string): string => {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
    return value;
  };
  Object.defineProperty(obj, key, {
    get: () => settle(compute()),
    set: settle,
    enumerable: true,
    configurable: true,
  });
}

/** Assign even a key named `__proto__` as a plain own property (config keys are operator text). */
function setOwn(obj: Record<string, string>, key: string, value: string): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function sortByPosition(issues: Issue[]): void {
  const order = new Map(issues.map((x, i) => [x, i]));
  issues.sort((a, b) => {
    const la = a.line ?? Infinity;
    const lb = b.line ?? Infinity;
    if (la !== lb) return la - lb;
    return order.get(a)! - order.get(b)!;
  });
}
