import path from 'node:path';
import { Command as Commander, CommanderError, Option } from 'commander';
import { SSH_LIMITS, type IntLimit } from '../config/ssh-settings.js';
import { HelpShown, UsageError } from '../errors.js';
import { CHECKS, isKnownCheck } from '../stages/check-ids.js';
import { FAULT_DOMAIN_VARIANTS } from '../bundle/fault-domain-detect.js';
import type { Action, CliOptions, HostKeyChecking } from './context.js';

/** Action flags as spelled by DC/OS 1.11's dcos_generate_config.sh, plus --verify-bundle. */
const ACTION_FLAGS: ReadonlyArray<readonly [flag: string, key: string, action: Action]> = [
  ['--genconf', 'genconf', 'genconf'],
  ['--validate-config', 'validateConfig', 'validate-config'],
  ['--preflight', 'preflight', 'preflight'],
  ['--deploy', 'deploy', 'deploy'],
  ['--postflight', 'postflight', 'postflight'],
  ['--install-prereqs', 'installPrereqs', 'install-prereqs'],
  ['--uninstall', 'uninstall', 'uninstall'],
  ['--hash-password', 'hashPassword', 'hash-password'],
  ['--generate-node-upgrade-script', 'generateNodeUpgradeScript', 'generate-node-upgrade-script'],
  ['--verify-bundle', 'verifyBundle', 'verify-bundle'],
  ['--status', 'status', 'status'],
  ['--add-nodes', 'addNodes', 'add-nodes'],
  ['--export-bundle', 'exportBundle', 'export-bundle'],
  ['--decommission', 'decommission', 'decommission'],
  ['--aws-cloudformation', 'awsCloudformation', 'aws-cloudformation'],
  ['--azure-arm', 'azureArm', 'azure-arm'],
  ['--version', 'version', 'version'],
  ['--import-installer', 'importInstaller', 'import-installer'],
  ['--serve', 'serve', 'serve'],
  ['--print-fault-domain-detect', 'printFaultDomainDetect', 'print-fault-domain-detect'],
];

/** The actions whose stages report named checks. */
const CHECKED_ACTIONS: readonly Action[] = ['preflight', 'deploy', 'postflight', 'add-nodes'];

/** `--ignore-check a,b`: every name must be a known check id (stages/check-ids.ts); a typo is a usage error. */
export function parseIgnoreChecks(value: string): string[] {
  const names = [
    ...new Set(
      value
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== ''),
    ),
  ];
  if (names.length === 0) throw new UsageError('--ignore-check needs at least one check name');
  const unknown = names.filter((n) => !isKnownCheck(n));
  if (unknown.length > 0) {
    throw new UsageError(
      `--ignore-check: unknown check name${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}`,
      `valid names: ${CHECKS.map((c) => c.id).join(', ')}, port-<number>`,
    );
  }
  return names;
}

/** A whole-number flag; its range is declared in config/ssh-settings.ts SSH_LIMITS (ports share sshPort). */
function intOption(name: string, { min, max }: IntLimit) {
  return (value: string): number => {
    if (/^-\d+$/.test(value)) throw new UsageError(`${name} must be between ${min} and ${max}, got ${value}`);
    if (!/^\d+$/.test(value))
      throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got '${value}'`);
    const n = Number(value);
    if (n < min || (max !== null && n > max))
      throw new UsageError(`${name} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

export function buildProgram(programName: string): Commander {
  const program = new Commander(programName)
    .description('Validate a DC/OS 1.11 config, build the install bundle, and install it on every host over SSH.')
    .helpOption('-h, --help', 'show this help')
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: (s) => process.stdout.write(s) });

  program
    .option('--genconf', 'build genconf/serve/ from genconf/config.yaml (the default action)')
    .option('--validate-config', 'judge config.yaml (with the SSH keys) and report every problem')
    .option('--preflight', 'run the preflight checks on every host over SSH')
    .option('--deploy', 'install DC/OS on every host over SSH (masters first)')
    .option('--postflight', 'wait for every host to become healthy')
    .option('--install-prereqs', 'install the DC/OS prerequisites on every host (CentOS/RHEL 7)')
    .option('--uninstall', 'remove DC/OS from every host (asks for confirmation)')
    .option('--hash-password [password]', 'print the SHA-512 crypt hash of a password (prompts when omitted)')
    .option(
      '--generate-node-upgrade-script [version]',
      'write serve/upgrade/<id>/dcos_node_upgrade.sh for upgrading from VERSION',
    )
    .addOption(
      new Option(
        '--print-fault-domain-detect <variant>',
        'print the fault-domain-detect script for one cloud (or auto: probes the three); save it as genconf/fault-domain-detect',
      ).choices(FAULT_DOMAIN_VARIANTS),
    )
    .option('--verify-bundle [path]', 'check dcos-install.tar or a serve directory against its SHA256SUMS')
    .option('--version', 'print the tool version and the DC/OS version as JSON')
    .option('--status', 'print the cluster record (genconf/cluster.json); with --probe, what each host really has')
    .option('--add-nodes', 'install DC/OS on the listed hosts the record does not show installed, and no other')
    .option('--export-bundle <file>', 'write the deployed dcos-install.tar to FILE and print its SHA-256')
    .option('--decommission', 'remove the agents given with --hosts from the cluster (asks for confirmation)')
    .option('--probe', '--status: connect read-only to every host and report what is installed and any drift')
    .option('--bundle <file>', '--add-nodes: install this archived dcos-install.tar instead of genconf/serve')
    .option(
      '--force',
      '--decommission: mark hosts unreachable over SSH gone anyway (their disks are not cleaned); --import-installer: replace an existing artifacts directory',
    )
    .option('--master-url <url>', '--decommission: the Mesos master (default http://<first master>:5050)')
    .option('--dcos-token-file <file>', '--decommission: file holding the DC/OS ACS token (default: $DCOS_ACS_TOKEN)')
    .option('--import-installer <file>', 'unpack the official dcos_generate_config.sh into the artifacts directory')
    .option('--aws-cloudformation', 'build the bundle and write AWS CloudFormation templates (nothing is uploaded)')
    .option('--azure-arm', 'build the bundle and write an Azure Resource Manager template (nothing is uploaded)')
    .option('--basic', '--aws-cloudformation: one template with a new VPC (the default)')
    .option('--advanced', '--aws-cloudformation: zen, infrastructure, master and agent templates for an existing VPC')
    .option(
      '--out <dir>',
      'cloud templates: output directory (default: <genconf-dir>/cloudformation or <genconf-dir>/arm)',
    )
    .option('-v, --verbose', 'more output')
    .option('--genconf-dir <dir>', 'the genconf directory', 'genconf')
    .option('--artifacts <dir>', 'DC/OS artifacts directory (default: "artifacts" beside the genconf directory)')
    .option('--json', 'machine-readable output on stdout')
    .option('--strict', 'treat warnings (such as unknown keys) as errors')
    .addOption(
      new Option(
        '--parallelism <n>',
        `hosts worked on at once (default: ssh_parallelism, ${SSH_LIMITS.sshParallelism.default})`,
      ).argParser(intOption('--parallelism', SSH_LIMITS.parallelismFlag)),
    )
    .option('--hosts <addrs>', 'run the stage only on these hosts (comma-separated addresses)')
    .option('--retry-failed', 're-run the stage only on hosts that did not succeed last time')
    .option(
      '--ignore-check <names>',
      'record these failed checks as ignored instead of failing the host (comma-separated check names, see README)',
    )
    .addOption(
      new Option('--timeout <seconds>', 'deadline for the whole run').argParser(
        intOption('--timeout', SSH_LIMITS.runTimeoutSec),
      ),
    )
    .addOption(
      new Option('--connect-timeout <seconds>', 'SSH connect and handshake timeout')
        .default(SSH_LIMITS.connectTimeoutSec.default)
        .argParser(intOption('--connect-timeout', SSH_LIMITS.connectTimeoutSec)),
    )
    .addOption(
      new Option('--postflight-timeout <seconds>', 'deadline of the postflight check loops')
        .default(SSH_LIMITS.postflightTimeoutSec.default)
        .argParser(intOption('--postflight-timeout', SSH_LIMITS.postflightTimeoutSec)),
    )
    .addOption(
      new Option('--host-key-checking <mode>', 'verify SSH host keys against known_hosts')
        .choices(['strict', 'accept-new', 'off'])
        .default('accept-new'),
    )
    .option('--known-hosts <file>', 'known_hosts file (default: <genconf-dir>/known_hosts)')
    .option(
      '--ssh-config <file>',
      'OpenSSH client config to read (default: <genconf-dir>/ssh_config if it exists; "none" turns it off)',
    )
    .option('-y, --yes', 'do not ask for confirmation (uninstall)')
    .option('--junit <file>', 'also write a JUnit XML report')
    .option('--continue-on-master-failure', 'deploy agents even if a master failed')
    .option('--dry-run', 'SSH actions: print every step for every host and touch nothing')
    .option('--serve', 'serve genconf/serve with the system nginx in the foreground and print the per-role commands')
    .addOption(
      new Option('--port <n>', "--serve: port to listen on (default: bootstrap_url's port, else 8080)").argParser(
        intOption('--port', SSH_LIMITS.sshPort),
      ),
    )
    .option('--bind <addr>', '--serve: address to listen on (default 0.0.0.0)')
    .option('--print-config', '--serve: print the nginx configuration and exit')
    .option(
      '--pull',
      '--deploy: each host downloads the bundle from bootstrap_url over HTTP instead of receiving it over SFTP',
    )
    .option('--no-color', 'no colours in output')
    .option('--cli-telemetry-disabled', 'accepted for compatibility; this tool sends no telemetry')
    .option('--offline', 'accepted for compatibility; has no effect');
  return program;
}

/** Parse argv (without node and script) into CliOptions. Throws UsageError (exit 2) on any misuse. */
export function parseArgs(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): CliOptions {
  const program = buildProgram(env.INSTALLER_ARGV0 ?? 'genconf');
  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') throw new HelpShown();
      throw new UsageError(err.message.replace(/^error: /, ''), `run '${program.name()} --help' for usage`);
    }
    throw err;
  }
  const o = program.opts<Record<string, unknown>>();
  const chosen = ACTION_FLAGS.filter(([, key]) => o[key] !== undefined && o[key] !== false);
  if (chosen.length > 1) {
    const [a, b] = chosen;
    throw new UsageError(`argument ${b![0]}: not allowed with argument ${a![0]}`, 'give one action at a time');
  }
  // --dry-run belongs to an SSH action; alone it would silently build the bundle.
  if (chosen.length === 0 && o.dryRun === true) {
    throw new UsageError(
      '--dry-run needs an SSH action',
      'add --preflight, --deploy, --postflight, --uninstall or --install-prereqs',
    );
  }
  const action: Action = chosen[0]?.[2] ?? 'genconf';
  if (o.basic === true && o.advanced === true)
    throw new UsageError('argument --advanced: not allowed with argument --basic');
  const cloudFlavour = o.advanced === true ? 'advanced' : o.basic === true ? 'basic' : undefined;
  if (
    (cloudFlavour !== undefined || o.out !== undefined) &&
    action !== 'aws-cloudformation' &&
    action !== 'azure-arm'
  ) {
    throw new UsageError(
      `${cloudFlavour !== undefined ? `--${cloudFlavour}` : '--out'} needs --aws-cloudformation or --azure-arm`,
    );
  }
  const actionValue = chosen[0] ? o[chosen[0][1]] : undefined;
  const genconfDir = path.resolve(cwd, String(o.genconfDir));
  const baseDir = path.dirname(genconfDir);
  const hosts =
    typeof o.hosts === 'string'
      ? o.hosts
          .split(',')
          .map((h) => h.trim())
          .filter((h) => h !== '')
      : undefined;
  if (hosts !== undefined && hosts.length === 0) throw new UsageError('--hosts needs at least one address');
  const ignoreChecks = typeof o.ignoreCheck === 'string' ? parseIgnoreChecks(o.ignoreCheck) : undefined;
  for (const [key, flag] of [
    ['port', '--port'],
    ['bind', '--bind'],
    ['printConfig', '--print-config'],
  ] as const) {
    if (o[key] !== undefined && action !== 'serve') throw new UsageError(`${flag} goes with --serve`);
  }
  if (o.pull !== undefined && action !== 'deploy') throw new UsageError('--pull goes with --deploy');
  if (ignoreChecks !== undefined && !CHECKED_ACTIONS.includes(action))
    throw new UsageError('--ignore-check goes with --preflight, --deploy, --postflight or --add-nodes');
  return {
    action,
    cwd,
    genconfDir,
    baseDir,
    artifactsDir: typeof o.artifacts === 'string' ? path.resolve(cwd, o.artifacts) : path.join(baseDir, 'artifacts'),
    json: o.json === true,
    strict: o.strict === true,
    verbose: o.verbose === true,
    actionArg: typeof actionValue === 'string' ? actionValue : undefined,
    parallelism: o.parallelism as number | undefined,
    hosts,
    retryFailed: o.retryFailed === true,
    ...(ignoreChecks !== undefined ? { ignoreChecks } : {}),
    timeoutSec: o.timeout as number | undefined,
    connectTimeoutSec: o.connectTimeout as number,
    postflightTimeoutSec: o.postflightTimeout as number,
    hostKeyChecking: o.hostKeyChecking as HostKeyChecking,
    knownHostsFile:
      typeof o.knownHosts === 'string' ? path.resolve(cwd, o.knownHosts) : path.join(genconfDir, 'known_hosts'),
    yes: o.yes === true,
    junitFile: typeof o.junit === 'string' ? path.resolve(cwd, o.junit) : undefined,
    continueOnMasterFailure: o.continueOnMasterFailure === true,
    dryRun: o.dryRun === true,
    ...(o.port !== undefined ? { servePort: o.port as number } : {}),
    ...(typeof o.bind === 'string' ? { serveBind: o.bind } : {}),
    printConfig: o.printConfig === true,
    pull: o.pull === true,
    probe: o.probe === true,
    ...(typeof o.bundle === 'string' ? { bundleFile: path.resolve(cwd, o.bundle) } : {}),
    force: o.force === true,
    ...(typeof o.masterUrl === 'string' ? { masterUrl: o.masterUrl } : {}),
    ...(typeof o.dcosTokenFile === 'string' ? { tokenFile: path.resolve(cwd, o.dcosTokenFile) } : {}),
    ...(typeof o.sshConfig === 'string'
      ? {
          sshConfig:
            o.sshConfig === 'none' ? 'none' : path.resolve(cwd, o.sshConfig.replace(/^~(?=\/|$)/, env.HOME ?? '~')),
        }
      : {}),
    // Flags beat ssh_config only when given; their defaults do not.
    sshFlagsGiven: {
      connectTimeout: program.getOptionValueSource('connectTimeout') === 'cli',
      hostKeyChecking: program.getOptionValueSource('hostKeyChecking') === 'cli',
      knownHosts: typeof o.knownHosts === 'string',
    },
    color: o.color !== false && env.NO_COLOR === undefined,
    ...(action === 'import-installer' && typeof actionValue === 'string'
      ? { installerFile: path.resolve(cwd, actionValue) }
      : {}),
    ...(cloudFlavour !== undefined ? { cloudFlavour } : {}),
    ...(typeof o.out === 'string' ? { outDir: path.resolve(cwd, o.out) } : {}),
  };
}

export { HelpShown };
