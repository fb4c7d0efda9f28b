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

setup_file() {
    if [[ -z "${PGCLUSTER_DIR:-}" || -z "${PGPORT:-}" ]]; then
        echo "no cluster: run under tests/lib/pgcluster.sh run" >&2
        return 1
    fi
    export LEASE="${SYNCPIPE_BUILD:?set SYNCPIPE_BUILD to the meson build dir}/tools/lease/sync-lease"
    export SNAPSHOT="$SYNCPIPE_BUILD/tools/snapshot/sync-snapshot"
    export CYCLE="$BATS_TEST_DIRNAME/../../systemd/syncpipe-cycle"
    [[ -x "$LEASE" && -x "$SNAPSHOT" ]] || { echo "not built: $LEASE or $SNAPSHOT" >&2; return 1; }
    export DB="leasetest_$$_$RANDOM"
    pgcluster_migrate "$DB"
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
        PGSERVICE= PGSERVICEFILE=/nonexistent "$@"
}

lease_row() { # lease_row CLUSTER — holder|epoch|valid
    admin "SELECT holder || '|' || epoch || '|' || (expires_at > clock_timestamp())
             FROM sync_metadata.leader_election WHERE cluster_id = '$1'"
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
    [[ "${lines[-1]}" == '{"t":"trailer","records":6,'* ]]
    # and the same through a pipe, the way syncpipe-cycle and the docs run it
    run -0 bash -c 'set -o pipefail; PGPASSFILE="$SERVICE_PASSFILE" "$LEASE" gate --dsn "$DSN" --cluster G3 --node node-a 2>/dev/null |
                    "$SNAPSHOT" --client x "$1" 2>/dev/null | head -n1' _ "$BATS_TEST_TMPDIR/some.db"
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
    run -0 --separate-stderr gate G5 node-a --ttl 0.5
    sleep 0.7
    run -0 --separate-stderr gate G5 node-a --ttl 2
    [ "$(json_field "${lines[0]}" epoch)" = 2 ]
    run -10 gate G5 node-b
    sleep 2.2
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
    [[ "${lines[2]}" == "node     node-a "*"heartbeat 0 s ago"*"active"*"leader" ]]
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
    run -0 admin "SELECT abs(extract(epoch FROM expires_at - (clock_timestamp() + interval '20 seconds'))) < 5
                    FROM sync_metadata.leader_election WHERE cluster_id = 'G8'"
    [ "$output" = t ]
    [ "$(json_field "$renewed" expires_at)" = "$(db_expires G8)" ]
    # and a fresh acquisition under a shifted clock starts at the database's time too
    run -0 lease release --cluster G8 --node node-a
    run -0 --separate-stderr faketime -f '+7d' env PGPASSFILE="$SERVICE_PASSFILE" "$LEASE" gate --dsn "$DSN" --cluster G8 --node node-b --ttl 20
    [ "$(json_field "${lines[0]}" epoch)" = 2 ]
    run -0 admin "SELECT abs(extract(epoch FROM acquired_at - clock_timestamp())) < 5, last_heartbeat IS NOT NULL
                    FROM sync_metadata.leader_election l JOIN sync_metadata.hosts h
                      ON h.host_id = l.cluster_id AND h.node_name = 'node-b' WHERE l.cluster_id = 'G8'"
    [ "$output" = "t|t" ]
    run -0 admin "SELECT abs(extract(epoch FROM last_heartbeat - clock_timestamp())) < 5
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
    setsid bash -c '{ printf "%s\n" "BEGIN;" "SET LOCAL idle_in_transaction_session_timeout = 2500;" \
        "SELECT 1 FROM sync_metadata.leader_election WHERE cluster_id = '"'G9'"' FOR SHARE;"; sleep 20; } |
        psql -X -q -d "$DB" >/dev/null 2>&1' &
    BG_PIDS="$!"
    sleep 0.7
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
            sleep "0.0$((RANDOM % 10))"
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
assert len(windows) >= 30 and changes >= 20, f"too few takeovers to mean anything: {len(windows)} epochs, {changes} holder changes"
print(f"{total} gates, {len(wins)} successes, {len(windows)} epochs, {changes} holder changes, no overlap")
PY
    echo "$output"
    [ "$status" -eq 0 ]
    echo "# race: $output" >&3
}
