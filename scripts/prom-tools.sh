#!/usr/bin/env bash
# Make promtool and amtool available in .cache/bin/, which the tests look in, at the versions pinned in
# scripts/versions.env (Debian's promtool and prometheus-alertmanager packages, unpacked by
# scripts/prom-debs.sh, never installed). Also unpacks the daemons the integration tests run as processes
# (prometheus, prometheus-alertmanager, prometheus-node-exporter, prometheus-blackbox-exporter) into
# .cache/prom/. Prints the exact versions on stderr and the directory on stdout.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/prom-debs.sh" | sed 's/^/prom-tools: /' >&2
mkdir -p "$root/.cache/bin"
ln -sfn "$root/.cache/prom/promtool/usr/bin/promtool" "$root/.cache/bin/promtool"
ln -sfn "$root/.cache/prom/prometheus-alertmanager/usr/bin/amtool" "$root/.cache/bin/amtool"
echo "prom-tools: $("$root/.cache/bin/promtool" --version 2>&1 | head -n 1)" >&2
echo "prom-tools: $("$root/.cache/bin/amtool" --version 2>&1 | head -n 1)" >&2
echo "$root/.cache/bin"
