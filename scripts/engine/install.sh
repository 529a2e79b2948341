#!/usr/bin/env bash
# Provide a Docker-compatible container engine on a Debian/Ubuntu machine without Docker: Podman from the
# distribution's packages, serving the Docker Engine API on a unix socket. For CI and contributors (users
# bring their own Docker or Podman). Idempotent: safe to run again; it only does what is missing.
#
#   scripts/engine/install.sh            # needs root (apt-get, /etc/containers, /run/podman)
#
# stdout: one line, `DOCKER_HOST=unix:///run/podman/podman.sock` (append it to $GITHUB_ENV, or `export` it);
# progress goes to stderr. Environment:
#   WMON_ENGINE_SOCKET   socket path (default /run/podman/podman.sock)
#   WMON_ENGINE_LOG      service log file (default /var/log/wmon-podman-service.log)
#   WMON_ENGINE_TIMEOUT  seconds to wait for the API to answer (default 30)
set -euo pipefail

socket="${WMON_ENGINE_SOCKET:-/run/podman/podman.sock}"
log="${WMON_ENGINE_LOG:-/var/log/wmon-podman-service.log}"
timeout="${WMON_ENGINE_TIMEOUT:-30}"
conf=/etc/containers/containers.conf
start_s=$(date +%s.%N)

say() { echo "engine: $*" >&2; }
die() { echo "engine: error: $*" >&2; exit 1; }
ping_ok() { [ -S "$socket" ] && [ "$(curl -fsS --max-time 2 --unix-socket "$socket" http://d/_ping 2>/dev/null)" = "OK" ]; }

[ "$(id -u)" = 0 ] || die "run as root (sudo $0): it installs packages and serves the rootful socket $socket"
command -v curl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; } >&2

# 1. Packages. crun (podman's default runtime) fails on hosts with hybrid cgroups, so runc comes too.
if command -v podman >/dev/null && command -v runc >/dev/null; then
  say "podman $(podman --version | awk '{print $3}') and runc already installed"
else
  say "installing podman and runc"
  export DEBIAN_FRONTEND=noninteractive
  apt_log="$(mktemp)"
  if ! apt-get install -y -qq podman runc >"$apt_log" 2>&1; then
    say "apt-get install failed; updating the package lists and retrying"
    { apt-get update -qq && apt-get install -y -qq podman runc; } >"$apt_log" 2>&1 || {
      tail -n 30 "$apt_log" >&2
      die "could not install podman and runc (apt-get output above)"
    }
  fi
  rm -f "$apt_log"
fi

# 2. /etc/containers/containers.conf: [containers] default_ulimits = [] (podman's default ulimits cannot be
# set in unprivileged sandboxes) and [engine] runtime = "runc". An existing file is merged: only these two
# keys are set (a multi-line value of them is replaced), every other line is kept, a backup is left once.
mkdir -p "$(dirname "$conf")"
[ -f "$conf" ] || : >"$conf"
merged="$(mktemp)"
awk -v settings='containers|default_ulimits|[]
engine|runtime|"runc"' '
  function flush(sec,   i) {            # add the keys a section still lacks before it ends
    for (i = 1; i <= n; i++) if (sect[i] == sec && !done[i]) { print key[i] " = " val[i]; done[i] = 1 }
  }
  BEGIN {
    n = split(settings, rows, "\n")
    for (i = 1; i <= n; i++) { split(rows[i], f, "|"); sect[i] = f[1]; key[i] = f[2]; val[i] = f[3] }
    cur = ""; skipping = 0
  }
  skipping { if ($0 ~ /\]/) skipping = 0; next }   # rest of a multi-line value being replaced
  /^[ \t]*\[/ {
    flush(cur)
    name = $0; gsub(/^[ \t]*\[+[ \t]*|[ \t]*\]+.*$/, "", name)
    cur = name; seen[cur] = 1; print; next
  }
  {
    for (i = 1; i <= n; i++) {
      if (sect[i] == cur && $0 ~ ("^[ \t]*" key[i] "[ \t]*=")) {
        if (!done[i]) print key[i] " = " val[i]
        done[i] = 1
        rest = $0; sub(/^[^=]*=[ \t]*/, "", rest)
        if (rest ~ /^\[/ && rest !~ /\]/) skipping = 1
        next
      }
    }
    print
  }
  END {
    flush(cur)
    for (i = 1; i <= n; i++) if (!done[i]) {
      if (!(sect[i] in printed)) { if (NR > 0) print ""; print "[" sect[i] "]"; printed[sect[i]] = 1 }
      print key[i] " = " val[i]; done[i] = 1
    }
  }
' "$conf" >"$merged"
if cmp -s "$merged" "$conf"; then
  say "$conf already set"
  rm -f "$merged"
else
  [ -s "$conf" ] && [ ! -f "$conf.wmon-backup" ] && cp -p "$conf" "$conf.wmon-backup"
  cat "$merged" >"$conf"; rm -f "$merged"
  say "wrote $conf"
  # A running service read the old settings: restart it.
  if ping_ok; then
    pid="$(pgrep -f "podman system service.*$socket" | head -n 1 || true)"
    if [ -n "$pid" ]; then say "restarting the API service (pid $pid) to apply it"; kill "$pid"; sleep 1; fi
  fi
fi

# 3. The API service, in its own session so it outlives this shell and CI steps, started from / so that
# removing the folder this ran from cannot break it. One started elsewhere whose working directory was
# deleted (a checkout removed and cloned again) still answers the ping, but conmon can then start no
# container ("Failed to get working directory"): restart it.
pid="$(pgrep -f "podman system service.*$socket" | head -n 1 || true)"
if [ -n "$pid" ] && readlink "/proc/$pid/cwd" 2>/dev/null | grep -q ' (deleted)$'; then
  say "restarting the API service (pid $pid): its working directory was deleted"
  kill "$pid"; sleep 1
fi
if ping_ok; then
  say "API already answering on $socket"
else
  mkdir -p "$(dirname "$socket")" "$(dirname "$log")"
  [ -e "$socket" ] && rm -f "$socket"   # stale: nothing answers on it
  say "starting podman system service (log: $log)"
  (cd / && exec setsid nohup podman system service --time=0 "unix://$socket" >>"$log" 2>&1 </dev/null) &
  deadline=$(( $(date +%s) + timeout ))
  until ping_ok; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n 20 "$log" >&2 || true
      die "the Podman API did not answer OK on $socket within ${timeout}s (see $log above)"
    fi
    sleep 0.2
  done
fi

version="$(curl -fsS --max-time 5 --unix-socket "$socket" http://d/version | sed -n 's/.*"ApiVersion":"\([^"]*\)".*/\1/p')"
say "ready in $(awk -v s="$start_s" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}')s (Docker API $version)"
echo "DOCKER_HOST=unix://$socket"
