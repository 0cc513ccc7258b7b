#!/usr/bin/env bash
# Builds and runs bench_vsphere against mtv-vcsim.
# Usage: bench/vsphere/run.sh [BUILD_DIR] [-- bench args: --latency-ms N --runs N --record DIR]
# BUILD_DIR (default build/) must hold a built libmtv.a (cmake --build).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
shift || true
[ "${1:-}" = "--" ] && shift
case "$build" in /*) ;; *) build=$root/$build ;; esac
out=$build/bench/bench_vsphere
mkdir -p "$(dirname "$out")"
cc -std=c11 -O2 -D_GNU_SOURCE -I"$root/include" -I"$root/tests/support" -I"$root/src/lib" \
  -DMTV_SOURCE_DIR="\"$root\"" -DMTV_BINARY_DIR="\"$build\"" -DMTV_TEST_DATA_DIR="\"$root/tests/data\"" \
  "$root/bench/vsphere/bench_vsphere.c" "$root/tests/support/vcsim_fixture.c" \
  "$build/libmtv.a" $(pkg-config --libs libcurl libcjson yaml-0.1 libssh2 libxml-2.0 openssl) \
  -lpthread -lm -o "$out"
MTV_BINARY_DIR=$build exec "$out" "$@"
