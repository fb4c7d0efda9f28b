#!/usr/bin/env bats
# Packaging of the cycle (issue 13): the sysusers.d file that creates the syncpipe user the units run as,
# and syncpipe-cycle(8), installed with the tools into a throwaway root (meson install --destdir).
#
#   SYNCPIPE_BUILD=/path/to/build bats tests/cli/cycle-packaging.bats

bats_require_minimum_version 1.5.0

setup_file() {
    : "${SYNCPIPE_BUILD:?set SYNCPIPE_BUILD to the meson build dir}"
    export ROOT="$BATS_FILE_TMPDIR/root" REPO="$BATS_TEST_DIRNAME/../.."
    meson install -C "$SYNCPIPE_BUILD" --no-rebuild --quiet --destdir "$ROOT" >/dev/null
    SYSUSERS="$(find "$ROOT" -path '*/sysusers.d/syncpipe.conf' | head -n1)"
    UNIT="$(find "$ROOT" -path '*/systemd/system/syncpipe@.service' | head -n1)"
    export SYSUSERS UNIT
}

@test "sysusers: installed; systemd-sysusers creates the user and group the units run as" {
    [ -n "$SYSUSERS" ] && [ -f "$SYSUSERS" ]
    [[ "$SYSUSERS" == */lib/sysusers.d/syncpipe.conf ]]
    mkdir -p "$BATS_TEST_TMPDIR/r/etc"
    run -0 systemd-sysusers --root="$BATS_TEST_TMPDIR/r" "$SYSUSERS"
    run -0 grep '^syncpipe:' "$BATS_TEST_TMPDIR/r/etc/passwd"
    IFS=: read -r _ _ uid gid _ home shell <<<"$output"
    ((uid > 0 && uid < 1000)) # a system user
    [ "$home" = /var/lib/syncpipe ]
    [ "$shell" = /usr/sbin/nologin ]
    grep -q "^syncpipe:x:$gid:" "$BATS_TEST_TMPDIR/r/etc/group"
    # the units run as that user and group
    for u in "$UNIT" "${UNIT%/*}/syncpipe-status.service"; do
        grep -qx 'User=syncpipe' "$u"
        grep -qx 'Group=syncpipe' "$u"
    done
}

@test "sysusers: the check notices a file without the user" {
    mkdir -p "$BATS_TEST_TMPDIR/r/etc"
    printf 'g othergroup -\n' >"$BATS_TEST_TMPDIR/other.conf"
    run -0 systemd-sysusers --root="$BATS_TEST_TMPDIR/r" "$BATS_TEST_TMPDIR/other.conf"
    run grep '^syncpipe:' "$BATS_TEST_TMPDIR/r/etc/passwd"
    [ "$status" -ne 0 ]
}

@test "man: syncpipe-cycle(8) and sync-jobs(1) are installed" {
    [ -n "$(find "$ROOT" -path '*/man8/syncpipe-cycle.8')" ]
    [ -n "$(find "$ROOT" -path '*/man1/sync-jobs.1')" ]
}
