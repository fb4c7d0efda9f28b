#!/usr/bin/env bash
# tests/fuzz/run.sh — build the libFuzzer targets and run each one for a while.
#
#   tests/fuzz/run.sh [--seconds N] [--runs N] [--seed N] [--build DIR] [TARGET...]
#
#   --seconds N  run time per target (default 30)
#   --runs N     stop a target after N inputs, if that comes before --seconds
#   --seed N     libFuzzer's random seed (default: a new one each run). CI passes a fixed seed and
#                --runs, so that the same tree always makes the same inputs: a crash it finds is
#                found again by the same command, and a green run stays green
#   --build DIR  the fuzz build (default <repo>/build-fuzz): clang++, -Dfuzz=true, ASan+UBSan
#   TARGET       ndjson_reader protocol copy_text resolve_config (default: all)
#
# Each target starts from its seed corpus tests/fuzz/corpus/<target>/ (read only) and keeps what it
# finds in DIR/corpus/<target>/. A crash leaves its input in DIR/artifacts/ and fails the target;
# reproduce it with `DIR/tests/fuzz/fuzz_<target> FILE`, then turn it into a unit test before fixing.
# The failure is also printed: the message, our first stack frames and the input in base64 (a CI
# machine's DIR is gone once it ends).
# Prints one TAP line per target, then "N passed, N failed". Exit status: 0 when no target
# crashed, 1 otherwise, 64 on bad usage.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds=30 runs="" seed="" build="$repo/build-fuzz" targets=()
while (($#)); do
    case "$1" in
        --seconds) seconds="${2:?--seconds needs a number}"; shift 2 ;;
        --runs) runs="${2:?--runs needs a number}"; shift 2 ;;
        --seed) seed="${2:?--seed needs a number}"; shift 2 ;;
        --build) build="${2:?--build needs a directory}"; shift 2 ;;
        -h | --help) sed -n '2,20s/^# \{0,1\}//p' "$0"; exit 0 ;;
        -*) echo "fuzz: unknown option $1" >&2; exit 64 ;;
        *) targets+=("$1"); shift ;;
    esac
done
for n in "$seconds" "${runs:-0}" "${seed:-0}"; do
    [[ "$n" =~ ^[0-9]+$ ]] || { echo "fuzz: --seconds, --runs and --seed take a whole number, not '$n'" >&2; exit 64; }
done
extra=()
[[ -z "$runs" ]] || extra+=(-runs="$runs")
[[ -z "$seed" ]] || extra+=(-seed="$seed")
((${#targets[@]})) || targets=(ndjson_reader protocol copy_text resolve_config)
build="$(realpath -m "$build")"

if [[ ! -f "$build/build.ninja" ]]; then
    CC=clang CXX=clang++ meson setup "$build" "$repo" -Dfuzz=true '-Db_sanitize=address,undefined' \
        -Db_lundef=false --buildtype=debugoptimized >/dev/null || { echo "fuzz: meson setup failed" >&2; exit 1; }
fi
ninja -C "$build" "${targets[@]/#/tests/fuzz/fuzz_}" || { echo "fuzz: build failed" >&2; exit 1; }

# report_failure LOG — what killed the target, where in our code, and the input (as TAP comments).
report_failure() {
    local unit
    unit="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$1" | head -n 1)"
    {
        grep -E '^(==[0-9]+== ?ERROR|SUMMARY|.*runtime error|.*terminat|.*Assertion|artifact_prefix)' "$1" | head -n 8
        grep -E '^ *#[0-9]+ .* in .*(syncpipe|simdjson|LLVMFuzzerTestOneInput)' "$1" | head -n 8
        [[ -f "$unit" ]] && echo "input (base64): $(head -c 16384 "$unit" | base64 -w 0)"
    } | sed 's/^/# /'
}

passed=0 failed=0 n=0
echo "1..${#targets[@]}"
for t in "${targets[@]}"; do
    n=$((n + 1))
    seeds="$repo/tests/fuzz/corpus/$t" work="$build/corpus/$t" log="$build/fuzz-$t.log"
    mkdir -p "$work" "$build/artifacts"
    if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" "${extra[@]}" -timeout=10 -rss_limit_mb=1024 \
        -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" "$work" "$seeds" >"$log" 2>&1; then
        echo "ok $n - fuzz $t: $(sed -n 's/^stat::number_of_executed_units: *//p' "$log") runs${seed:+ from seed $seed} in at most ${seconds}s"
        passed=$((passed + 1))
    else
        report_failure "$log"
        echo "not ok $n - fuzz $t (log: $log)"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
((failed == 0))
