/**
 * The fault-domain-detect variants come from one source (templates/fault-domain-detect.sh.tmpl): the renderer's rules,
 * and `--print-fault-domain-detect`, which hands a variant to the operator. The scripts' behaviour is tested by
 * running them in test/node/detect-scripts.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  FAULT_DOMAIN_VARIANTS,
  faultDomainDetectScript,
  renderFaultDomainDetect,
} from '../../src/bundle/fault-domain-detect.js';
import { parseArgs } from '../../src/cli/args.js';
import { UsageError } from '../../src/errors.js';
import { main } from '../../src/main.js';

const SOURCE = [
  '#!/bin/sh',
  '#@ about the source',
  'shared',
  '# @only auto',
  'probe',
  '# @only aws gcp',
  'fixed',
  '# @only azure',
  'fixed-azure',
  '# @end',
  'tail',
  '',
].join('\n');

describe('renderFaultDomainDetect', () => {
  it('keeps shared lines, the variant blocks and drops directives and #@ comments', () => {
    expect(renderFaultDomainDetect(SOURCE, 'auto')).toBe('#!/bin/sh\nshared\nprobe\ntail\n');
    expect(renderFaultDomainDetect(SOURCE, 'aws')).toBe('#!/bin/sh\nshared\nfixed\ntail\n');
    expect(renderFaultDomainDetect(SOURCE, 'gcp')).toBe('#!/bin/sh\nshared\nfixed\ntail\n');
    expect(renderFaultDomainDetect(SOURCE, 'azure')).toBe('#!/bin/sh\nshared\nfixed-azure\ntail\n');
  });

  it('refuses a misspelt or unknown directive, an unknown variant, an open block and a variant without a block', () => {
    const swap = (from: string, to: string): string => SOURCE.replace(from, to);
    expect(() => renderFaultDomainDetect(swap('# @only azure', '# @olny azure'), 'aws')).toThrow(
      /line 8: unknown directive '# @olny azure'/,
    );
    expect(() => renderFaultDomainDetect(swap('# @only azure', '# @only openstack'), 'aws')).toThrow(
      /line 8: `# @only` takes variant names \(auto, aws, azure, gcp\), got 'openstack'/,
    );
    expect(() => renderFaultDomainDetect(swap('# @only azure', '# @only'), 'aws')).toThrow(/takes variant names/);
    expect(() => renderFaultDomainDetect(swap('# @end\n', ''), 'aws')).toThrow(/is not closed with `# @end`/);
    expect(() => renderFaultDomainDetect(swap('# @end\n', '# @end\n# @end\n'), 'aws')).toThrow(
      /line 11: `# @end` without an open `# @only`/,
    );
    expect(() => renderFaultDomainDetect(swap('# @only azure\nfixed-azure\n', ''), 'aws')).toThrow(
      /no `# @only` block for azure/,
    );
    expect(() => renderFaultDomainDetect(swap('#@ about', '#@about'), 'aws')).toThrow(/line 2: write a source comment/);
  });

  it('the shipped source renders four scripts: auto dispatches on probes, the others call one detect function', () => {
    for (const v of FAULT_DOMAIN_VARIANTS) {
      const s = faultDomainDetectScript(v);
      expect(s.startsWith('#!/bin/sh\n'), v).toBe(true);
      expect(s, v).not.toMatch(/^# @|^#@/m);
      expect(s, v).toContain('detect_aws() {');
      expect(s, v).toContain('detect_azure() {');
      expect(s, v).toContain('detect_gcp() {');
      if (v === 'auto') {
        expect(s).toContain('probe_gcp && found=');
        expect(s.trimEnd().endsWith('esac')).toBe(true);
      } else {
        expect(s, v).not.toContain('probe_');
        expect(s.trimEnd().split('\n').at(-1), v).toBe(`detect_${v}`);
      }
    }
  });
});

describe('--print-fault-domain-detect', () => {
  let out = '';
  let err = '';
  beforeEach(() => {
    out = '';
    err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  });
  afterEach(() => vi.restoreAllMocks());

  it.each(FAULT_DOMAIN_VARIANTS)('%s: prints exactly the rendered variant on stdout, nothing else', async (v) => {
    expect(await main(['--print-fault-domain-detect', v], '/')).toBe(0);
    expect(out).toBe(faultDomainDetectScript(v));
    expect(err).toBe('');
  });

  it('an unknown variant or a missing one is a usage error (exit 2) naming the choices', async () => {
    expect(() => parseArgs(['--print-fault-domain-detect', 'openstack'], '/')).toThrowError(UsageError);
    expect(() => parseArgs(['--print-fault-domain-detect', 'openstack'], '/')).toThrow(
      /Allowed choices are auto, aws, azure, gcp/,
    );
    expect(await main(['--print-fault-domain-detect'], '/')).toBe(2);
    expect(out).toBe('');
    expect(() => parseArgs(['--print-fault-domain-detect', 'aws', '--preflight'], '/')).toThrow(/not allowed with/);
  });
});
