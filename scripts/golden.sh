#!/usr/bin/env bash
# Golden results: every experiment of assets/ and assets/bench/, run on the
# CPU backend and on the GPU (lavapipe where there is no other), with
# result.json kept minus its `run` object (wall time, command line, commit).
# A change that keeps the arithmetic and the random streams must reproduce
# them byte for byte.
#
#   scripts/golden.sh write BINARY   write assets/golden/{cpu,gpu}/NAME.json
#   scripts/golden.sh check BINARY   compare BINARY's results with them
#
# TRAJECTORIES (default 2048 per case; "file" keeps each file's own count)
# and GOLDEN (default assets/golden) choose the size and the folder. The test
# suite checks the 2048-trajectory set (tests/integration/golden.rs); the
# full-size set lives in assets/golden/full (TRAJECTORIES=file GOLDEN=assets/golden/full).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?write or check}
bin=$(realpath "${2:?path of a kramers binary}")
golden=${GOLDEN:-assets/golden}
n=${TRAJECTORIES:-2048}
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for file in assets/*.toml assets/bench/*.toml; do
    name=$(basename "$file" .toml)
    [ "${file#assets/bench/}" != "$file" ] && name="bench-$name"
    # check: only the experiments the golden build knew
    [ "$mode" = check ] && [ ! -f "$golden/cpu/$name.json" ] && continue
    for backend in cpu gpu; do
        args=(run "$file" --backend "$backend" --out "$work/$backend-$name" --checkpoint-every 0)
        [ "$n" != file ] && args+=(--trajectories "$n")
        "$bin" "${args[@]}" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
        python3 - "$work/$backend-$name/result.json" "$work/$backend-$name.json" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))
result.pop("run")
result.pop("device")
open(sys.argv[2], "w").write(json.dumps(result, indent=1) + "\n")
PY
        mkdir -p "$golden/$backend"
        if [ "$mode" = write ]; then
            cp "$work/$backend-$name.json" "$golden/$backend/$name.json"
            echo "wrote $golden/$backend/$name.json"
        elif cmp -s "$work/$backend-$name.json" "$golden/$backend/$name.json"; then
            echo "same: $backend $name"
        else
            echo "DIFFERENT: $backend $name"
            diff "$golden/$backend/$name.json" "$work/$backend-$name.json" | head -20 || true
            status=1
        fi
    done
done
exit $status
