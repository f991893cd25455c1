import type { ConfigValues } from '../../config/types.js';
import { InputError } from '../../errors.js';
import { lineProblem } from '../../config/rules-node.js';

/**
 * Read access to the finalized arguments. A key the renderer needs but the validator did not provide is a
 * programming error (validation guarantees the set), so it throws a plain Error, which the top-level
 * handler reports as a bug rather than as operator input.
 */
export class ConfigReader {
  constructor(readonly all: ConfigValues) {}

  get(key: string): string {
    const v = this.all[key];
    if (v === undefined) throw new Error(`config renderer: finalized argument '${key}' is missing`);
    return v;
  }

  /** Keys the original only calculated lazily (for some backends or switches): fall back to its default. */
  opt(key: string, fallback: string): string {
    return this.all[key] ?? fallback;
  }

  /**
   * A value written into a line-based settings file (`KEY=value`, properties, realm). A line break would
   * start a new setting on the node (the original wrote it through and broke its own template). Validation
   * refuses it already (config/rules-node.ts, for every key the schema marks `x-single-line`); this is the last guard.
   */
  line(key: string, fallback?: string): string {
    const v = fallback === undefined ? this.get(key) : this.opt(key, fallback);
    const problem = lineProblem(v);
    if (problem !== undefined) {
      throw new InputError(
        `${key}: must be a single line: it is written into a KEY=value settings file on every node`,
        undefined,
        `remove the ${problem} from ${key} in config.yaml`,
      );
    }
    return v;
  }

  /** A 'true'/'false' switch; anything else is rejected by validation long before rendering. */
  flag(key: string, fallback?: 'true' | 'false'): boolean {
    const v = fallback === undefined ? this.get(key) : this.opt(key, fallback);
    if (v !== 'true' && v !== 'false')
      throw new Error(`config renderer: argument '${key}' must be 'true' or 'false', got '${v}'`);
    return v === 'true';
  }
}

/** Lines of a text file, each ending in a newline (how the original's `|` blocks ended). */
export function lines(...ls: Array<string | false | undefined>): string {
  const kept = ls.filter((l): l is string => typeof l === 'string');
  return kept.length === 0 ? '' : `${kept.join('\n')}\n`;
}
