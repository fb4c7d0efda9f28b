# Small helpers shared by the bats files (source it after bats starts).

# wait_for SECONDS CMD... — poll CMD every 0.1 s until it succeeds; fails after SECONDS.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

# hold DB SQL — an admin session (psql over the socket) that runs SQL in a transaction and keeps
# its locks until `release`: a test makes a real process wait at a chosen statement this way. One
# at a time per test; uses file descriptor 8 and $BATS_TEST_TMPDIR/hold.*.
hold() {
    local w="$BATS_TEST_TMPDIR"
    rm -f "$w/hold.in" "$w/hold.out"
    mkfifo "$w/hold.in"
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" <"$w/hold.in" >"$w/hold.out" 2>&1 3>&- &
    echo $! >"$w/hold.pid"
    exec 8>"$w/hold.in"
    printf 'BEGIN;\n%s;\nSELECT %s;\n' "$2" "'held'" >&8
    wait_for 30 grep -qx held "$w/hold.out"
}

# release — ends the transaction of `hold` (rolled back) and its session. psql quits on \q, not
# on end of input: a process started meanwhile may have inherited the fifo's write end.
release() {
    printf 'ROLLBACK;\n\\q\n' >&8
    exec 8>&-
    wait "$(cat "$BATS_TEST_TMPDIR/hold.pid")"
    rm -f "$BATS_TEST_TMPDIR/hold.pid"
}
