/**
 * The built-in check_config: validation takes it as passing its shape rule without parsing it (a constant of this
 * program), so here it is judged by the rule itself, in both variants.
 */
import { describe, expect, it } from 'vitest';
import { calculateCheckConfig, checkConfigShape } from '../../src/config/dcos-health-checks.js';

describe('built-in check_config', () => {
  it.each(['true', 'false'])('passes the check_config shape rule (check_time %s)', (checkTime) => {
    const text = calculateCheckConfig(checkTime);
    expect(() => checkConfigShape(text)).not.toThrow();
    expect(text.includes('clock_sync')).toBe(checkTime === 'true');
  });
});
