#!/usr/bin/env bash
# `--deploy --pull` on one node, as root, in one command: download dcos_install.sh from the bootstrap URL, check its
# SHA-256 against the one the installer computed from genconf/serve (the script pins the SHA-256 of every artifact),
# and run it for the host's role; it then downloads and checks every artifact itself, over HTTP, before installing.
# Sent by `genconf --deploy --pull` as `sudo -n bash -s -- STAGING ROLE BASE_URL SHA256`, with this script on stdin.
#
# Why one command: with the bundle off SSH, what a pull costs the bootstrap node is its SSH work per host, and every
# separate step (mkdir, download, check, install, cleanup) costs a channel, a login shell and a sudo on the node and a
# round trip and CPU on the bootstrap node. The body is one function so that bash has parsed all of it before it runs.
#
# Output: the install's own output on stdout and stderr, and frame lines for the installer:
#   @@genconf pull fetch exit=N        curl could not download dcos_install.sh (its error is on stderr)
#   @@genconf pull sha256 HEX          what arrived (the install runs only when it is the expected one)
#   @@genconf pull install exit=N      the install's exit status
# Exit status: the install's; curl's when the download failed; 65 when the script is not the expected one; 70 when
# the command could not set itself up.

genconf_pull() {
  # staging and dir are global: the EXIT trap runs after this function has returned.
  staging=$1
  local role=$2 base=$3 want=$4 got rc=0
  if ! mkdir -p -- "$staging" || ! dir=$(mktemp -d -- "$staging/pull.XXXXXX"); then
    echo "genconf pull: cannot make a working directory under $staging" >&2
    return 70
  fi
  # Only this run's directory is removed, also when sshd hangs up or the run is stopped.
  trap 'rm -rf --one-file-system -- "$dir"; rmdir -- "$staging" 2>/dev/null' EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM

  curl -fsSL --retry 5 --retry-delay 1 --connect-timeout 10 -o "$dir/dcos_install.sh" "${base%/}/dcos_install.sh" ||
    rc=$?
  if ((rc != 0)); then
    printf '@@genconf pull fetch exit=%s\n' "$rc"
    return "$rc"
  fi
  got=$(sha256sum -- "$dir/dcos_install.sh") || return 70
  got=${got%% *}
  printf '@@genconf pull sha256 %s\n' "$got"
  [[ $got == "$want" ]] || return 65

  bash "$dir/dcos_install.sh" "$role" </dev/null
  rc=$?
  printf '@@genconf pull install exit=%s\n' "$rc"
  return "$rc"
}

genconf_pull "$@"; exit $?
