# shellcheck shell=bash
# verify_artifacts WHAT: checks the SHA-256 and size of every artifact in $ARTIFACTS (lines of
# "<sha256> <size> <path>") where a file:// $BOOTSTRAP_URL has them (the SSH push put them there) before anything is
# installed: one sha256sum for all of them (a matching SHA-256 means the size matches too), then each file that did
# not match is looked at on its own and named on stderr. If any is bad it refuses to WHAT (e.g. "install DC/OS") and
# exits 1. http(s) URLs are fetch_artifacts' (lib/fetch-artifacts.sh). Included into the node scripts by the renderer
# (# @include).

# file_url_path URL: the local path of a file:// URL, percent-decoded as curl decodes it for the dcos-download unit.
file_url_path() {
  local p=${1#file://}
  printf '%b' "${p//%/\\x}"
}

# batchable REL: whether REL can go into a sha256sum list (and a curl config) as it is. The manifest's paths always
# can; anything else is checked on its own, which needs no quoting.
batchable() {
  [[ $1 =~ ^[A-Za-z0-9._+~/-]+$ && $1 != *..* ]]
}

verify_artifacts() {
  local what=$1 sha size rel dir src actual actual_size line bad=0 n=0
  local -A ok=()
  echo "Verifying the artifacts at ${BOOTSTRAP_URL} against the bundle manifest"
  case $BOOTSTRAP_URL in
    file://*) dir=$(file_url_path "$BOOTSTRAP_URL") ;;
    *)
      echo "ERROR: unsupported bootstrap_url ${BOOTSTRAP_URL} for a check in place: expected file://" >&2
      exit 1
      ;;
  esac
  while read -r sha size rel; do
    if [[ -n $sha && -f $dir/$rel ]] && batchable "$rel"; then printf '%s  %s\n' "$sha" "$rel"; fi
  done <<<"$ARTIFACTS" >"$WORK_DIR/verify.sha256"
  if [[ -s $WORK_DIR/verify.sha256 ]]; then
    while IFS= read -r line; do
      if [[ $line == *': OK' ]]; then ok[${line%: OK}]=1; fi
    done < <(cd "$dir" && LC_ALL=C sha256sum -c "$WORK_DIR/verify.sha256" 2>/dev/null)
  fi
  while read -r sha size rel; do
    [[ -n $sha ]] || continue
    n=$((n + 1))
    [[ -z ${ok[$rel]:-} ]] || continue
    src=$dir/$rel
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
