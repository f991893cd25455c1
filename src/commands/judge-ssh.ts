/**
 * The config judgement every SSH action starts with (--preflight … --uninstall, --add-nodes, --decommission): the
 * SSH rules, the flags that override them, and the key file checked before any host is touched.
 */
import { sshFlags, type CliOptions } from '../cli/context.js';
import type { ValidationResult } from '../config/types.js';

export async function judgeForSsh(o: CliOptions): Promise<ValidationResult> {
  const { judgeConfig } = await import('../config/validate.js');
  return judgeConfig({
    genconfDir: o.genconfDir,
    baseDir: o.baseDir,
    target: 'ssh',
    strict: o.strict,
    checkSshKey: true,
    sshFlags: sshFlags(o),
  });
}
