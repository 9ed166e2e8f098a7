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
#   MUTANTS_TESTS='lib:rare::' bash scripts/mutants.sh src/rare/mod.rs
#                           # only the unit tests whose names contain rare::
#                           # (fast; recheck what it misses with all of them)
#   MUTANTS_TESTS='rare::' bash scripts/mutants.sh src/rare/mod.rs
#                           # the unit tests and the integration tests whose
#                           # names contain rare:: (a test-name filter)
#
# It mutates the working tree in place (and restores it) and builds in the
# `mutants` profile (Cargo.toml: the test profile's opt-level 3 and debug
# assertions, incremental, no debug info) under target/mutants, so that a
# one-function change rebuilds in well under a minute once that profile is
# warm (its first build compiles the dependencies: about 10 minutes on 2
# cores). Scope a run (files, MUTANTS_RE, MUTANTS_EXCLUDE_RE or
# MUTANTS_SHARD=k/n) so that it fits. Installs cargo-mutants when missing (not
# part of the test suite). Writes mutants.out/ and prints the counts.
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
# (src/model/exit/*.rs are declared through a macro, which cargo-mutants does
# not follow: their crossing probabilities are src/kernel/exits.rs's.)
core=(
    src/kernel/exits.rs
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
[ -z "${MUTANTS_EXCLUDE_RE:-}" ] || args+=(--exclude-re "$MUTANTS_EXCLUDE_RE")
[ -z "${MUTANTS_SHARD:-}" ] || args+=(--shard "$MUTANTS_SHARD")
# only the library's unit-test harness is built per mutant unless
# MUTANTS_TESTS is `all` or a filter (then the integration harness too)
args+=(--profile mutants -C --locked)
tests="${MUTANTS_TESTS:-lib}"
case "$tests" in
    lib | lib:*) args+=(-C --lib) ;;
    all) ;;
    *) args+=(-C --lib -C --test -C integration) ;;
esac
# MUTANTS_BASELINE=skip: the unmutated tree is known to pass (saves a build);
# MUTANTS_TIMEOUT: seconds a mutant's tests may run (default 600)
[ -z "${MUTANTS_BASELINE:-}" ] || args+=(--baseline "$MUTANTS_BASELINE")

export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
filter=()
case "$tests" in
    lib | all) ;;
    lib:*) filter=(-- "${tests#lib:}") ;;
    *) filter=(-- "$tests") ;;
esac
cargo mutants --in-place --no-shuffle "${args[@]}" \
    --timeout "${MUTANTS_TIMEOUT:-600}" --build-timeout 1200 "${filter[@]}" || true

echo "mutants.sh: ${files[*]}${MUTANTS_RE:+ (re: $MUTANTS_RE)}"
for outcome in caught missed unviable timeout; do
    file=mutants.out/$outcome.txt
    printf '  %-9s %s\n' "$outcome" "$([ -f "$file" ] && wc -l <"$file" || echo 0)"
done
if [ -s mutants.out/missed.txt ]; then
    echo "missed (each needs a test or a reason in docs/testing.md):"
    sed 's/^/  /' mutants.out/missed.txt
fi
