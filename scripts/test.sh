#!/usr/bin/env bash
# The README's test command: make sure everything the tests need is installed and running, then run them
# (`npm ci`, then `npm test`: build, lint, every test). Each set-up step is idempotent: seconds when all is
# there already. `npm run test:unit` is the fast inner loop (no set-up, no engine, no daemons).
#
#   scripts/test.sh
#
# On Debian or Ubuntu as root it installs and starts what is missing: promtool, amtool and the Prometheus
# family at scripts/versions.env's versions (unpacked into .cache/, never installed), PostgreSQL and Redis
# on 127.0.0.1, Podman serving the Docker API, the local images (from Debian's packages), Chromium (the HTML
# report's screenshots). Anywhere else it installs nothing: it checks each of them, names what is missing and
# how to get it, and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

debian_root() {
  [ "$(id -u)" = 0 ] || return 1
  [ -r /etc/os-release ] || return 1
  # shellcheck disable=SC1091
  (. /etc/os-release && case " ${ID:-} ${ID_LIKE:-} " in *" debian "* | *" ubuntu "*) exit 0 ;; *) exit 1 ;; esac)
}

if debian_root; then
  step "promtool, amtool and the Prometheus family at scripts/versions.env's versions (Debian's trixie/sid packages, unpacked into .cache/)"
  scripts/prom-tools.sh

  step "PostgreSQL and Redis on 127.0.0.1 (the service's integration tests)"
  scripts/services.sh

  step "Container engine: Podman serving the Docker API (the end-to-end tests)"
  engine="$(scripts/engine/install.sh)"
  export "${engine?}"
  echo "$engine"

  step "Local images from Debian's packages (no registry is needed)"
  scripts/engine/build-images.sh

  step "Chromium, headless (the HTML report's screenshots)"
  if ! command -v chromium >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  chromium --version

  step "Versions under test (scripts/versions.env: the newest Debian revision of each pinned minor)"
  for pkg in .cache/prom/*/.version; do printf '%-30s %s\n' "$(basename "$(dirname "$pkg")")" "$(cat "$pkg")"; done
else
  step "Not Debian or Ubuntu as root: installing nothing, checking what the tests need"
  missing=()
  for tool in promtool amtool; do
    [ -x ".cache/bin/$tool" ] || command -v "$tool" >/dev/null ||
      missing+=("$tool (Prometheus's and Alertmanager's release archives from prometheus.io/download, on PATH; on Debian: scripts/prom-tools.sh)")
  done
  answers 5432 || missing+=("PostgreSQL on 127.0.0.1:5432 with a database 'test' that trusts local TCP connections")
  answers 6379 || missing+=("Redis on 127.0.0.1:6379")
  socket="${DOCKER_HOST:-unix:///var/run/docker.sock}"
  socket="${socket#unix://}"
  if [ ! -S "$socket" ] && [ ! -S /run/podman/podman.sock ] && [ ! -S "${XDG_RUNTIME_DIR:-/run/user/$(id -u)}/podman/podman.sock" ]; then
    missing+=("a container engine: Docker (Docker Desktop, or your distribution's docker package), or Podman with its API socket (systemctl --user start podman.socket); set DOCKER_HOST if its socket is elsewhere")
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "scripts/test.sh: the tests need what is missing here (it installs them itself only on Debian or Ubuntu, as root):" >&2
    for m in "${missing[@]}"; do echo "  - $m" >&2; done
    echo "The end-to-end tests also need the local images localhost/wmon/*, which \`wmon images build\` (or scripts/engine/build-images.sh) makes on Debian or Ubuntu." >&2
    echo "For the unit tests alone: npm ci && npm run test:unit" >&2
    exit 1
  fi
  echo "promtool, amtool, PostgreSQL, Redis and a container engine are there"
fi

step "npm dependencies"
npm ci --no-audit --no-fund

step "Tests: npm test"
npm test
