#!/usr/bin/env bash
# Fetch the Prometheus family at the versions pinned in scripts/versions.env from Debian's newer suites
# (trixie, sid: their binaries need only glibc 2.34, so they run on bookworm), and unpack each package into
# .cache/prom/<package>/ (never installed: installing would start daemons on the host).
#
#   scripts/prom-debs.sh [package ...]     # default: all of them
#
# Packages: prometheus, promtool (PROMETHEUS), prometheus-alertmanager (ALERTMANAGER, with amtool),
# prometheus-node-exporter (NODE_EXPORTER), prometheus-blackbox-exporter (BLACKBOX_EXPORTER).
# For each, the newest Debian revision of the pinned upstream minor is taken; when no suite carries that
# minor any more the script fails and says so (move the pin, the defaults and wmon's minimums together).
#
# apt runs with a private state in .cache/prom/apt/ (its own sources list, package lists and cache): the
# machine's own apt state is untouched, its keyring verifies the suites, and the mirror is the one the
# machine's bookworm source uses (read at run time). Lists older than a day are refreshed; a download that
# fails (sid replaced a revision) refreshes them once and resolves again. Idempotent: a package already
# unpacked at the resolved version is left alone.
#
# stdout: one line per package, `<package> <debian version> <suite>`; progress on stderr.
# Environment: WMON_DEBIAN_MIRROR overrides the mirror URI.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/.cache/prom"
state="$cache/apt"

say() { echo "prom-debs: $*" >&2; }
die() { echo "prom-debs: error: $*" >&2; exit 1; }

# shellcheck source=versions.env
. "$root/scripts/versions.env"

minor_of() {
  case "$1" in
    prometheus|promtool) echo "$PROMETHEUS" ;;
    prometheus-alertmanager) echo "$ALERTMANAGER" ;;
    prometheus-node-exporter) echo "$NODE_EXPORTER" ;;
    prometheus-blackbox-exporter) echo "$BLACKBOX_EXPORTER" ;;
    *) die "unknown package '$1' (known: prometheus promtool prometheus-alertmanager prometheus-node-exporter prometheus-blackbox-exporter)" ;;
  esac
}

packages=("$@")
[ "${#packages[@]}" -gt 0 ] || packages=(prometheus promtool prometheus-alertmanager prometheus-node-exporter prometheus-blackbox-exporter)
for pkg in "${packages[@]}"; do minor_of "$pkg" >/dev/null; done

# The mirror of the machine's own Debian source (deb822 or one-line format), never written anywhere.
mirror() {
  local uri="${WMON_DEBIAN_MIRROR:-}"
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri="$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)"
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) { print $i; exit } break } }' /etc/apt/sources.list)"
  fi
  [ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list (set WMON_DEBIAN_MIRROR)"
  echo "$uri"
}

mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$cache/archives"
uri="$(mirror)"
: >"$state/sources.list.new"
for suite in $DEBIAN_SUITES; do
  printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' "$uri" "$suite" >>"$state/sources.list.new"
done
if ! cmp -s "$state/sources.list.new" "$state/sources.list" 2>/dev/null; then
  mv "$state/sources.list.new" "$state/sources.list"
  rm -f "$state/updated"
else
  rm -f "$state/sources.list.new"
fi
apt_opts=(
  -o "Dir::Etc::sourcelist=$state/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$state/lists"
  -o "Dir::Cache=$state/cache" -o Dir::Cache::pkgcache=pkgcache.bin -o Dir::Cache::srcpkgcache=srcpkgcache.bin
  -o Dir::State::status=/dev/null -o Acquire::Languages=none -o APT::Sandbox::User=root
)

refresh() {
  say "apt-get update ($DEBIAN_SUITES, private state in .cache/prom/apt)"
  apt-get "${apt_opts[@]}" update -qq >&2 || die "apt-get update of $DEBIAN_SUITES failed"
  touch "$state/updated"
}
if [ ! -f "$state/updated" ] || [ -n "$(find "$state/updated" -mmin +1440)" ]; then refresh; fi

# The newest Debian version (and its suite) of the package whose upstream version is <minor>.x, or nothing.
resolve() { # package, minor
  local best="" best_suite="" version suite upstream
  while IFS='|' read -r _ version suite; do
    version="$(echo "$version" | xargs)"
    suite="$(echo "$suite" | awk '{ print $2 }')"
    upstream="${version#*:}"
    upstream="${upstream%-*}"
    case "$upstream" in "$2".*) ;; *) continue ;; esac
    if [ -z "$best" ] || dpkg --compare-versions "$version" gt "$best"; then best="$version"; best_suite="${suite%%/*}"; fi
  done < <(apt-cache "${apt_opts[@]}" madison "$1" 2>/dev/null)
  [ -z "$best" ] || echo "$best $best_suite"
}

carried() { # package: the versions the suites carry, for the error message
  apt-cache "${apt_opts[@]}" madison "$1" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); split($3, s, " "); sub(/\/.*/, "", s[2]); printf "%s%s (%s)", sep, $2, s[2]; sep = ", " }'
}

deb_path() { # package, version
  local file="${1}_${2#*:}_"
  ls "$cache/archives/$file"*.deb 2>/dev/null | head -n 1
}

download() { # package, version
  (cd "$cache/archives" && apt-get "${apt_opts[@]}" download -qq "$1=$2" >&2)
}

refreshed=0
for pkg in "${packages[@]}"; do
  minor="$(minor_of "$pkg")"
  resolved="$(resolve "$pkg" "$minor")"
  if [ -z "$resolved" ] && [ "$refreshed" = 0 ]; then refresh; refreshed=1; resolved="$(resolve "$pkg" "$minor")"; fi
  if [ -z "$resolved" ]; then
    die "$pkg $minor.x (scripts/versions.env) is not in Debian's $DEBIAN_SUITES (any more): they carry $(carried "$pkg" || true). Move the pin in scripts/versions.env, the default image in templates/wmon.yaml and wmon's minimum (src/core/model/versions.ts) together, then run the tests."
  fi
  version="${resolved% *}"
  suite="${resolved#* }"
  if [ -f "$cache/$pkg/.version" ] && [ "$(cat "$cache/$pkg/.version")" = "$version" ] && [ -n "$(deb_path "$pkg" "$version")" ]; then
    echo "$pkg $version $suite"
    continue
  fi
  if [ -z "$(deb_path "$pkg" "$version")" ]; then
    say "downloading $pkg $version ($suite)"
    if ! download "$pkg" "$version"; then
      [ "$refreshed" = 0 ] || die "cannot download $pkg $version"
      refresh
      refreshed=1
      resolved="$(resolve "$pkg" "$minor")"
      [ -n "$resolved" ] || die "$pkg $minor.x (scripts/versions.env) is not in Debian's $DEBIAN_SUITES (any more): they carry $(carried "$pkg" || true)"
      version="${resolved% *}"
      suite="${resolved#* }"
      download "$pkg" "$version" || die "cannot download $pkg $version from $suite"
    fi
  fi
  # Older revisions of this package go: the cache holds what the pin resolves to now.
  for old in "$cache/archives/${pkg}_"*.deb; do
    [ "$old" = "$(deb_path "$pkg" "$version")" ] || rm -f "$old"
  done
  rm -rf "$cache/$pkg"
  mkdir -p "$cache/$pkg"
  dpkg-deb -x "$(deb_path "$pkg" "$version")" "$cache/$pkg"
  echo "$version" >"$cache/$pkg/.version"
  say "unpacked $pkg $version ($suite) into .cache/prom/$pkg"
  echo "$pkg $version $suite"
done
