#!/usr/bin/env bash
# Preflight on one node: run ip-detect, then `dcos_install.sh --preflight-only ROLE`, as root, in one command.
# Sent by `genconf --preflight` as `sudo -n bash -s -- STAGING ROLE`, with this stdin:
#
#   this script
#   one line: the ip-detect script, base64
#   dcos_install.sh, to the end of the input
#
# Why one command: every separate step costs the node a channel, a login shell and a sudo, and the client a round
# trip; on a cluster of hundreds of nodes that is most of the preflight's time. Bash reads a script from a pipe a byte
# at a time, so when the last line below runs, the payload is still unread; the body is one function so that bash has
# parsed all of it before `cat` takes the rest of the input.
#
# Output on stdout, framed so that the installer can tell ip-detect's answer from the checks:
#   @@genconf ip-detect exit=N
#   <what ip-detect printed on stdout>
#   @@genconf ip-detect stderr
#   <what ip-detect printed on stderr>
#   @@genconf preflight
#   <the preflight's output>
#   @@genconf preflight exit=N
# Exit status: the preflight's (the number of failed checks), or 70 when the command could not set itself up.

genconf_preflight() {
  # staging and dir are global: the EXIT trap runs after this function has returned.
  staging=$1
  local role=$2 ip64 ip_rc rc
  export LC_ALL=C
  if ! mkdir -p -- "$staging" || ! dir=$(mktemp -d -- "$staging/preflight.XXXXXX"); then
    echo "genconf preflight: cannot make a working directory under $staging" >&2
    return 70
  fi
  # Only this run's directory is removed (a deploy may be using the staging directory), also when sshd hangs up or
  # the run is stopped. A kill -9 on timeout skips this; the installer then removes the staging directory itself.
  trap 'rm -rf --one-file-system -- "$dir"; rmdir -- "$staging" 2>/dev/null' EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM

  if ! IFS= read -r ip64 || ! printf '%s' "$ip64" | base64 -d > "$dir/ip-detect" 2>/dev/null; then
    echo "genconf preflight: the ip-detect script did not arrive intact" >&2
    return 70
  fi
  cat > "$dir/dcos_install.sh"
  chmod 0700 "$dir/ip-detect"

  # As DC/OS runs it: as root, from /, nothing on stdin.
  (cd / && exec "$dir/ip-detect") > "$dir/ip.out" 2> "$dir/ip.err" < /dev/null
  ip_rc=$?
  printf '@@genconf ip-detect exit=%s\n' "$ip_rc"
  cat -- "$dir/ip.out"
  printf '\n@@genconf ip-detect stderr\n'
  cat -- "$dir/ip.err"
  printf '\n@@genconf preflight\n'

  bash "$dir/dcos_install.sh" --preflight-only "$role" < /dev/null
  rc=$?
  printf '@@genconf preflight exit=%s\n' "$rc"
  return "$rc"
}

genconf_preflight "$@"; exit $?
