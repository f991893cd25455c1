import type { ExitCode } from '../exit-codes.js';
import type { SshFlags } from '../config/ssh-settings.js';
import type { HostKeyChecking } from '../transport/known-hosts.js';

/** The actions of the command line; exactly one per run (`genconf` when none is given). */
export type Action =
  | 'genconf'
  | 'validate-config'
  | 'preflight'
  | 'deploy'
  | 'postflight'
  | 'install-prereqs'
  | 'uninstall'
  | 'hash-password'
  | 'generate-node-upgrade-script'
  | 'verify-bundle'
  | 'status'
  | 'add-nodes'
  | 'export-bundle'
  | 'decommission'
  | 'aws-cloudformation'
  | 'azure-arm'
  | 'version'
  | 'import-installer'
  | 'serve'
  | 'print-fault-domain-detect';

export type { HostKeyChecking };

/** Everything the command line said, typed and defaulted. Parsed in args.ts; no I/O there. */
export interface CliOptions {
  action: Action;
  /** The working directory the command line was given in: paths are shown relative to it. */
  cwd: string;
  /** Directory holding config.yaml, ip-detect, … (`--genconf-dir`, default ./genconf), absolute. */
  genconfDir: string;
  /** The directory that contains genconfDir: relative paths in config.yaml resolve against it, as in DC/OS 1.11. */
  baseDir: string;
  /** `--artifacts DIR`, default: `artifacts` beside the genconf directory. Absolute. */
  artifactsDir: string;
  json: boolean;
  strict: boolean;
  verbose: boolean;
  /**
   * Argument of --hash-password, --generate-node-upgrade-script or --verify-bundle when given; the variant of
   * --print-fault-domain-detect.
   */
  actionArg?: string;
  parallelism?: number;
  hosts?: string[];
  retryFailed: boolean;
  /** `--ignore-check`: check ids (stages/check-ids.ts) recorded as ignored instead of failing a host. */
  ignoreChecks?: string[];
  /** Whole-run deadline in seconds (`--timeout`). */
  timeoutSec?: number;
  connectTimeoutSec: number;
  postflightTimeoutSec: number;
  hostKeyChecking: HostKeyChecking;
  /** known_hosts file, default `<genconfDir>/known_hosts`. */
  knownHostsFile: string;
  yes: boolean;
  junitFile?: string;
  /** Deploy agents even when a master failed. */
  continueOnMasterFailure: boolean;
  /** SSH actions: print the steps per host instead of running them. */
  dryRun: boolean;
  /** `--ssh-config FILE` (absolute) or `none`. */
  sshConfig?: string;
  /** Which of the flags that beat ssh_config were given on the command line. */
  sshFlagsGiven?: { connectTimeout: boolean; hostKeyChecking: boolean; knownHosts: boolean };
  /** `--serve --port N` (default: bootstrap_url's port, else 8080). */
  servePort?: number;
  /** `--serve --bind ADDR` (default 0.0.0.0). */
  serveBind?: string;
  /** `--serve --print-config`: print nginx's configuration instead of running it. */
  printConfig: boolean;
  /** `--deploy --pull`: each host downloads the bundle over HTTP from bootstrap_url instead of receiving it over SFTP. */
  pull: boolean;
  color: boolean;
  /** `--status --probe`: ask every host what it has (read-only). */
  probe: boolean;
  /** `--add-nodes --bundle FILE`: an archived dcos-install.tar, absolute. */
  bundleFile?: string;
  /** `--decommission --force`: mark SSH-unreachable hosts gone anyway; `--import-installer --force`: replace artifacts/. */
  force: boolean;
  masterUrl?: string;
  /** `--dcos-token-file FILE`, absolute. */
  tokenFile?: string;
  /** `--import-installer FILE`, absolute. */
  installerFile?: string;
  /** --aws-cloudformation: `--basic` (default) or `--advanced`; undefined when neither was given. */
  cloudFlavour?: 'basic' | 'advanced';
  /** Cloud templates: `--out DIR` (absolute), default genconf/cloudformation or genconf/arm. */
  outDir?: string;
}

export interface CommandContext {
  options: CliOptions;
  /** Aborted on SIGINT/SIGTERM: stop starting new work, run cleanups, report. */
  signal: AbortSignal;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** True when stdin is an interactive terminal (prompts are allowed). */
  interactive: boolean;
}

export type Command = (ctx: CommandContext) => Promise<ExitCode>;

/** Colours only when asked for (no --no-color, no NO_COLOR) and when `stream` is a terminal. */
export function colorFor(options: Pick<CliOptions, 'color'>, stream: NodeJS.WritableStream): boolean {
  return options.color && isTty(stream);
}

export function isTty(stream: NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/** The flags that override SSH keys of config.yaml for this run (applied in config/ssh-settings.ts). */
export function sshFlags(o: CliOptions): SshFlags {
  return {
    ...(o.parallelism !== undefined ? { parallelism: o.parallelism } : {}),
    postflightTimeoutSec: o.postflightTimeoutSec,
  };
}
