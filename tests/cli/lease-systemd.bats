#!/usr/bin/env bats
# The systemd units that meson generates from systemd/*.in: installed with the tools into a throwaway
# root (meson install --destdir), then checked with `systemd-analyze verify`, which also proves that
# every ExecStart= program is installed where the unit says. No running systemd is needed.
#
#   SYNCPIPE_BUILD=/path/to/build bats tests/cli/lease-systemd.bats

bats_require_minimum_version 1.5.0

setup_file() {
    : "${SYNCPIPE_BUILD:?set SYNCPIPE_BUILD to the meson build dir}"
    if ! command -v systemd-analyze >/dev/null; then
        echo "systemd-analyze is missing: apt-get install systemd" >&2
        return 1
    fi
    export ROOT="$BATS_FILE_TMPDIR/root"
    meson install -C "$SYNCPIPE_BUILD" --no-rebuild --quiet --destdir "$ROOT" >/dev/null
    # The units refer to systemd's own targets (sysinit.target, timers.target ...): give the root a
    # copy of the system unit directory (Debian has merged /usr, so /lib points into /usr/lib).
    mkdir -p "$ROOT/usr/lib/systemd"
    cp -a /usr/lib/systemd/system "$ROOT/usr/lib/systemd/"
    ln -sfn usr/lib "$ROOT/lib"
    UNITDIR="$(find "$ROOT" -path '*/systemd/system/syncpipe@.service' -printf '%h\n' | grep -v "^$ROOT/usr/lib/" | head -n1)"
    export UNITDIR
    [[ -n "$UNITDIR" ]] || { echo "no syncpipe units installed under $ROOT" >&2; return 1; }
}

verify() {
    systemd-analyze verify --man=no --generators=no --root="$ROOT" "$@"
}

unit_value() { # unit_value FILE KEY — every value of KEY=, one a line
    sed -n "s/^$2=//p" "$1"
}

@test "systemd: every generated unit passes systemd-analyze verify without a warning" {
    local units=("$UNITDIR/syncpipe@.service" "$UNITDIR/syncpipe@.timer" "$UNITDIR/syncpipe-status.service"
        "$UNITDIR/syncpipe-status.timer" "$UNITDIR/syncpipe-retention.service" "$UNITDIR/syncpipe-retention.timer")
    run verify "${units[@]}"
    echo "$output"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
}

@test "systemd: verify notices a missing ExecStart program (the check can fail)" {
    mv "$ROOT$(unit_value "$UNITDIR/syncpipe@.service" ExecStart | cut -d' ' -f1)" "$BATS_TEST_TMPDIR/moved"
    run verify "$UNITDIR/syncpipe@.service"
    mv "$BATS_TEST_TMPDIR/moved" "$ROOT$(unit_value "$UNITDIR/syncpipe@.service" ExecStart | cut -d' ' -f1)"
    [ "$status" -ne 0 ]
    [[ "$output" == *"is not executable"* ]]
}

@test "systemd: install paths were substituted, nothing left as @placeholder@" {
    run grep -l '@[a-z]*@' "$UNITDIR"/syncpipe*
    [ "$status" -eq 1 ]
    run -0 unit_value "$UNITDIR/syncpipe@.service" ExecStart
    [[ "$output" == /*/syncpipe-cycle' %i ${SYNCPIPE_NODE}' ]]
    [ -x "$ROOT${output%% *}" ]
}

@test "systemd: the cycle service is oneshot, standby (10) counts as success, credentials via LoadCredential" {
    local u="$UNITDIR/syncpipe@.service"
    [ "$(unit_value "$u" Type)" = oneshot ]
    [ "$(unit_value "$u" SuccessExitStatus)" = 10 ]
    # 10 must be the standby code of lib/core/exit_codes.hpp
    grep -q 'kStandby = 10;' "$BATS_TEST_DIRNAME/../../lib/core/exit_codes.hpp"
    [[ "$(unit_value "$u" LoadCredential)" == pgpass:/*/syncpipe/pgpass ]]
    unit_value "$u" Environment | grep -qx 'PGPASSFILE=%d/pgpass'
    [ -n "$(unit_value "$u" TimeoutStartSec)" ]
    ! grep -qi 'password' <(unit_value "$u" Environment)
}

@test "systemd: hardening settings are present" {
    local u="$UNITDIR/syncpipe@.service" key
    for key in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
        'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' 'CapabilityBoundingSet=' ReadWritePaths=%S/syncpipe; do
        grep -qx -- "$key" "$u" || { echo "missing $key" >&2; return 1; }
    done
    grep -qx 'ReadWritePaths=-/var/lib/prometheus/node-exporter' "$UNITDIR/syncpipe-status.service"
    run -0 systemd-analyze security --offline=true --root="$ROOT" "$UNITDIR/syncpipe@.service"
    local score
    score="$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$output")"
    echo "# systemd-analyze security: exposure $score (0 = locked down, 10 = exposed)" >&3
    awk -v s="$score" 'BEGIN { exit !(s != "" && s < 3.0) }'
}

@test "systemd: timer interval + random delay + accuracy with the default TTL bound failover by 30 s" {
    local t="$UNITDIR/syncpipe@.timer" s="$UNITDIR/syncpipe@.service"
    secs() { sed 's/s$//' <<<"$1"; }
    local interval delay accuracy ttl
    interval="$(secs "$(unit_value "$t" OnUnitInactiveSec)")"
    delay="$(secs "$(unit_value "$t" RandomizedDelaySec)")"
    accuracy="$(secs "$(unit_value "$t" AccuracySec)")"
    ttl="$(unit_value "$s" Environment | sed -n 's/^SYNCPIPE_TTL=//p')"
    echo "# failover bound: TTL $ttl s + interval $interval s + delay $delay s + accuracy $accuracy s = $((ttl + interval + delay + accuracy)) s" >&3
    ((ttl + interval + delay + accuracy <= 30))
    ((ttl >= 2 * (interval + delay + accuracy))) # the leader renews twice within its TTL
}
