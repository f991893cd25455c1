#!/bin/bash
# dcos-genconf cloud node install: the user data (AWS) / custom data (Azure) of every node of a generated template.
# Fetches dcos_install.sh from the bootstrap URL the operator publishes, refuses it unless its sha256 is the one
# this template was generated with (so a changed or replaced bundle never installs), then runs it for this node's
# role. dcos_install.sh in turn checks every artifact it downloads against the sha256 list inside it.
# The three settings below are written by `genconf --aws-cloudformation` / `--azure-arm`; the rest is fixed text.
set -o errexit -o nounset -o pipefail

BOOTSTRAP_URL=@@BOOTSTRAP_URL@@
INSTALL_SHA256=@@INSTALL_SHA256@@
ROLE=@@ROLE@@
INSTALL_OPTIONS=(@@INSTALL_OPTIONS@@)

log() { echo "dcos-cloud-install: $*" >&2; }

case $ROLE in
  master | slave | slave_public) ;;
  *) log "unknown role '$ROLE'"; exit 1 ;;
esac

work=$(mktemp -d /tmp/dcos-cloud-install.XXXXXX)
trap 'rm -rf -- "$work"' EXIT

# The network may come up a little after cloud-init starts user data: retry for about five minutes.
log "downloading $BOOTSTRAP_URL/dcos_install.sh"
curl --fail --silent --show-error --location --retry 30 --retry-delay 10 --retry-connrefused \
  --connect-timeout 10 --max-time 120 -o "$work/dcos_install.sh" "$BOOTSTRAP_URL/dcos_install.sh"

actual=$(sha256sum "$work/dcos_install.sh" | cut -d ' ' -f 1)
if [ "$actual" != "$INSTALL_SHA256" ]; then
  log "REFUSED: dcos_install.sh has sha256 $actual, this template expects $INSTALL_SHA256"
  log "the bundle at $BOOTSTRAP_URL is not the one these templates were generated from; regenerate them or publish that bundle"
  exit 1
fi
log "dcos_install.sh sha256 verified ($actual); installing role $ROLE"

# The ${x[@]+…} form: bash 4.2 (CentOS 7) treats an empty array as unset under nounset.
bash "$work/dcos_install.sh" ${INSTALL_OPTIONS[@]+"${INSTALL_OPTIONS[@]}"} "$ROLE"
log "done"
