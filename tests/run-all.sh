#!/usr/bin/env bash
# run-all.sh — the one test command: build, start a throwaway PostgreSQL,
# run every suite, count the individual test cases.
#
#   tests/run-all.sh            (BUILD_DIR defaults to <repo>/build)
#
# Runs `meson test --suite unit --suite db` (each gtest case is read back
# from meson's JUnit log), then every tests/cli/*.bats and tests/db/*.bats
# with `bats --tap`. Every case becomes one TAP line in
# <build>/meson-logs/run-all.tap. The last line printed is always
# "N passed, N failed"; the exit status is non-zero if anything failed or
# nothing ran. Skipped cases count as neither.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(realpath -m "${BUILD_DIR:-$repo/build}")"
tap="$build/meson-logs/run-all.tap"
broken=0 # steps that failed outside any test case (build, cluster, a crashed runner)

summary() {
    local passed failed
    passed=$(grep -E '^ok ' "$tap" 2>/dev/null | grep -vcE '# (skip|SKIP)')
    failed=$(($(grep -cE '^not ok ' "$tap" 2>/dev/null) + broken))
    echo "$passed passed, $failed failed"
    ((failed == 0 && passed > 0))
}
die() { echo "run-all: $*" >&2; broken=$((broken + 1)); summary; exit 1; }

# The gtest cases of the last `meson test` run, as TAP lines (no plan).
gtest_tap() {
    python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError) as e:
    sys.exit(f"not ok - cannot read {sys.argv[1]}: {e}")
for suite in root.iter("testsuite"):
    for case in suite.iter("testcase"):
        name = f'{suite.get("name")}.{case.get("name")}'.replace("syncpipe.syncpipe:", "")
        if case.find("skipped") is not None or case.get("status") == "notrun":
            print(f"ok - {name} # skip")
        elif case.find("failure") is not None or case.find("error") is not None:
            print(f"not ok - {name}")
        else:
            print(f"ok - {name}")
PY
}

# One bats file; adds a "not ok" line for every planned case that never reported.
run_bats() {
    local file="$1" out rc plan seen
    out="$(mktemp)"
    bats --tap "$file" | tee "$out"
    rc=${PIPESTATUS[0]}
    plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out" | head -n1)
    seen=$(grep -cE '^(not )?ok ' "$out")
    for ((i = seen; i < ${plan:-0}; i++)); do echo "not ok - ${file#"$repo"/}: case $((i + 1)) never ran"; done
    if ((rc != 0)) && ! grep -qE '^not ok ' "$out" && ((seen >= ${plan:-0})); then
        echo "not ok - ${file#"$repo"/}: bats exited $rc"
    fi
    rm -f "$out"
}

# --- dependencies (a fresh machine: Debian packages, as root) ----------------
"$repo/.ci/install-deps" --if-missing || die "cannot install the dependencies (.ci/install-deps)"

# --- build -------------------------------------------------------------------
mkdir -p "$build/meson-logs" && : >"$tap"
if [[ ! -f "$build/build.ninja" ]]; then
    meson setup "$build" "$repo" || die "meson setup failed"
fi
ninja -C "$build" || die "build failed"

# --- cluster (stopped on any exit) -------------------------------------------
# shellcheck source=tests/lib/pgcluster.sh
source "$repo/tests/lib/pgcluster.sh"
trap 'pgcluster_stop' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
pgcluster_start || die "cannot start the PostgreSQL test cluster"

# --- gtest: unit and db ------------------------------------------------------
# gtest writes <test>.xml into the build dir; drop stale ones so a binary that
# crashes before writing its own is reported as failed, not as last time.
find "$build" -maxdepth 1 -name '*.xml' -delete
rm -f "$build/meson-logs/testlog.junit.xml"
meson test -C "$build" --no-rebuild --print-errorlogs --suite unit --suite db
meson_rc=$?
gtest_tap "$build/meson-logs/testlog.junit.xml" | tee -a "$tap"
if ((meson_rc != 0)) && ! grep -qE '^not ok ' "$tap"; then
    echo "not ok - meson test exited $meson_rc without a failing case" | tee -a "$tap"
fi

# --- bats: cli and db --------------------------------------------------------
export SYNCPIPE_BUILD="$build"
SHARED_DIR="$(realpath -m "$repo/../shared")"
export SHARED_DIR
mapfile -t bats_files < <(find "$repo/tests/cli" "$repo/tests/db" -name '*.bats' 2>/dev/null | LC_ALL=C sort)
for f in "${bats_files[@]}"; do
    echo "# bats ${f#"$repo"/}"
    run_bats "$f" | tee -a "$tap"
done

# --- bench smoke: one case (bench/run.sh runs on a cluster of its own) --------
echo "# bench smoke"
if BUILD_DIR="$build" BENCH_RESULTS_DIR="$build/meson-logs" "$repo/bench/run.sh" smoke \
    >"$build/meson-logs/bench-smoke.log" 2>&1; then
    echo "ok - bench smoke"
else
    tail -n 40 "$build/meson-logs/bench-smoke.log" | sed 's/^/# /'
    echo "not ok - bench smoke"
fi | tee -a "$tap"

pgcluster_stop # before the summary, so that stays the last line
summary
