#!/usr/bin/env bash
# bats-files.sh — the one list of bats files that `meson test` runs: every tests/cli/*.bats (suite cli)
# and tests/db/*.bats (suite db), as paths relative to tests/. tests/meson.build reads it at configure
# time, so a new file is registered by adding it; nothing else to edit.
#
#   bats-files.sh                         print the list, one path a line
#   bats-files.sh --check REGISTERED...   fail, naming the file, when the list differs from REGISTERED
#                                         (a file added after `meson setup`: reconfigure the build)
set -euo pipefail

tests="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
list() { (cd "$tests" && LC_ALL=C ls -1 cli/*.bats db/*.bats 2>/dev/null) || true; }

if [[ "${1:-}" != --check ]]; then
    list
    exit 0
fi
shift
echo "1..1"
missing="$(comm -23 <(list) <(printf '%s\n' "$@" | LC_ALL=C sort))"
gone="$(comm -13 <(list) <(printf '%s\n' "$@" | LC_ALL=C sort))"
if [[ -n "$missing$gone" ]]; then
    echo "not ok 1 - the registered bats files differ from tests/: new ${missing//$'\n'/ }," \
        "removed ${gone//$'\n'/ }: run meson setup --reconfigure on this build"
    exit 1
fi
echo "ok 1 - every bats file under tests/cli and tests/db is registered"
