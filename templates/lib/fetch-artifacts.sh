# shellcheck shell=bash
# fetch_artifacts WHAT: makes every artifact of $ARTIFACTS (lines of "<sha256> <size> <path>") available, checked,
# before anything is installed, and sets REPOSITORY_URL to where the node installs them from.
#   file://     the files are checked in place (the SSH push put them there; only the SSH user, who has sudo, can
#               write that directory) and REPOSITORY_URL is bootstrap_url, as in DC/OS 1.11;
#   http(s)://  each file is downloaded ONCE into $LOCAL_REPO (root's own, mode 0700: never /tmp, where a local user
#               could plant or swap a file), checked there, and REPOSITORY_URL is file://$LOCAL_REPO, so that the
#               dcos-download unit and pkgpanda install exactly the files that were checked and download nothing.
# The common case costs a node a handful of processes, not a few per file (on a busy node each process start is
# tens of milliseconds, and a bundle has hundreds of files): one sha256sum for what an earlier run left, one curl for
# the first missing file (which finds a base URL that answers), one curl for all the others over one connection
# (resuming partial files with Range requests), and one sha256sum for what arrived. Files still missing or wrong
# after that go one at a time through download_one: bootstrap_url, then each mirror in order; on each, up to
# $DOWNLOAD_TRIES attempts with doubling backoff on 5xx, 408, 429 and network errors, resuming the partial file with
# a Range request (curl -C -). A file that does not match the manifest is removed and the next base URL is tried.
# When an artifact cannot be had from any base URL, every URL tried is named with its HTTP status (or curl's error),
# and it refuses to WHAT and exits 1.
# Needs: BOOTSTRAP_URL, MIRRORS (base URLs, one a line), ARTIFACTS, LOCAL_REPO, WORK_DIR, USE_PROXY, HTTP_PROXY_URL,
# HTTPS_PROXY_URL, NO_PROXY_LIST, verify_artifacts and batchable (lib/verify-artifacts.sh). download_one alone needs
# only BOOTSTRAP_URL, MIRRORS, WORK_DIR and the proxy settings (templates/remote/pull-install.sh uses it so).

DOWNLOAD_TRIES=${DCOS_INSTALL_DOWNLOAD_TRIES:-4}
DOWNLOAD_BACKOFF=${DCOS_INSTALL_DOWNLOAD_BACKOFF:-1}
DOWNLOAD_MAX_BACKOFF=30
# Base URLs that gave no HTTP answer after every attempt: later artifacts skip them instead of waiting again.
DEAD_BASES=' '
# The base URL the last successful download_one used: the batch of the remaining files comes from there.
LIVE_BASE=''

# curl_proxy_env CMD...: runs CMD with the configured proxy environment (use_proxy: true), else as it is.
curl_proxy_env() {
  if [[ $USE_PROXY == true ]]; then
    env http_proxy="$HTTP_PROXY_URL" https_proxy="$HTTPS_PROXY_URL" HTTPS_PROXY="$HTTPS_PROXY_URL" \
      no_proxy="$NO_PROXY_LIST" NO_PROXY="$NO_PROXY_LIST" "$@"
  else
    "$@"
  fi
}

# file_matches FILE SHA256 SIZE
file_matches() {
  [[ -f $1 ]] && [[ $(stat -c %s "$1") == "$3" ]] && [[ $(sha256sum "$1" | awk '{ print $1 }') == "$2" ]]
}

# describe_failure RC CODE: why one curl call failed, in words.
describe_failure() {
  local rc=$1 code=$2 why
  if ((rc == 22)); then
    echo "HTTP ${code}"
    return
  fi
  why=$(tail -n 1 "$WORK_DIR/curl.err" 2>/dev/null | sed 's/^curl: ([0-9]*) //')
  if [[ $code == 000 ]]; then
    echo "no HTTP answer (curl exit ${rc}${why:+: ${why}})"
  else
    echo "HTTP ${code}, then curl exit ${rc}${why:+: ${why}}"
  fi
}

# retryable RC CODE: whether another attempt at the same URL may succeed (server errors, network errors, cut-off
# transfers); a 404 or any other 4xx goes to the next base URL at once.
retryable() {
  local rc=$1 code=$2
  case $rc in
    22) [[ $code == 5?? || $code == 408 || $code == 429 || $code == 416 ]] ;;
    5 | 6 | 7 | 16 | 18 | 28 | 33 | 35 | 36 | 52 | 55 | 56 | 92) return 0 ;;
    *) return 1 ;;
  esac
}

# download_one REL SHA SIZE DEST: 0 when DEST holds the checked file, else 1 with the reasons on stderr.
download_one() {
  local rel=$1 sha=$2 size=$3 dest=$4 part base url attempt rc code delay reasons=() actual actual_size
  part=$dest.part
  mkdir -p "$(dirname "$dest")"
  while IFS= read -r base; do
    [[ -n $base ]] || continue
    url=${base%/}/$rel
    if [[ $DEAD_BASES == *" ${base} "* ]]; then
      reasons+=("${url}: skipped (${base} gave no HTTP answer earlier in this run)")
      continue
    fi
    delay=$DOWNLOAD_BACKOFF
    for ((attempt = 1; attempt <= DOWNLOAD_TRIES; attempt++)); do
      rc=0
      # -C -: continue a partial file left by an earlier attempt (or an earlier run) with a Range request.
      code=$(curl_proxy_env curl -sS -f -L --connect-timeout 10 -Y 1024 -y 60 -C - -o "$part" -w '%{http_code}' \
        "$url" 2>"$WORK_DIR/curl.err") || rc=$?
      [[ $code =~ ^[0-9]{3}$ ]] || code=000
      if ((rc == 22)) && [[ $code == 416 ]] && [[ -f $part ]] && (($(stat -c %s "$part") >= size)); then
        rc=0 # the partial file was already complete: nothing left to fetch
      fi
      if ((rc == 0)); then
        if file_matches "$part" "$sha" "$size"; then
          mv -f "$part" "$dest"
          LIVE_BASE=$base
          return 0
        fi
        actual_size=$(stat -c %s "$part" 2>/dev/null || echo 0)
        actual=$(sha256sum "$part" 2>/dev/null | awk '{ print $1 }')
        echo "ERROR: artifact ${rel} from ${url} does not match the bundle manifest: expected SHA-256 ${sha}" \
          "(${size} bytes), found ${actual} (${actual_size} bytes); refusing it" >&2
        rm -f "$part"
        reasons+=("${url}: SHA-256 mismatch")
        continue 2
      fi
      if ((rc == 33 || rc == 36)) || [[ $code == 416 ]]; then
        # The server cannot continue this partial file: start it again from the first byte.
        rm -f "$part"
      fi
      if ! retryable "$rc" "$code"; then
        reasons+=("${url}: $(describe_failure "$rc" "$code")")
        continue 2
      fi
      if ((attempt < DOWNLOAD_TRIES)); then
        echo "Download of ${url} failed ($(describe_failure "$rc" "$code")); attempt $((attempt + 1)) of ${DOWNLOAD_TRIES} in ${delay} s" >&2
        sleep "$delay"
        delay=$((delay * 2 > DOWNLOAD_MAX_BACKOFF ? DOWNLOAD_MAX_BACKOFF : delay * 2))
      else
        reasons+=("${url}: $(describe_failure "$rc" "$code") after ${DOWNLOAD_TRIES} attempts")
        [[ $code != 000 ]] || DEAD_BASES+="${base} "
      fi
    done
  done < <(printf '%s\n%s\n' "$BOOTSTRAP_URL" "$MIRRORS")
  echo "ERROR: could not download ${rel} from any base URL:" >&2
  local r
  for r in ${reasons[@]+"${reasons[@]}"}; do echo "  ${r}" >&2; done
  return 1
}

# checked_in_repo REL...: prints each REL whose file in $LOCAL_REPO matches the manifest, one a line; one sha256sum
# for all of them (the SHA-256 matching means the size does too). Needs ART_SHA.
checked_in_repo() {
  local rel line list=$WORK_DIR/check.sha256
  for rel in "$@"; do
    if [[ -f $LOCAL_REPO/$rel ]] && batchable "$rel"; then printf '%s  %s\n' "${ART_SHA[$rel]}" "$rel"; fi
  done >"$list"
  [[ -s $list ]] || return 0
  while IFS= read -r line; do
    if [[ $line == *': OK' ]]; then printf '%s\n' "${line%: OK}"; fi
  done < <(cd "$LOCAL_REPO" && LC_ALL=C sha256sum -c "$list" 2>/dev/null)
}

# fetch_batch BASE REL...: one curl for every REL from BASE straight into $LOCAL_REPO (root's own directory: nothing
# reads it before every file is checked), over one connection, resuming what an earlier try left (-C -). Errors are
# not judged here: the check afterwards decides, and the one-file path explains what is still missing.
fetch_batch() {
  local base=$1 rel q config=$WORK_DIR/batch.curl
  shift
  # A curl config file takes quoted strings: escape the backslashes and quotes a base URL might hold.
  q=${base%/}
  q=${q//\\/\\\\}
  q=${q//\"/\\\"}
  for rel in "$@"; do printf 'url = "%s/%s"\noutput = "%s/%s"\n' "$q" "$rel" "$LOCAL_REPO" "$rel"; done >"$config"
  curl_proxy_env curl -sS -f -L --connect-timeout 10 -Y 1024 -y 60 -C - --create-dirs -K "$config" \
    2>"$WORK_DIR/batch.err" || true
}

fetch_artifacts() {
  local what=$1 sha size rel bad=0 n=0 fetched=0 have
  local -a all=() missing=() batch=() left=()
  local -A ART_SHA=() ART_SIZE=() ok=()
  case $BOOTSTRAP_URL in
    file://*)
      verify_artifacts "$what"
      REPOSITORY_URL=$BOOTSTRAP_URL
      return
      ;;
    http://* | https://*) ;;
    *)
      echo "ERROR: unsupported bootstrap_url ${BOOTSTRAP_URL}: expected file://, http:// or https://" >&2
      exit 1
      ;;
  esac
  install -d -m 0700 -o root -g root "$LOCAL_REPO"
  echo "Downloading the artifacts from ${BOOTSTRAP_URL}${MIRRORS:+ (mirrors: ${MIRRORS//$'\n'/ })} into ${LOCAL_REPO}"
  while read -r sha size rel; do
    [[ -n $sha ]] || continue
    all+=("$rel")
    ART_SHA[$rel]=$sha
    ART_SIZE[$rel]=$size
  done <<<"$ARTIFACTS"
  n=${#all[@]}
  # A re-run keeps what an earlier run already downloaded and checked.
  while IFS= read -r rel; do ok[$rel]=1; done < <(checked_in_repo ${all[@]+"${all[@]}"})
  for rel in ${all[@]+"${all[@]}"}; do
    if [[ -z ${ok[$rel]:-} ]]; then missing+=("$rel"); fi
  done
  # Until one download has succeeded, files go one at a time (finding a base URL that answers, with retries, and
  # skipping dead ones); after that, every other batchable file comes in one batch from that base URL.
  # (${a[@]+"${a[@]}"}: bash before 4.4 calls an empty array unbound under nounset)
  for rel in ${missing[@]+"${missing[@]}"}; do
    if [[ -n $LIVE_BASE ]] && batchable "$rel"; then
      batch+=("$rel")
      continue
    fi
    if download_one "$rel" "${ART_SHA[$rel]}" "${ART_SIZE[$rel]}" "$LOCAL_REPO/$rel"; then
      fetched=$((fetched + 1))
    else
      bad=$((bad + 1))
    fi
  done
  if ((${#batch[@]} > 0)); then
    fetch_batch "$LIVE_BASE" ${batch[@]+"${batch[@]}"}
    ok=()
    while IFS= read -r rel; do ok[$rel]=1; done < <(checked_in_repo ${batch[@]+"${batch[@]}"})
    for rel in ${batch[@]+"${batch[@]}"}; do
      if [[ -n ${ok[$rel]:-} ]]; then
        fetched=$((fetched + 1))
      else
        left+=("$rel")
      fi
    done
    if ((${#left[@]} > 0)); then
      echo "${#left[@]} of ${#batch[@]} files did not arrive intact in one batch from ${LIVE_BASE}; trying each on its own" >&2
    fi
    for rel in ${left[@]+"${left[@]}"}; do
      rm -f "$LOCAL_REPO/$rel.part"
      if [[ -f $LOCAL_REPO/$rel ]]; then
        have=$(stat -c %s "$LOCAL_REPO/$rel")
        if ((have < ${ART_SIZE[$rel]})); then
          # Cut short: download_one continues it with a Range request.
          echo "Download of ${LIVE_BASE%/}/${rel} stopped at ${have} of ${ART_SIZE[$rel]} bytes; resuming it" >&2
          mv -f "$LOCAL_REPO/$rel" "$LOCAL_REPO/$rel.part"
        else
          # Complete but wrong: it is fetched again from the start.
          rm -f "$LOCAL_REPO/$rel"
        fi
      fi
      if download_one "$rel" "${ART_SHA[$rel]}" "${ART_SIZE[$rel]}" "$LOCAL_REPO/$rel"; then
        fetched=$((fetched + 1))
      else
        bad=$((bad + 1))
      fi
    done
  fi
  if ((bad > 0)); then
    echo "Refusing to ${what}: ${bad} of ${n} artifacts could not be downloaded and verified." \
      "Check that genconf/serve is served at ${BOOTSTRAP_URL} (genconf --verify-bundle on the bootstrap node) and retry." >&2
    exit 1
  fi
  echo "All ${n} artifacts match the bundle manifest (${fetched} downloaded, $((n - fetched)) already here)"
  REPOSITORY_URL=file://$LOCAL_REPO
}
