# shellcheck shell=sh
# Sourced from /etc/profile.d/dcos.sh (a symlink made by the dcos-link-env unit): puts the DC/OS binaries on the
# PATH of login shells, once.
case ":${PATH}:" in
  *:/opt/mesosphere/bin:*) ;;
  *) PATH="/opt/mesosphere/bin:${PATH}"; export PATH ;;
esac
