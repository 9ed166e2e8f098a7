#!/usr/bin/env bash
# One prepared check for a machine with a real GPU: build (release), run the GPU
# tests against the hardware adapter (CI=true: a missing adapter fails them),
# then `kramers bench --quick --json`, and print a short table last.
#
# Needs: a Rust toolchain and the crates of Cargo.lock, either reachable or
# already in ~/.cargo (then it builds offline: no internet needed); a Vulkan
# loader and driver. Writes into ${OUT:-.}: bench.json, bench.png, bench.svg,
# bench.txt, gpu-tests.log, build.log.
# Budget: under 10 minutes on a cold target (each phase has its own timeout:
# build 330 s, tests 150 s, bench 100 s).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-.}"
mkdir -p "$OUT"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
export CI=true
start=$(date +%s)
elapsed() { echo $(($(date +%s) - start)); }

# The modules of the integration-test crate to run; TESTS="gpu_samplers::"
# runs fewer (a dry run of this script on lavapipe).
read -ra tests <<<"${TESTS:-gpu_agreement:: gpu_samplers:: bridge:: sgd:: gpu_scale::}"

build() {
    timeout 330 cargo build --release --locked "${offline[@]}" --bin kramers >"$OUT/build.log" 2>&1 &&
        timeout $((330 - $(elapsed) > 10 ? 330 - $(elapsed) : 10)) \
            cargo test --release --locked "${offline[@]}" --no-run --test integration >>"$OUT/build.log" 2>&1
}
# Offline first (no internet needed when the crates are in ~/.cargo); online
# only when a crate is missing from the cache.
offline=(--offline)
echo "== build (release)"
built=0
build && built=1
if [ $built -eq 0 ] && grep -q -- "--offline" "$OUT/build.log"; then
    offline=()
    build && built=1
fi
if [ $built -eq 0 ]; then
    tail -20 "$OUT/build.log"
    echo "build failed or ran out of time after $(elapsed) s (log: $OUT/build.log)"
    exit 1
fi
echo "built in $(elapsed) s"
kramers=./target/release/kramers

hardware() { "$kramers" devices --json | grep -q '"software": false'; }
if ! hardware; then
    # Containers often carry NVIDIA's Vulkan driver without registering it.
    for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json \
        /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
        if [ -f "$icd" ]; then
            export VK_ADD_DRIVER_FILES="$icd"
            hardware && break
            unset VK_ADD_DRIVER_FILES
            export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"
            hardware && break
            unset VK_DRIVER_FILES VK_ICD_FILENAMES
        fi
    done
fi
echo "== adapters"
"$kramers" devices
hardware || echo "WARNING: no hardware GPU adapter found: the GPU tests will fail (CI=true)"

echo "== GPU tests (GPU = CPU on the same streams, samplers, bridge, sgd, 10^8 trajectories)"
status=0
timeout 150 cargo test --release --locked "${offline[@]}" --test integration -- "${tests[@]}" >"$OUT/gpu-tests.log" 2>&1 || status=$?
grep -E "^test .* FAILED$|^test result" "$OUT/gpu-tests.log" || tail -5 "$OUT/gpu-tests.log"

echo "== kramers bench --quick ($(elapsed) s so far)"
timeout 100 "$kramers" bench --quick --json "$OUT/bench.json" --out "$OUT" >"$OUT/bench.txt" || status=$?

echo
echo "== summary ($(elapsed) s)"
grep "^test result" "$OUT/gpu-tests.log" |
    awk '{p += $4; f += $6} END {printf "GPU tests: %d passed, %d failed\n", p, f}'
[ "$status" -eq 124 ] && echo "a phase ran out of time (timeout)"
# The throughput table and its legend, without the early-stop rows.
sed -n '/^time to first result/,/^early stop/p' "$OUT/bench.txt" | grep -v "^early stop"
exit "$status"
