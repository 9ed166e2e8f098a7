#!/usr/bin/env bash
# One prepared check for a machine with a real GPU (no internet needed once the
# crates are vendored or cached; Rust toolchain installed): build, run the GPU
# tests against the hardware adapter, then `kramers bench --quick --json`.
# Writes into ${OUT:-.}: bench.json, bench.png, bench.svg, gpu-tests.log.
# Budget: under 10 minutes (build ~3-4 min cold, tests ~1 min, bench ~1 min).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-.}"
mkdir -p "$OUT"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
export CI=true   # a missing adapter is a failure, not a skip

start=$(date +%s)
echo "== build (release)"
cargo build --release --locked 2>&1 | tail -2
echo "== adapters"
./target/release/kramers devices

echo "== GPU tests (GPU = CPU on the same streams, samplers, bridge, sgd, scale)"
status=0
cargo test --release --locked --test gpu_agreement --test gpu_samplers --test bridge \
    --test sgd --test gpu_scale 2>&1 | tee "$OUT/gpu-tests.log" | grep -E "^test |test result" || status=$?
grep -q "FAILED" "$OUT/gpu-tests.log" && status=1

echo "== kramers bench --quick"
./target/release/kramers bench --quick --json "$OUT/bench.json" --out "$OUT" | tee "$OUT/bench.txt"

echo
echo "== summary ($(( $(date +%s) - start )) s)"
grep "test result" "$OUT/gpu-tests.log" | awk '{p+=$4; f+=$6} END {printf "GPU tests: %d passed, %d failed\n", p, f}'
sed -n '/trajectory-steps per second/,/^\[1\]/p' "$OUT/bench.txt"
exit $status
