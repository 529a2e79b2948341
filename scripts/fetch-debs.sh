#!/usr/bin/env bash
# Download Debian packages (without installing them: installing prometheus would start daemons on the
# host) and unpack each into .cache/debs/<package>/. Idempotent: a package already unpacked is skipped.
#
#   scripts/fetch-debs.sh prometheus prometheus-alertmanager ...
#
# Used by scripts/prom-tools.sh (promtool, amtool for the tests) and scripts/engine/ (local images).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/.cache/debs"
mkdir -p "$cache/archives"

apt_updated=0
for pkg in "$@"; do
  if [ -f "$cache/$pkg/.unpacked" ]; then continue; fi
  if ! ls "$cache/archives/${pkg}_"*.deb >/dev/null 2>&1; then
    if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
    (cd "$cache/archives" && apt-get download -qq "$pkg")
  fi
  rm -rf "$cache/$pkg"
  mkdir -p "$cache/$pkg"
  dpkg-deb -x "$(ls "$cache/archives/${pkg}_"*.deb | head -n 1)" "$cache/$pkg"
  touch "$cache/$pkg/.unpacked"
done
