#!/usr/bin/env bash
# run-all.sh — the one test command: install what is missing, build, start a throwaway PostgreSQL,
# run `meson test` (every gtest binary and every bats file, tests/meson.build), count the cases.
#
#   tests/run-all.sh [--sanitize] [-- MESON-TEST-ARGS...]
#
#   --sanitize   a clang ASan+UBSan build (BUILD_DIR defaults to <repo>/build-sanitize) running the unit
#                and cli suites (clang: it builds this tree ~10x faster than gcc with the sanitizers on); every sanitizer report (written under meson-logs/sanitizer/) is a failed
#                case. No bench smoke.
#   -- ARGS      passed to `meson test` instead of the default selection (a targeted run, no bench smoke)
#
# BUILD_DIR defaults to <repo>/build. The cases are read from meson's logs by tests/lib/count-cases.sh:
# each gtest case and each bats case counts once; a test that crashed or timed out without a failing case
# counts once more. The bench smoke (bench/run.sh smoke, on a cluster of its own) is one case more.
# The last line printed is always "N passed, N failed" (skips on the line before it; under CI=true each
# skip counts as failed: a skip in CI hides a lost test). The exit status is non-zero if anything failed
# or nothing ran.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sanitize=0
if [[ "${1:-}" == --sanitize ]]; then sanitize=1; shift; fi
test_args=(--suite unit --suite db --suite cli --suite lint)
bench=1
if [[ "${1:-}" == -- ]]; then shift; test_args=("$@"); bench=0; fi
setup_args=()
setup_env=()
if ((sanitize)); then
    build="$(realpath -m "${BUILD_DIR:-$repo/build-sanitize}")"
    setup_args=('-Db_sanitize=address,undefined' -Db_lundef=false)
    setup_env=(CC=clang CXX=clang++)
    ((bench == 0)) || test_args=(--suite unit --suite cli)
    bench=0
else
    build="$(realpath -m "${BUILD_DIR:-$repo/build}")"
fi
passed=0 failed=0 skipped=0

summary() {
    if [[ "${CI:-}" == true ]] && ((skipped > 0)); then
        echo "run-all: $skipped skipped under CI=true, each counted as failed: a skip in CI hides a lost test" >&2
        failed=$((failed + skipped))
    fi
    echo "# $skipped skipped"
    echo "$passed passed, $failed failed"
    ((failed == 0 && passed > 0))
}
die() { echo "run-all: $*" >&2; failed=$((failed + 1)); summary; exit 1; }

# The bats files this build registered, against the files in tests/ now (a file added since setup).
registration_stale() {
    ! cmp -s <("$repo/tests/lib/bats-files.sh") <(meson introspect "$build" --tests |
        jq -r --arg t "$repo/tests/" '.[] | select(.cmd[1] == "bats") | .cmd[2] | ltrimstr($t)' | LC_ALL=C sort)
}

# ASan/UBSan write their reports to files: a report from a tool whose failure a test expects is not lost.
sanitizer_env() {
    local dir="$build/meson-logs/sanitizer"
    rm -rf "$dir" && mkdir -p "$dir" && chmod 1777 "$dir"
    export ASAN_OPTIONS="log_path=$dir/asan:halt_on_error=1:detect_leaks=1:strict_string_checks=1"
    export UBSAN_OPTIONS="log_path=$dir/ubsan:halt_on_error=1:print_stacktrace=1"
}
# Every report file is one failed case, shown.
count_sanitizer_reports() {
    local f
    for f in "$build/meson-logs/sanitizer"/*; do
        [[ -s "$f" ]] || continue
        echo "run-all: sanitizer report ${f##*/}:" >&2
        head -n 30 "$f" | sed 's/^/#   /' >&2
        failed=$((failed + 1))
    done
}

# --- dependencies (a fresh machine: Debian packages, as root) ----------------
"$repo/.ci/install-deps" --if-missing || die "cannot install the dependencies (.ci/install-deps)"

# --- build -------------------------------------------------------------------
if [[ ! -f "$build/build.ninja" ]]; then
    env "${setup_env[@]}" meson setup "${setup_args[@]}" "$build" "$repo" || die "meson setup failed"
elif registration_stale; then
    meson setup --reconfigure "$build" "$repo" || die "meson setup --reconfigure failed"
fi
ninja -C "$build" || die "build failed"

# --- cluster (stopped on any exit) -------------------------------------------
# shellcheck source=tests/lib/pgcluster.sh
source "$repo/tests/lib/pgcluster.sh"
trap 'pgcluster_stop' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
pgcluster_start || die "cannot start the PostgreSQL test cluster"

# --- meson test: unit, db, cli -------------------------------------------------
# gtest writes <test>.xml into the build dir; drop stale ones so a binary that crashes before writing
# its own is reported as failed, not as last time.
find "$build" -maxdepth 1 -name '*.xml' -delete
rm -f "$build/meson-logs/testlog".*
((sanitize)) && sanitizer_env
SHARED_DIR="$(realpath -m "${SHARED_DIR:-$repo/../shared}")" \
    meson test -C "$build" --no-rebuild --print-errorlogs "${test_args[@]}"
if counts="$("$repo/tests/lib/count-cases.sh" "$build")"; then
    read -r passed failed skipped <<<"$counts"
else
    failed=$((failed + 1))
fi
((sanitize)) && count_sanitizer_reports

# --- bench smoke: one case (bench/run.sh runs on a cluster of its own) --------
if ((bench)); then
    echo "# bench smoke"
    if BUILD_DIR="$build" BENCH_RESULTS_DIR="$build/meson-logs" "$repo/bench/run.sh" smoke \
        >"$build/meson-logs/bench-smoke.log" 2>&1; then
        echo "ok - bench smoke"
        passed=$((passed + 1))
    else
        tail -n 40 "$build/meson-logs/bench-smoke.log" | sed 's/^/# /'
        echo "not ok - bench smoke"
        failed=$((failed + 1))
    fi
fi

pgcluster_stop # before the summary, so that stays the last line
summary
