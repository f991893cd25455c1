#!/bin/sh
# ip-detect, route-based: prints the source address this node uses to reach ROUTE_TARGET. Set ROUTE_TARGET to the
# address of one master (or of the bootstrap node): every node then reports the address on the interface that
# carries cluster traffic, whatever the interface is called. Needs iproute2.
set -o nounset
ROUTE_TARGET=10.0.0.1

ip=$(ip -4 route get "$ROUTE_TARGET" 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -n 1)
case $ip in
  *[!0-9.]* | '') echo "ip-detect: no IPv4 route to $ROUTE_TARGET" >&2; exit 1 ;;
esac
echo "$ip"
