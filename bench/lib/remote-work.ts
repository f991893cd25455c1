/**
 * The same remote work as genconf's stages (src/stages/preflight.ts, deploy.ts), expressed for the two reference
 * clients. Every side makes a staging directory with sudo, puts the same files there, runs the same scripts as root
 * for the host's own role, and removes the directory. (genconf's preflight does it as root in one command fed by
 * templates/remote/preflight.sh; the floor as one command with four sudos; the original as seven processes.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FloorPlan, OriginalPlan, OriginalStep, PlanHost } from './plan.js';
import { shq } from './shell.js';

export const STAGING = '/opt/dcos_install_tmp';

export interface Common {
  hosts: PlanHost[];
  user: string;
  keyPath: string;
  parallelism: number;
}

const D = STAGING;

/** Preflight for the floor: one exec, dcos_install.sh on stdin, ip-detect inline (it is a few bytes). */
export function preflightFloor(c: Common, knownHostsFile: string, installScript: string, ipDetect: string): FloorPlan {
  const ipB64 = readFileSync(ipDetect).toString('base64');
  const command = [
    `sudo -n mkdir -p ${D} && sudo -n chown ${shq(c.user)} ${D}`,
    `printf %s ${ipB64} | base64 -d > ${D}/ip-detect && cat > ${D}/dcos_install.sh && chmod 755 ${D}/ip-detect ${D}/dcos_install.sh`,
    `sudo -n ${D}/ip-detect && sudo -n bash ${D}/dcos_install.sh --preflight-only {role}`,
  ].join(' && ');
  return {
    ...c,
    knownHostsFile,
    uploads: [],
    command: `${command}; rc=$?; sudo -n rm -rf --one-file-system ${D}; exit $rc`,
    stdinFile: installScript,
  };
}

/** Preflight as the original ran it, plus the ip-detect copy and run that genconf's preflight adds. */
export function preflightOriginal(c: Common, installScript: string, ipDetect: string): OriginalPlan {
  return {
    ...c,
    chains: [
      [
        { kind: 'ssh', command: `sudo mkdir -p ${D}` },
        { kind: 'ssh', command: `sudo chown ${shq(c.user)} ${D}` },
        { kind: 'scp', local: installScript, remote: `${D}/dcos_install.sh` },
        { kind: 'scp', local: ipDetect, remote: `${D}/ip-detect` },
        { kind: 'ssh', command: `sudo ${D}/ip-detect` },
        { kind: 'ssh', command: `sudo bash ${D}/dcos_install.sh --preflight-only {role}` },
      ],
      [{ kind: 'ssh', command: `sudo rm -rf ${D}` }],
    ],
  };
}

/** Deploy for the floor: mkdir with sudo, SFTP the bundle, then verify + unpack + install + clean up as one exec. */
export function deployFloor(c: Common, knownHostsFile: string, bundleTar: string, sha256: string): FloorPlan {
  const remote = `${D}/dcos-install.tar`;
  return {
    ...c,
    knownHostsFile,
    before: `sudo -n mkdir -p ${D} && sudo -n chown ${shq(c.user)} ${D}`,
    uploads: [{ local: bundleTar, remote }],
    command:
      `echo ${sha256}' '' '${remote} | sha256sum -c --quiet && tar -xf ${remote} -C ${D} && ` +
      `sudo -n bash ${D}/dcos_install.sh {role}; rc=$?; sudo -n rm -rf --one-file-system ${D}; exit $rc`,
    mastersFirst: true,
  };
}

/** Every file under DIR, relative, sorted, grouped by directory. */
export function filesByDir(dir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = statSync(path.join(dir, r));
      if (st.isDirectory()) walk(r);
      else out.set(rel, [...(out.get(rel) ?? []), r]);
    }
  };
  walk('');
  return out;
}

/**
 * Deploy as the original ran it: dcos_install.sh, then for each directory of the bundle a `mkdir -p` and
 * one scp per file (packages, bootstrap, package lists, and this bundle's checksums), then the install, then rm.
 */
export function deployOriginal(c: Common, unpackedBundle: string): OriginalPlan {
  const steps: OriginalStep[] = [
    { kind: 'ssh', command: `sudo mkdir -p ${D}` },
    { kind: 'ssh', command: `sudo chown ${shq(c.user)} ${D}` },
    { kind: 'scp', local: path.join(unpackedBundle, 'dcos_install.sh'), remote: `${D}/dcos_install.sh` },
  ];
  for (const [dir, files] of filesByDir(unpackedBundle)) {
    const rest = files.filter((f) => f !== 'dcos_install.sh');
    if (rest.length === 0) continue;
    if (dir !== '') steps.push({ kind: 'ssh', command: `mkdir -p ${D}/${dir}` });
    for (const f of rest) steps.push({ kind: 'scp', local: path.join(unpackedBundle, f), remote: `${D}/${f}` });
  }
  steps.push({ kind: 'ssh', command: `sudo bash ${D}/dcos_install.sh {role}` });
  return { ...c, chains: [steps, [{ kind: 'ssh', command: `sudo rm -rf ${D}` }]] };
}
