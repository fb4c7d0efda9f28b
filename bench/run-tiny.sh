# shellcheck shell=bash disable=SC2154 # sourced by bench/run.sh, which sets the variables it reads
# bench/run-tiny.sh — many tiny tenants (3 chats, 6 channel messages each); sourced by bench/run.sh.
#   tiny_round  $tiny_n tenants synced one after the other: a first sync, then a no-change cycle
#   cyc_round   as many through systemd/syncpipe-cycle as a node runs it (lease gate, one sync-jobs query for
#               all, SYNCPIPE_JOBS tenants at once) on a host of their own, "tinyhost":
#                 cycle_first             every tenant never synced: the whole pipeline for each
#                 cycle_nochange          every tenant due by its interval, files unchanged: the fingerprint proof
#                 cycle_nochange_pipeline every tenant forced (syncpipe-cycle --force): the whole pipeline
# Each round starts from tenants provisioned just before it (reset first from run 2 on). The files are copied
# once, in run 1, so their timestamps stay older than the fingerprint's settle margin.

tiny_files() { # PREFIX — $work/PREFIX1.db ... from one generated tiny tenant, once
    local k
    [[ -f "$work/tiny.db" ]] || "$GEN" create --schema-sql "$SCHEMA_SQL" --out "$work/tiny.db" --users 1 \
        --chats-per-user 3 --messages-per-chat 0 --channel-messages 6 >/dev/null || die "syncpipe-gen create (tiny) failed"
    for ((k = 1; k <= tiny_n; k++)); do
        [[ -f "$work/$1$k.db" ]] || cp "$work/tiny.db" "$work/$1$k.db"
    done
}

tiny_round() {
    local g k t0 t1 w0 w1
    log "syncpipe: $tiny_n tiny tenants, run $RUN (provisioning)"
    tiny_files tiny
    ((RUN == 1)) || reset_tenants '^tiny[0-9]+$'
    for ((k = 1; k <= tiny_n; k++)); do
        provision "tiny$k" "$work/tiny$k.db" || die "provisioning tiny$k failed"
    done
    for g in tiny_first tiny_nochange; do
        log "syncpipe: $tiny_n tiny tenants ($g)"
        settle
        w0="$(writes '^tiny[0-9]+$')"
        t0=$(now)
        for ((k = 1; k <= tiny_n; k++)); do cycle "$g" "tiny$k" "$work/tiny$k.db"; done
        t1=$(now)
        value "${g}_wall" "$(minus "$t1" "$t0")"
        quiesce
        w1="$(writes '^tiny[0-9]+$')"
        value "${g}_tenant_writes" "$((w1 - w0))"
        [[ $g == tiny_first ]] && same_rows tiny "$work/tiny1.db" tiny1 "${src_tables[@]}"
        [[ $g == tiny_first || $w1 == "$w0" ]] || fail "tiny_nochange: $((w1 - w0)) rows written to tenant tables"
    done
}

cyc_env() { # CMD... — run CMD with the environment syncpipe-cycle gets on a node
    env PGHOST=127.0.0.1 PGPORT="$PGPORT" PGDATABASE=bench PGUSER=sync_service SYNCPIPE_BINDIR="$work/bin" \
        STATE_DIRECTORY="$work/cycstate" SYNCPIPE_TTL=60 "$@"
}

cyc() { # GROUP — one syncpipe-cycle run of node-a, timed
    local g="$1" t0 t1 c0 c1 rc w0 w1
    settle
    w0="$(writes '^cyc[0-9]+$')"
    c0=$(server_cpu) t0=$(now)
    cyc_env "$repo/systemd/syncpipe-cycle" tinyhost node-a 2>"$work/err/$g"
    rc=$?
    t1=$(now) c1=$(server_cpu)
    total "$g" - "$t0" "$t1" "$c0" "$c1" "$rc"
    ((rc == 0)) || fail "$g: syncpipe-cycle exited $rc: $(grep -m3 'error' "$work/err/$g" | tr '\n' ' ')"
    sleep 1 # every tenant due again (interval 1 s): a clock condition, not a wait for a process
    quiesce
    w1="$(writes '^cyc[0-9]+$')"
    value "${g}_tenant_writes" "$((w1 - w0))"
    value "${g}_pipelines" "$(grep -c ': exit 0 (snapshot' "$work/err/$g")"
    [[ $g == cycle_first || $w1 == "$w0" ]] || fail "$g: $((w1 - w0)) rows written to tenant tables"
}

cyc_round() {
    local k t
    log "syncpipe-cycle: $tiny_n tiny tenants, run $RUN (provisioning, host tinyhost)"
    mkdir -p "$work/bin" "$work/cycstate"
    for t in lease snapshot diff resolve load jobs; do ln -sf "$build/tools/$t/sync-$t" "$work/bin/"; done
    tiny_files cyc
    ((RUN == 1)) || reset_tenants '^cyc[0-9]+$'
    for ((k = 1; k <= tiny_n; k++)); do
        provision "cyc$k" "$work/cyc$k.db" --host tinyhost || die "provisioning cyc$k failed"
    done
    q "UPDATE sync_metadata.client_deployments SET sync_interval_seconds = 1 WHERE host_id = 'tinyhost'" >/dev/null
    # the files' timestamps must be older than the fingerprint's settle margin (2 s): a clock condition
    while (($(date +%s) - $(stat -c %Y "$work/cyc$tiny_n.db") <= 2)); do sleep 0.2; done
    cyc cycle_first
    same_rows cycle_first "$work/cyc1.db" cyc1 "${src_tables[@]}"
    cyc cycle_nochange
    cyc_env "$repo/systemd/syncpipe-cycle" --force tinyhost 2>>"$work/err/cycle_force" || fail "syncpipe-cycle --force failed"
    cyc cycle_nochange_pipeline
}
