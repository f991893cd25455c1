#!/bin/sh
# fault-domain-detect for Google Cloud: prints this node's fault domain as the one line of JSON that Mesos reads from
# /opt/mesosphere/bin/detect_fault_domain. The code of auto.sh, with the provider fixed (no probing):
#   {"fault_domain":{"region":{"name":"aws/<region>"},"zone":{"name":"aws/<zone>"}}}
# (azure/<location> and azure/<platformFaultDomain>; gcp/<region> and gcp/<zone>).
set -o nounset

MD=http://169.254.169.254

die() { echo "$*" >&2; exit 1; }

# A name goes into JSON and into Mesos' domain: only plain characters are accepted.
check_name() {
  case $2 in
    '' | *[!A-Za-z0-9._-]*) die "ERROR: unexpected $1 from the metadata service: '$2'" ;;
  esac
}

emit() {
  check_name region "$2"
  check_name zone "$3"
  printf '{"fault_domain":{"region":{"name":"%s/%s"},"zone":{"name":"%s/%s"}}}\n' "$1" "$2" "$1" "$3"
}

# IMDSv2 token when the instance issues one, so that instances that enforce IMDSv2 answer too.
aws_get() {
  if [ -z "${AWS_TOKEN+set}" ]; then
    AWS_TOKEN=$(curl -fsS -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "$MD/latest/api/token" 2>/dev/null) || AWS_TOKEN=''
  fi
  if [ -n "$AWS_TOKEN" ]; then
    curl -fsS -m 5 -H "X-aws-ec2-metadata-token: $AWS_TOKEN" "$MD/latest/meta-data/$1"
  else
    curl -fsS -m 5 "$MD/latest/meta-data/$1"
  fi
}

detect_aws() {
  zone=$(aws_get placement/availability-zone) || die "ERROR: the AWS metadata service gave no availability zone"
  # placement/region exists on current instances; the zone minus its letter is the region on older ones.
  region=$(aws_get placement/region 2>/dev/null) || region=${zone%[a-z]}
  emit aws "$region" "$zone"
}

azure_get() {
  curl -fsS -m 5 -H 'Metadata: true' "$MD/metadata/instance/compute/$1?api-version=2017-08-01&format=text"
}

detect_azure() {
  location=$(azure_get location) || die "ERROR: the Azure metadata service gave no location"
  fault_domain=$(azure_get platformFaultDomain) || die "ERROR: the Azure metadata service gave no platformFaultDomain"
  emit azure "$location" "$fault_domain"
}

detect_gcp() {
  # projects/<number>/zones/<zone>; the region is the zone without its last dash-part (us-central1-a).
  zone=$(curl -fsS -m 5 -H 'Metadata-Flavor: Google' "$MD/computeMetadata/v1/instance/zone") ||
    die "ERROR: the GCE metadata server gave no zone"
  zone=${zone##*/}
  emit gcp "${zone%-*}" "$zone"
}

detect_gcp
