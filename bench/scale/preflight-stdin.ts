/**
 * The preflight's stdin as genconf sends it (src/stages/preflight.ts): the wrapper script, ip-detect as one base64
 * line, then dcos_install.sh. One definition for the floor and the transport half, so both send the same bytes.
 */
import { readFileSync } from 'node:fs';

export function preflightStdin(files: { preflightScript?: string; ipDetect?: string; installScript?: string }): Buffer {
  const { preflightScript, ipDetect, installScript } = files;
  if (!preflightScript || !ipDetect || !installScript)
    throw new Error('a preflight plan names preflightScript, ipDetect and installScript');
  return Buffer.concat([
    readFileSync(preflightScript),
    Buffer.from(readFileSync(ipDetect).toString('base64') + '\n'),
    readFileSync(installScript),
  ]);
}
