#!/bin/sh
# ip-detect for AWS EC2: prints this instance's primary private IPv4 address from the instance metadata service.
# Uses an IMDSv2 session token when the service issues one (required on instances that enforce IMDSv2) and plain
# IMDSv1 requests otherwise. Copy to genconf/ip-detect (or genconf/ip-detect-public with public-ipv4 below).
set -o nounset
MD=http://169.254.169.254/latest
FIELD=local-ipv4   # public-ipv4 for ip-detect-public

token=$(curl -fsS -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "$MD/api/token" 2>/dev/null) || token=''
if [ -n "$token" ]; then
  ip=$(curl -fsS -m 5 -H "X-aws-ec2-metadata-token: $token" "$MD/meta-data/$FIELD")
else
  ip=$(curl -fsS -m 5 "$MD/meta-data/$FIELD")
fi || { echo "ip-detect: the EC2 metadata service did not answer for $FIELD" >&2; exit 1; }

case $ip in
  *[!0-9.]* | '') echo "ip-detect: unexpected answer from the EC2 metadata service: $ip" >&2; exit 1 ;;
esac
echo "$ip"
