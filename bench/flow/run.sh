#!/usr/bin/env bash
# Benchmark of the whole warm flow against the local lab: each of the five
# warm scenarios run alone (-k), N times; per scenario the median of
#   wall      wall time of `mtvtest run` (session set-up + scenario + teardown)
#   migrate   duration of test_migrate_vms (the controller's precopies + cutover)
#   lab_min   what the lab's controller imposes: Migration created -> VM completed
#             (from results.json's per-VM started/completed), or "-" when unknown
#   cpu       runner user+sys CPU seconds;  rss  peak RSS (MiB)
#   api       API requests the lab counted during the run; soap: SOAP round trips
# Usage: bench/flow/run.sh [BUILD_DIR] [RUNS]     (default: build 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
runs=${2:-3}
bin=$build/mtvtest
[ -x "$bin" ] || { echo "bench: error: $bin not built" >&2; exit 2; }
work=$(mktemp -d)
lab="$work/lab"
trap 'lab/mtvlab down --dir "$lab" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
lab/mtvlab up --dir "$lab" --minute 1 >/dev/null

scenarios=(sanity 2disks2nics remote comprehensive copyoffload)
results="$work/rows.tsv"
: >"$results"
for s in "${scenarios[@]}"; do
  for i in $(seq 1 "$runs"); do
    out="$work/$s-$i"
    mkdir -p "$out"
    before=$(lab/mtvlab requests --json --dir "$lab")
    /usr/bin/time -f '%e %U %S %M' -o "$out/time" \
      "$bin" run -v -k "$s" --config config/warm.yaml --config "$lab/settings.yaml" \
      --providers "$lab/providers.json" --kubeconfig "$lab/kubeconfig" \
      --report "$out/rep" --no-junit >"$out/stdout" 2>"$out/stderr" ||
      { echo "bench: error: scenario $s failed (see below)" >&2; tail -20 "$out/stderr" >&2; exit 1; }
    after=$(lab/mtvlab requests --json --dir "$lab")
    /usr/bin/python3 bench/flow/row.py "$s" "$out" "$before" "$after" >>"$results"
  done
done
/usr/bin/python3 bench/flow/row.py --summary "$results"
