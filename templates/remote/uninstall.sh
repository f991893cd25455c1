#!/usr/bin/env bash
# Remove DC/OS from this node. Sent by `genconf --uninstall` to `sudo bash -s`.
#
# What it touches, and nothing else: the dcos systemd units (stopped and disabled, and their dcos* links in
# /etc/systemd/system/*.wants/), /opt/mesosphere, /etc/mesosphere, /var/lib/dcos, /etc/systemd/system/dcos*,
# /etc/profile.d/dcos.sh, the staging directory /opt/dcos_install_tmp, and the Docker proxy drop-in
# /etc/systemd/system/docker.service.d/http-proxy.conf when dcos_install.sh wrote it (use_proxy: true; its first line
# says so: an operator's own drop-in at that path is kept), then `systemctl daemon-reload`. Docker is not restarted
# (that would stop its containers): it drops the proxy at its next restart. It never stops sshd, never changes the
# firewall and never follows a path onto another filesystem. Running it again on a clean node succeeds with nothing
# to do.
#
# Report lines on stdout (read by the installer):
#   STOPPED <unit>      a running dcos unit was stopped
#   REMOVED <path>      the path existed and was removed
#   ABSENT <path>       nothing to do
#   KEPT <path>         a mount point: emptied, the mount itself left alone
#   LEFTOVER <path>     still present after removal (exit status 1)
#   ERROR <message>     could not run at all (exit status 2)
set -u

readonly PATHS=(
  /opt/mesosphere
  /etc/mesosphere
  /var/lib/dcos
  /etc/profile.d/dcos.sh
  /opt/dcos_install_tmp
)

readonly DOCKER_PROXY_DROPIN=/etc/systemd/system/docker.service.d/http-proxy.conf
readonly DROPIN_MARK='# Written by dcos_install.sh (use_proxy: true); genconf --uninstall removes it.'

# ours FILE: whether dcos_install.sh wrote FILE (its first line is the mark).
ours() {
  local first=''
  [ -f "$1" ] && [ ! -L "$1" ] || return 1
  IFS= read -r first <"$1" || true
  [ "$first" = "$DROPIN_MARK" ]
}

# remove_docker_proxy: removes the drop-in (and its directory when that is left empty); status 0 when it removed it.
remove_docker_proxy() {
  local f=$DOCKER_PROXY_DROPIN
  if [ ! -e "$f" ] && [ ! -L "$f" ]; then
    echo "ABSENT $f"
    return 1
  fi
  if ! ours "$f"; then
    echo "KEPT $f (not written by dcos_install.sh)"
    return 1
  fi
  rm -f -- "$f"
  echo "REMOVED $f"
  rmdir -- "$(dirname "$f")" 2>/dev/null || true
  return 0
}

# Unit names: whatever dcos* units are installed, plus the ones dcos_install.sh writes.
dcos_units() {
  local f
  {
    printf '%s\n' dcos.target dcos-setup.service dcos-download.service dcos-link-env.service
    for f in /etc/systemd/system/dcos* /etc/systemd/system/dcos.target.wants/*; do
      [ -e "$f" ] || [ -L "$f" ] || continue
      case "$f" in
        *.service | *.target | *.socket | *.timer | *.path) basename "$f" ;;
      esac
    done
  } | sort -u
}

stop_units() {
  command -v systemctl >/dev/null 2>&1 || return 0
  local unit
  # The target first, so that systemd stops what it pulls in, then each unit on its own.
  for unit in $(dcos_units); do
    if systemctl is-active --quiet "$unit" 2>/dev/null; then
      systemctl stop "$unit" >/dev/null 2>&1 && echo "STOPPED $unit"
    fi
    systemctl disable "$unit" >/dev/null 2>&1 || true
  done
}

is_mount_point() {
  if command -v mountpoint >/dev/null 2>&1; then
    mountpoint -q "$1"
  else
    return 1
  fi
}

remove_path() {
  local p=$1 entry
  if [ ! -e "$p" ] && [ ! -L "$p" ]; then
    echo "ABSENT $p"
    return 0
  fi
  if [ -d "$p" ] && [ ! -L "$p" ] && is_mount_point "$p"; then
    # Someone mounted a disk here: empty it, but leave the mount (and the fstab) alone.
    for entry in "$p"/* "$p"/.[!.]* "$p"/..?*; do
      [ -e "$entry" ] || [ -L "$entry" ] || continue
      rm -rf --one-file-system -- "$entry"
    done
    echo "KEPT $p"
    return 0
  fi
  rm -rf --one-file-system -- "$p"
  echo "REMOVED $p"
}

is_leftover() {
  local p=$1
  [ -e "$p" ] || [ -L "$p" ] || return 1
  if [ -d "$p" ] && [ ! -L "$p" ] && is_mount_point "$p"; then
    [ -n "$(ls -A "$p" 2>/dev/null)" ]
    return
  fi
  return 0
}

main() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "ERROR the uninstall script must run as root"
    return 2
  fi
  stop_units

  local p unit_files=() rc=0
  shopt -s nullglob
  unit_files=(/etc/systemd/system/dcos*)
  # `systemctl disable` normally removes these links; remove any it left (only symlinks, only dcos* names).
  for p in /etc/systemd/system/*.wants/dcos*; do
    if [ -L "$p" ]; then
      rm -f -- "$p"
      echo "REMOVED $p"
    fi
  done
  shopt -u nullglob

  for p in "${PATHS[@]}"; do remove_path "$p"; done
  local reload=false
  if ((${#unit_files[@]} == 0)); then
    echo "ABSENT /etc/systemd/system/dcos*"
  else
    for p in ${unit_files[@]+"${unit_files[@]}"}; do remove_path "$p"; done
    reload=true
  fi
  remove_docker_proxy && reload=true
  if [ "$reload" = true ] && command -v systemctl >/dev/null 2>&1; then
    systemctl daemon-reload >/dev/null 2>&1
  fi

  # Prove it: anything still there is reported, and the run fails.
  shopt -s nullglob
  for p in "${PATHS[@]}" /etc/systemd/system/dcos* /etc/systemd/system/*.wants/dcos*; do
    if is_leftover "$p"; then
      echo "LEFTOVER $p"
      rc=1
    fi
  done
  shopt -u nullglob
  if ours "$DOCKER_PROXY_DROPIN"; then
    echo "LEFTOVER $DOCKER_PROXY_DROPIN"
    rc=1
  fi
  if command -v systemctl >/dev/null 2>&1; then
    for unit in $(dcos_units); do
      if systemctl is-active --quiet "$unit" 2>/dev/null; then
        echo "LEFTOVER unit $unit is still active"
        rc=1
      fi
    done
  fi
  return "$rc"
}

# Everything is read before main runs, and main's commands get no stdin: the script arrives on stdin itself.
main "$@" </dev/null
