#!/usr/bin/env bash
# tests/fuzz/run.sh — build the libFuzzer targets and run each one for a while.
#
#   tests/fuzz/run.sh [--seconds N] [--build DIR] [TARGET...]
#
#   --seconds N  run time per target (default 30)
#   --build DIR  the fuzz build (default <repo>/build-fuzz): clang++, -Dfuzz=true, ASan+UBSan
#   TARGET       ndjson_reader protocol copy_text resolve_config (default: all)
#
# Each target starts from its seed corpus tests/fuzz/corpus/<target>/ (read only) and keeps what it
# finds in DIR/corpus/<target>/. A crash leaves its input in DIR/artifacts/ and fails the target;
# reproduce it with `DIR/tests/fuzz/fuzz_<target> FILE`, then turn it into a unit test before fixing.
# Prints one TAP line per target, then "N passed, N failed". Exit status: 0 when no target
# crashed, 1 otherwise, 64 on bad usage.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds=30 build="$repo/build-fuzz" targets=()
while (($#)); do
    case "$1" in
        --seconds) seconds="${2:?--seconds needs a number}"; shift 2 ;;
        --build) build="${2:?--build needs a directory}"; shift 2 ;;
        -h | --help) sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 0 ;;
        -*) echo "fuzz: unknown option $1" >&2; exit 64 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz: --seconds takes a whole number, not '$seconds'" >&2; exit 64; }
((${#targets[@]})) || targets=(ndjson_reader protocol copy_text resolve_config)
build="$(realpath -m "$build")"

if [[ ! -f "$build/build.ninja" ]]; then
    CC=clang CXX=clang++ meson setup "$build" "$repo" -Dfuzz=true '-Db_sanitize=address,undefined' \
        -Db_lundef=false --buildtype=debugoptimized >/dev/null || { echo "fuzz: meson setup failed" >&2; exit 1; }
fi
ninja -C "$build" "${targets[@]/#/tests/fuzz/fuzz_}" || { echo "fuzz: build failed" >&2; exit 1; }

passed=0 failed=0 n=0
echo "1..${#targets[@]}"
for t in "${targets[@]}"; do
    n=$((n + 1))
    seeds="$repo/tests/fuzz/corpus/$t" work="$build/corpus/$t" log="$build/fuzz-$t.log"
    mkdir -p "$work" "$build/artifacts"
    if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
        -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" "$work" "$seeds" >"$log" 2>&1; then
        echo "ok $n - fuzz $t: $(sed -n 's/^stat::number_of_executed_units: *//p' "$log") runs in ${seconds}s"
        passed=$((passed + 1))
    else
        grep -E '^(==[0-9]+== ?ERROR|SUMMARY|.*runtime error|.*terminat|artifact_prefix|Test unit written)' "$log" | head -n 8 |
            sed 's/^/# /'
        echo "not ok $n - fuzz $t (log: $log)"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
((failed == 0))
