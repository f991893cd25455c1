/**
 * Every shell script the project runs on a node (or on the bootstrap node) must run under bash 4.2, which CentOS and
 * RHEL 7 ship: under `set -u`, bash before 4.4 stops on "${a[@]}" of an empty array ("unbound variable"). This
 * machine's bash is newer and never shows it, so the rule is checked on the text (test/support/nounset-arrays.ts);
 * the first describe block proves the checker catches each form 4.2 rejects and lets through each form it accepts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { neverEmptyArrays, scanArrayExpansions } from '../support/nounset-arrays.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const forms = (script: string): string[] => scanArrayExpansions(script).findings.map((f) => f.form);

describe('the checker', () => {
  test('reports every expansion bash 4.2 rejects on an empty array, with its line', () => {
    const rejected = [
      'echo "${a[@]}"',
      'echo ${a[@]}',
      'echo ${a[*]}',
      'echo "${a[*]}"',
      'echo "${a[@]:1}"',
      'echo "${a[@]:1:2}"',
      'echo "${a[@]/x/y}"',
      'echo "${a[@]//x/y}"',
      'echo "${a[@]#p}"',
      'echo "${a[@]##p}"',
      'echo "${a[@]%p}"',
      'echo "${a[*]%%p}"',
      'echo "${a[@]^^}"',
      'echo "${a[@],,}"',
    ];
    const script = ['set -u', 'a=()', ...rejected].join('\n');
    const r = scanArrayExpansions(script);
    expect(r.findings.map((f) => f.line)).toEqual(rejected.map((_, i) => i + 3));
    expect(r.findings.every((f) => f.name === 'a')).toBe(true);
    expect(r.findings.map((f) => f.form)).toEqual([
      '"${a[@]}"',
      '${a[@]}',
      '${a[*]}',
      '"${a[*]}"',
      '${a[@]:',
      '${a[@]:',
      '${a[@]/',
      '${a[@]/',
      '${a[@]#',
      '${a[@]#',
      '${a[@]%',
      '${a[*]%',
      '${a[@]^',
      '${a[@],',
    ]);
  });

  test('lets through what bash 4.2 accepts: the length, the keys and the operators that test for unset', () => {
    const accepted = [
      'echo ${#a[@]} ${#a[*]}',
      'echo ${!a[@]}',
      'f ${a[@]+"${a[@]}"}',
      'f ${a[*]+"${a[*]}"}',
      'echo ${a[@]:+"${a[@]}"}',
      'echo "${a[*]:-none}" ${a[@]-} ${a[@]:?empty}',
      'for x in "$@" "${@:2}"; do :; done',
    ];
    const r = scanArrayExpansions(['set -u', 'a=()', ...accepted].join('\n'));
    expect(r.findings).toEqual([]);
    expect(r.expansions).toBe(9);
  });

  test('a guard covers its own array only', () => {
    expect(forms('a=()\nb=()\nf ${b[@]+"${a[@]}"}')).toEqual(['"${a[@]}"']);
    expect(forms('a=()\nf ${a[@]+"${a[@]}"} "${a[@]}"')).toEqual(['"${a[@]}"']);
  });

  test('an array is never empty only when every assignment lists a word that always yields a field', () => {
    const never = (script: string): boolean => neverEmptyArrays(script).has('a');
    expect(never('a=(x y)')).toBe(true);
    expect(never('readonly a=(x y)')).toBe(true);
    expect(never('a=(\n  "53 dns" # a comment\n  "80 http"\n)')).toBe(true);
    expect(never('a=(--flag "$v")')).toBe(true);
    expect(never('a=(x)\na+=("${b[@]}")')).toBe(true);
    for (const maybeEmpty of [
      'a=()',
      'local -a a=()',
      'a=(x)\nf() { local a; }',
      'a=(x)\nf() { local -a a; }',
      'a=(x)\nIFS=, read -r -a a <<<"$v"',
      'a=(x)\nmapfile -t a <<<"$v"',
      'a=(x)\nreadarray -d , a < f',
      'a=(x)\nunset a',
      "a=(x)\nunset 'a[0]'",
      'a=($v)',
      'a=(/etc/dcos*)',
      'a=("$@")',
      'a=("${b[@]}")',
      'a=(@@OPTIONS@@)',
      'a+=(x)',
    ]) {
      expect(never(maybeEmpty), maybeEmpty).toBe(false);
    }
  });

  test('prose in comments is not code; code on the same line as nothing else is', () => {
    expect(forms('a=()\n# "${a[@]}" in a comment\n  # ${a[*]} too')).toEqual([]);
    expect(forms('a=()\n  echo "${a[@]}"')).toEqual(['"${a[@]}"']);
  });

  test('catches the lines that broke CentOS 7 before the fix', () => {
    // dcos_install.sh's role loop (every install), its --ignore-check loop (every run without ignores) and the pull
    // command's ignore list (every pull without ignores), as they were.
    const before = [
      'set -o errexit -o nounset -o pipefail',
      'IGNORED_IDS=()',
      'for id in "${IGNORED_IDS[@]}"; do :; done',
      'ROLES=()',
      'for role in "$@"; do',
      '  for seen in "${ROLES[@]}"; do [[ $seen == "$role" ]] && continue 2; done',
      '  ROLES+=("$role")',
      'done',
      'g() {',
      '  local -a ignore=()',
      '  [[ -n ${6:-} ]] && ignore=(--ignore-check "$6")',
      '  bash "$dir/dcos_install.sh" "${ignore[@]}" "$role" </dev/null',
      '}',
    ].join('\n');
    expect(scanArrayExpansions(before).findings.map((f) => `${f.line} ${f.name}`)).toEqual([
      '3 IGNORED_IDS',
      '6 ROLES',
      '12 ignore',
    ]);
  });

  test('the idiom it asks for passes every element through as one word, and nothing for an empty array', () => {
    const r = spawnSync(
      'bash',
      ['-uc', 'n() { echo "$#:$*"; }; a=("x y" "" z); e=(); n ${a[@]+"${a[@]}"}; n ${e[@]+"${e[@]}"}'],
      { encoding: 'utf8' },
    );
    expect(r.stdout).toBe('3:x y  z\n0:\n');
  });
});

/** Whether a file is a shell script: by its name, or by its #! line. */
function isShell(file: string): boolean {
  if (/\.sh(\.tmpl)?$/.test(file)) return true;
  return /^#!.*\b(ba)?sh\b/.test(fs.readFileSync(file, 'utf8').split('\n', 1)[0] ?? '');
}

function walk(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/**
 * What runs on nodes: every template (dcos_install.sh and the upgrade script with their lib/ includes, the remote
 * scripts piped to `sudo bash -s`, ip-detect, fault-domain-detect, the cloud node script), the two rendered scripts as
 * the golden files hold them (includes in place), the example packages' commands, and the bootstrap node's wrapper.
 */
function nodeScripts(): string[] {
  const payload = path.join(REPO, 'scripts/example-artifacts');
  return [
    ...walk(path.join(REPO, 'templates')),
    path.join(REPO, 'test/node/golden/dcos_install.sh'),
    path.join(REPO, 'test/node/golden/dcos_node_upgrade.sh'),
    ...walk(payload).filter((f) => f.split(path.sep).includes('bin')),
    path.join(REPO, 'dcos_generate_config.sh'),
  ];
}

describe('the scripts sent to nodes', () => {
  const files = nodeScripts();

  test('are all shell scripts, and there are as many as expected', () => {
    expect(files.filter((f) => !isShell(f)).map((f) => path.relative(REPO, f))).toEqual([]);
    expect(files.length).toBeGreaterThanOrEqual(25);
  });

  test('expand no possibly empty array in a way bash 4.2 rejects under set -u', () => {
    let expansions = 0;
    const findings: string[] = [];
    for (const f of files) {
      const r = scanArrayExpansions(fs.readFileSync(f, 'utf8'));
      expansions += r.expansions;
      for (const x of r.findings)
        findings.push(
          `${path.relative(REPO, f)}:${x.line}: ${x.form} (${x.name} may be empty: use \${${x.name}[@]+"\${${x.name}[@]}"})`,
        );
    }
    expect(findings).toEqual([]);
    // The scan saw the scripts' arrays (a scan that finds nothing to look at would pass anything).
    expect(expansions).toBeGreaterThan(60);
  });

  test('the checker tells the install script’s fixed lists from its arrays that start empty', () => {
    const s = fs.readFileSync(path.join(REPO, 'templates/dcos_install.sh.tmpl'), 'utf8');
    const never = neverEmptyArrays(s);
    for (const n of ['KNOWN_CHECK_IDS', 'MASTER_PORTS', 'AGENT_PORTS']) expect(never.has(n), n).toBe(true);
    for (const n of ['ROLES', 'IGNORED_IDS', 'FAILED_CHECKS', 'WARNED_CHECKS', 'IGNORED_CHECKS', 'wanted', 'ids'])
      expect(never.has(n), n).toBe(false);
  });

  test('shell text inside the TypeScript sources expands no array but by its length', () => {
    const hits: string[] = [];
    for (const f of walk(path.join(REPO, 'src')).filter((x) => x.endsWith('.ts'))) {
      const text = fs.readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\$\{[A-Za-z_]\w*\[[@*]\]/g))
        hits.push(`${path.relative(REPO, f)}:${text.slice(0, m.index).split('\n').length}`);
    }
    expect(hits).toEqual([]);
  });
});
