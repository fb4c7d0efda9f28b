#!/usr/bin/env bash
# count-cases.sh BUILD_DIR — count the individual test cases of the last `meson test` run in BUILD_DIR.
#
# Reads meson's logs: meson-logs/testlog.junit.xml has one <testcase> per gtest case and per TAP line;
# meson-logs/testlog.json has each test's overall result. A test that failed without a failing case of
# its own (a crash, a timeout, a bats file cut short, "Bail out!") counts as one failed case more.
# Prints "PASSED FAILED SKIPPED" on stdout; lists every failed and skipped case on stderr.
# Exits 1 when the logs are missing or unreadable.
set -euo pipefail

logs="${1:?usage: count-cases.sh BUILD_DIR}/meson-logs"
junit="$logs/testlog.junit.xml" json="$logs/testlog.json"
for f in "$junit" "$json"; do
    [[ -s "$f" ]] || { echo "count-cases: $f is missing or empty" >&2; exit 1; }
done

xcount() { xmllint --xpath "count($1)" "$junit"; }
bad='failure or error'
skip='(skipped or @status="notrun") and not(failure or error)'
passed=$(xcount "//testcase[not($bad) and not(skipped) and not(@status='notrun')]")
failed=$(xcount "//testcase[$bad]")
skipped=$(xcount "//testcase[$skip]")

# Cases of one meson test: its TAP suite, its gtest suites, or the single case meson writes for a test
# that reported none.
own_failures() {
    xcount "//testsuite[@name='syncpipe.$1' or starts-with(@name,'syncpipe.$1.')]/testcase[$bad]
            | //testsuite[@name='syncpipe']/testcase[@name='$1' and ($bad)]"
}
while IFS=$'\t' read -r name result; do
    if (($(own_failures "$name") == 0)); then
        echo "count-cases: $name: $result without a failing case" >&2
        failed=$((failed + 1))
    fi
done < <(jq -r 'select(.result != "OK" and .result != "SKIP" and .result != "EXPECTEDFAIL")
                | [.name, .result] | @tsv' "$json")

list() { # list WHAT XPATH-PREDICATE — name each such case on stderr
    xmllint --xpath "//testcase[$2]/@name" "$junit" 2>/dev/null |
        sed -n "s/^ *name=\"\(.*\)\"\$/count-cases: $1: \1/p" >&2 || true
}
list failed "$bad"
list skipped "$skip"
echo "$passed $failed $skipped"
