#!/usr/bin/env bats
# Every long option that a built tool's --help names is documented in its man page
# man/<tool>.1.scd; a built tool without a page fails. Tools with subcommands (their --help shows
# "<tool> <subcommand> ...") are checked with "<tool> <subcommand> --help" too.
#
#   SYNCPIPE_BUILD=/path/to/build bats tests/cli/manpages.bats

bats_require_minimum_version 1.5.0

setup_file() {
    REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
    export REPO
    : "${SYNCPIPE_BUILD:?set SYNCPIPE_BUILD to the meson build dir}"
}

# built_tools — the tool executables of the build, one path per line.
built_tools() {
    local exe
    for exe in "$SYNCPIPE_BUILD"/tools/*/sync-*; do
        if [[ -f "$exe" && -x "$exe" ]]; then printf '%s\n' "$exe"; fi
    done
}

# long_options HELP_TEXT — every --option the text names, once each.
long_options() {
    grep -oE -- '--[a-z0-9][a-z0-9-]*' <<<"$1" | sort -u
}

# subcommands TOOL HELP_TEXT — lowercase words right after the tool's name in usage lines.
subcommands() {
    grep -oE -- "(^|[[:space:]])$1 [a-z][a-z-]*" <<<"$2" | awk '{print $2}' | sort -u
}

# documented PAGE OPTION — the page names OPTION as a whole word (not just a prefix of a longer one).
documented() {
    grep -qE -- "(^|[^a-z0-9-])$2([^a-z0-9-]|\$)" "$1"
}

# check_help TOOL PAGE ARGS... — print one line per option of "TOOL ARGS... --help" missing from PAGE.
check_help() {
    local tool="$1" page="$2" help opt n=0
    shift 2
    if ! help="$("$tool" "$@" --help 2>&1)"; then
        printf '%s %s --help failed: %s\n' "${tool##*/}" "$*" "$help"
        return
    fi
    while IFS= read -r opt; do
        [[ -n "$opt" ]] || continue
        n=$((n + 1))
        documented "$page" "$opt" ||
            printf '%s%s: %s is in --help but not in man/%s\n' "${tool##*/}" "${*:+ $*}" "$opt" "${page##*/}"
    done < <(long_options "$help")
    ((n > 0)) || printf '%s %s --help names no option at all\n' "${tool##*/}" "$*"
}

@test "man pages: every built tool has one, naming every option of its --help" {
    local tools exe name page sub problems=""
    tools="$(built_tools)"
    [[ -n "$tools" ]] || { echo "no tools built under $SYNCPIPE_BUILD/tools" >&2; return 1; }
    while IFS= read -r exe; do
        name="${exe##*/}"
        page="$REPO/man/$name.1.scd"
        if [[ ! -f "$page" ]]; then
            problems+="$name: no man page man/$name.1.scd"$'\n'
            continue
        fi
        problems+="$(check_help "$exe" "$page")"
        while IFS= read -r sub; do
            [[ -n "$sub" ]] && problems+="$(check_help "$exe" "$page" "$sub")"
        done < <(subcommands "$name" "$("$exe" --help 2>&1)")
    done <<<"$tools"
    if [[ -n "$problems" ]]; then
        printf '%s\n' "$problems" >&2
        return 1
    fi
}

@test "man pages: the check itself notices an undocumented option" {
    local page="$BATS_TEST_TMPDIR/fake.1.scd" tool="$BATS_TEST_TMPDIR/sync-fake"
    printf '#!/bin/sh\nprintf "  --alpha  a\\n  --beta-gamma  b\\n  --help\\n"\n' >"$tool"
    chmod +x "$tool"
    printf '*--alpha*\n*--help*\n*--beta*\n' >"$page"
    run check_help "$tool" "$page"
    [ "$output" = "sync-fake: --beta-gamma is in --help but not in man/fake.1.scd" ]
    printf '*--beta-gamma* _X_\n' >>"$page"
    run check_help "$tool" "$page"
    [ "$output" = "" ]
}

# syncpipe-cycle is a script, not a built tool: its page is section 8.
@test "man pages: syncpipe-cycle(8) names its options, every SYNCPIPE_ variable it reads and every exit code" {
    local page="$REPO/man/syncpipe-cycle.8.scd" script="$REPO/systemd/syncpipe-cycle" usage v code problems=""
    [ -f "$page" ]
    grep -qx "  'syncpipe-cycle.8'," "$REPO/man/meson.build"
    usage="$("$script" 2>&1)" && return 1 # no arguments: usage, exit 64
    while IFS= read -r v; do
        [[ -z "$v" ]] || documented "$page" "$v" || problems+="syncpipe-cycle: $v is not in its man page"$'\n'
    done < <(long_options "$usage")
    for v in $(grep -oE 'SYNCPIPE_[A-Z_]+' "$script" | sort -u); do
        grep -qF -- "*$v*" "$page" || problems+="syncpipe-cycle reads $v; the man page does not name it"$'\n'
    done
    for code in $(sed -n 's/.*inline constexpr int k[A-Za-z]* = \([0-9]*\);.*/\1/p' "$REPO/lib/core/exit_codes.hpp"); do
        grep -qxE "\\|[[:space:]]+$code" "$page" || problems+="exit code $code is not in syncpipe-cycle(8)"$'\n'
    done
    [[ -z "$problems" ]] || { printf '%s' "$problems" >&2; return 1; }
}
