#!/usr/bin/env bash
# Drop-in for DC/OS 1.11's dcos_generate_config.sh: run from the directory that holds genconf/,
# every argument passes through to genconf, and its exit code is ours.
#
# When the artifacts directory is missing and an official installer is named, by DCOS_INSTALLER=FILE or by
# --installer FILE (taken out of the arguments), it is imported first (genconf --import-installer).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ ! -f "$here/dist/cli/main.js" ]]; then
  echo "dcos-genconf is not built: run 'npm ci' in $here first" >&2
  exit 70
fi
export INSTALLER_ARGV0="${INSTALLER_ARGV0:-dcos_generate_config.sh}"

installer="${DCOS_INSTALLER:-}"
artifacts=""
genconf_dir="genconf"
importing=0
args=()
while (($#)); do
  case "$1" in
    --installer) [[ $# -ge 2 ]] || { echo "error: --installer needs a file" >&2; exit 2; }; installer="$2"; shift 2; continue ;;
    --installer=*) installer="${1#--installer=}"; shift; continue ;;
    --artifacts) [[ $# -ge 2 ]] && artifacts="$2" ;;
    --artifacts=*) artifacts="${1#--artifacts=}" ;;
    --genconf-dir) [[ $# -ge 2 ]] && genconf_dir="$2" ;;
    --genconf-dir=*) genconf_dir="${1#--genconf-dir=}" ;;
    --import-installer|--import-installer=*|-h|--help) importing=1 ;;
  esac
  args+=("$1")
  shift
done
# Same default as genconf: artifacts/ beside the genconf directory.
[[ -n "$artifacts" ]] || artifacts="$(dirname "$genconf_dir")/artifacts"

if [[ -n "$installer" && $importing -eq 0 && ! -e "$artifacts" ]]; then
  echo "$INSTALLER_ARGV0: $artifacts is missing: importing the DC/OS installer $installer first" >&2
  # The import's summary goes to stderr: stdout belongs to the action (--json documents).
  node "$here/dist/cli/main.js" --import-installer "$installer" --artifacts "$artifacts" >&2
fi
exec node "$here/dist/cli/main.js" ${args[@]+"${args[@]}"}
