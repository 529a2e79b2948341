#!/usr/bin/env bash
# Build wmon's local stand-ins for the official images, without any registry, from Debian's packages and
# this machine's Node runtime. For CI and contributors on machines that cannot pull images (users pull the
# official ones). Needs root and an engine (scripts/engine/install.sh).
#
#   scripts/engine/build-images.sh [--force] [prometheus|alertmanager|node-exporter|blackbox-exporter|node ...]
#
# Images (FROM scratch: busybox-static for /bin/sh, /etc/passwd with nobody, the CA bundle, the binaries and
# the glibc libraries `ldd` lists; ENTRYPOINT/CMD/USER/VOLUME/WORKDIR/EXPOSE as in the official images, so one
# container spec fits both). The Prometheus family comes at the versions pinned in scripts/versions.env
# (scripts/prom-debs.sh: Debian's trixie and sid), and is tagged with the pinned minor:
#   localhost/wmon/prometheus:<PROMETHEUS>            prom/prometheus         (prometheus, promtool)
#   localhost/wmon/alertmanager:<ALERTMANAGER>        prom/alertmanager       (prometheus-alertmanager, amtool)
#   localhost/wmon/node-exporter:<NODE_EXPORTER>      prom/node-exporter      (prometheus-node-exporter)
#   localhost/wmon/blackbox-exporter:<BLACKBOX_EXPORTER>  prom/blackbox-exporter  (prometheus-blackbox-exporter)
#   localhost/wmon/node:20               node:20             (this machine's node, npm and headers; g++, make,
#                                                            python3 from Debian for native modules)
#   localhost/wmon/node:20-slim          node:20-slim        (this machine's node and npm)
#
# Each image is labelled with a hash of its inputs (its recipe, the .deb files, the host files copied in);
# an image whose tag exists with the same hash is skipped, so re-runs take a second. --force rebuilds.
# The version each Prometheus-family image runs is printed. Work files live in .cache/images/ (git-ignored).
# stdout: one line per image, `<image> <tag> built|present` (node: node-slim and node-full).
# Environment: WMON_ENGINE_CLI (podman or docker; default: podman if installed, else docker);
# WMON_IMAGE_REPOSITORY (default localhost/wmon: the images are <repository>/prometheus:<PROMETHEUS>, …).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
self="$root/scripts/engine/build-images.sh"
repo="${WMON_IMAGE_REPOSITORY:-localhost/wmon}"
case "$repo" in localhost/*) ;; *) echo "images: error: WMON_IMAGE_REPOSITORY=$repo must start with localhost/ (local images are never pulled)" >&2; exit 1 ;; esac
work="$root/.cache/images"
# Another repository's images are staged apart (so that builds under two names never share a folder), and
# their staging goes when the build ends.
if [ "$repo" != localhost/wmon ]; then
  work="$work/repo-${repo//[^A-Za-z0-9._-]/_}"
  trap 'rm -rf "$work"' EXIT
fi
ca_bundle=/etc/ssl/certs/ca-certificates.crt
all_images=(prometheus alertmanager node-exporter blackbox-exporter node)
# shellcheck source=../versions.env
. "$root/scripts/versions.env"
tag_of() {
  case "$1" in
    prometheus) echo "$repo/prometheus:$PROMETHEUS" ;;
    alertmanager) echo "$repo/alertmanager:$ALERTMANAGER" ;;
    node-exporter) echo "$repo/node-exporter:$NODE_EXPORTER" ;;
    blackbox-exporter) echo "$repo/blackbox-exporter:$BLACKBOX_EXPORTER" ;;
  esac
}

say() { echo "images: $*" >&2; }
die() { echo "images: error: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }

force=0
wanted=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) sed -n '2,25p' "$self" | sed 's/^# \{0,1\}//'; exit 0 ;;
    prometheus|alertmanager|node-exporter|blackbox-exporter|node) wanted+=("$arg") ;;
    *) die "unknown argument '$arg' (images: ${all_images[*]})" ;;
  esac
done
[ "${#wanted[@]}" -gt 0 ] || wanted=("${all_images[@]}")

[ "$(id -u)" = 0 ] || die "run as root: the image file systems hold files owned by nobody (uid 65534)"
[ -f "$ca_bundle" ] || die "no CA bundle at $ca_bundle (apt-get install ca-certificates)"
cli="${WMON_ENGINE_CLI:-}"
if [ -z "$cli" ]; then
  if command -v podman >/dev/null; then cli=podman; elif command -v docker >/dev/null; then cli=docker; else
    die "neither podman nor docker is installed: run scripts/engine/install.sh first"
  fi
fi
"$cli" version >/dev/null 2>&1 || die "'$cli version' fails: is the engine running? (scripts/engine/install.sh)"

# Download the missing .debs in one apt-get call (fetch-debs.sh fetches one package per call, which takes
# minutes for the toolchain's ~80), then let fetch-debs.sh unpack them as usual.
fetch_debs() {
  local pkg missing=()
  for pkg in "$@"; do
    [ -f "$root/.cache/debs/$pkg/.unpacked" ] || ls "$root/.cache/debs/archives/${pkg}_"*.deb >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    mkdir -p "$root/.cache/debs/archives"
    download() { (cd "$root/.cache/debs/archives" && apt-get download -qq -o APT::Sandbox::User=root "${missing[@]}" >&2); }
    download || { apt-get update -qq >&2 && download; } || say "batch download failed; fetching one by one"
  fi
  "$root/scripts/fetch-debs.sh" "$@" >&2
}

deb_dir() { echo "$root/.cache/debs/$1"; }
deb_file() { ls "$root/.cache/debs/archives/${1}_"*.deb | head -n 1; }

# The Prometheus family, at the pinned versions (scripts/prom-debs.sh prints what it resolved).
fetch_prom_debs() {
  "$root/scripts/prom-debs.sh" "$@" | sed 's/^/images: /' >&2
}
prom_dir() { echo "$root/.cache/prom/$1"; }
prom_deb() { ls "$root/.cache/prom/archives/${1}_"*.deb | head -n 1; }

# The input hash of one image: its recipe (its function and the helpers every image uses: editing one
# image's recipe rebuilds that image only), the .debs it unpacks and the host files it copies.
input_hash() { # name, then files
  local name="$1" recipe; shift
  case "$name" in
    node-slim|node-full) recipe="$(declare -f image_node toolchain_debs; echo "$toolchain_exclude")" ;;
    *) recipe="$(declare -f "image_${name//-/_}")" ;;
  esac
  { echo "$name"; echo "$recipe"; declare -f base_rootfs install_binary libs_of build; sha256sum "$@" | cut -d' ' -f1; } |
    sha256sum | cut -c1-16
}

# Libraries a dynamically linked binary needs, as ldd resolves them on this machine (the same glibc as the
# Debian packages were built for), the loader included.
libs_of() {
  ldd "$1" 2>/dev/null | awk '/=> \// { print $3 } /^[ \t]*\/[^ ]*ld-linux/ { print $1 }' | sort -u
}

# Copy a binary and its libraries into a root file system. Libraries keep the paths ldd shows.
install_binary() { # rootfs, source binary, target path inside the image
  local rootfs="$1" src="$2" dst="$3" lib
  mkdir -p "$rootfs$(dirname "$dst")"
  cp -L "$src" "$rootfs$dst"
  chmod 0755 "$rootfs$dst"
  while read -r lib; do
    [ -n "$lib" ] || continue
    mkdir -p "$rootfs$(dirname "$lib")"
    [ -e "$rootfs$lib" ] || cp -L "$lib" "$rootfs$lib"
  done < <(libs_of "$src")
}

# What every image has: busybox applets in /bin (a shell for `exec`, wget for probes), users, the CA bundle.
base_rootfs() { # rootfs
  local rootfs="$1" applet bb
  rm -rf "$rootfs"
  mkdir -p "$rootfs"/{bin,etc/ssl/certs,tmp,home,root,usr/bin,var/tmp}
  chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
  chmod 0700 "$rootfs/root"
  bb="$(deb_dir busybox-static)/bin/busybox"
  cp "$bb" "$rootfs/bin/busybox"
  for applet in $("$bb" --list); do
    [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
  done
  ln -s ../../bin/busybox "$rootfs/usr/bin/env"
  cat >"$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
node:x:1000:1000:node:/home/node:/bin/sh
nobody:x:65534:65534:nobody:/home:/bin/false
PASSWD
  cat >"$rootfs/etc/group" <<'GROUP'
root:x:0:
node:x:1000:
nobody:x:65534:
GROUP
  printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
  cp -L "$ca_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"
}

# Pack a root file system as the single layer of an image and build it (skipped when up to date).
build() { # name, tag, input hash, rootfs, Dockerfile instructions after ADD (stdin)
  local name="$1" tag="$2" hash="$3" rootfs="$4" ctx="$work/$1/context" t0 old_id
  t0=$(now)
  mkdir -p "$ctx"
  # Reproducible layer: sorted, fixed times, numeric owners as staged.
  tar --sort=name --mtime='2000-01-01 00:00:00Z' --numeric-owner --format=gnu -C "$rootfs" -cf "$ctx/rootfs.tar" .
  {
    echo "FROM scratch"
    echo "ADD rootfs.tar /"
    echo "LABEL wmon.input-hash=\"$hash\" org.opencontainers.image.source=\"wmon scripts/engine/build-images.sh\""
    cat
  } >"$ctx/Dockerfile"
  old_id="$("$cli" image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
  "$cli" build --quiet -t "$tag" -f "$ctx/Dockerfile" "$ctx" >/dev/null
  rm -f "$ctx/rootfs.tar"
  # The image this one replaces is now untagged: remove it unless a container still uses it.
  if [ -n "$old_id" ] && [ "$old_id" != "$("$cli" image inspect --format '{{.Id}}' "$tag")" ]; then
    "$cli" rmi "$old_id" >/dev/null 2>&1 || true
  fi
  built=1
  say "built $tag in $(since "$t0")s"
}

up_to_date() { # tag, hash
  [ "$force" = 0 ] || return 1
  local have
  have="$("$cli" image inspect --format '{{index .Config.Labels "wmon.input-hash"}}' "$1" 2>/dev/null || true)"
  [ "$have" = "$2" ]
}

image_prometheus() {
  local tag d rootfs="$work/prometheus/rootfs" hash
  tag="$(tag_of prometheus)"
  fetch_prom_debs prometheus promtool
  fetch_debs busybox-static >&2
  d="$(prom_dir prometheus)"
  hash="$(input_hash prometheus "$(prom_deb prometheus)" "$(prom_deb promtool)" "$(deb_file busybox-static)" "$ca_bundle" \
    $(libs_of "$d/usr/bin/prometheus"))"
  if up_to_date "$tag" "$hash"; then say "$tag is up to date"; return; fi
  base_rootfs "$rootfs"
  install_binary "$rootfs" "$d/usr/bin/prometheus" /bin/prometheus
  install_binary "$rootfs" "$(prom_dir promtool)/usr/bin/promtool" /bin/promtool
  # Debian cannot ship Prometheus 3's React UI: its placeholder page is where --web.local-assets looks
  # (the API is the same). Like the official 3.x image: no console templates.
  mkdir -p "$rootfs/usr/share" "$rootfs/etc/prometheus" "$rootfs/prometheus"
  cp -a "$d/usr/share/prometheus" "$rootfs/usr/share/"
  cat >"$rootfs/etc/prometheus/prometheus.yml" <<'YAML'
# The official image's example configuration: Prometheus scrapes itself.
global:
  scrape_interval: 15s
  evaluation_interval: 15s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['localhost:9090']
YAML
  chown -R 65534:65534 "$rootfs/etc/prometheus" "$rootfs/prometheus"
  build prometheus "$tag" "$hash" "$rootfs" <<'DOCKERFILE'
USER nobody
EXPOSE 9090
VOLUME ["/prometheus"]
WORKDIR /prometheus
ENTRYPOINT ["/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
DOCKERFILE
}

image_alertmanager() {
  local tag d rootfs="$work/alertmanager/rootfs" hash ui
  tag="$(tag_of alertmanager)"
  fetch_prom_debs prometheus-alertmanager
  fetch_debs busybox-static tzdata >&2
  d="$(prom_dir prometheus-alertmanager)"
  hash="$(input_hash alertmanager "$(prom_deb prometheus-alertmanager)" "$(deb_file busybox-static)" "$(deb_file tzdata)" \
    "$ca_bundle" $(libs_of "$d/usr/bin/prometheus-alertmanager"))"
  if up_to_date "$tag" "$hash"; then say "$tag is up to date"; return; fi
  base_rootfs "$rootfs"
  install_binary "$rootfs" "$d/usr/bin/prometheus-alertmanager" /bin/alertmanager
  install_binary "$rootfs" "$d/usr/bin/amtool" /bin/amtool
  # Time zones for time_intervals with a location; Debian's built-in templates; its UI placeholder page
  # (Debian cannot ship the Elm UI) where --web.ui-path looks.
  mkdir -p "$rootfs/usr/share"
  cp -a "$(deb_dir tzdata)/usr/share/zoneinfo" "$rootfs/usr/share/"
  cp -a "$d/usr/share/prometheus" "$rootfs/usr/share/"
  ui="$rootfs/usr/share/prometheus/alertmanager/ui"
  mkdir -p "$ui"
  [ -n "$(ls -A "$ui")" ] || cp -a "$rootfs/usr/share/prometheus/alertmanager/no-ui/." "$ui/"
  mkdir -p "$rootfs/etc/alertmanager" "$rootfs/alertmanager"
  cat >"$rootfs/etc/alertmanager/alertmanager.yml" <<'YAML'
# A minimal valid configuration: every alert goes to a receiver without notifiers.
route:
  receiver: default
receivers:
  - name: default
YAML
  chown -R 65534:65534 "$rootfs/etc/alertmanager" "$rootfs/alertmanager"
  build alertmanager "$tag" "$hash" "$rootfs" <<'DOCKERFILE'
USER nobody
EXPOSE 9093
VOLUME ["/alertmanager"]
WORKDIR /alertmanager
ENTRYPOINT ["/bin/alertmanager"]
CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"]
DOCKERFILE
}

image_node_exporter() {
  local tag d rootfs="$work/node-exporter/rootfs" hash
  tag="$(tag_of node-exporter)"
  fetch_prom_debs prometheus-node-exporter
  fetch_debs busybox-static >&2
  d="$(prom_dir prometheus-node-exporter)"
  hash="$(input_hash node-exporter "$(prom_deb prometheus-node-exporter)" "$(deb_file busybox-static)" "$ca_bundle" \
    $(libs_of "$d/usr/bin/prometheus-node-exporter"))"
  if up_to_date "$tag" "$hash"; then say "$tag is up to date"; return; fi
  base_rootfs "$rootfs"
  install_binary "$rootfs" "$d/usr/bin/prometheus-node-exporter" /bin/node_exporter
  # Debian's build defaults --collector.textfile.directory to this directory, and turns the systemd
  # collector on (upstream: off; without systemd it fails every scrape): the entrypoint turns it off.
  mkdir -p "$rootfs/var/lib/prometheus/node-exporter"
  build node-exporter "$tag" "$hash" "$rootfs" <<'DOCKERFILE'
USER nobody
EXPOSE 9100
ENTRYPOINT ["/bin/node_exporter", "--no-collector.systemd"]
DOCKERFILE
}

image_blackbox_exporter() {
  local tag d rootfs="$work/blackbox-exporter/rootfs" hash
  tag="$(tag_of blackbox-exporter)"
  fetch_prom_debs prometheus-blackbox-exporter
  fetch_debs busybox-static >&2
  d="$(prom_dir prometheus-blackbox-exporter)"
  hash="$(input_hash blackbox-exporter "$(prom_deb prometheus-blackbox-exporter)" "$(deb_file busybox-static)" "$ca_bundle" \
    $(libs_of "$d/usr/bin/prometheus-blackbox-exporter"))"
  if up_to_date "$tag" "$hash"; then say "$tag is up to date"; return; fi
  base_rootfs "$rootfs"
  install_binary "$rootfs" "$d/usr/bin/prometheus-blackbox-exporter" /bin/blackbox_exporter
  # The example modules (http_2xx, tcp_connect, icmp, ...) where the official image has them. As there, no
  # USER: it runs as root (ICMP probes need raw sockets).
  mkdir -p "$rootfs/etc/blackbox_exporter"
  cp "$d/etc/prometheus/blackbox.yml" "$rootfs/etc/blackbox_exporter/config.yml"
  build blackbox-exporter "$tag" "$hash" "$rootfs" <<'DOCKERFILE'
EXPOSE 9115
ENTRYPOINT ["/bin/blackbox_exporter"]
CMD ["--config.file=/etc/blackbox_exporter/config.yml"]
DOCKERFILE
}

# The C/C++ toolchain and Python that node-gyp needs for native modules (better-sqlite3 has no prebuilt
# binary reachable here), as the official node:20 image has them: g++, make, python3 and what they depend
# on, from Debian's packages, without dpkg/perl/tar that only package management needs.
toolchain_exclude='perl|perl-base|perl-modules-.*|libperl.*|dpkg|install-info|tar|mailcap|mime-support'
toolchain_debs() {
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances \
    g++ make python3 | grep -v '^[ <]' | grep -vxE "$toolchain_exclude" | sort -u
}

node_tag() { if [ "$1" = slim ]; then echo "$repo/node:20-slim"; else echo "$repo/node:20"; fi; }

# localhost/wmon/node:20-slim: node and npm. localhost/wmon/node:20: that plus the toolchain and node's
# headers (npm_config_nodedir points node-gyp at them: it cannot download them here).
image_node() { # slim|full
  local variant="$1" tag rootfs="$work/node-$1/rootfs" hash node npm version headers="" pkg debs=() files=()
  tag="$(node_tag "$variant")"
  fetch_debs busybox-static >&2
  node="$(readlink -f "$(command -v node)")"
  version="$("$node" --version)"
  case "$version" in v20.*) ;; *) die "this machine's node is $version, $tag needs Node 20" ;; esac
  npm="$(dirname "$node")/../lib/node_modules/npm"
  [ -f "$npm/package.json" ] || npm=/usr/lib/node_modules/npm
  [ -f "$npm/package.json" ] || npm=/usr/local/lib/node_modules/npm
  [ -f "$npm/package.json" ] || die "npm not found next to $node"
  npm="$(cd "$npm" && pwd -P)"
  # npm (and node's headers) are thousands of small files: hash names, sizes and times, not contents.
  files=("$(deb_file busybox-static)" "$ca_bundle" "$node" $(libs_of "$node"))
  if [ "$variant" = full ]; then
    headers="$(dirname "$node")/../include/node"
    [ -f "$headers/node_api.h" ] || headers=/usr/include/node
    [ -f "$headers/node_api.h" ] || die "node's headers (include/node) not found next to $node"
    headers="$(cd "$headers" && pwd -P)"
    mapfile -t debs < <(toolchain_debs)
    fetch_debs "${debs[@]}" >&2
    for pkg in "${debs[@]}"; do files+=("$(deb_file "$pkg")"); done
  fi
  hash="$(input_hash "node-$variant" "${files[@]}" <(find "$npm" ${headers:+"$headers"} -printf '%p %s %T@\n' | sort))"
  if up_to_date "$tag" "$hash"; then say "$tag is up to date"; return; fi
  base_rootfs "$rootfs"
  if [ "$variant" = full ]; then
    for pkg in "${debs[@]}"; do
      tar -C "$(deb_dir "$pkg")" --exclude=./.unpacked --exclude=./usr/share/doc --exclude=./usr/share/man \
        --exclude=./usr/share/info --exclude=./usr/share/locale --exclude=./usr/share/lintian --exclude='./usr/bin/*lto-dump*' \
        -cf - . | tar -C "$rootfs" -xf -
    done
    # What update-alternatives would have made.
    ln -sf gcc "$rootfs/usr/bin/cc"
    ln -sf g++ "$rootfs/usr/bin/c++"
    mkdir -p "$rootfs/usr/local/include"
    cp -a "$headers" "$rootfs/usr/local/include/node"
  fi
  # Where the official image has them: /usr/local/bin/node, npm and npx in /usr/local/lib/node_modules.
  install_binary "$rootfs" "$node" /usr/local/bin/node
  mkdir -p "$rootfs/usr/local/lib/node_modules"
  cp -a "$npm" "$rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  mkdir -p "$rootfs/home/node"
  chown 1000:1000 "$rootfs/home/node"
  build "node-$variant" "$tag" "$hash" "$rootfs" <<DOCKERFILE
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin NODE_VERSION=${version#v} \\
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt${headers:+ npm_config_nodedir=/usr/local}
CMD ["node"]
DOCKERFILE
}

# Each new image must at least start: the loader and libraries are all there.
smoke() { # tag, command...
  local tag="$1"; shift
  "$cli" run --rm --network none --entrypoint "$1" "$tag" "${@:2}" >/dev/null 2>&1 ||
    die "$tag does not run '$*': $("$cli" run --rm --network none --entrypoint "$1" "$tag" "${@:2}" 2>&1 | tail -n 3)"
}

# The version an image of the Prometheus family runs, as its binary prints it (CI's log shows it).
show_version() { # image name, binary
  local tag out
  tag="$(tag_of "$1")"
  out="$("$cli" run --rm --network none --entrypoint "$2" "$tag" --version 2>&1)" ||
    die "$tag does not run '$2 --version': $(echo "$out" | tail -n 3)"
  say "$tag runs $(echo "$out" | head -n 1)"
}

t_all=$(now)
status() { [ "$built" = 1 ] && echo built || echo present; }
for image in "${wanted[@]}"; do
  built=0
  case "$image" in
    prometheus) image_prometheus; [ "$built" = 0 ] || smoke "$(tag_of prometheus)" /bin/promtool --version
      show_version prometheus /bin/prometheus ;;
    alertmanager) image_alertmanager; [ "$built" = 0 ] || smoke "$(tag_of alertmanager)" /bin/amtool --version
      show_version alertmanager /bin/alertmanager ;;
    node-exporter) image_node_exporter; show_version node-exporter /bin/node_exporter ;;
    blackbox-exporter) image_blackbox_exporter; show_version blackbox-exporter /bin/blackbox_exporter ;;
    node) for variant in slim full; do
        built=0
        image_node "$variant"
        tag="$(node_tag "$variant")"
        if [ "$built" = 1 ]; then
          smoke "$tag" /usr/local/bin/node -e 'require("node:crypto").randomUUID()'
          smoke "$tag" /usr/local/bin/npm --version
          [ "$variant" = slim ] || smoke "$tag" /bin/sh -c 'g++ --version && make --version && python3 -c "import json, ssl"'
        fi
        echo "node-$variant $tag $(status)"
      done ;;
  esac
  [ "$image" = node ] || echo "$image $(tag_of "$image") $(status)"
done
say "done in $(since "$t_all")s"
"$cli" images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep "^$repo/" | sed 's/^/images:   /' >&2 || true
