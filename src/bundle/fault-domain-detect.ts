/**
 * The fault-domain-detect scripts genconf hands out: one source, templates/fault-domain-detect.sh.tmpl, rendered for
 * each variant. `auto` probes the three clouds' metadata services; `aws`, `azure` and `gcp` carry the same functions
 * with the provider fixed. The shared code exists once, so the variants cannot drift apart.
 *
 * Source syntax, one directive per line:
 *   `# @only NAME [NAME…]`  the lines up to the next directive belong to these variants only;
 *   `# @end`                back to lines every variant gets;
 *   `#@ text`               a comment about the source itself, left out of every variant.
 */
import { readTemplate } from './install-script.js';

export const FAULT_DOMAIN_VARIANTS = ['auto', 'aws', 'azure', 'gcp'] as const;
export type FaultDomainVariant = (typeof FAULT_DOMAIN_VARIANTS)[number];

const SOURCE = 'fault-domain-detect.sh.tmpl';

export function isFaultDomainVariant(v: string): v is FaultDomainVariant {
  return (FAULT_DOMAIN_VARIANTS as readonly string[]).includes(v);
}

/**
 * The script of one variant from the source text. Pure. A directive that is misspelt, names an unknown variant or is
 * left open at the end is an error, and so is a variant that no `# @only` block names (it would get no dispatch).
 */
export function renderFaultDomainDetect(source: string, variant: FaultDomainVariant, name = SOURCE): string {
  const lines = source.split('\n');
  const out: string[] = [];
  const named = new Set<string>();
  let only: readonly string[] | undefined;
  lines.forEach((line, i) => {
    const where = `template ${name} line ${i + 1}`;
    if (line.startsWith('#@')) {
      if (line !== '#@' && !line.startsWith('#@ ')) throw new Error(`${where}: write a source comment as \`#@ text\``);
      return;
    }
    const directive = /^# @(\S*)(.*)$/.exec(line);
    if (directive) {
      const [, word, rest] = directive as unknown as [string, string, string];
      if (word === 'end' && rest.trim() === '') {
        if (only === undefined) throw new Error(`${where}: \`# @end\` without an open \`# @only\``);
        only = undefined;
        return;
      }
      if (word === 'only') {
        const names = rest.trim().split(/\s+/).filter(Boolean);
        const bad = names.filter((n) => !isFaultDomainVariant(n));
        if (names.length === 0 || bad.length > 0) {
          throw new Error(
            `${where}: \`# @only\` takes variant names (${FAULT_DOMAIN_VARIANTS.join(', ')}), got '${rest.trim()}'`,
          );
        }
        names.forEach((n) => named.add(n));
        only = names;
        return;
      }
      throw new Error(`${where}: unknown directive '${line}' (# @only NAMES, # @end or #@ comment)`);
    }
    if (only === undefined || only.includes(variant)) out.push(line);
  });
  if (only !== undefined) throw new Error(`template ${name}: a \`# @only\` block is not closed with \`# @end\``);
  const missing = FAULT_DOMAIN_VARIANTS.filter((v) => !named.has(v));
  if (missing.length > 0) throw new Error(`template ${name}: no \`# @only\` block for ${missing.join(', ')}`);
  return out.join('\n');
}

/** The script of one variant, rendered from the package's template. */
export function faultDomainDetectScript(variant: FaultDomainVariant): string {
  return renderFaultDomainDetect(readTemplate(SOURCE), variant);
}
