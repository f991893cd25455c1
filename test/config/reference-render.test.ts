import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { judgeConfig } from '../../src/config/validate.js';

// The original 1.11 --genconf on this config.yaml + ip-detect recorded these arguments in
// etc/expanded.config.full.json (installer/build ids left out: they belong to the bundle step).
const dir = fileURLToPath(new URL('./fixtures/reference-3-masters/', import.meta.url));
const expected = JSON.parse(readFileSync(path.join(dir, 'expanded-config-args.json'), 'utf8')) as Record<
  string,
  string
>;

describe('reference render: 3 masters, static', () => {
  for (const target of ['genconf', 'ssh'] as const) {
    it(`finalized arguments equal the original's for every config-derived key (${target} target)`, async () => {
      const r = await judgeConfig({ genconfDir: path.join(dir, 'genconf'), baseDir: dir, target, strict: true });
      expect(r.errors).toEqual([]);
      expect(r.valid).toBe(true);
      const args = r.args!;
      const mismatches = Object.keys(expected)
        .filter((k) => args[k] !== expected[k])
        .map((k) => ({ key: k, ours: args[k], theirs: expected[k] }));
      expect(mismatches).toEqual([]);
      // Nothing beyond what 1.11 resolved for this config, except the runner's keys (ssh_config_file among them), the download mirrors and the
      // fault-domain script.
      const runnerKeys = [
        'agent_list',
        'public_agent_list',
        'ssh_user',
        'ssh_port',
        'ssh_key_path',
        'ssh_parallelism',
        'process_timeout',
        'ssh_host_overrides',
        'ssh_config_file',
        'bootstrap_url_mirrors',
        'fault_domain_detect_contents',
      ];
      expect(
        Object.keys(args)
          .filter((k) => !(k in expected))
          .sort(),
      ).toEqual([...runnerKeys].sort());
      expect(r.userArgs).toEqual({
        cluster_name: 'ref-a',
        bootstrap_url: 'http://10.0.0.100:8080',
        exhibitor_storage_backend: 'static',
        master_discovery: 'static',
        master_list: '["10.0.0.1", "10.0.0.2", "10.0.0.3"]',
        agent_list: '["10.0.0.11", "10.0.0.12"]',
        public_agent_list: '["10.0.0.21"]',
        resolvers: '["8.8.8.8", "8.8.4.4"]',
        ssh_user: 'centos',
        ssh_port: '22',
      });
      expect(args.agent_list).toBe('["10.0.0.11", "10.0.0.12"]');
      expect(args.ssh_key_path).toBe(path.join(dir, 'genconf/ssh_key'));
      expect(args.ssh_parallelism).toBe('20');
      expect(args.process_timeout).toBe('120');
      expect(args.ssh_host_overrides).toBe('{}');
      expect(args.bootstrap_url_mirrors).toBe('[]');
      expect(args.fault_domain_detect_contents).toBe('');
    });
  }
});
