#!/usr/bin/env bash
# Builds the InfluxDB servers that Debian does not ship, from their Go module sources (and, for
# 2.x, the Rust crate libflux from crates.io), into a cache outside the repository. A server whose
# binary is already cached is not built again.
#
#   tools/build-servers.sh v1.8.10 v2.7.12     build what is missing (default: both)
#   tools/build-servers.sh --path NAME          print the cached binary's path
#
# Cache: $INFLUXTK_CACHE (default ~/.cache/influxdbtoolkit). Needs go, cargo, gcc, pkg-config.
set -euo pipefail

CACHE=${INFLUXTK_CACHE:-$HOME/.cache/influxdbtoolkit}
# Toolchains installed outside the system directories are not always on a script's PATH.
for dir in /usr/local/go/bin "$HOME/go/bin" "$HOME/.cargo/bin"; do
  [ -d "$dir" ] && case ":$PATH:" in *":$dir:"*) ;; *) PATH="$PATH:$dir" ;; esac
done
export PATH
export GOTOOLCHAIN=local GOFLAGS=-modcacherw
log() { printf '[build-servers] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

binary_path() { echo "$CACHE/bin/influxd-$1"; }

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is needed to build the servers"; }

module_dir() { # module_dir MODULE@VERSION: downloads it and prints the read-only module directory
  go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'
}

build_v1_8() {
  local version=1.8.10 out work
  out=$(binary_path "v$version")
  work="$CACHE/work/influxdb-$version"
  log "building InfluxDB $version (pure Go)"
  rm -rf "$work" && mkdir -p "$work" "$CACHE/bin"
  # go install refuses nothing here (no replace directives); GOBIN keeps the binary in the cache.
  GOBIN="$work" CGO_ENABLED=0 go install -ldflags "-X main.version=$version" \
    "github.com/influxdata/influxdb/cmd/influxd@v$version"
  mv "$work/influxd" "$out"
  rm -rf "$work"
}

build_v2_7() {
  local version=2.7.12 flux=v0.196.1 out work src fluxsrc
  out=$(binary_path "v$version")
  work="$CACHE/work/influxdb-$version"
  need cargo; need pkg-config; need gcc
  log "building InfluxDB $version: libflux (Rust) first, then influxd (Go with cgo)"
  mkdir -p "$work" "$CACHE/bin"

  fluxsrc="$work/flux"
  if [ ! -f "$fluxsrc/libflux/target/release/libflux.a" ]; then
    rm -rf "$fluxsrc"
    cp -r "$(module_dir "github.com/influxdata/flux@$flux")" "$fluxsrc"
    chmod -R u+w "$fluxsrc"
    # The pinned toolchain cannot be downloaded here; the installed stable one builds it.
    rm -f "$fluxsrc/rust-toolchain.toml" "$fluxsrc/libflux/rust-toolchain.toml"
    # `strict` turns warnings into errors, and newer compilers warn about more.
    sed -i 's/^default = \["strict"\]/default = []/' \
      "$fluxsrc/libflux/flux/Cargo.toml" "$fluxsrc/libflux/flux-core/Cargo.toml"
    (cd "$fluxsrc/libflux" && RUSTFLAGS="--cap-lints=warn" cargo build --release --locked -p flux)
  fi
  # Only the static archive may be found: the server must not need a library from this directory.
  rm -f "$fluxsrc"/libflux/target/release/libflux.so
  mkdir -p "$work/pkgconfig"
  cat >"$work/pkgconfig/flux.pc" <<EOF
Name: flux
Description: libflux built for influxdbtoolkit's test server
Version: ${flux#v}
Cflags: -I$fluxsrc/libflux/include
Libs: -L$fluxsrc/libflux/target/release -lflux -ldl -lm -lpthread
EOF

  src="$work/influxdb"
  if [ ! -d "$src" ]; then
    # go install refuses modules with replace directives: build in a writable copy instead.
    cp -r "$(module_dir "github.com/influxdata/influxdb/v2@v$version")" "$src"
    chmod -R u+w "$src"
  fi
  (cd "$src" && PKG_CONFIG_PATH="$work/pkgconfig" CGO_ENABLED=1 \
    go build -tags sqlite_foreign_keys,sqlite_json -ldflags "-X main.version=v$version" \
    -o "$out" ./cmd/influxd)
  rm -rf "$src"
}

build() {
  local name=$1 out
  out=$(binary_path "$name")
  if [ -x "$out" ]; then log "$name cached at $out"; return 0; fi
  need go
  local start=$SECONDS
  case "$name" in
    v1.8.10) build_v1_8 ;;
    v2.7.12) build_v2_7 ;;
    *) die "no recipe for '$name'" ;;
  esac
  [ -x "$out" ] || die "$name: the build produced no binary"
  log "$name built in $((SECONDS - start)) s: $out"
}

if [ "${1:-}" = "--path" ]; then binary_path "${2:?name}"; exit 0; fi
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(v1.8.10 v2.7.12)
for name in "${names[@]}"; do build "$name"; done
