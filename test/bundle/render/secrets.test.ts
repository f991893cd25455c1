/**
 * Secrets on every node: enterprise secrets the operator wrote (the superuser password hash, zk credentials, the
 * license key, the AWS secret key) are kept in 1.11's file set, but every file holding one is 0600, never 0644.
 */
import { describe, expect, it } from 'vitest';
import { renderConfigPackage } from '../../../src/bundle/render/index.js';
import { contextFor, referenceArgs, referenceUserArgs } from './helpers.js';

const SECRETS: Record<string, string> = {
  superuser_password_hash: '$6$rounds=656000$abcdefgh$Zm9vYmFyYmF6cXV4',
  zk_super_credentials: 'super:secret-zk-pass-1',
  license_key_contents: 'LICENSE-KEY-0123456789abcdef',
  aws_secret_access_key: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

function render(extra: Record<string, string>) {
  const args = { ...referenceArgs(), ...extra };
  const userArgs = { ...referenceUserArgs(), ...extra };
  return renderConfigPackage(args, userArgs, contextFor(args));
}

describe('files holding secrets', () => {
  it('every file that contains a secret value is 0600; the file set is unchanged', () => {
    const plain = render({});
    const entries = render(SECRETS);
    expect(entries.map((e) => e.path)).toEqual(plain.map((e) => e.path));
    const holding = entries.filter((e) => Object.values(SECRETS).some((s) => String(e.content).includes(s)));
    expect(holding.map((e) => e.path)).toEqual(
      expect.arrayContaining(['etc/user.config.yaml', 'etc/expanded.config.json']),
    );
    for (const e of holding)
      expect({ path: e.path, mode: (e.mode & 0o777).toString(8) }).toEqual({ path: e.path, mode: '600' });
  });

  it("without secrets the modes are 1.11's (user.config.yaml stays 0644)", () => {
    const e = render({}).find((x) => x.path === 'etc/user.config.yaml')!;
    expect(e.mode & 0o777).toBe(0o644);
  });

  it('no world-readable file holds any of the secret values', () => {
    for (const e of render(SECRETS)) {
      if ((e.mode & 0o044) === 0) continue;
      for (const s of Object.values(SECRETS)) expect(String(e.content), `${e.path} holds a secret`).not.toContain(s);
    }
  });
});
