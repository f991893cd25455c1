#!/bin/sh
# ip-detect, interface-based: prints the first global IPv4 address of INTERFACE. Set INTERFACE to the name of the
# interface that carries cluster traffic on every node (it must be the same name everywhere). Needs iproute2.
set -o nounset
INTERFACE=eth0

ip=$(ip -4 -o addr show dev "$INTERFACE" scope global 2>/dev/null | awk '{ split($4, a, "/"); print a[1]; exit }')
case $ip in
  *[!0-9.]* | '') echo "ip-detect: no global IPv4 address on $INTERFACE" >&2; exit 1 ;;
esac
echo "$ip"
