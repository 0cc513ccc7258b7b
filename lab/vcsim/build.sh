#!/usr/bin/env bash
# Builds the lab's vSphere simulator (lab/vcsim/*.go) into OUTPUT_PATH.
# Usage: lab/vcsim/build.sh OUTPUT_PATH
# Idempotent: rebuilds only when a .go file (or this script) is newer than OUTPUT_PATH.
# Works from any working directory and from the env of a fresh root shell: it sets
# GOPATH/GOCACHE/GO111MODULE itself (Debian's govmomi sources live in /usr/share/gocode).
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 OUTPUT_PATH" >&2
  exit 2
fi

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$1
case "$out" in
  /*) ;;
  *) out="$PWD/$out" ;;
esac

if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/lib/go/bin/go ]; then
    PATH="/usr/lib/go/bin:$PATH"
  else
    echo "mtv-vcsim build: error: the Go toolchain ('go') is not installed; run scripts/install-deps (Debian golang-go)" >&2
    exit 3
  fi
fi

export GO111MODULE=off
export GOPATH=/usr/share/gocode
export GOFLAGS=
if [ ! -d "$GOPATH/src/github.com/vmware/govmomi/simulator" ]; then
  echo "mtv-vcsim build: error: govmomi sources not found under $GOPATH (Debian golang-github-vmware-govmomi-dev); run scripts/install-deps" >&2
  exit 3
fi
if [ -z "${GOCACHE:-}" ]; then
  export GOCACHE="${HOME:-/root}/.cache/go-build"
fi
if ! mkdir -p "$GOCACHE" 2>/dev/null || [ ! -w "$GOCACHE" ]; then
  export GOCACHE="${TMPDIR:-/tmp}/mtv-vcsim-gocache-$(id -u)"
  mkdir -p "$GOCACHE"
fi

if [ -x "$out" ]; then
  newer=$(find "$src_dir" -maxdepth 1 \( -name '*.go' -o -name 'build.sh' \) -newer "$out" -print -quit)
  if [ -z "$newer" ]; then
    exit 0
  fi
fi

mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
(cd "$src_dir" && go build -o "$tmp" .)
mv -f "$tmp" "$out"
trap - EXIT
