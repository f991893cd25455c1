/**
 * `--aws-cloudformation [--basic|--advanced]` and `--azure-arm`: judge config.yaml, apply the cloud rules, build the
 * bundle (genconf/serve/, which the operator publishes at bootstrap_url), then write templates whose nodes fetch
 * that bundle's dcos_install.sh, check its sha256 and install their role. Nothing is uploaded.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CommandContext } from '../cli/context.js';
import { ExitCode } from '../cli/exit-codes.js';
import { faultDomainDetectScript } from '../bundle/fault-domain-detect.js';
import type { ConfigValues } from '../config/types.js';
import { cloudInputs, locateProblems, type CloudInputs, type CloudProvider } from '../cloud/inputs.js';
import { writeTemplates } from '../cloud/write.js';
import { UsageError } from '../errors.js';
import { generate, reportInvalid } from './genconf.js';

export type TemplateFiles = Array<readonly [name: string, text: string]>;

/** The templates of one provider/flavour, as file name → JSON text. */
export async function cloudTemplateFiles(
  provider: CloudProvider,
  advanced: boolean,
  c: CloudInputs,
): Promise<TemplateFiles> {
  const text = (o: unknown): string => `${JSON.stringify(o, null, 2)}\n`;
  if (provider === 'azure') {
    const { armTemplate } = await import('../cloud/azure/arm.js');
    return [['azuredeploy.json', text(armTemplate(c))]];
  }
  const { advancedTemplates, basicTemplate } = await import('../cloud/aws/templates.js');
  if (!advanced) return [['basic.json', text(basicTemplate(c))]];
  return Object.entries(advancedTemplates(c)).map(([name, t]) => [name, text(t)] as const);
}

/**
 * A config without genconf/fault-domain-detect gets the provider's fault-domain script, so every node (a burst
 * agent stack in another region too) reports its own region and zone to Mesos.
 */
function withFaultDomain(provider: CloudProvider, args: ConfigValues): { args: ConfigValues; defaulted: boolean } {
  if ((args.fault_domain_detect_contents ?? '') !== '') return { args, defaulted: false };
  const script = faultDomainDetectScript(provider);
  return { args: { ...args, fault_domain_detect_contents: script }, defaulted: true };
}

export async function run(ctx: CommandContext): Promise<ExitCode> {
  const { options } = ctx;
  const provider: CloudProvider = options.action === 'azure-arm' ? 'azure' : 'aws';
  const advanced = options.cloudFlavour === 'advanced';
  if (provider === 'azure' && options.cloudFlavour !== undefined) {
    throw new UsageError(`--${options.cloudFlavour} applies to --aws-cloudformation only`);
  }
  const outDir = options.outDir ?? path.join(options.genconfDir, provider === 'aws' ? 'cloudformation' : 'arm');
  const err = (line: string): void => void ctx.stderr.write(`${line}\n`);
  const configFile = path.join(options.genconfDir, 'config.yaml');
  const shown = path.relative(process.cwd(), configFile) || configFile;

  let defaulted = false;
  const outcome = await generate(ctx, {
    prepare: (args) => {
      // The sha256 is not known yet: check the config rules with a placeholder, build, then make the real inputs.
      const checked = cloudInputs(provider, args, { installSha256: '0'.repeat(64), configId: '' });
      if (!checked.ok) return { problems: locateProblems(checked.problems, safeRead(configFile), shown) };
      const fd = withFaultDomain(provider, args);
      defaulted = fd.defaulted;
      return { args: fd.args };
    },
  });
  if (!outcome.ok) return reportInvalid(ctx, outcome.validation);
  const b = outcome.bundle;
  const install = b.files.find((f) => f.path === 'dcos_install.sh');
  if (!install) throw new Error('the bundle has no dcos_install.sh');
  const result = cloudInputs(provider, outcome.args, { installSha256: install.sha256, configId: b.configId });
  if (!result.ok) throw new Error('cloud inputs changed between the config check and the build');

  err(
    provider === 'aws'
      ? '====> EXECUTING AWS CLOUD FORMATION TEMPLATE GENERATION'
      : '====> EXECUTING AZURE RESOURCE MANAGER TEMPLATE GENERATION',
  );
  if (defaulted)
    err(
      `fault-domain-detect: none configured; the nodes use the ${provider} script (genconf --print-fault-domain-detect ${provider} prints it)`,
    );
  const files = await cloudTemplateFiles(provider, advanced, result.inputs);
  const written = await writeTemplates(outDir, files);
  const summary = {
    provider,
    flavour: provider === 'aws' ? (advanced ? 'advanced' : 'basic') : 'arm',
    config_id: b.configId,
    bootstrap_url: result.inputs.bootstrapUrl,
    dcos_install_sha256: install.sha256,
    serve_dir: b.serveDir,
    templates: written,
  };
  if (options.json) {
    ctx.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } else {
    for (const f of written) ctx.stdout.write(`Template: ${path.relative(process.cwd(), f) || f}\n`);
    ctx.stdout.write(`dcos_install.sh sha256 ${install.sha256} (every node checks it)\n`);
    ctx.stdout.write(
      `Publish ${path.relative(process.cwd(), b.serveDir) || b.serveDir}/ at ${result.inputs.bootstrapUrl} before creating the stack; nothing was uploaded.\n`,
    );
  }
  return ExitCode.OK;
}

function safeRead(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
