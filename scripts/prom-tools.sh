#!/usr/bin/env bash
# Make promtool and amtool (from Debian's prometheus and prometheus-alertmanager packages) available in
# .cache/bin/, which the tests look in. Prints the directory.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/fetch-debs.sh" prometheus prometheus-alertmanager >&2
mkdir -p "$root/.cache/bin"
ln -sf "$root/.cache/debs/prometheus/usr/bin/promtool" "$root/.cache/bin/promtool"
ln -sf "$root/.cache/debs/prometheus-alertmanager/usr/bin/amtool" "$root/.cache/bin/amtool"
"$root/.cache/bin/promtool" --version >/dev/null
"$root/.cache/bin/amtool" --version >/dev/null
echo "$root/.cache/bin"
