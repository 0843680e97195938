#!/usr/bin/env bash
# Builds the InfluxDB servers that Debian does not ship, from their Go module sources (and, for
# the servers whose Flux links libflux through cgo, the Rust crate libflux from crates.io), into a
# cache outside the repository. A server whose binary is already cached is not built again, and
# libflux is built once per Flux version and shared by every server that links that version.
#
#   tools/build-servers.sh v1.8.10 v1.13.2 v2.7.12   build what is missing (default: these three)
#   tools/build-servers.sh v2.10.0-flux0.200         opt-in, not in CI (see build_v2_10 below)
#   tools/build-servers.sh --path NAME               print the cached binary's path
#
# Cache: $INFLUXTK_CACHE (default ~/.cache/influxdbtoolkit): bin/influxd-NAME, libflux/VERSION/.
# Needs go, cargo, gcc, pkg-config. Measured cold on 2 cores (empty cache, Go module and build
# caches and cargo registry): see README.md.
set -euo pipefail
# A failing step inside $(...) must stop the build too.
shopt -s inherit_errexit

CACHE=${INFLUXTK_CACHE:-$HOME/.cache/influxdbtoolkit}
DEFAULT_SERVERS="v1.8.10 v1.13.2 v2.7.12"
# Toolchains installed outside the system directories are not always on a script's PATH.
for dir in /usr/local/go/bin "$HOME/go/bin" "$HOME/.cargo/bin"; do
  [ -d "$dir" ] && case ":$PATH:" in *":$dir:"*) ;; *) PATH="$PATH:$dir" ;; esac
done
export PATH
# The local Go only: a go.mod asking for a newer toolchain fails instead of downloading one.
export GOTOOLCHAIN=local GOFLAGS=-modcacherw
log() { printf '[build-servers] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

binary_path() { echo "$CACHE/bin/influxd-$1"; }

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is needed to build the servers"; }

module_dir() { # module_dir MODULE@VERSION: downloads it and prints the read-only module directory
  go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'
}

writable_copy() { # writable_copy MODULE@VERSION DIR: the module's source, editable, in DIR
  local from
  from=$(module_dir "$1")
  [ -d "$from" ] || die "could not download $1"
  rm -rf "$2" && mkdir -p "$(dirname "$2")"
  cp -r "$from" "$2"
  chmod -R u+w "$2"
}

# libflux VERSION: builds the static libflux of that Flux version once (cached in
# $CACHE/libflux/VERSION with its headers and a flux.pc) and prints the directory to put on
# PKG_CONFIG_PATH. Only the static archive is kept, so no server needs a library from the cache.
libflux() {
  local flux=$1 dir src start=$SECONDS
  dir="$CACHE/libflux/$flux"
  if [ -f "$dir/lib/libflux.a" ] && [ -f "$dir/pkgconfig/flux.pc" ]; then
    log "libflux $flux cached in $dir"; echo "$dir/pkgconfig"; return 0
  fi
  need cargo; need pkg-config; need gcc
  log "building libflux $flux (Rust)"
  src="$CACHE/work/flux-$flux"
  writable_copy "github.com/influxdata/flux@$flux" "$src"
  # The pinned toolchain cannot be downloaded here; the installed stable one builds it.
  rm -f "$src/rust-toolchain.toml" "$src/libflux/rust-toolchain.toml"
  # `strict` turns warnings into errors, and newer compilers warn about more.
  sed -i 's/^default = \["strict"\]/default = []/' \
    "$src/libflux/flux/Cargo.toml" "$src/libflux/flux-core/Cargo.toml"
  (cd "$src/libflux" && RUSTFLAGS="--cap-lints=warn" cargo build --release --locked -p flux >&2)
  rm -rf "$dir" && mkdir -p "$dir/lib" "$dir/pkgconfig"
  cp "$src/libflux/target/release/libflux.a" "$dir/lib/"
  cp -r "$src/libflux/include" "$dir/include"
  cat >"$dir/pkgconfig/flux.pc" <<PC
Name: flux
Description: libflux built for influxdbtoolkit's test servers
Version: ${flux#v}
Cflags: -I$dir/include
Libs: -L$dir/lib -lflux -ldl -lm -lpthread
PC
  rm -rf "$src"
  log "libflux $flux built in $((SECONDS - start)) s"
  echo "$dir/pkgconfig"
}

build_v1_8() { # 1.8's Flux (v0.65) is pure Go without the `libflux` tag: no cgo at all
  local version=1.8.10 work
  work="$CACHE/work/influxdb-$version"
  log "building InfluxDB $version (pure Go)"
  rm -rf "$work" && mkdir -p "$work"
  # go install refuses nothing here (no replace directives); GOBIN keeps the binary in the cache.
  GOBIN="$work" CGO_ENABLED=0 go install -ldflags "-X main.version=$version" \
    "github.com/influxdata/influxdb/cmd/influxd@v$version"
  mv "$work/influxd" "$(binary_path "v$version")"
  rm -rf "$work"
}

build_v1_13() { # 1.13's Flux (v0.200.0) links libflux through cgo; its go.mod has no replace
  local version=1.13.2 work pc
  work="$CACHE/work/influxdb-$version"
  pc=$(libflux v0.200.0)
  log "building InfluxDB $version (Go with cgo)"
  rm -rf "$work" && mkdir -p "$work"
  GOBIN="$work" PKG_CONFIG_PATH="$pc" CGO_ENABLED=1 go install -ldflags "-X main.version=$version" \
    "github.com/influxdata/influxdb/cmd/influxd@v$version"
  mv "$work/influxd" "$(binary_path "v$version")"
  rm -rf "$work"
}

build_v2_7() {
  local version=2.7.12 src pc
  src="$CACHE/work/influxdb-$version"
  pc=$(libflux v0.196.1)
  log "building InfluxDB $version (Go with cgo)"
  # go install refuses modules with replace directives: build in a writable copy instead.
  writable_copy "github.com/influxdata/influxdb/v2@v$version" "$src"
  (cd "$src" && PKG_CONFIG_PATH="$pc" CGO_ENABLED=1 \
    go build -tags sqlite_foreign_keys,sqlite_json -ldflags "-X main.version=v$version" \
    -o "$(binary_path "v$version")" ./cmd/influxd)
  rm -rf "$src"
}

# 2.10.0, the newest 2.x, cannot be built as released here: it needs flux v0.201.0, whose module
# zip the Go module proxy refuses (403), and its go.mod asks for Go 1.26.9. This opt-in recipe
# builds it with flux v0.200.0 substituted (go mod edit -replace) and the go line lowered to the
# local Go (go mod edit -go=, no toolchain download), with the tags of its GNUmakefile. Such a
# binary is not 2.10.0 as released, so its name and reported version say which Flux it has:
# v2.10.0-flux0.200. Not in CI until flux v0.201.0 can be had.
build_v2_10() {
  local version=2.10.0 flux=v0.200.0 name=v2.10.0-flux0.200 src pc local_go zip
  src="$CACHE/work/influxdb-$version"
  pc=$(libflux "$flux")
  local_go=$(go env GOVERSION); local_go=${local_go#go}
  log "building InfluxDB $version with flux $flux substituted (Go with cgo): $name"
  need unzip
  # The local Go fetches the module but will not report its directory (its go.mod asks for a
  # newer Go): unpack the zip it fetched.
  zip=$({ go mod download -json "github.com/influxdata/influxdb/v2@v$version" || true; } |
    sed -n 's/^[[:space:]]*"Zip": "\(.*\)",\{0,1\}$/\1/p')
  [ -f "$zip" ] || die "could not download github.com/influxdata/influxdb/v2@v$version"
  rm -rf "$src" "$src.unzip" && mkdir -p "$src.unzip"
  unzip -q "$zip" -d "$src.unzip"
  mv "$src.unzip/github.com/influxdata/influxdb/v2@v$version" "$src"
  rm -rf "$src.unzip"
  chmod -R u+w "$src"
  (cd "$src" && go mod edit -go="$local_go" -toolchain=none \
      -replace "github.com/influxdata/flux=github.com/influxdata/flux@$flux" &&
    PKG_CONFIG_PATH="$pc" CGO_ENABLED=1 go build -mod=mod \
      -tags sqlite_foreign_keys,sqlite_json,flux_nosqlite -ldflags "-X main.version=$name" \
      -o "$(binary_path "$name")" ./cmd/influxd)
  rm -rf "$src"
}

build() {
  local name=$1 out
  out=$(binary_path "$name")
  if [ -x "$out" ]; then log "$name cached at $out"; return 0; fi
  need go
  mkdir -p "$CACHE/bin"
  local start=$SECONDS
  case "$name" in
    v1.8.10) build_v1_8 ;;
    v1.13.2) build_v1_13 ;;
    v2.7.12) build_v2_7 ;;
    v2.10.0-flux0.200) build_v2_10 ;;
    *) die "no recipe for '$name'" ;;
  esac
  [ -x "$out" ] || die "$name: the build produced no binary"
  log "$name built in $((SECONDS - start)) s: $out"
}

if [ "${1:-}" = "--path" ]; then binary_path "${2:?name}"; exit 0; fi
names=("$@")
[ ${#names[@]} -gt 0 ] || read -r -a names <<<"$DEFAULT_SERVERS"
for name in "${names[@]}"; do build "$name"; done
