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
