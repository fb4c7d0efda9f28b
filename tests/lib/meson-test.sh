#!/usr/bin/env bash
# meson-test.sh — how `meson test` starts the tests that are not plain executables (tests/meson.build).
#
#   meson-test.sh bats FILE.bats      one bats file as TAP (`bats --tap`)
#   meson-test.sh pg CMD [ARG...]     a test that needs PostgreSQL (a tests/db gtest binary)
#
# A test needs PostgreSQL when it is `pg`, or when its bats file sources tests/lib/pgcluster.sh. It then
# runs only if the throwaway cluster's environment is exported (tests/run-all.sh, or
# `tests/lib/pgcluster.sh run meson test -C build`) and the server answers; otherwise it FAILS with a
# one-line reason (a bats file as a TAP "Bail out!"), it never skips.
#
# Environment set here when missing: SHARED_DIR (<repo>/../shared). SYNCPIPE_BUILD and SYNCPIPE_SANITIZED
# come from meson. In a sanitized build the bats cases tagged `ld_preload` are left out (not skipped): they
# preload a library into a tool (libfaketime), and the ASan runtime must be the first library loaded, so such a
# process hangs. They run in every plain build.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${SHARED_DIR:=$(realpath -m "$repo/../shared")}"
export SHARED_DIR

# The reason no test can reach the cluster, or nothing when it can.
cluster_problem() {
    if [[ -z "${PGCLUSTER_DIR:-}" || -z "${PGPORT:-}" || -z "${PGHOST:-}" ]]; then
        echo "no PostgreSQL cluster: PGCLUSTER_DIR/PGHOST/PGPORT are not set" \
            "(run tests/run-all.sh, or tests/lib/pgcluster.sh run meson test -C BUILD)"
    elif ! psql -X -q -At -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
        echo "the PostgreSQL cluster at $PGHOST (port $PGPORT) does not answer"
    fi
}

case "${1:-}" in
    bats)
        file="${2:?usage: meson-test.sh bats FILE}"
        if grep -q 'lib/pgcluster\.sh' "$file"; then
            problem="$(cluster_problem)"
            if [[ -n "$problem" ]]; then
                echo "meson-test: ${file#"$repo"/}: $problem" >&2
                echo "Bail out! $problem"
                exit 1
            fi
        fi
        filter=()
        [[ "${SYNCPIPE_SANITIZED:-0}" == 1 ]] && filter=(--filter-tags '!ld_preload')
        exec bats --tap "${filter[@]}" "$file"
        ;;
    pg)
        shift
        problem="$(cluster_problem)"
        if [[ -n "$problem" ]]; then
            echo "meson-test: $(basename "${1:-?}"): $problem" >&2
            exit 1
        fi
        exec "$@"
        ;;
    *)
        echo "usage: meson-test.sh bats FILE.bats | meson-test.sh pg CMD [ARG...]" >&2
        exit 64
        ;;
esac
