#!/usr/bin/env bash
# Mutation testing of the numerical core with cargo-mutants (issue #27;
# docs/testing.md "Mutation testing"): each mutant of the named files (an
# operator flipped, a constant changed, a function body replaced) is built
# and the library's unit tests are run against it; a mutant that no test
# catches is a hole in the tests, or a change that cannot matter (the
# chapter lists those with their reasons).
#
#   bash scripts/mutants.sh                       # the whole numerical core
#   bash scripts/mutants.sh src/rare/mod.rs       # some files
#   MUTANTS_RE='fn weights' bash scripts/mutants.sh src/analysis/extrapolate.rs
#   MUTANTS_TESTS=all bash scripts/mutants.sh ... # the integration tests too
#
# It mutates the working tree in place (and restores it) so that the warm
# target/ is reused; every mutant still rebuilds the library's test harness,
# about 5 minutes each on 2 cores: scope it (files, MUTANTS_RE, or
# MUTANTS_SHARD=k/n) so that a run fits. Installs cargo-mutants when missing
# (not part of the test suite). Writes mutants.out/ and prints the counts.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo mutants --version >/dev/null 2>&1; then
    echo "mutants.sh: installing cargo-mutants" >&2
    cargo install cargo-mutants --locked
fi
if ! git diff --quiet; then
    echo "mutants.sh: the working tree has uncommitted changes; commit or stash them first (mutants are made in place)" >&2
    exit 2
fi

# The numerical core: the bridge's crossing probabilities, the splitting
# estimator, the interval estimators, the exact quadrature and references,
# the extrapolation, the samplers.
core=(
    src/kernel/exits.rs
    src/model/exit/half_space.rs
    src/model/exit/ball.rs
    src/model/exit/box_set.rs
    src/rare/mod.rs
    src/analysis/stats.rs
    src/analysis/theory.rs
    src/analysis/extrapolate.rs
    src/rng/samplers.rs
)
files=("$@")
[ ${#files[@]} -gt 0 ] || files=("${core[@]}")
args=()
for f in "${files[@]}"; do
    [ -f "$f" ] || { echo "mutants.sh: no file $f" >&2; exit 2; }
    args+=(--file "$f")
done
[ -z "${MUTANTS_RE:-}" ] || args+=(--re "$MUTANTS_RE")
[ -z "${MUTANTS_SHARD:-}" ] || args+=(--shard "$MUTANTS_SHARD")
# the release profile, as the suite builds it: the warm target/ serves; only
# the library's unit-test harness is built per mutant unless MUTANTS_TESTS=all
args+=(--profile release -C --locked)
[ "${MUTANTS_TESTS:-lib}" = all ] || args+=(-C --lib)
# MUTANTS_BASELINE=skip: the unmutated tree is known to pass (saves a build)
[ -z "${MUTANTS_BASELINE:-}" ] || args+=(--baseline "$MUTANTS_BASELINE")

export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
cargo mutants --in-place --no-shuffle "${args[@]}" \
    --timeout 600 --build-timeout 1200 || true

echo "mutants.sh: ${files[*]}${MUTANTS_RE:+ (re: $MUTANTS_RE)}"
for outcome in caught missed unviable timeout; do
    file=mutants.out/$outcome.txt
    printf '  %-9s %s\n' "$outcome" "$([ -f "$file" ] && wc -l <"$file" || echo 0)"
done
if [ -s mutants.out/missed.txt ]; then
    echo "missed (each needs a test or a reason in docs/testing.md):"
    sed 's/^/  /' mutants.out/missed.txt
fi
