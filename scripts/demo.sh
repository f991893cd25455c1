#!/usr/bin/env bash
# The README's "main job on the bundled example": copy the 3-master example into ./demo, give it the small
# example artifacts set, then validate the config and build the install bundle, as an operator would.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
example="${1:-3-masters-static}"
demo="$root/demo"
rm -rf "$demo"
mkdir -p "$demo"
cp -R "$root/genconf-examples/$example/genconf" "$demo/genconf"
node "$root/dist/scripts/example-artifacts.js" "$demo/artifacts"
# --validate-config checks that ssh_key_path (genconf/ssh_key) exists: give the demo a throwaway key.
node "$root/dist/scripts/lab.js" keygen "$demo/genconf/ssh_key"
cd "$demo"
echo "== bash dcos_generate_config.sh --validate-config   (in $demo)"
bash "$root/dcos_generate_config.sh" --validate-config
echo "== bash dcos_generate_config.sh --genconf"
bash "$root/dcos_generate_config.sh" --genconf
echo "== bash dcos_generate_config.sh --verify-bundle"
bash "$root/dcos_generate_config.sh" --verify-bundle
echo
echo "The bundle is in $demo/genconf/serve/ (dcos-install.tar and SHA256SUMS beside it)."
