#!/usr/bin/env bash
# Preflight on one node: run ip-detect, then `dcos_install.sh --preflight-only ROLE`, as root, in one command.
# Sent by `genconf --preflight` as `sudo -n bash -s -- STAGING ROLE [--ignore-check ID[,ID]]`, with this stdin (with
# --ignore-check, the ids dcos_install.sh checks, passed on to it: it prints those failed checks as IGNORED):
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
#   @@genconf ip-detect cut stdout=N stderr=M kept=K    only when ip-detect printed more than is kept (K bytes per
#                                                        stream): how many bytes it printed on each
#   @@genconf ip-detect exit=N
#   <what ip-detect printed on stdout, its first $KEEP bytes>
#   @@genconf ip-detect stderr
#   <what ip-detect printed on stderr, its first $KEEP bytes>
#   @@genconf preflight
#   <the preflight's output>
#   @@genconf preflight exit=N
# Exit status: the preflight's (the number of failed checks), or 70 when the command could not set itself up.

# ip-detect prints one address; what more it prints is kept up to this many bytes per stream, and the rest only
# counted: a flooding ip-detect must not fill the node's disk (nor the SSH channel).
KEEP=65536

# keep FILE: the first $KEEP bytes of stdin into FILE, and the number of bytes past them into FILE.more; reads to the
# end, so the writer is never stopped by a closed pipe (its exit status stays its own). GNU head -c reads no more than
# it writes.
keep() {
  head -c "$KEEP" > "$1"
  wc -c > "$1.more"
}

# total FILE: how many bytes the stream kept in FILE had in all.
total() {
  local kept more
  kept=$(stat -c %s -- "$1")
  more=$(tr -d ' ' < "$1.more")
  echo $((kept + more))
}

genconf_preflight() {
  # staging and dir are global: the EXIT trap runs after this function has returned.
  staging=$1
  local role=$2 ip64 ip_rc rc out err mask
  local -a ignore=()
  if (($# > 2)); then
    if [[ $# -ne 4 || $3 != --ignore-check || -z $4 ]]; then
      echo "genconf preflight: expected STAGING ROLE [--ignore-check ID[,ID]], got $# arguments" >&2
      return 70
    fi
    ignore=(--ignore-check "$4")
  fi
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
  # What this command writes itself (the payload, ip-detect's output) is root's alone; ip-detect and the checks run
  # with the umask they were given, as DC/OS runs them.
  mask=$(umask)
  umask 077

  if ! IFS= read -r ip64 || ! printf '%s' "$ip64" | base64 -d > "$dir/ip-detect" 2>/dev/null; then
    echo "genconf preflight: the ip-detect script did not arrive intact" >&2
    return 70
  fi
  cat > "$dir/dcos_install.sh"
  chmod 0700 "$dir/ip-detect"

  # As DC/OS runs it: as root, from /, nothing on stdin; each stream through keep (stderr by a FIFO, read alongside,
  # so that neither stream can block the other).
  if ! mkfifo -m 0600 -- "$dir/ip.err.fifo"; then
    echo "genconf preflight: cannot make a FIFO in $dir" >&2
    return 70
  fi
  keep "$dir/ip.err" < "$dir/ip.err.fifo" &
  (umask "$mask" && cd / && exec "$dir/ip-detect") 2> "$dir/ip.err.fifo" < /dev/null | keep "$dir/ip.out"
  ip_rc=${PIPESTATUS[0]}
  wait "$!"
  out=$(total "$dir/ip.out")
  err=$(total "$dir/ip.err")
  if ((out > KEEP || err > KEEP)); then printf '@@genconf ip-detect cut stdout=%s stderr=%s kept=%s\n' "$out" "$err" "$KEEP"; fi
  printf '@@genconf ip-detect exit=%s\n' "$ip_rc"
  cat -- "$dir/ip.out"
  printf '\n@@genconf ip-detect stderr\n'
  cat -- "$dir/ip.err"
  printf '\n@@genconf preflight\n'

  (umask "$mask" && exec bash "$dir/dcos_install.sh" --preflight-only ${ignore[@]+"${ignore[@]}"} "$role" < /dev/null)
  rc=$?
  printf '@@genconf preflight exit=%s\n' "$rc"
  return "$rc"
}

genconf_preflight "$@"; exit $?
