/** The one place that maps an action to its stage. */
import { deploy } from './deploy.js';
import { postflight } from './postflight.js';
import { preflight } from './preflight.js';
import { installPrereqs, uninstall } from './remote-script.js';
import type { Stage } from './types.js';

export const STAGES: Readonly<Record<Stage['name'], Stage>> = {
  preflight,
  deploy,
  postflight,
  uninstall,
  'install-prereqs': installPrereqs,
};

export function isStageName(name: string): name is Stage['name'] {
  return Object.prototype.hasOwnProperty.call(STAGES, name);
}
