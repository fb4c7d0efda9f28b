#!/usr/bin/env bats
# sync-lease and syncpipe-cycle against a real PostgreSQL. Two (or more) "nodes" are processes with
# different --node names on the same database, connecting as sync_service over TCP with the passfile.
#
#   SYNCPIPE_BUILD=/path/to/build tests/lib/pgcluster.sh run bats tests/cli/lease.bats
#
# Every test uses its own cluster id, so tests do not disturb each other. An admin-owned trigger
# (test only) copies every version of every lease row into public.lease_history, so the race test
# can check the database's own history as well as what the gates printed.

bats_require_minimum_version 1.5.0

source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"
source "$BATS_TEST_DIRNAME/../lib/helpers.bash"

setup_file() {
    pgcluster_require || return 1
    export LEASE="${SYNCPIPE_BUILD:?set SYNCPIPE_BUILD to the meson build dir}/tools/lease/sync-lease"
    export SNAPSHOT="$SYNCPIPE_BUILD/tools/snapshot/sync-snapshot"
    export CYCLE="$BATS_TEST_DIRNAME/../../systemd/syncpipe-cycle"
    [[ -x "$LEASE" && -x "$SNAPSHOT" ]] || { echo "not built: $LEASE or $SNAPSHOT" >&2; return 1; }
    export DB="leasetest_$$_$RANDOM"
    pgcluster_migrate "$DB"
    pgcluster_state_home "$DB"
    pgcluster_service_password "$DB"
    export DSN="host=127.0.0.1 port=$PGPORT dbname=$DB user=sync_service"
    admin "
    CREATE TABLE public.lease_history (
        id bigserial PRIMARY KEY, cluster_id text, holder text, epoch bigint,
        acquired_at timestamptz, expires_at timestamptz, released_at timestamptz);
    CREATE FUNCTION public.lease_history_fn() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog AS \$\$
    BEGIN
        INSERT INTO public.lease_history (cluster_id, holder, epoch, acquired_at, expires_at, released_at)
        VALUES (NEW.cluster_id, NEW.holder, NEW.epoch, NEW.acquired_at, NEW.expires_at, NEW.released_at);
        RETURN NEW;
    END \$\$;
    CREATE TRIGGER lease_history AFTER INSERT OR UPDATE ON sync_metadata.leader_election
        FOR EACH ROW EXECUTE FUNCTION public.lease_history_fn();"
}

teardown_file() {
    dropdb --if-exists --force -- "$DB"
}

teardown() {
    local pid
    for pid in ${BG_PIDS:-}; do # process groups this test started (setsid), by their id
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
    BG_PIDS=""
}

# admin SQL — as the superuser over the socket, one transaction.
admin() {
    printf '%s\n' "$1" | psql -X -q -At -v ON_ERROR_STOP=1 --single-transaction -d "$DB" -f -
}

# lease SUBCOMMAND ARGS... — sync-lease as sync_service (password only in the passfile).
lease() {
    PGPASSFILE="$SERVICE_PASSFILE" "$LEASE" "$1" --dsn "$DSN" "${@:2}"
}

# gate CLUSTER NODE [ARGS...]
gate() {
    lease gate --cluster "$1" --node "$2" "${@:3}"
}

# The libpq environment of a node: what syncpipe-cycle and its psql see under systemd.
node_env() {
    env PGHOST=127.0.0.1 PGPORT="$PGPORT" PGDATABASE="$DB" PGUSER=sync_service PGPASSFILE="$SERVICE_PASSFILE" \
        "$@"
}

lease_row() { # lease_row CLUSTER — holder|epoch|valid
    admin "SELECT holder || '|' || epoch || '|' || (expires_at > clock_timestamp())
             FROM sync_metadata.leader_election WHERE cluster_id = '$1'"
}

expire() { # expire CLUSTER — the lease runs out now, as if its TTL had passed (no sleep to wait for it)
    admin "UPDATE sync_metadata.leader_election SET expires_at = clock_timestamp() - interval '1 ms'
            WHERE cluster_id = '$1'"
}

db_expires() { # db_expires CLUSTER — expires_at as sync-lease prints it
    admin "SELECT to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')
             FROM sync_metadata.leader_election WHERE cluster_id = '$1'"
}

json_field() { # json_field JSON KEY
    python3 -c 'import json, sys; v = json.loads(sys.argv[1])[sys.argv[2]]; print(json.dumps(v) if not isinstance(v, str) else v)' "$1" "$2"
}

@test "gate: the first acquisition prints a lease stream (lease record, trailer) with the DB's expiry" {
    run --separate-stderr gate G1 node-a --ttl 20
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2 ]
    [[ "${lines[0]}" =~ ^\{\"t\":\"lease\",\"cluster\":\"G1\",\"holder\":\"node-a\",\"epoch\":1,\"expires_at\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z\"\}$ ]]
    [[ "${lines[1]}" =~ ^\{\"t\":\"trailer\",\"records\":1,\"checksum\":\"[0-9a-f]+\"\}$ ]]
    [ "$(json_field "${lines[0]}" expires_at)" = "$(db_expires G1)" ]
    [[ "$stderr" == *"node-a: leader of cluster G1, epoch 1"* ]]
    run -0 admin "SELECT round(extract(epoch FROM expires_at - acquired_at)) FROM sync_metadata.leader_election
                   WHERE cluster_id = 'G1'"
    [ "$output" = 20 ]
}

@test "gate: standby exits 10 with nothing on stdout; the holder's renewal keeps the epoch" {
    run -0 --separate-stderr gate G2 node-a
    local first="${lines[0]}"
    run --separate-stderr gate G2 node-b
    [ "$status" -eq 10 ]
    [ -z "$output" ]
    [[ "$stderr" == *"node-b: standby for cluster G2: held by node-a (epoch 1)"* ]]
    sleep 0.05
    run -0 --separate-stderr gate G2 node-a
    [ "$(json_field "${lines[0]}" epoch)" = 1 ]
    [[ "$(json_field "${lines[0]}" expires_at)" > "$(json_field "$first" expires_at)" ]]
    [ "$(lease_row G2)" = "node-a|1|true" ]
}

@test "gate: its output is a valid stream; sync-snapshot puts the lease record first" {
    sqlite3 "$BATS_TEST_TMPDIR/some.db" "CREATE TABLE \"user\" (id TEXT PRIMARY KEY, name TEXT);
                                         INSERT INTO \"user\" VALUES ('u1', 'Ann'), ('u2', 'Bo');"
    run -0 --separate-stderr gate G3 node-a
    local lease_line="${lines[0]}"
    gate G3 node-a 2>/dev/null >"$BATS_TEST_TMPDIR/lease.ndjson"
    lease_line="$(head -n1 "$BATS_TEST_TMPDIR/lease.ndjson")"
    run -0 --separate-stderr "$SNAPSHOT" --client x "$BATS_TEST_TMPDIR/some.db" <"$BATS_TEST_TMPDIR/lease.ndjson"
    [ "${lines[0]}" = "$lease_line" ]
    [[ "${lines[1]}" == '{"t":"header","v":1,"client":"x","host":"G3",'*'"adhoc":false,'* ]]
    [[ "${lines[-1]}" == '{"t":"trailer","records":7,'* ]]
    # and the same through a pipe, the way syncpipe-cycle and the docs run it (read to the end: the
    # snapshot sends its first records at once, and a reader that leaves early is a broken pipe)
    run -0 bash -c 'set -o pipefail; PGPASSFILE="$SERVICE_PASSFILE" "$LEASE" gate --dsn "$DSN" --cluster G3 --node node-a 2>/dev/null |
                    "$SNAPSHOT" --client x "$1" 2>/dev/null | sed -n 1p' _ "$BATS_TEST_TMPDIR/some.db"
    [[ "$output" == '{"t":"lease","cluster":"G3","holder":"node-a","epoch":1,'* ]]
}

@test "release ends the lease without deleting it; re-acquiring (even by the same node) takes a new epoch" {
    run -0 --separate-stderr gate G4 node-a
    run -0 --separate-stderr lease release --cluster G4 --node node-b
    [[ "$stderr" == *"node-b: did not hold the lease of cluster G4"* ]]
    [ "$(lease_row G4)" = "node-a|1|true" ]
    run -0 --separate-stderr lease release --cluster G4 --node node-a
    [[ "$stderr" == *"node-a: released the lease of cluster G4 (epoch 1)"* ]]
    [ -z "$output" ]
    run -0 admin "SELECT holder, epoch, released_at IS NOT NULL, expires_at <= clock_timestamp()
                    FROM sync_metadata.leader_election WHERE cluster_id = 'G4'"
    [ "$output" = "node-a|1|t|t" ]
    run -0 --separate-stderr gate G4 node-a
    [ "$(json_field "${lines[0]}" epoch)" = 2 ]
    run -0 admin "SELECT released_at IS NULL FROM sync_metadata.leader_election WHERE cluster_id = 'G4'"
    [ "$output" = t ]
    run -0 lease release --cluster G4 --node node-a
    run -0 --separate-stderr gate G4 node-b
    [ "$(json_field "${lines[0]}" epoch)" = 3 ]
    run -0 lease release --cluster G4 --node node-a # not ours any more: still 0
    [ "$(lease_row G4)" = "node-b|3|true" ]
}

@test "an expired lease taken again by its own holder gets a new epoch; another node takes it after expiry" {
    run -0 --separate-stderr gate G5 node-a --ttl 20
    expire G5
    run -0 --separate-stderr gate G5 node-a --ttl 20
    [ "$(json_field "${lines[0]}" epoch)" = 2 ]
    run -10 gate G5 node-b
    expire G5
    run -0 --separate-stderr gate G5 node-b --ttl 20
    [ "$(json_field "${lines[0]}" epoch)" = 3 ]
    [ "$(lease_row G5)" = "node-b|3|true" ]
}

@test "a restarted former leader becomes standby while the lease is held, and keeps its hosts row" {
    run -0 --separate-stderr gate G6 node-a --ttl 0.3
    run -0 admin "SELECT registered_at FROM sync_metadata.hosts WHERE host_id = 'G6' AND node_name = 'node-a'"
    local registered="$output"
    sleep 0.5 # node-a "dies" and misses its renewals
    run -0 --separate-stderr gate G6 node-b --ttl 20
    [ "$(json_field "${lines[0]}" epoch)" = 2 ]
    run --separate-stderr gate G6 node-a # node-a is back
    [ "$status" -eq 10 ]
    [ -z "$output" ]
    [ "$(lease_row G6)" = "node-b|2|true" ]
    run -0 admin "SELECT count(*), min(registered_at)::text = '$registered',
                         bool_and(last_heartbeat > clock_timestamp() - interval '5 seconds')
                    FROM sync_metadata.hosts WHERE host_id = 'G6' AND node_name = 'node-a'"
    [ "$output" = "1|t|t" ]
}

@test "heartbeat: standby nodes register too; show reports holder, epoch, expiry and nodes (text and --json)" {
    run -0 lease show --cluster G7
    [[ "$output" == *"leader   none (never held)"* ]]
    run -0 --separate-stderr gate G7 node-a
    run -10 gate G7 node-b
    run -0 admin "SELECT string_agg(node_name || ':' || (hostname IS NOT NULL) || ':' || status, ',' ORDER BY node_name)
                    FROM sync_metadata.hosts WHERE host_id = 'G7'"
    [ "$output" = "node-a:true:active,node-b:true:active" ]
    run -0 lease show --cluster G7
    [[ "${lines[0]}" == "cluster  G7" ]]
    [[ "${lines[1]}" == "leader   node-a (epoch 1, expires in "* ]]
    [[ "${lines[2]}" == "node     node-a "*"heartbeat "[0-9]" s ago"*"active"*"leader" ]]
    [[ "${lines[3]}" == "node     node-b "*"active"* ]]
    [[ "${lines[3]}" != *leader* ]]
    run -0 lease show --cluster G7 --json
    run -0 python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["cluster"] == "G7" and d["holder"] == "node-a" and d["epoch"] == 1 and d["valid"] is True, d
assert 15 < d["expires_in_seconds"] <= 20, d
assert [(n["node"], n["leader"], n["health"]) for n in d["nodes"]] == [("node-a", True, "active"), ("node-b", False, "active")], d
assert all(n["heartbeat_age_seconds"] <= 5 for n in d["nodes"]), d
print("ok")' "$output"
    run -0 lease release --cluster G7 --node node-a
    run -0 lease show --cluster G7 --json
    [ "$(json_field "$output" holder)" = null ]
    [ "$(json_field "$output" last_holder)" = node-a ]
    run -0 lease show --cluster G7
    [[ "${lines[1]}" == "leader   none (released "*"last holder node-a, epoch 1)" ]]
}

# bats test_tags=ld_preload
@test "clock: a node running under a shifted clock (faketime) decides nothing differently" {
    command -v faketime >/dev/null || { echo "faketime is missing: apt-get install faketime" >&2; return 1; }
    # the shift really reaches the tool's process
    [[ "$(faketime -f '+3d' date -u +%F)" == "$(date -u -d '+3 days' +%F)" ]]
    run -0 --separate-stderr gate G8 node-a --ttl 20
    # node-b a day ahead: the lease is not expired for it
    run --separate-stderr faketime -f '+1d' env PGPASSFILE="$SERVICE_PASSFILE" "$LEASE" gate --dsn "$DSN" --cluster G8 --node node-b
    [ "$status" -eq 10 ]
    [ -z "$output" ]
    # node-a a day behind renews: the new expiry is the database's now + TTL, not its own
    run -0 --separate-stderr faketime -f '-1d' env PGPASSFILE="$SERVICE_PASSFILE" "$LEASE" gate --dsn "$DSN" --cluster G8 --node node-a --ttl 20
    local renewed="${lines[0]}"
    [ "$(json_field "$renewed" epoch)" = 1 ]
    run -0 admin "SELECT abs(extract(epoch FROM expires_at - (clock_timestamp() + interval '20 seconds'))) < 3600
                    FROM sync_metadata.leader_election WHERE cluster_id = 'G8'"
    [ "$output" = t ]
    [ "$(json_field "$renewed" expires_at)" = "$(db_expires G8)" ]
    # and a fresh acquisition under a shifted clock starts at the database's time too
    run -0 lease release --cluster G8 --node node-a
    run -0 --separate-stderr faketime -f '+7d' env PGPASSFILE="$SERVICE_PASSFILE" "$LEASE" gate --dsn "$DSN" --cluster G8 --node node-b --ttl 20
    [ "$(json_field "${lines[0]}" epoch)" = 2 ]
    run -0 admin "SELECT abs(extract(epoch FROM acquired_at - clock_timestamp())) < 3600, last_heartbeat IS NOT NULL
                    FROM sync_metadata.leader_election l JOIN sync_metadata.hosts h
                      ON h.host_id = l.cluster_id AND h.node_name = 'node-b' WHERE l.cluster_id = 'G8'"
    [ "$output" = "t|t" ]
    run -0 admin "SELECT abs(extract(epoch FROM last_heartbeat - clock_timestamp())) < 3600
                    FROM sync_metadata.hosts WHERE host_id = 'G8' ORDER BY node_name"
    [ "$output" = "t
t" ]
}

@test "lock timeout: a lease row locked by a frozen load makes a gate standby, not hang, until the server ends that load" {
    run -0 --separate-stderr gate G9 node-a --ttl 0.2
    sleep 0.3 # expired: node-b may take over, but node-a's frozen sync-load still holds FOR SHARE on the row
    admin "UPDATE sync_metadata.hosts SET last_heartbeat = NULL WHERE host_id = 'G9'"
    # the frozen load, as sync-load fences: row lock, then idle in transaction (SIGSTOPped) with a
    # transaction-local idle_in_transaction_session_timeout below the TTL
    setsid bash -c 'echo $$ >"$0"; { printf "%s\n" "BEGIN;" "SET LOCAL idle_in_transaction_session_timeout = 2500;" \
        "SELECT 1 FROM sync_metadata.leader_election WHERE cluster_id = '"'G9'"' FOR SHARE;"; sleep 20; } |
        psql -X -q -d "$DB" >/dev/null 2>&1' "$BATS_TEST_TMPDIR/frozen.pid" 3>&- &
    disown
    sleep 0.7
    BG_PIDS="$(cat "$BATS_TEST_TMPDIR/frozen.pid")"
    local t0=$SECONDS
    run --separate-stderr gate G9 node-b --lock-timeout-ms 300
    [ "$status" -eq 10 ]
    [ -z "$output" ]
    [[ "$stderr" == *"lease row locked for more than 300 ms"* ]]
    ((SECONDS - t0 <= 3))
    run -0 admin "SELECT node_name FROM sync_metadata.hosts WHERE host_id = 'G9' AND last_heartbeat IS NOT NULL"
    [ "$output" = node-b ]
    sleep 2.5 # the server has ended the idle transaction: the lock is gone
    run -0 --separate-stderr gate G9 node-b --lock-timeout-ms 300
    [ "$(json_field "${lines[0]}" epoch)" = 2 ]
}

@test "race: parallel gates over 1200 iterations — epochs strictly increase, validity windows never overlap" {
    local dir="$BATS_TEST_TMPDIR/race" n nodes=(n1 n2 n3 n4) per=300
    mkdir -p "$dir"
    race() { # race NODE — `per` gates with a short TTL and random pauses
        local i rc
        for ((i = 0; i < per; i++)); do
            rc=0
            PGPASSFILE="$SERVICE_PASSFILE" "$LEASE" gate --dsn "$DSN" --cluster RACE --node "$1" --ttl 0.15 \
                >>"$dir/$1.out" 2>>"$dir/$1.err" || rc=$?
            echo "$rc" >>"$dir/$1.rc"
            # a winner mostly pauses past its TTL, so the next gates race for an expired lease;
            # sometimes it comes back in time and renews
            if ((rc == 0 && RANDOM % 4 != 0)); then sleep 0.2; else sleep "0.0$((RANDOM % 6))"; fi
        done
    }
    local pids=()
    for n in "${nodes[@]}"; do
        race "$n" &
        pids+=("$!")
    done
    wait "${pids[@]}"
    admin "SELECT cluster_id, holder, epoch, to_char(acquired_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
                  to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')
             FROM public.lease_history WHERE cluster_id = 'RACE' ORDER BY id" >"$dir/history"
    run python3 - "$dir" "${nodes[@]}" <<'PY'
import json, re, sys
from collections import defaultdict
d, nodes = sys.argv[1], sys.argv[2:]
rx = re.compile(r"^sync-lease: (\S+): leader of cluster RACE, epoch (\d+), acquired (\S+), expires (\S+)$")
wins, total = [], 0
for n in nodes:
    rcs = open(f"{d}/{n}.rc").read().split()
    total += len(rcs)
    assert set(rcs) <= {"0", "10"}, f"{n}: unexpected exit codes {set(rcs)}"
    leader_lines = [m.groups() for m in map(rx.match, open(f"{d}/{n}.err").read().splitlines()) if m]
    records = [json.loads(l) for l in open(f"{d}/{n}.out").read().splitlines()]
    leases = [r for r in records if r["t"] == "lease"]
    assert len(leases) == rcs.count("0") == len(leader_lines), (n, len(leases), rcs.count("0"), len(leader_lines))
    assert len([r for r in records if r["t"] == "trailer"]) == len(leases)
    for rec, (node, epoch, acq, exp) in zip(leases, leader_lines):
        assert rec["holder"] == node == n and rec["epoch"] == int(epoch) and rec["expires_at"] == exp, (rec, node)
        wins.append((int(epoch), node, acq, exp))
assert total >= 1000, total
by_epoch = defaultdict(list)
for e, node, acq, exp in wins:
    by_epoch[e].append((node, acq, exp))
epochs = sorted(by_epoch)
# every acquisition printed its lease: no epoch is missing
assert epochs == list(range(epochs[0], epochs[-1] + 1)), "epochs are not contiguous"
windows = []
for e in epochs:
    holders = {h for h, _, _ in by_epoch[e]}
    acquired = {a for _, a, _ in by_epoch[e]}
    assert len(holders) == 1 and len(acquired) == 1, (e, holders, acquired)
    windows.append((e, holders.pop(), acquired.pop(), max(x for _, _, x in by_epoch[e])))
changes = 0
for (e1, h1, a1, x1), (e2, h2, a2, x2) in zip(windows, windows[1:]):
    assert a2 > a1, f"epoch {e2} acquired at {a2}, not after epoch {e1} at {a1}"
    assert a2 >= x1, f"overlap: epoch {e1} ({h1}) valid until {x1}, epoch {e2} ({h2}) from {a2}"
    changes += h1 != h2
# the database's own history: in commit order the epoch never decreases, and a new epoch starts only
# after the previous version of the row had expired
prev = None
for line in open(f"{d}/history").read().splitlines():
    _, holder, epoch, acq, exp = line.split("|")
    cur = (int(epoch), holder, acq, exp)
    if prev:
        assert cur[0] >= prev[0], (prev, cur)
        if cur[0] > prev[0]:
            assert cur[0] == prev[0] + 1 and acq >= prev[3], (prev, cur)
        else:
            assert holder == prev[1] and acq == prev[2] and exp >= prev[3], (prev, cur)
    prev = cur
assert len(windows) >= 50 and changes >= 25, f"too few takeovers to mean anything: {len(windows)} epochs, {changes} holder changes"
print(f"{total} gates, {len(wins)} successes, {len(windows)} epochs, {changes} holder changes, no overlap")
PY
    echo "$output"
    [ "$status" -eq 0 ]
    echo "# race: $output" >&3
}


holds() { [[ "$(lease_row "$1")" == "$2|"*"|true" ]]; }

db_clock() { admin "SELECT extract(epoch FROM clock_timestamp())"; }

@test "failover: kill node-a's timer loop; node-b's next cycle takes over within TTL + interval (measured)" {
    local ttl=3 interval=1 log="$BATS_TEST_TMPDIR/cycles.log"
    make_stubs # only its bin dir with sync-lease is used: the cluster has no tenant
    # a node's timer: syncpipe-cycle, pause, again (the cluster has no tenant: a cycle is the gate)
    start_node() { # start_node NODE — sets NODE_PID (not in $(...): the loop would hold its pipe)
        rm -f "$BATS_TEST_TMPDIR/$1.pid"
        node_env SYNCPIPE_BINDIR="$STUB_DIR/bin" SYNCPIPE_TTL="$ttl" setsid bash -c \
            'echo $$ >"$4.tmp" && mv "$4.tmp" "$4"; while :; do "$0" F1 "$1"; echo "$1 exit $?"; sleep "$3"; done >>"$2" 2>&1' \
            "$CYCLE" "$1" "$log" "$interval" "$BATS_TEST_TMPDIR/$1.pid" </dev/null 3>&- &
        disown
        wait_for 5 test -s "$BATS_TEST_TMPDIR/$1.pid"
        NODE_PID="$(cat "$BATS_TEST_TMPDIR/$1.pid")" # a session leader: its pid is its process group
        BG_PIDS="${BG_PIDS:-} $NODE_PID"
    }
    start_node node-a
    local pid_a="$NODE_PID"
    wait_for 10 holds F1 node-a
    start_node node-b
    sleep 2.5
    holds F1 node-a
    grep -q 'F1/node-b: standby' "$log"
    grep -q 'node-b exit 10' "$log"
    grep -q 'F1/node-a: leader; no tenant due' "$log"
    local epoch_a
    epoch_a="$(lease_row F1 | cut -d'|' -f2)"

    kill -KILL -- "-$pid_a" # node-a dies (its whole process group: loop, cycle, gate)
    local killed
    killed="$(db_clock)"
    wait_for $((ttl + interval + 10)) holds F1 node-b
    local took failover
    took="$(admin "SELECT extract(epoch FROM acquired_at) FROM sync_metadata.leader_election WHERE cluster_id = 'F1'")"
    failover="$(awk -v a="$took" -v k="$killed" 'BEGIN { printf "%.2f", a - k }')"
    echo "# failover: node-b took over ${failover} s after node-a was killed (bound: TTL $ttl s + interval $interval s = $((ttl + interval)) s, + 1 s for a cycle's own run time)" >&3
    awk -v f="$failover" -v b="$((ttl + interval + 1))" 'BEGIN { exit !(f > 0 && f <= b) }'
    [ "$(lease_row F1 | cut -d'|' -f2)" = $((epoch_a + 1)) ]

    # node-a restarts while node-b holds the lease: it becomes standby
    run node_env SYNCPIPE_BINDIR="$STUB_DIR/bin" SYNCPIPE_TTL="$ttl" "$CYCLE" F1 node-a
    [ "$status" -eq 10 ]
    [[ "$output" == *"F1/node-a: standby"* ]]
    holds F1 node-b
}

# A bin dir with the real sync-lease and sync-snapshot and stand-ins for the later stages, which
# record what they were given: sync-load keeps its whole input as load-CLIENT.ndjson and exits
# with $STUB_LOAD_EXIT_CLIENT (default 0) after $STUB_LOAD_SLEEP seconds.
make_stubs() {
    export STUB_DIR="$BATS_TEST_TMPDIR/stub"
    mkdir -p "$STUB_DIR/bin"
    ln -s "$LEASE" "$STUB_DIR/bin/sync-lease"
    ln -s "$SNAPSHOT" "$STUB_DIR/bin/sync-snapshot"
    ln -s "$SYNCPIPE_BUILD/tools/jobs/sync-jobs" "$STUB_DIR/bin/sync-jobs"
    printf '#!/usr/bin/env bash\nexec cat\n' >"$STUB_DIR/bin/sync-diff"
    printf '#!/usr/bin/env bash\nprintf "%%s\\n" "$*" >>"$STUB_DIR/resolve.args"\nexec cat\n' >"$STUB_DIR/bin/sync-resolve"
    cat >"$STUB_DIR/bin/sync-load" <<'STUB'
#!/usr/bin/env bash
f="$STUB_DIR/load.$$"
cat >"$f"
client="$(sed -n '2s/.*"client":"\([^"]*\)".*/\1/p' "$f")"
mv "$f" "$STUB_DIR/load-$client.ndjson"
sleep "${STUB_LOAD_SLEEP:-0}"
code="STUB_LOAD_EXIT_$client"
exit "${!code:-0}"
STUB
    chmod +x "$STUB_DIR/bin/"*
}

cycle() { # cycle CLUSTER NODE [VAR=VALUE...] — syncpipe-cycle with the stub stages, one tenant at a time
    node_env SYNCPIPE_BINDIR="$STUB_DIR/bin" SYNCPIPE_JOBS=1 "${@:3}" "$CYCLE" "$1" "$2"
}

@test "syncpipe-cycle: the leader runs every enabled tenant of its host with the lease first in the stream" {
    make_stubs
    local src="$BATS_TEST_TMPDIR/src"
    mkdir -p "$src"
    for t in a1 a3 z1; do
        sqlite3 "$src/$t.db" "CREATE TABLE chat (id TEXT PRIMARY KEY, title TEXT); INSERT INTO chat VALUES ('c1', '$t');"
    done
    admin "
    INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name, source_path, sync_enabled, archived_at)
    VALUES ('a1', 'CY', 's_a1', '$src/a1.db', true, NULL),
           ('a2', 'CY', 's_a2', '$src/missing.db', true, NULL),
           ('a3', 'CY', 's_a3', '$src/a3.db', true, NULL),
           ('a4', 'CY', 's_a4', '$src/a1.db', false, NULL),
           ('a5', 'CY', 's_a5', '$src/a1.db', false, now()),
           ('z1', 'CZ', 's_z1', '$src/z1.db', true, NULL);"
    run cycle CY node-a SYNCPIPE_RESOLVE_CONFIG=/etc/syncpipe/resolve.conf
    echo "$output"
    [ "$status" -eq 66 ] # a2's source is missing; the others still ran
    [[ "$output" == *"tenant a1: exit 0 (snapshot 0, diff 0, resolve 0, load 0)"* ]]
    [[ "$output" == *"tenant a2: cannot read $src/missing.db; not run"* ]]
    [[ "$output" == *"tenant a3: exit 0 (snapshot 0, diff 0, resolve 0, load 0)"* ]]
    [ "$(cd "$STUB_DIR" && ls load-*.ndjson | tr '\n' ' ')" = "load-a1.ndjson load-a3.ndjson " ]
    local epoch t
    epoch="$(lease_row CY | cut -d'|' -f2)"
    for t in a1 a3; do
        run -0 head -n2 "$STUB_DIR/load-$t.ndjson"
        [[ "${lines[0]}" == "{\"t\":\"lease\",\"cluster\":\"CY\",\"holder\":\"node-a\",\"epoch\":$epoch,"* ]]
        [[ "${lines[1]}" == "{\"t\":\"header\",\"v\":1,\"client\":\"$t\",\"host\":\"CY\",\"schema\":\"s_$t\",\"source\":\"$src/$t.db\","*'"adhoc":false'* ]]
        tail -n1 "$STUB_DIR/load-$t.ndjson" | grep -q '^{"t":"trailer"'
    done
    [ "$(sort -u "$STUB_DIR/resolve.args")" = "--config /etc/syncpipe/resolve.conf" ]

    # the standby runs nothing
    rm -f "$STUB_DIR"/load-*
    run cycle CY node-b
    [ "$status" -eq 10 ]
    [[ "$output" == *"CY/node-b: standby"* ]]
    [ -z "$(compgen -G "$STUB_DIR/load-*")" ]

    # fenced: the cycle stops at once and later tenants do not run
    run cycle CY node-a STUB_LOAD_EXIT_a1=11
    [ "$status" -eq 11 ]
    [[ "$output" == *"tenant a1: exit 11 (snapshot 0, diff 0, resolve 0, load 11)"* ]]
    [[ "$output" == *"fenced: this node no longer holds the lease"* ]]
    [ ! -e "$STUB_DIR/load-a3.ndjson" ]

    # manual conflicts left (2) still count as a finished cycle; a failing stage is reported by pipefail
    admin "UPDATE sync_metadata.client_deployments SET source_path = '$src/a3.db' WHERE client_id = 'a2'"
    run cycle CY node-a STUB_LOAD_EXIT_a1=2
    [ "$status" -eq 0 ]
    [[ "$output" == *"tenant a1: exit 2 "* ]]
    run cycle CY node-a STUB_LOAD_EXIT_a2=1
    [ "$status" -eq 1 ]
    [[ "$output" == *"tenant a2: exit 1 (snapshot 0, diff 0, resolve 0, load 1)"* ]]
    [[ "$output" == *"tenant a3: exit 0 "* ]]
}

@test "syncpipe-cycle: a cycle longer than the TTL keeps its lease (background renewal keeps the epoch)" {
    make_stubs
    local src="$BATS_TEST_TMPDIR/long.db"
    sqlite3 "$src" "CREATE TABLE chat (id TEXT PRIMARY KEY); INSERT INTO chat VALUES ('c1');"
    admin "INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name, source_path)
           VALUES ('long1', 'CL', 's_long1', '$src')"
    cycle CL node-a SYNCPIPE_TTL=1.5 SYNCPIPE_RENEW_SECONDS=0.4 STUB_LOAD_SLEEP=4 >"$BATS_TEST_TMPDIR/long.log" 2>&1 3>&- &
    local pid=$!
    sleep 2.5 # beyond the TTL of the first gate
    run gate CL node-b --ttl 1.5
    local standby=$status
    wait "$pid"
    cat "$BATS_TEST_TMPDIR/long.log"
    [ "$standby" -eq 10 ]
    run ! grep -q 'renewal exited' "$BATS_TEST_TMPDIR/long.log"
    [ "$(lease_row CL)" = "node-a|1|true" ]
    run -0 admin "SELECT count(*) > 3 FROM public.lease_history WHERE cluster_id = 'CL' AND holder = 'node-a' AND epoch = 1"
    [ "$output" = t ]
}

@test "usage: bad or missing arguments exit 64; an unreachable server exits 75; nothing on stdout" {
    run --separate-stderr "$LEASE"
    [ "$status" -eq 64 ]
    run --separate-stderr "$LEASE" frobnicate
    [ "$status" -eq 64 ]
    [[ "$stderr" == *"unknown subcommand 'frobnicate'"* ]]
    run --separate-stderr lease gate --node n
    [ "$status" -eq 64 ]
    [[ "$stderr" == *"--cluster is required"* ]]
    run --separate-stderr lease gate --cluster c --node ''
    [ "$status" -eq 64 ]
    run --separate-stderr lease gate --cluster c --node n --ttl 0
    [ "$status" -eq 64 ]
    run --separate-stderr lease gate --cluster c --node n --lock-timeout-ms 0
    [ "$status" -eq 64 ]
    run --separate-stderr lease show
    [ "$status" -eq 64 ]
    run --separate-stderr "$LEASE" gate --cluster c --node n --dsn "host=127.0.0.1 port=1 dbname=x user=sync_service connect_timeout=2"
    [ "$status" -eq 75 ]
    [ -z "$output" ]
    run -64 --separate-stderr "$CYCLE" onlyone
}

@test "man page: sync-lease(1) documents every option of every subcommand's --help and every exit code" {
    local page="$BATS_TEST_DIRNAME/../../man/sync-lease.1.scd" sub opt code
    [ -f "$page" ]
    for sub in gate release show; do
        run -0 "$LEASE" "$sub" --help
        for opt in $(grep -oE -- '--[a-z][a-z-]+' <<<"$output" | sort -u); do
            grep -qF -- "*$opt*" "$page" || { echo "sync-lease $sub: $opt is not in the man page" >&2; return 1; }
        done
    done
    for code in $(sed -n 's/.*inline constexpr int k[A-Za-z]* = \([0-9]*\);.*/\1/p' \
        "$BATS_TEST_DIRNAME/../../lib/core/exit_codes.hpp"); do
        grep -qxE "\\|[[:space:]]+$code" "$page" || { echo "exit code $code is not in the man page" >&2; return 1; }
    done
}

@test "syncpipe-cycle with the real stages: node-a loads, hands over, node-b goes on from PostgreSQL's state" {
    local bin="$BATS_TEST_TMPDIR/bin" src="$BATS_TEST_TMPDIR/e2e.db" t
    mkdir -p "$bin" "$BATS_TEST_TMPDIR/state-a" "$BATS_TEST_TMPDIR/state-b"
    for t in lease snapshot diff resolve load jobs; do
        [[ -x "$SYNCPIPE_BUILD/tools/$t/sync-$t" ]] || { echo "not built: sync-$t" >&2; return 1; }
        ln -s "$SYNCPIPE_BUILD/tools/$t/sync-$t" "$bin/"
    done
    sqlite3 "$src" "CREATE TABLE \"user\" (id TEXT PRIMARY KEY, name TEXT, updated_at INTEGER);
                    INSERT INTO \"user\" VALUES ('u1', 'Ann', 1), ('u2', 'Bo', 2);"
    # provisioning is an admin act (superuser over the socket); it registers the tenant for host E2E
    "$SNAPSHOT" --client e2e --no-lease --host E2E "$src" 2>/dev/null |
        "$SYNCPIPE_BUILD/tools/load/sync-load" --provision --dsn "dbname=$DB" 2>/dev/null
    node() { # node NAME — one cycle of that node, with its own state directory
        node_env SYNCPIPE_BINDIR="$bin" STATE_DIRECTORY="$BATS_TEST_TMPDIR/state-${1#node-}" "$CYCLE" E2E "$1"
    }
    run node node-a
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"tenant e2e: exit 0 (snapshot 0, diff 0, resolve 0, load 0)"* ]]
    run -10 node node-b
    sqlite3 "$src" "INSERT INTO \"user\" VALUES ('u3', 'Cy', 3); UPDATE \"user\" SET name = 'Anna', updated_at = 4 WHERE id = 'u1';"
    run -0 lease release --cluster E2E --node node-a # planned handover
    run -0 node_env SYNCPIPE_BINDIR="$bin" "$CYCLE" --force E2E e2e # due now, not after its interval
    run node node-b
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"tenant e2e: exit 0 (snapshot 0, diff 0, resolve 0, load 0)"* ]]
    run -10 node node-a
    run -0 admin "SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM e2e.\"user\""
    [ "$output" = "u1:Anna,u2:Bo,u3:Cy" ]
    run -0 admin "SELECT string_agg(node_name || ':' || epoch || ':' || status, ',' ORDER BY job_id)
                    FROM sync_metadata.sync_jobs WHERE client_id = 'e2e'"
    [ "$output" = "node-a:1:success,node-b:2:success" ]
}
