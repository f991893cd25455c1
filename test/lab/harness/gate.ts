/**
 * The rule for lab-tier test files: when the machine lacks what the lab needs, the suite is skipped with a message
 * naming what is missing — except under CI=true, where it FAILS with that message (a tier must never vanish in CI).
 *
 *   import { describeLab } from './harness/gate.js';
 *   describeLab('transport on real sshd', () => { … });
 */
import { describe, it } from 'vitest';
import { labPrerequisites } from './index.js';

export function describeLab(name: string, fn: () => void): void {
  const pre = labPrerequisites();
  if (pre.ok) {
    describe(name, fn);
    return;
  }
  const why = `lab prerequisites missing: ${pre.missing.join(', ')}`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has the lab prerequisites', () => {
        throw new Error(why);
      });
    });
    return;
  }
  describe.skip(`${name} (skipped: ${why})`, fn);
}
