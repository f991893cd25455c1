/** Every bundled example validates with both rule sets, strictly, and points editors at the schema. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { judgeConfig } from '../../src/config/validate.js';

const root = fileURLToPath(new URL('../../genconf-examples/', import.meta.url));
const examples = readdirSync(root).filter((d) => statSync(path.join(root, d)).isDirectory());

describe('genconf-examples', () => {
  it('has the required examples', () => {
    expect(examples).toEqual(
      expect.arrayContaining(['3-masters-static', '1-master', 'zookeeper-lb', 'proxy', 'multi-region']),
    );
  });
  for (const ex of examples) {
    const dir = path.join(root, ex);
    // cloud-* examples feed the cloud templates: nodes fetch the bundle over HTTPS and no SSH host lists exist.
    const cloud = ex.startsWith('cloud-');
    for (const target of cloud ? (['genconf'] as const) : (['genconf', 'ssh'] as const)) {
      it(`${ex} is valid for the ${target} rules (strict)`, async () => {
        const r = await judgeConfig({ genconfDir: path.join(dir, 'genconf'), baseDir: dir, target, strict: true });
        expect(r.errors).toEqual([]);
        expect(r.warnings).toEqual([]);
        if (cloud) expect(r.args?.bootstrap_url).toMatch(/^https:\/\//);
        else expect(r.args?.bootstrap_url).toBe('file:///opt/dcos_install_tmp');
      });
    }
    it(`${ex} names the schema on its first line, and the path resolves`, () => {
      const first = readFileSync(path.join(dir, 'genconf', 'config.yaml'), 'utf8').split('\n')[0]!;
      const m = /^# yaml-language-server: \$schema=(.+)$/.exec(first);
      expect(m).not.toBeNull();
      const target = path.resolve(dir, 'genconf', m![1]!);
      expect(target).toBe(fileURLToPath(new URL('../../schema/config.schema.json', import.meta.url)));
      expect(statSync(target).isFile()).toBe(true);
    });
    if (!cloud)
      it(`${ex} uses private, non-loopback addresses`, async () => {
        const r = await judgeConfig({
          genconfDir: path.join(dir, 'genconf'),
          baseDir: dir,
          target: 'ssh',
          strict: false,
        });
        const ips = ['master_list', 'agent_list', 'public_agent_list'].flatMap(
          (k) => JSON.parse(r.args![k]!) as string[],
        );
        for (const ip of ips) expect(ip).toMatch(/^(10\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.)/);
      });
  }
  it('the multi-region example ships its fault-domain script', async () => {
    const dir = path.join(root, 'multi-region');
    const r = await judgeConfig({
      genconfDir: path.join(dir, 'genconf'),
      baseDir: dir,
      target: 'genconf',
      strict: true,
    });
    expect(r.args?.fault_domain_detect_contents).toBe(
      readFileSync(path.join(dir, 'genconf', 'fault-domain-detect'), 'utf8'),
    );
  });
});
