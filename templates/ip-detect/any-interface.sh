#!/bin/sh
# ip-detect for any interface name on any Linux (CentOS/RHEL, CoreOS, Debian, Ubuntu; eth0, ens5, enp0s3, bond0…):
# prints the IPv4 address the kernel would use as the source to reach ROUTE_TARGET. `ip route get` only asks the
# routing table: no packet is sent, so the default 8.8.8.8 needs no internet access, only a default route. On nodes
# with several interfaces where cluster traffic does not follow the default route, set ROUTE_TARGET to a master's
# address. Without iproute2, falls back to the first non-loopback IPv4 address of `hostname -I`.
set -o nounset
ROUTE_TARGET=8.8.8.8

is_ipv4() {
  case $1 in
    '' | *[!0-9.]* | .* | *. | *..*) return 1 ;;
  esac
  [ "$(printf '%s\n' "$1" | awk -F. 'NF == 4 && $1 <= 255 && $2 <= 255 && $3 <= 255 && $4 <= 255 { print "ok" }')" = ok ]
}

addr=''
if command -v ip >/dev/null 2>&1; then
  addr=$(ip -4 route get "$ROUTE_TARGET" 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -n 1)
fi
if ! is_ipv4 "$addr" && command -v hostname >/dev/null 2>&1; then
  addr=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' | grep -v '^127\.' | head -n 1)
fi
if ! is_ipv4 "$addr"; then
  echo "ip-detect: no route to $ROUTE_TARGET and no address from hostname -I; set ROUTE_TARGET to a master's address" >&2
  exit 1
fi
echo "$addr"
