#!/bin/sh
# ip-detect for Google Cloud: prints the internal IPv4 address of this instance's first network interface from the
# GCE metadata server (which requires the Metadata-Flavor header).
set -o nounset
URL=http://169.254.169.254/computeMetadata/v1/instance/network-interfaces/0/ip

ip=$(curl -fsS -m 5 -H 'Metadata-Flavor: Google' "$URL") || {
  echo "ip-detect: the GCE metadata server did not answer" >&2
  exit 1
}
case $ip in
  *[!0-9.]* | '') echo "ip-detect: unexpected answer from the GCE metadata server: $ip" >&2; exit 1 ;;
esac
echo "$ip"
