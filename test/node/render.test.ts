import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { ConfigValues } from '../../src/config/types.js';
import type { ArtifactManifest } from '../../src/bundle/manifest.js';
import {
  fileContents,
  manifestLines,
  manifestPackageIds,
  renderInstallScript,
  renderNodeUpgradeScript,
  renderTemplate,
  shellQuote,
} from '../../src/bundle/install-script.js';
import { FIXED_ARGS } from './bundle-fixture.js';
import { needTool } from './tools.js';

const GOLDEN_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden');

const sha = (c: string): string => c.repeat(64);
const MANIFEST: ArtifactManifest = {
  bootstrapId: '8e6cbbca55be54f7a09a5d2c82bf25f118041ab3',
  clusterPackageListId: '617264554985e977324a10c0b51b8299380c895b',
  files: [
    { path: 'packages/example-tools/example-tools--0.1.0.tar.xz', sha256: sha('b'), size: 1024 },
    { path: 'bootstrap/8e6cbbca55be54f7a09a5d2c82bf25f118041ab3.bootstrap.tar.xz', sha256: sha('a'), size: 4096 },
    { path: 'bootstrap/8e6cbbca55be54f7a09a5d2c82bf25f118041ab3.active.json', sha256: sha('c'), size: 34 },
    { path: 'package_lists/617264554985e977324a10c0b51b8299380c895b.package_list.json', sha256: sha('d'), size: 120 },
    { path: 'packages/dcos-config/dcos-config--setup_abc.tar.xz', sha256: sha('e'), size: 2048 },
    { path: 'packages/pkgpanda/pkgpanda--1.11.14.example.tar.xz', sha256: sha('f'), size: 4000 },
  ],
};
const ARGS: ConfigValues = {
  ...FIXED_ARGS,
  bootstrap_url: 'http://10.0.0.100:8080',
  bootstrap_id: MANIFEST.bootstrapId,
  cluster_package_list_id: MANIFEST.clusterPackageListId,
  ip_detect_contents: "'#!/bin/sh\n\n  echo 10.0.0.1\n\n  '\n",
};

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.mkdirSync(GOLDEN_DIR, { recursive: true });
    fs.writeFileSync(file, actual);
  }
  expect(fs.existsSync(file), `${file} missing: run with UPDATE_GOLDEN=1`).toBe(true);
  expect(actual).toBe(fs.readFileSync(file, 'utf8'));
}

function lint(script: string): { shellcheck: string; bashN: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'render-'));
  try {
    const f = path.join(dir, 'script.sh');
    fs.writeFileSync(f, script);
    const sc = spawnSync('shellcheck', [f], { encoding: 'utf8' });
    const bn = spawnSync('bash', ['-n', f], { encoding: 'utf8' });
    return { shellcheck: sc.stdout + sc.stderr + (sc.status === 0 ? '' : `exit ${sc.status}`), bashN: bn.status ?? -1 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('renderInstallScript', () => {
  test('matches the golden file (UPDATE_GOLDEN=1 refreshes it)', () => {
    golden('dcos_install.sh', renderInstallScript(ARGS, MANIFEST));
  });

  test('the rendered script is clean under shellcheck and bash -n', (ctx) => {
    needTool('shellcheck', ctx);
    const r = lint(renderInstallScript(ARGS, MANIFEST));
    expect(r.shellcheck).toBe('');
    expect(r.bashN).toBe(0);
  });

  test('embeds every manifest entry, sorted by path, and the un-YAMLed file contents', () => {
    const s = renderInstallScript(ARGS, MANIFEST);
    const expected = [...MANIFEST.files]
      .sort((a, b) => (a.path < b.path ? -1 : 1))
      .map((f) => `${f.sha256} ${f.size} ${f.path}`)
      .join('\n');
    expect(s).toContain(`ARTIFACTS='${expected}'`);
    expect(s).toContain(`IP_DETECT_SCRIPT='#!/bin/sh\necho 10.0.0.1\n'`);
    expect(s).toContain(
      `REXRAY_CONFIG='rexray:\n  loglevel: info\n  modules:\n    default-docker:\n      disabled: true\n  service: vfs\n'`,
    );
    expect(s).toContain(`BOOTSTRAP_URL='http://10.0.0.100:8080'`);
    expect(s).not.toMatch(/@@[a-z0-9_]+@@/);
    // The shared verification function is included once, in place of the include line.
    expect(s).not.toMatch(/^# @include /m);
    expect(s.match(/^verify_artifacts\(\) \{$/gm)).toHaveLength(1);
    expect(s).toContain('fetch_artifacts "install DC/OS"');
  });

  test('docker credentials are embedded only when not DC/OS-owned and write_to_etc is true', () => {
    const creds = '{"auths": {"registry.example.com": {"auth": "c2VjcmV0"}}}';
    const cases: [string, string, boolean][] = [
      ['false', 'true', true],
      ['false', 'false', false],
      ['true', 'true', false],
      ['true', 'false', false],
    ];
    for (const [owned, toEtc, written] of cases) {
      const s = renderInstallScript(
        {
          ...ARGS,
          cluster_docker_credentials: creds,
          cluster_docker_credentials_dcos_owned: owned,
          cluster_docker_credentials_write_to_etc: toEtc,
        },
        MANIFEST,
      );
      expect(s.includes(`DOCKER_CREDENTIALS=${shellQuote(creds)}`), `${owned}/${toEtc}`).toBe(written);
      if (!written) expect(s).toContain(`DOCKER_CREDENTIALS=''`);
    }
  });

  test('a bootstrap_url that a systemd unit cannot carry is refused; % is escaped for systemd', () => {
    for (const bad of ['http://x/a b', "http://x/'q'", 'http://x/$(id)', 'ftp://x/', 'http://x/a;b']) {
      expect(() => renderInstallScript({ ...ARGS, bootstrap_url: bad }, MANIFEST), bad).toThrow(/bootstrap_url/);
    }
    const s = renderInstallScript({ ...ARGS, bootstrap_url: 'http://x/dcos%20files' }, MANIFEST);
    expect(s).toContain("BOOTSTRAP_URL='http://x/dcos%20files'");
    expect(s).toContain('local url=${REPOSITORY_URL//%/%%}');
  });

  test('mirrors and proxy settings are rendered as shell words; unsafe ones are refused', () => {
    const s = renderInstallScript(
      {
        ...ARGS,
        bootstrap_url_mirrors: '["http://m1:8080", "https://cdn.example.com/dcos"]',
        use_proxy: 'true',
        http_proxy: 'http://proxy:3128',
        https_proxy: 'http://proxy:3128',
        no_proxy_final: '.mesos,localhost,10.0.0.0/8',
      },
      MANIFEST,
    );
    expect(s).toContain("MIRRORS='http://m1:8080\nhttps://cdn.example.com/dcos'");
    expect(s).toContain("USE_PROXY='true'");
    expect(s).toContain("HTTP_PROXY_URL='http://proxy:3128'");
    expect(s).toContain("NO_PROXY_LIST='.mesos,localhost,10.0.0.0/8'");
    // use_proxy false: nothing of the proxy keys reaches the node, even when they are set.
    const off = renderInstallScript({ ...ARGS, use_proxy: 'false', http_proxy: 'http://p:1' }, MANIFEST);
    expect(off).toContain("USE_PROXY='false'");
    expect(off).toContain("HTTP_PROXY_URL=''");
    expect(off).toContain("MIRRORS=''");
    for (const bad of ['["ftp://m"]', '["http://m/"]', '["http://m/a b"]', '"http://m"', '[1]']) {
      expect(() => renderInstallScript({ ...ARGS, bootstrap_url_mirrors: bad }, MANIFEST), bad).toThrow(
        /bootstrap_url_mirrors/,
      );
    }
    for (const bad of ['http://p:1 x', 'http://p:1"', 'http://$p', 'http://p\n']) {
      const a = { ...ARGS, use_proxy: 'true', http_proxy: bad, https_proxy: 'http://p:1', no_proxy_final: 'x' };
      expect(() => renderInstallScript(a, MANIFEST), bad).toThrow(/http_proxy/);
    }
  });

  test('refuses a manifest of another bundle, a missing argument and an unsafe manifest path', () => {
    expect(() => renderInstallScript({ ...ARGS, bootstrap_id: 'other' }, MANIFEST)).toThrow(/bootstrap/);
    expect(() => renderInstallScript({ ...ARGS, cluster_package_list_id: 'x' }, MANIFEST)).toThrow(/package list id/);
    const { mesos_agent_work_dir: _omit, ...withoutWorkDir } = ARGS;
    expect(() => renderInstallScript(withoutWorkDir, MANIFEST)).toThrow(/mesos_agent_work_dir/);
    for (const bad of ['../etc/passwd', '/abs/path', 'packages/a b.tar.xz', 'packages/x\nrm -rf /']) {
      const m = { ...MANIFEST, files: [{ path: bad, sha256: sha('a'), size: 1 }] };
      expect(() => renderInstallScript(ARGS, m), bad).toThrow(/safe relative path/);
    }
    const badSha = { ...MANIFEST, files: [{ path: 'packages/a/a--1.tar.xz', sha256: 'ABC', size: 1 }] };
    expect(() => renderInstallScript(ARGS, badSha)).toThrow(/sha256/);
  });
});

describe('renderNodeUpgradeScript', () => {
  test('matches the golden file and is clean under shellcheck and bash -n', (ctx) => {
    const s = renderNodeUpgradeScript(ARGS, MANIFEST, '1.11.0');
    golden('dcos_node_upgrade.sh', s);
    needTool('shellcheck', ctx);
    const r = lint(s);
    expect(r.shellcheck).toBe('');
    expect(r.bashN).toBe(0);
  });

  test('fetches the cluster packages of the manifest and verifies only packages and the package list', () => {
    expect(manifestPackageIds(MANIFEST)).toEqual([
      'dcos-config--setup_abc',
      'example-tools--0.1.0',
      'pkgpanda--1.11.14.example',
    ]);
    const s = renderNodeUpgradeScript(ARGS, MANIFEST, '1.11.0');
    expect(s).toContain(`FROM_VERSION='1.11.0'`);
    expect(s).toContain(`TO_VERSION='1.11.14-dev'`);
    expect(s).toContain(`PACKAGE_IDS='dcos-config--setup_abc\nexample-tools--0.1.0\npkgpanda--1.11.14.example'`);
    const keep = manifestLines(MANIFEST, (p) => !p.startsWith('bootstrap/'));
    expect(s).toContain(`ARTIFACTS=${shellQuote(keep)}`);
    expect(s).not.toContain('bootstrap.tar.xz');
  });
});

describe('renderTemplate', () => {
  test('unknown, unused and malformed placeholders are errors', () => {
    expect(() => renderTemplate('A=@@a@@\nB=@@b@@\n', { a: '1' }, 't')).toThrow(/unknown placeholder @@b@@/);
    expect(() => renderTemplate('A=@@a@@\n', { a: '1', b: '2' }, 't')).toThrow(/never used.*b/);
    expect(() => renderTemplate('A=@@Bootstrap_URL@@\n', {}, 't')).toThrow(/malformed placeholder/);
    expect(renderTemplate('A=@@a@@ B=@@a@@\n', { a: "it's" }, 't')).toBe(`A='it'\\''s' B='it'\\''s'\n`);
  });

  test('a substituted value is never re-scanned for placeholders', () => {
    expect(renderTemplate('A=@@a@@\n', { a: '@@b@@' }, 't')).toBe(`A='@@b@@'\n`);
  });

  test('shellQuote: bash reads back exactly the value, whatever it contains', () => {
    // One bash per batch of values: each value printed NUL-terminated.
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { minLength: 1, maxLength: 20 }), (raw) => {
        const values = raw.map((v) => v.replace(/\0/g, ''));
        const script = values.map((v) => `printf '%s\\0' ${shellQuote(v)}`).join('\n');
        const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
        expect(r.status).toBe(0);
        expect(r.stdout.split('\0').slice(0, -1)).toEqual(values);
      }),
      { numRuns: 40 },
    );
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });
});

describe('fileContents', () => {
  test('undoes the YAML dump DC/OS applies to embedded file contents, and passes raw text through', () => {
    expect(fileContents("'#!/bin/sh\n\n  echo 10.0.0.1\n\n  '\n")).toBe('#!/bin/sh\necho 10.0.0.1\n');
    expect(fileContents('"rexray:\\n  loglevel: info\\n"\n')).toBe('rexray:\n  loglevel: info\n');
    expect(fileContents('#!/bin/sh\necho 10.0.0.2\n')).toBe('#!/bin/sh\necho 10.0.0.2\n');
    expect(fileContents("'unterminated")).toBe("'unterminated");
  });
});
