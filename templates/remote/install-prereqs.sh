#!/usr/bin/env bash
# Install what DC/OS 1.11 needs on a CentOS or RHEL 7 node. Sent by `genconf --install-prereqs` to
# `sudo bash -s`. Safe to run again: every step checks before it changes anything.
#
# Report lines on stdout (read by the installer):
#   OK <what>             a requirement holds or was put in place
#   UNSUPPORTED <detail>  this distribution or version is not supported (exit status 3)
#   ERROR <detail>        a requirement cannot be met (exit status 1)
set -u

readonly DOCKER_MIN=1.11
readonly DOCKER_PACKAGE=docker-ce-17.03.3.ce
readonly DOCKER_REPO=https://download.docker.com/linux/centos/docker-ce.repo
readonly PACKAGES=(wget curl git unzip xz ipset bzip2 tar)

fail() {
  echo "ERROR $*"
  exit 1
}

# version_ge A B: true when A >= B, comparing dot-separated numbers.
version_ge() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

check_distribution() {
  local id="" version="" pretty=""
  if [ -r /etc/os-release ]; then
    # shellcheck disable=SC1091
    id=$(. /etc/os-release && echo "${ID:-}")
    # shellcheck disable=SC1091
    pretty=$(. /etc/os-release && echo "${PRETTY_NAME:-${ID:-unknown}}")
  fi
  case "$id" in
    coreos | flatcar)
      echo "OK $pretty ships every prerequisite; nothing to install"
      exit 0
      ;;
    centos | rhel) ;;
    *)
      echo "UNSUPPORTED ${pretty:-an unknown distribution}: --install-prereqs supports CentOS and RHEL 7.2 or later (CoreOS needs nothing); install the prerequisites on this host by hand"
      exit 3
      ;;
  esac
  # /etc/os-release says only "7" on CentOS; the release file has the minor version.
  version=$(sed -n 's/.*release \([0-9][0-9.]*\).*/\1/p' /etc/redhat-release 2>/dev/null | head -n1)
  version=${version:-0}
  if ! version_ge "$version" 7.2 || version_ge "$version" 8; then
    echo "UNSUPPORTED $pretty (release $version): DC/OS 1.11 needs CentOS or RHEL 7.2 or a later 7.x"
    exit 3
  fi
  echo "OK $pretty (release $version)"
}

check_kernel() {
  local kernel
  kernel=$(uname -r | cut -d- -f1)
  version_ge "$kernel" 3.10 || fail "kernel $kernel is older than 3.10"
  echo "OK kernel $kernel"
}

enable_overlay() {
  if ! lsmod | grep -q '^overlay '; then
    modprobe overlay || fail "cannot load the overlay kernel module"
  fi
  mkdir -p /etc/modules-load.d
  [ -f /etc/modules-load.d/overlay.conf ] || echo overlay >/etc/modules-load.d/overlay.conf
  echo "OK overlay module loaded and loaded at boot"
}

install_packages() {
  yum install -y -q "${PACKAGES[@]}" >/dev/null || fail "yum could not install ${PACKAGES[*]}"
  echo "OK packages ${PACKAGES[*]}"
}

disable_selinux() {
  if command -v getenforce >/dev/null 2>&1 && [ "$(getenforce)" = Enforcing ]; then
    setenforce 0 || fail "cannot switch SELinux to permissive"
  fi
  if [ -f /etc/selinux/config ]; then
    sed -i 's/^SELINUX=enforcing$/SELINUX=permissive/' /etc/selinux/config
  fi
  echo "OK SELinux not enforcing"
}

docker_root_ftype() {
  local root fstype
  root=$(docker info --format '{{.DockerRootDir}}' 2>/dev/null || echo /var/lib/docker)
  [ -d "$root" ] || root=/var/lib
  fstype=$(stat -f -c %T "$root" 2>/dev/null || echo unknown)
  if [ "$fstype" = xfs ]; then
    xfs_info "$root" 2>/dev/null | grep -q 'ftype=1' || fail "$root is on XFS without ftype=1; overlay needs ftype=1 (reformat with mkfs.xfs -n ftype=1)"
  fi
  echo "OK docker root $root on $fstype"
}

ensure_docker() {
  local client server
  if command -v docker >/dev/null 2>&1; then
    client=$(docker version --format '{{.Client.Version}}' 2>/dev/null | cut -d- -f1)
    server=$(docker version --format '{{.Server.Version}}' 2>/dev/null | cut -d- -f1)
    [ -n "$server" ] || fail "docker is installed but not running (systemctl start docker)"
    [ "$client" = "$server" ] || fail "docker client $client and server $server differ"
    version_ge "$server" "$DOCKER_MIN" || fail "docker $server is older than $DOCKER_MIN"
    echo "OK docker $server already installed"
    return
  fi
  yum install -y -q yum-utils >/dev/null || fail "yum could not install yum-utils"
  yum-config-manager --add-repo "$DOCKER_REPO" >/dev/null || fail "cannot add the docker repository $DOCKER_REPO"
  mkdir -p /etc/systemd/system/docker.service.d
  cat >/etc/systemd/system/docker.service.d/override.conf <<'UNIT'
[Service]
ExecStart=
ExecStart=/usr/bin/dockerd --storage-driver=overlay
UNIT
  yum install -y -q --setopt=obsoletes=0 "$DOCKER_PACKAGE" >/dev/null || fail "yum could not install $DOCKER_PACKAGE"
  systemctl daemon-reload
  systemctl enable docker >/dev/null 2>&1
  systemctl start docker || fail "docker did not start (journalctl -u docker)"
  echo "OK docker installed ($DOCKER_PACKAGE)"
}

ensure_nogroup() {
  getent group nogroup >/dev/null || groupadd nogroup || fail "cannot create group nogroup"
  echo "OK group nogroup"
}

main() {
  [ "$(id -u)" -eq 0 ] || fail "the prerequisites script must run as root"
  check_distribution
  check_kernel
  enable_overlay
  install_packages
  disable_selinux
  ensure_docker
  docker_root_ftype
  ensure_nogroup
  echo "OK Prerequisites installed."
}

main "$@" </dev/null
