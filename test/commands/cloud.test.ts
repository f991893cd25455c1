/**
 * `--aws-cloudformation` and `--azure-arm` end to end in-process: the cloud examples, real validation, the bundle
 * writer on a small artifacts set, then the templates on disk; and the refusals (a config cloud nodes cannot use).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import type { CommandContext } from '../../src/cli/context.js';
import { run as cloud } from '../../src/commands/cloud.js';
import { UsageError } from '../../src/errors.js';
import { makeArtifacts, tempDir } from '../bundle/helpers.js';
import { REPO } from '../cloud/helpers.js';

async function invoke(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const ctx: CommandContext = {
    options: parseArgs(argv, cwd, {}),
    signal: new AbortController().signal,
    stdout,
    stderr,
    interactive: false,
  };
  const code = await cloud(ctx);
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

async function project(example: string): Promise<string> {
  const dir = await tempDir('genconf-cloud-');
  fs.cpSync(path.join(REPO, 'genconf-examples', example, 'genconf'), path.join(dir, 'genconf'), { recursive: true });
  await makeArtifacts(path.join(dir, 'artifacts'));
  return dir;
}

const sha256 = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('--aws-cloudformation / --azure-arm', { timeout: 60_000 }, () => {
  it('advanced: writes the five templates; user data carries the sha256 of the built dcos_install.sh', async () => {
    const dir = await project('cloud-aws');
    const r = await invoke(['--aws-cloudformation', '--advanced', '--out', 'tpl', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { templates: string[]; dcos_install_sha256: string; flavour: string };
    const installSha = sha256(path.join(dir, 'genconf/serve/dcos_install.sh'));
    expect(summary.dcos_install_sha256).toBe(installSha);
    expect(summary.flavour).toBe('advanced');
    expect(fs.readdirSync(path.join(dir, 'tpl')).sort()).toEqual([
      'infra.json',
      'master.json',
      'private-agent.json',
      'public-agent.json',
      'zen.json',
    ]);
    const master = fs.readFileSync(path.join(dir, 'tpl/master.json'), 'utf8');
    expect(master).toContain(`INSTALL_SHA256=${installSha}\\n`);
    expect(r.stderr).toContain('====> EXECUTING AWS CLOUD FORMATION TEMPLATE GENERATION');
    // No fault-domain-detect in the example: the nodes get the AWS one through the config package.
    expect(r.stderr).toContain('the nodes use the aws script (genconf --print-fault-domain-detect aws prints it)');
  });

  it('basic is the default, into genconf/cloudformation', async () => {
    const dir = await project('cloud-aws');
    const r = await invoke(['--aws-cloudformation'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(path.join(dir, 'genconf/cloudformation'))).toEqual(['basic.json']);
    expect(r.stdout).toContain('nothing was uploaded');
  });

  it('azure: writes azuredeploy.json with the sha256', async () => {
    const dir = await project('cloud-azure');
    const r = await invoke(['--azure-arm'], dir);
    expect(r.code, r.stderr).toBe(0);
    const text = fs.readFileSync(path.join(dir, 'genconf/arm/azuredeploy.json'), 'utf8');
    expect(text).toContain(`INSTALL_SHA256=${sha256(path.join(dir, 'genconf/serve/dcos_install.sh'))}\\n`);
  });

  it('a static on-prem config is refused at its lines, before anything is built or written', async () => {
    const dir = await project('3-masters-static');
    const r = await invoke(['--aws-cloudformation', '--no-color'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/genconf\/config\.yaml:\d+:1: bootstrap_url: Cloud nodes download the bundle themselves/);
    expect(r.stderr).toMatch(/master_discovery: Cloud templates start masters in a scaling group/);
    expect(r.stderr).toMatch(
      /exhibitor_storage_backend: Masters in a scaling group need shared Exhibitor storage: use 'aws_s3' or 'zookeeper', got 'static'/,
    );
    expect(fs.existsSync(path.join(dir, 'genconf/serve'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'genconf/cloudformation'))).toBe(false);
  });

  it('exhibitor keys in config.yaml are refused for AWS (the masters get an instance role)', async () => {
    const dir = await project('cloud-aws');
    const file = path.join(dir, 'genconf/config.yaml');
    fs.writeFileSync(
      file,
      fs
        .readFileSync(file, 'utf8')
        .replace(
          'exhibitor_explicit_keys: false',
          'exhibitor_explicit_keys: true\naws_access_key_id: AKIAEXAMPLEEXAMPLE12\naws_secret_access_key: secret',
        ),
    );
    const r = await invoke(['--aws-cloudformation', '--no-color'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('exhibitor_explicit_keys: The AWS templates give the masters an instance role');
    expect(r.stderr).not.toContain('secret\n');
  });

  it('flag misuse is a usage error', async () => {
    const dir = await project('cloud-azure');
    expect(() => parseArgs(['--out', 'x'], dir, {})).toThrow(UsageError);
    expect(() => parseArgs(['--aws-cloudformation', '--basic', '--advanced'], dir, {})).toThrow(
      /--advanced: not allowed with argument --basic/,
    );
    expect(() => parseArgs(['--aws-cloudformation', '--azure-arm'], dir, {})).toThrow(UsageError);
    await expect(invoke(['--azure-arm', '--advanced'], dir)).rejects.toThrow(/applies to --aws-cloudformation only/);
  });
});
