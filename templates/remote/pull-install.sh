#!/usr/bin/env bash
# `--deploy --pull` on one node, as root, in one command: download dcos_install.sh from the bootstrap URL or its
# mirrors, through the configured proxy, check its SHA-256 and size against the ones the installer computed from
# genconf/serve (the script pins the SHA-256 of every artifact), and run it for the host's role; it then downloads and
# checks every artifact itself, over HTTP, the same way, before installing.
# Sent by `genconf --deploy --pull` as `sudo -n bash -s -- STAGING ROLE BASE_URL SHA256 SIZE [IGNORED]`, with this
# stdin (IGNORED, with --ignore-check: the comma-separated check ids dcos_install.sh reports as IGNORED):
#
#   templates/lib/fetch-artifacts.sh   download_one and curl_proxy_env: the download the artifacts get (retries,
#                                      mirrors, proxy, every URL tried named)
#   this script
#   the settings, one a line, as dcos_install.sh has them rendered (they may hold a proxy password: never in argv):
#     @@genconf pull settings
#     mirrors <base URL> ...          (bootstrap_url_mirrors, blank-separated; none: the word alone)
#     use_proxy true|false
#     http_proxy <URL>
#     https_proxy <URL>
#     no_proxy <list>
#
# Why one command: with the bundle off SSH, what a pull costs the bootstrap node is its SSH work per host, and every
# separate step (mkdir, download, check, install, cleanup) costs a channel, a login shell and a sudo on the node and a
# round trip and CPU on the bootstrap node. The body is one function so that bash has parsed all of it before it reads
# the settings that follow it on stdin.
#
# Output: the install's own output on stdout and stderr, and frame lines for the installer:
#   @@genconf pull fetch failed        dcos_install.sh could not be had from any base URL (every URL tried and why on
#                                      stderr, after "ERROR: could not download dcos_install.sh from any base URL:")
#   @@genconf pull fetched URL         the checked dcos_install.sh came from URL
#   @@genconf pull install exit=N      the install's exit status
# Exit status: the install's; 69 when dcos_install.sh could not be downloaded and checked; 70 when the command could
# not set itself up.

# Read by download_one and curl_proxy_env (lib/fetch-artifacts.sh, sent ahead of this script).
# shellcheck disable=SC2034
genconf_pull_settings() {
  local line key value
  IFS= read -r line && [[ $line == '@@genconf pull settings' ]] || return 1
  for key in mirrors use_proxy http_proxy https_proxy no_proxy; do
    IFS= read -r line || return 1
    [[ $line == "$key" || $line == "$key "* ]] || return 1
    value=${line#"$key"}
    value=${value# }
    case $key in
      mirrors) MIRRORS=${value// /$'\n'} ;;
      use_proxy) USE_PROXY=$value ;;
      http_proxy) HTTP_PROXY_URL=$value ;;
      https_proxy) HTTPS_PROXY_URL=$value ;;
      no_proxy) NO_PROXY_LIST=$value ;;
    esac
  done
  [[ $USE_PROXY == true || $USE_PROXY == false ]]
}

genconf_pull() {
  # staging and dir are global: the EXIT trap runs after this function has returned.
  staging=$1
  local role=$2 base=$3 want=$4 size=$5 rc
  local -a ignore=()
  [[ -n ${6:-} ]] && ignore=(--ignore-check "$6")
  if ! genconf_pull_settings; then
    echo "genconf pull: the settings did not arrive intact on stdin" >&2
    return 70
  fi
  if ! mkdir -p -- "$staging" || ! dir=$(mktemp -d -- "$staging/pull.XXXXXX"); then
    echo "genconf pull: cannot make a working directory under $staging" >&2
    return 70
  fi
  # Only this run's directory is removed, also when sshd hangs up or the run is stopped.
  trap 'rm -rf --one-file-system -- "$dir"; rmdir -- "$staging" 2>/dev/null' EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM

  # shellcheck disable=SC2034 # read by download_one
  BOOTSTRAP_URL=${base%/} WORK_DIR=$dir
  # The artifacts' download: bootstrap_url, then each mirror; retries with backoff, resumed partial files, the SHA-256
  # and size checked, a wrong copy refused and the next base URL tried, every URL tried named when all fail.
  if ! download_one dcos_install.sh "$want" "$size" "$dir/dcos_install.sh"; then
    echo '@@genconf pull fetch failed'
    return 69
  fi
  printf '@@genconf pull fetched %s\n' "${LIVE_BASE%/}/dcos_install.sh"

  # ${a[@]+…}: bash before 4.4 calls an empty array unbound under nounset (CentOS/RHEL 7 have 4.2).
  bash "$dir/dcos_install.sh" ${ignore[@]+"${ignore[@]}"} "$role" </dev/null
  rc=$?
  printf '@@genconf pull install exit=%s\n' "$rc"
  return "$rc"
}

genconf_pull "$@"; exit $?
