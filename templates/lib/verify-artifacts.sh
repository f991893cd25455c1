# shellcheck shell=bash
# verify_artifacts WHAT: checks the SHA-256 and size of every artifact in $ARTIFACTS (lines of
# "<sha256> <size> <path>") against the files at $BOOTSTRAP_URL before anything is installed. file:// is read in
# place; http(s):// is downloaded into $WORK_DIR/artifacts first. Each bad file is named on stderr; if any is bad it
# refuses to WHAT (e.g. "install DC/OS") and exits 1. Included into the node scripts by the renderer (# @include).

# file_url_path URL: the local path of a file:// URL, percent-decoded as curl decodes it for the dcos-download unit.
file_url_path() {
  local p=${1#file://}
  printf '%b' "${p//%/\\x}"
}

verify_artifacts() {
  local what=$1 sha size rel src actual actual_size bad=0 n=0
  echo "Verifying the artifacts at ${BOOTSTRAP_URL} against the bundle manifest"
  while read -r sha size rel; do
    [[ -n $sha ]] || continue
    n=$((n + 1))
    case $BOOTSTRAP_URL in
      file://*) src=$(file_url_path "$BOOTSTRAP_URL")/$rel ;;
      http://* | https://*)
        src=$WORK_DIR/artifacts/$rel
        mkdir -p "$(dirname "$src")"
        if ! curl -fsSL --retry 3 -o "$src" "$BOOTSTRAP_URL/$rel"; then
          echo "ERROR: could not download ${BOOTSTRAP_URL}/${rel}" >&2
          bad=$((bad + 1))
          continue
        fi
        ;;
      *)
        echo "ERROR: unsupported bootstrap_url ${BOOTSTRAP_URL}: expected file://, http:// or https://" >&2
        exit 1
        ;;
    esac
    if [[ ! -f $src ]]; then
      echo "ERROR: artifact ${rel} is missing: ${src} does not exist" >&2
      bad=$((bad + 1))
      continue
    fi
    actual_size=$(stat -c %s "$src")
    actual=$(sha256sum "$src" | awk '{ print $1 }')
    if [[ $actual != "$sha" || $actual_size != "$size" ]]; then
      echo "ERROR: artifact ${rel} does not match the bundle manifest: expected SHA-256 ${sha} (${size} bytes)," \
        "found ${actual} (${actual_size} bytes) at ${BOOTSTRAP_URL}/${rel}" >&2
      bad=$((bad + 1))
    fi
  done <<<"$ARTIFACTS"
  if ((bad > 0)); then
    echo "Refusing to ${what}: ${bad} of ${n} artifacts failed verification." \
      "Copy genconf/serve again (or run genconf --verify-bundle on the bootstrap node) and retry." >&2
    exit 1
  fi
  echo "All ${n} artifacts match the bundle manifest"
}
