/** Shared by the cloud tests: the example configs judged, the templates built from them, golden-file compare. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { cloudInputs, type CloudInputs, type CloudProvider } from '../../src/cloud/inputs.js';
import { judgeConfig } from '../../src/config/validate.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const GOLDEN = path.join(REPO, 'test/golden/cloud');
/** Stand-ins for the bundle's values: the goldens must not change whenever dcos_install.sh's template does. */
export const FIXED_SHA = 'a'.repeat(64);
export const FIXED_CONFIG_ID = 'c'.repeat(40);

export async function exampleInputs(
  example: 'cloud-aws' | 'cloud-azure',
  provider: CloudProvider,
): Promise<CloudInputs> {
  const dir = path.join(REPO, 'genconf-examples', example);
  const r = await judgeConfig({ genconfDir: path.join(dir, 'genconf'), baseDir: dir, target: 'genconf', strict: true });
  expect(r.errors).toEqual([]);
  const c = cloudInputs(provider, r.args!, { installSha256: FIXED_SHA, configId: FIXED_CONFIG_ID });
  if (!c.ok) throw new Error(JSON.stringify(c.problems));
  return c.inputs;
}

/** Compare with test/golden/cloud/<name>; UPDATE_GOLDEN=1 rewrites it. */
export function golden(name: string, text: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  expect(fs.existsSync(file), `${file} missing: run with UPDATE_GOLDEN=1`).toBe(true);
  expect(text).toBe(fs.readFileSync(file, 'utf8'));
}

/** Every value a config marks secret, or that looks like a cloud credential, must stay out of templates. */
export const CREDENTIAL_PATTERNS = [
  /AKIA[0-9A-Z]{16}/,
  /aws_secret_access_key/i,
  /exhibitor_azure_account_key/i,
  /AccountKey=/i,
  /BEGIN [A-Z ]*PRIVATE KEY/,
];
