#!/bin/sh
# ip-detect for Azure: prints the private IPv4 address of this VM's first NIC from the Azure instance metadata
# service; when the service does not answer, the first IPv4 address on eth0.
set -o nounset
URL='http://169.254.169.254/metadata/instance/network/interface/0/ipv4/ipAddress/0/privateIpAddress?api-version=2017-08-01&format=text'

ip=$(curl -fsS -m 5 -H 'Metadata: true' "$URL" 2>/dev/null) || ip=''
if [ -z "$ip" ]; then
  ip=$(ip -4 -o addr show dev eth0 scope global 2>/dev/null | awk '{ split($4, a, "/"); print a[1]; exit }')
fi
case $ip in
  *[!0-9.]* | '') echo "ip-detect: no private IPv4 address from Azure metadata or eth0" >&2; exit 1 ;;
esac
echo "$ip"
