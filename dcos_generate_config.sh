#!/usr/bin/env bash
# Drop-in for DC/OS 1.11's dcos_generate_config.sh: run from the directory that holds genconf/,
# every argument passes through to genconf, and its exit code is ours.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ ! -f "$here/dist/cli/main.js" ]]; then
  echo "dcos-genconf is not built: run 'npm ci' in $here first" >&2
  exit 70
fi
export INSTALLER_ARGV0="${INSTALLER_ARGV0:-dcos_generate_config.sh}"
exec node "$here/dist/cli/main.js" "$@"
