#!/usr/bin/env bats
# sync-snapshot over real SQLite files: both Open WebUI schema lineages, key
# choice for old peewee-born files, hostile names, broken files, the lease on
# stdin, read-only-ness (file bytes, journal mode, no side files) and
# consistency under a concurrent writer in WAL and rollback-journal mode.
#
#   SYNCPIPE_BUILD=/path/to/build bats tests/cli/snapshot.bats
#
# Needs sqlite3, jq and python3 (the trailer checksum is checked through
# libxxhash with ctypes). No PostgreSQL.

bats_require_minimum_version 1.5.0
source "$BATS_TEST_DIRNAME/../lib/helpers.bash"

setup_file() {
    export SNAP="${SYNCPIPE_BUILD:?set SYNCPIPE_BUILD to the meson build dir}/tools/snapshot/sync-snapshot"
    [[ -x "$SNAP" ]] || { echo "not built: $SNAP" >&2; return 1; }
    export GEN="$SYNCPIPE_BUILD/tests/gen/syncpipe-gen"
    export FIX="${SHARED_DIR:-$BATS_TEST_DIRNAME/../../../shared}/fixtures/openwebui"
    [[ -f "$FIX/webui-schema.sql" ]] || { echo "no fixtures in $FIX" >&2; return 1; }
    for tool in sqlite3 jq python3; do
        command -v "$tool" >/dev/null || { echo "$tool is required" >&2; return 1; }
    done
    export STREAM_PY="$BATS_FILE_TMPDIR/stream.py"
    cat >"$STREAM_PY" <<'PY'
# stream.py check FILE: every line is a JSON object with "t"; the last line is
#   a trailer whose count and XXH3-64 checksum match the lines before it.
# stream.py wrap: stdin lines -> the same lines plus a valid trailer.
import ctypes, json, sys
xxh = ctypes.CDLL("libxxhash.so.0")
xxh.XXH3_64bits.restype = ctypes.c_uint64
xxh.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
def sum64(b): return "%016x" % xxh.XXH3_64bits(b, len(b))
if sys.argv[1] == "wrap":
    body = b"".join(l if l.endswith(b"\n") else l + b"\n" for l in sys.stdin.buffer)
    n = body.count(b"\n")
    sys.stdout.buffer.write(body + b'{"t":"trailer","records":%d,"checksum":"%s"}\n' % (n, sum64(body).encode()))
    sys.exit(0)
data = open(sys.argv[2], "rb").read()
if not data.endswith(b"\n"): sys.exit("no final line feed")
lines = data[:-1].split(b"\n")
for i, l in enumerate(lines, 1):
    rec = json.loads(l)
    if not isinstance(rec, dict) or not isinstance(rec.get("t"), str): sys.exit(f"line {i}: no type")
    if rec["t"] == "trailer" and i != len(lines): sys.exit(f"line {i}: trailer before the end")
last = json.loads(lines[-1])
if last.get("t") != "trailer": sys.exit("no trailer")
body = data[: len(data) - len(lines[-1]) - 1]
if last["records"] != len(lines) - 1: sys.exit(f"trailer says {last['records']}, saw {len(lines) - 1}")
if last["checksum"] != sum64(body): sys.exit("bad checksum")
PY
}

# mkdb NAME SQLFILE...: a fresh database in the test's temp dir; prints its path.
mkdb() {
    local db="$BATS_TEST_TMPDIR/$1"
    shift
    cat "$@" | sqlite3 "$db" >/dev/null
    echo "$db"
}

# snap FILE [ARGS]: an ad-hoc snapshot into $out; stderr into $err; returns its status.
snap() {
    local db="$1"
    shift
    out="$BATS_TEST_TMPDIR/out.ndjson"
    err="$BATS_TEST_TMPDIR/err.txt"
    "$SNAP" --client acme --no-lease "$@" "$db" >"$out" 2>"$err"
}

check_stream() { python3 "$STREAM_PY" check "$1"; }

# jq over the whole stream as one array.
jqs() { jq -sc "$@" "$out"; }

# The table record of table $1.
table_rec() { jqs --arg t "$1" '.[] | select(.t == "table" and .table == $t)'; }

@test "alembic-born schema: a valid stream, 43 tables, all keyed by their primary key" {
    db=$(mkdb alembic.db "$FIX/webui-schema.sql")
    snap "$db"
    check_stream "$out"
    [ "$(jqs '[.[] | select(.t == "table")] | length')" = 43 ]
    [ "$(jqs '[.[] | select(.t == "table_end")] | length')" = 43 ]
    [ "$(jqs '[.[] | select(.t == "table") | .key_source] | unique')" = '["primary_key"]' ]
    [ "$(jqs '.[0] | [.t, .v, .client, .schema, .adhoc, .source]')" = "[\"header\",1,\"acme\",\"acme\",true,\"$db\"]" ]
    [ "$(table_rec folder | jq -c .key)" = '["id","user_id"]' ]
    [ "$(table_rec tag | jq -c .key)" = '["id","user_id"]' ]
    # the one row of alembic_version
    [ "$(jqs '[.[] | select(.t == "row")] | map(.table + "=" + .v[0])')" = '["alembic_version=d4c1a8e37b62"]' ]
    grep -q '43 tables, 1 rows' "$err"
}

@test "peewee-born schema: a valid stream, 44 tables, all keyed by their primary key" {
    db=$(mkdb peewee.db "$FIX/webui-schema-upgraded-from-peewee.sql")
    snap "$db"
    check_stream "$out"
    [ "$(jqs '[.[] | select(.t == "table")] | length')" = 44 ]
    [ "$(jqs '[.[] | select(.t == "table") | .key_source] | unique')" = '["primary_key"]' ]
    [ "$(table_rec migratehistory | jq -c .key)" = '["id"]' ]
    # peewee's DATETIME declaration is reported as declared
    [ "$(table_rec chat | jq -r '.columns[] | select(.name == "created_at") | .decl')" = DATETIME ]
}

@test "peewee-born file older than v0.9.6: unique index chat_id as key, rowid for a table with neither" {
    python3 - "$FIX/webui-schema-upgraded-from-peewee.sql" >"$BATS_TEST_TMPDIR/old.sql" <<'PY'
import sys
s = open(sys.argv[1]).read()
old = ",\n\tCONSTRAINT pk_chat PRIMARY KEY (id)\n"
assert old in s
print(s.replace(old, "\n"))
PY
    cat >"$BATS_TEST_TMPDIR/rows.sql" <<'SQL'
INSERT INTO chat(id, user_id, title, archived, created_at, updated_at) VALUES
  ('c1', 'u1', 'first', 0, 1700000000, 1700000001), ('c2', 'u1', 'second', 0, 1700000002, 1700000003);
CREATE TABLE legacy(a TEXT, b INTEGER);
INSERT INTO legacy VALUES ('x', 1), ('y', 2), ('z', 3);
DELETE FROM legacy WHERE a = 'y';
CREATE TABLE nullable_unique(x TEXT);
CREATE UNIQUE INDEX nullable_unique_x ON nullable_unique(x);
INSERT INTO nullable_unique VALUES ('only');
SQL
    db=$(mkdb old.db "$BATS_TEST_TMPDIR/old.sql" "$BATS_TEST_TMPDIR/rows.sql")
    [ "$(sqlite3 "$db" "SELECT count(*) FROM pragma_table_info('chat') WHERE pk > 0")" = 0 ]
    snap "$db"
    check_stream "$out"
    [ "$(table_rec chat | jq -c '[.key, .key_source]')" = '[["id"],"unique_index:chat_id"]' ]
    [ "$(jqs '[.[] | select(.t == "row" and .table == "chat") | .kh] | unique | length')" = 2 ]
    # neither key nor usable unique index: the rowid becomes a synthetic last column and the key
    [ "$(table_rec legacy | jq -c '[.key, .key_source, .columns[-1].name, .columns[-1].decl, (.columns | length)]')" \
        = '[["_sqlite_rowid"],"rowid","_sqlite_rowid","INTEGER",3]' ]
    [ "$(jqs -r '[.[] | select(.t == "row" and .table == "legacy") | .v | tostring] | join(" ")')" = '["x",1,1] ["z",3,3]' ]
    # a unique index over a nullable column is not a key
    [ "$(table_rec nullable_unique | jq -r .key_source)" = rowid ]
    # the other pre-v0.9.6 tables in this file still have their primary key
    [ "$(table_rec user | jq -r .key_source)" = primary_key ]
}

@test "hostile table and column names and every value class are read exactly" {
    cat >"$BATS_TEST_TMPDIR/hostile.sql" <<'SQL'
CREATE TABLE "user"(id TEXT PRIMARY KEY, "group" TEXT, "we""ird" TEXT, "semi;colon" INTEGER, "new
line" REAL, "select" BLOB);
CREATE TABLE "group"(id TEXT, "user" TEXT, PRIMARY KEY ("user", id));
CREATE TABLE "t""ab; DROP TABLE ""user"";--"(k INTEGER PRIMARY KEY, v TEXT);
CREATE TABLE "multi
line"(a TEXT NOT NULL, b TEXT);
CREATE UNIQUE INDEX "idx ""q"";" ON "multi
line"(a);
INSERT INTO "user" VALUES ('u1', 'g', 'q"uote', 9223372036854775807, 0.1, x'00ff');
-- SQLite itself stores the REAL -0.0 as 0.0 (integral reals go to disk as integers)
INSERT INTO "user" VALUES ('u2', NULL, '', -9223372036854775808, -0.0, x'');
INSERT INTO "user" VALUES ('u3', 'null', CAST(x'610062' AS TEXT), 9007199254740993, 1e300, NULL);
INSERT INTO "user" VALUES ('u4', CAST(x'ff' AS TEXT), 'caf' || char(233), 1, 1.0, 'text in blob col');
INSERT INTO "group" VALUES ('g1', 'u1'), ('g1', 'u2');
INSERT INTO "t""ab; DROP TABLE ""user"";--" VALUES (1, 'drop me not');
INSERT INTO "multi
line" VALUES ('a1', 'b1');
SQL
    db=$(mkdb hostile.db "$BATS_TEST_TMPDIR/hostile.sql")
    snap "$db"
    check_stream "$out"
    [ "$(jqs '[.[] | select(.t == "table") | .table]')" = '["group","multi\nline","t\"ab; DROP TABLE \"user\";--","user"]' ]
    [ "$(table_rec user | jq -c '[.columns[].name]')" = '["id","group","we\"ird","semi;colon","new\nline","select"]' ]
    [ "$(table_rec group | jq -c .key)" = '["user","id"]' ]
    [ "$(table_rec $'multi\nline' | jq -c '[.key, .key_source]')" = '[["a"],"unique_index:idx \"q\";"]' ]
    [ "$(jqs -r '.[] | select(.t == "row" and .table == "t\"ab; DROP TABLE \"user\";--") | .v[1]')" = 'drop me not' ]
    # values, compared on the raw bytes of the stream (jq 1.6 rounds big integers)
    grep -qF '"v":["u1","g","q\"uote",9223372036854775807,0.1,{"blob":"AP8="}]' "$out"
    grep -qF '"v":["u2",null,"",-9223372036854775808,0.0,{"blob":""}]' "$out"
    grep -qF '"v":["u3","null","a\u0000b",9007199254740993,1e+300,null]' "$out"
    grep -qF '"v":["u4",{"text_b64":"/w=="},"café",1,1.0,"text in blob col"]' "$out"
    # the file was only read
    [ "$(sqlite3 "$db" 'SELECT count(*) FROM "user"')" = 4 ]
}

@test "row and key hashes: same row, same hash; composite key order matters" {
    db=$(mkdb h.db <(printf '%s\n' \
        "CREATE TABLE a(x TEXT, y TEXT, PRIMARY KEY (x, y));" \
        "CREATE TABLE b(x TEXT, y TEXT, PRIMARY KEY (x, y));" \
        "INSERT INTO a VALUES ('p', 'q'), ('q', 'p');" \
        "INSERT INTO b VALUES ('p', 'q');"))
    snap "$db"
    [ "$(jqs '[.[] | select(.t == "row" and .table == "a") | .kh] | unique | length')" = 2 ]
    # same key values in another table: another key hash
    ka=$(jqs -r '.[] | select(.t == "row" and .table == "a" and .v[0] == "p") | .kh')
    kb=$(jqs -r '.[] | select(.t == "row" and .table == "b") | .kh')
    [ "$ka" != "$kb" ]
    # same column names and values: the same row hash
    ha=$(jqs -r '.[] | select(.t == "row" and .table == "a" and .v[0] == "p") | .h')
    hb=$(jqs -r '.[] | select(.t == "row" and .table == "b") | .h')
    [ "$ha" = "$hb" ]
    # stable across runs
    first=$(jqs -c '[.[] | select(.t == "row") | [.kh, .h]]')
    snap "$db"
    [ "$(jqs -c '[.[] | select(.t == "row") | [.kh, .h]]')" = "$first" ]
}

# expect_error CODE FILE: snap fails with CODE and one stderr line naming FILE.
expect_error() {
    local code="$1" db="$2"
    run -"$code" snap "$db"
    [ "$(wc -l <"$err")" = 1 ]
    grep -q "^sync-snapshot: error: $db: " "$err"
    # whatever reached stdout has no trailer, so no later stage accepts it
    ! grep -q '"t":"trailer"' "$out"
}

@test "a corrupt, a truncated and a non-SQLite file exit 65 naming the file; a missing file 66" {
    db=$(mkdb good.db "$FIX/webui-schema.sql")
    for i in $(seq 1 200); do
        echo "INSERT INTO chat(id, meta, chat) VALUES ('c$i', '{}', printf('%.2000c', 'x'));"
    done | sqlite3 "$db"
    snap "$db"
    # corrupt: overwrite the root page of chat
    cp "$db" "$BATS_TEST_TMPDIR/corrupt.db"
    root=$(sqlite3 "$db" "SELECT rootpage FROM sqlite_master WHERE name = 'chat'")
    psize=$(sqlite3 "$db" 'PRAGMA page_size')
    head -c "$psize" /dev/zero | tr '\0' '\377' |
        dd of="$BATS_TEST_TMPDIR/corrupt.db" bs="$psize" seek=$((root - 1)) conv=notrunc status=none
    expect_error 65 "$BATS_TEST_TMPDIR/corrupt.db"
    grep -q 'malformed' "$err"
    # truncated
    cp "$db" "$BATS_TEST_TMPDIR/trunc.db"
    truncate -s $(($(stat -c %s "$db") / 2)) "$BATS_TEST_TMPDIR/trunc.db"
    expect_error 65 "$BATS_TEST_TMPDIR/trunc.db"
    # not SQLite at all
    printf 'SQLite format 2\0 is not what this is\n%.0s' $(seq 100) >"$BATS_TEST_TMPDIR/text.db"
    expect_error 65 "$BATS_TEST_TMPDIR/text.db"
    # empty file: SQLite would call it an empty database; a snapshot refuses it
    : >"$BATS_TEST_TMPDIR/empty.db"
    expect_error 65 "$BATS_TEST_TMPDIR/empty.db"
    [ ! -s "$out" ]
    # missing
    expect_error 66 "$BATS_TEST_TMPDIR/missing.db"
    [ ! -e "$BATS_TEST_TMPDIR/missing.db" ]
}

@test "without --no-lease and no lease on stdin: exit 65 naming stdin, nothing on stdout" {
    db=$(mkdb a.db "$FIX/webui-schema.sql")
    run -65 --separate-stderr "$SNAP" --client acme "$db" </dev/null
    [ -z "$output" ]
    [[ "$stderr" == "sync-snapshot: error: stdin"*"--no-lease"* ]]
    [ "${#stderr_lines[@]}" = 1 ]
    # a valid stream that does not start with a lease
    printf '%s\n' '{"t":"header","v":1}' | python3 "$STREAM_PY" wrap >"$BATS_TEST_TMPDIR/nolease"
    run -65 --separate-stderr "$SNAP" --client acme "$db" <"$BATS_TEST_TMPDIR/nolease"
    [ -z "$output" ]
    [[ "$stderr" == "sync-snapshot: error: stdin:1: "*"lease"* ]]
    # a lease stream without its trailer (sync-lease died)
    printf '%s\n' '{"t":"lease","cluster":"h1","holder":"node-a","epoch":3,"expires_at":"x"}' \
        >"$BATS_TEST_TMPDIR/cut"
    run -65 --separate-stderr "$SNAP" --client acme "$db" <"$BATS_TEST_TMPDIR/cut"
    [ -z "$output" ]
    [[ "$stderr" == "sync-snapshot: error: stdin:2: truncated"* ]]
}

@test "a lease on stdin is forwarded byte for byte and makes the header non-adhoc" {
    db=$(mkdb a.db "$FIX/webui-schema.sql")
    lease='{"t":"lease","cluster":"host-7","holder":"node-a","epoch":12,"expires_at":"2026-11-25T10:00:00Z","future":{"x":[1]}}'
    printf '%s\n' "$lease" | python3 "$STREAM_PY" wrap >"$BATS_TEST_TMPDIR/lease"
    out="$BATS_TEST_TMPDIR/out.ndjson"
    "$SNAP" --client acme --schema tenant_acme "$db" <"$BATS_TEST_TMPDIR/lease" >"$out"
    check_stream "$out"
    [ "$(head -n1 "$out")" = "$lease" ]
    [ "$(jqs -c '.[1] | [.t, .host, .schema, .adhoc]')" = '["header","host-7","tenant_acme",false]' ]
    # --host must agree with the lease
    run -64 --separate-stderr "$SNAP" --client acme --host other "$db" <"$BATS_TEST_TMPDIR/lease"
    [[ "$stderr" == *"host-7"* ]]
}

@test "--exclude-table, --max-record-bytes, --help, bad options" {
    db=$(mkdb a.db "$FIX/webui-schema.sql")
    echo "INSERT INTO chat(id, meta, chat) VALUES ('big', '{}', printf('%.5000c', 'x'));" | sqlite3 "$db"
    snap "$db" --exclude-table chat --exclude-table user
    check_stream "$out"
    [ "$(jqs '[.[] | select(.t == "table")] | length')" = 41 ]
    run -65 snap "$db" --max-record-bytes 4000
    grep -q 'table "chat": row 1 .* over --max-record-bytes 4000' "$err"
    run -0 "$SNAP" --help
    [[ "$output" == *"--no-lease"* ]]
    run -64 "$SNAP" --no-lease "$db"
    run -64 "$SNAP" --client acme --no-lease
    run -64 "$SNAP" --client acme --no-lease --bogus "$db"
    run -64 "$SNAP" --client acme --no-lease --max-record-bytes 0 "$db"
    run -64 "$SNAP" --client acme --no-lease --max-record-bytes 18446744073709551615 "$db"
}

# sha256 and mtime of a file, or "absent".
fingerprint() { if [[ -e "$1" ]]; then echo "$(sha256sum <"$1") $(stat -c %Y.%y "$1")"; else echo absent; fi; }
journal_bytes() { od -An -tu1 -j18 -N2 "$1" | tr -s ' '; }

@test "rollback-journal file: bytes unchanged, no -journal/-wal/-shm created, journal mode kept" {
    db=$(mkdb rb.db "$FIX/webui-schema-upgraded-from-peewee.sql")
    echo "INSERT INTO config(\"key\", value) VALUES ('k', '1');" | sqlite3 "$db"
    [ "$(journal_bytes "$db")" = " 1 1" ]
    before=$(fingerprint "$db")
    snap "$db"
    check_stream "$out"
    [ "$(fingerprint "$db")" = "$before" ]
    for side in -journal -wal -shm; do [ ! -e "$db$side" ]; done
    [ "$(journal_bytes "$db")" = " 1 1" ]
}

@test "WAL file: main file and WAL unchanged (no checkpoint), still WAL, committed WAL frames are read" {
    db=$(mkdb wal.db "$FIX/webui-schema.sql" <(echo "PRAGMA journal_mode=WAL;"))
    [ "$(journal_bytes "$db")" = " 2 2" ]
    # A connection that stays open keeps its commit in the WAL, not in the file.
    fifo="$BATS_TEST_TMPDIR/fifo"
    mkfifo "$fifo"
    sqlite3 "$db" <"$fifo" >/dev/null &
    holder=$!
    exec 7>"$fifo"
    echo "PRAGMA wal_autocheckpoint=0; INSERT INTO config(\"key\", value) VALUES ('in-wal', 42);" >&7
    for _ in $(seq 50); do [[ -s "$db-wal" ]] && break; sleep 0.1; done
    sleep 0.3
    main_before=$(fingerprint "$db")
    wal_before=$(fingerprint "$db-wal")
    snap "$db"
    status_snap=$?
    main_after=$(fingerprint "$db")
    wal_after=$(fingerprint "$db-wal")
    exec 7>&-
    wait "$holder"
    [ "$status_snap" = 0 ]
    check_stream "$out"
    [ "$(jqs -c '[.[] | select(.t == "row" and .table == "config") | .v[0:2]]')" = '[["in-wal",42]]' ]
    [ "$main_after" = "$main_before" ]
    [ "$wal_after" = "$wal_before" ]
    [ "$(journal_bytes "$db")" = " 2 2" ]
    [ "$(sqlite3 "$db" 'PRAGMA journal_mode')" = wal ]
}

# --- consistency under a concurrent writer ----------------------------------

# The writer's invariant, read from one snapshot: "chats messages counter".
invariant() {
    jq -rs '
      def col($t; $c): (map(select(.t == "table" and .table == $t))[0].columns | map(.name) | index($c));
      def rows($t): map(select(.t == "row" and .table == $t) | .v);
      col("chat"; "id") as $ci | col("chat_message"; "id") as $mi |
      col("config"; "key") as $ki | col("config"; "value") as $vi |
      [ (rows("chat") | map(select(.[$ci] | startswith("w-"))) | length),
        (rows("chat_message") | map(select(.[$mi] | startswith("w-"))) | length),
        ((rows("config") | map(select(.[$ki] == "syncpipe.test.counter")) | .[0][$vi]) // 0 | tonumber) ]
      | map(tostring) | join(" ")' "$1"
}

# Fallback when syncpipe-gen is not built: one transaction per step, the
# same invariant as `syncpipe-gen writer`.
sh_writer() {
    local db="$1" seconds="$2" n=0
    local end=$((SECONDS + seconds))
    while ((SECONDS < end)); do
        n=$((n + 1))
        sqlite3 -cmd '.timeout 10000' "$db" "BEGIN IMMEDIATE;
          INSERT INTO chat(id, user_id, title, meta, chat) VALUES ('w-$n', 'u', 't', '{}', '{}');
          INSERT INTO chat_message(id, chat_id, role) VALUES ('w-$n-m', 'w-$n', 'user');
          INSERT INTO config(\"key\", value) VALUES ('syncpipe.test.counter', $n)
            ON CONFLICT(\"key\") DO UPDATE SET value = excluded.value;
          COMMIT;" || return 1
        ((n % 20)) || sleep 0.1  # pauses, so rollback-journal readers get in
    done
}

# concurrent_snapshots MODE: snapshots in a loop while a writer commits.
concurrent_snapshots() {
    local mode="$1" db="$BATS_TEST_TMPDIR/conc.db" seconds=6
    shift  # the rest: more sync-snapshot options
    restarted=0 stepped=0 locked=0
    if [[ -x "$GEN" ]]; then
        "$GEN" create --schema-sql "$FIX/webui-schema.sql" --out "$db" --journal "$mode" \
            --users 3 --chats-per-user 20 >/dev/null 2>&1
        # Bursts with short pauses: a rollback-journal writer that commits
        # back to back starves readers, and the snapshots must overlap writes.
        (
            for _ in $(seq $((seconds * 2))); do
                "$GEN" writer --db "$db" --seconds 0.4 >/dev/null || exit 1
                sleep 0.1
            done
        ) 2>"$BATS_TEST_TMPDIR/writer.err" &
    else
        sqlite3 "$db" <"$FIX/webui-schema.sql" >/dev/null
        [[ "$mode" == wal ]] && sqlite3 "$db" 'PRAGMA journal_mode=WAL' >/dev/null
        sh_writer "$db" "$seconds" 2>"$BATS_TEST_TMPDIR/writer.err" &
    fi
    local writer=$! seen=()
    runs=0
    while kill -0 "$writer" 2>/dev/null || ((runs < 3)); do
        snap "$db" "$@" || { cat "$err" >&2; kill "$writer" 2>/dev/null; return 1; }
        if grep -q '([1-9][0-9]* restarts' "$err"; then restarted=$((restarted + 1)); fi
        if grep -q 'copied [0-9]* pages in' "$err"; then stepped=$((stepped + 1)); fi
        if grep -q 'copied [0-9]* bytes unlocked' "$err"; then locked=$((locked + 1)); fi
        check_stream "$out"
        read -r chats msgs counter < <(invariant "$out")
        echo "snapshot $runs: chats=$chats messages=$msgs counter=$counter" >&2
        [[ "$chats" == "$counter" && "$msgs" == "$counter" ]] || { kill "$writer" 2>/dev/null; return 1; }
        seen+=("$counter")
        runs=$((runs + 1))
    done
    wait "$writer" || { cat "$BATS_TEST_TMPDIR/writer.err" >&2; return 1; }
    # the snapshots really overlapped the writes (in rollback-journal mode the
    # writer wins most lock races, so there are few snapshots)
    local distinct
    distinct=$(printf '%s\n' "${seen[@]}" | sort -u | wc -l)
    echo "$runs snapshots, $distinct distinct counters" >&2
    ((runs >= 3 && distinct >= 3))
    [ "$(journal_bytes "$db")" = "$([[ $mode == wal ]] && echo ' 2 2' || echo ' 1 1')" ]
}

@test "consistency: every snapshot taken during concurrent writes (WAL) satisfies the writer's invariant" {
    concurrent_snapshots wal
}

@test "consistency: every snapshot taken during concurrent writes (rollback journal) satisfies the invariant" {
    concurrent_snapshots delete
}

@test "the man page documents every option of --help" {
    page="$BATS_TEST_DIRNAME/../../man/sync-snapshot.1.scd"
    [ -f "$page" ]
    opts=$("$SNAP" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
    [ -n "$opts" ]
    for o in $opts; do
        grep -qF -- "*$o*" "$page" || { echo "not in the page: $o" >&2; return 1; }
    done
}

# --- the app comes first: the file's lock is not held while the stream waits --

# A snapshot of $db whose consumer never reads: it is started in the
# background with stdout on a FIFO that this shell holds open but does not
# read, and returns once the snapshot is blocked writing to that full pipe.
# Sets $stalled (its pid).
stalled_snapshot() {
    local db="$1"
    shift
    fifo="$BATS_TEST_TMPDIR/stream.fifo"
    mkfifo "$fifo"
    exec 8<>"$fifo"  # a reader that never reads: the pipe fills and stays full
    "$SNAP" --client acme --no-lease "$@" "$db" >"$fifo" 2>"$BATS_TEST_TMPDIR/stalled.err" &
    stalled=$!
    wait_for 60 blocked_on_pipe "$stalled"
}
blocked_on_pipe() { [[ "$(cat "/proc/$1/wchan" 2>/dev/null)" == *pipe_write ]]; }  # anon_pipe_write on 6.x
end_stalled() {
    [[ -n "${stalled:-}" ]] || return 0
    kill "$stalled" 2>/dev/null || true
    wait "$stalled" 2>/dev/null || true
    stalled=
    exec 8<&-
}
teardown() { end_stalled; }  # also when a test fails before it ends the snapshot
# app_write DB TIMEOUT_MS: one Open WebUI-like write with a busy timeout.
app_write() {
    sqlite3 -cmd ".timeout $2" "$1" \
        "INSERT INTO config(\"key\", value) VALUES ('app-write-$RANDOM$RANDOM', '1')"
}
big_rollback_db() {
    db="$BATS_TEST_TMPDIR/app.db"
    "$GEN" create --schema-sql "$FIX/webui-schema.sql" --out "$db" --journal delete \
        --users 3 --chats-per-user 20 >/dev/null
    [ "$(journal_bytes "$db")" = " 1 1" ]
    [ "$(stat -c %s "$db")" -gt 1048576 ]  # far more than a pipe holds
}

@test "rollback journal: an app writer commits while the snapshot's consumer does not read" {
    [[ -x "$GEN" ]] || skip "syncpipe-gen is not built"
    big_rollback_db
    stalled_snapshot "$db"
    run app_write "$db" 5000  # Open WebUI's busy timeout
    end_stalled
    echo "$output"
    [ "$status" = 0 ]
    [ "$(sqlite3 "$db" "SELECT count(*) FROM config WHERE \"key\" LIKE 'app-write-%'")" = 1 ]
    [ "$(journal_bytes "$db")" = " 1 1" ]
}

@test "--copy never: the snapshot holds the lock until read, so the same writer is locked out" {
    [[ -x "$GEN" ]] || skip "syncpipe-gen is not built"
    big_rollback_db
    stalled_snapshot "$db" --copy never
    run app_write "$db" 500
    end_stalled
    [ "$status" != 0 ]
    [[ "$output" == *"database is locked"* ]]
}

@test "the scratch copy leaves nothing in --copy-dir, even killed; a WAL file is read in place" {
    [[ -x "$GEN" ]] || skip "syncpipe-gen is not built"
    big_rollback_db
    copies="$BATS_TEST_TMPDIR/copies"
    mkdir "$copies"
    stalled_snapshot "$db" --copy-dir "$copies"
    # removed once open: the stalled run reads it through its descriptor
    [ -z "$(ls -A "$copies")" ]
    [ "$(find "/proc/$stalled/fd" -lname "$copies/*copy.db (deleted)" | wc -l)" = 1 ]
    end_stalled
    [ -z "$(ls -A "$copies")" ]
    snap "$db" --copy-dir "$copies" -v
    check_stream "$out"
    grep -q 'copied [0-9]* \(pages\|bytes\)' "$err"
    [ -z "$(ls -A "$copies")" ]
    # the rows of the copy are the rows of the file
    [ "$(jqs '[.[] | select(.t == "row" and .table == "chat")] | length')" = \
        "$(sqlite3 "$db" 'SELECT count(*) FROM chat')" ]
    sqlite3 "$db" 'PRAGMA journal_mode=WAL' >/dev/null
    snap "$db" --copy-dir "$copies" -v
    check_stream "$out"
    run ! grep -q 'copied' "$err"
    [ -z "$(ls -A "$copies")" ]
    run "$SNAP" --client acme --no-lease --copy sometimes "$db"
    [ "$status" = 64 ]
    [[ "$output" == *"--copy must be auto, always or never"* ]]
}

@test "a scratch copy left by a killed run is removed by the next run; by default it is made in /dev/shm" {
    big_rollback_db
    copies="$BATS_TEST_TMPDIR/copies"
    mkdir "$copies"
    # a run killed while copying left its directory; its pid is gone
    local dead
    dead=$(sh -c 'echo $$')
    run ! kill -0 "$dead"
    mkdir "$copies/sync-snapshot.$dead.AbCdEf"
    echo torn >"$copies/sync-snapshot.$dead.AbCdEf/copy.db"
    # a running one's (this shell's), and a name without a pid, are left alone
    mkdir "$copies/sync-snapshot.$$.GhIjKl" "$copies/sync-snapshot.XyZabc"
    snap "$db" --copy always --copy-dir "$copies" -v
    check_stream "$out"
    [ ! -e "$copies/sync-snapshot.$dead.AbCdEf" ]
    [ -d "$copies/sync-snapshot.$$.GhIjKl" ] && [ -d "$copies/sync-snapshot.XyZabc" ]
    grep -q "sync-snapshot.$dead.AbCdEf: removed the scratch copy of a run that was killed (pid $dead)" "$err"
    # without --copy-dir a file that fits in memory is copied into /dev/shm, not $TMPDIR: writing a
    # tenant-sized file to the tenant's disk stalls the app's fsyncs while it is written back
    TMPDIR="$copies" snap "$db" --copy always -v
    check_stream "$out"
    grep -q "into /dev/shm; the file is no longer locked" "$err"
    [ "$(ls -A "$copies" | wc -l)" = 2 ]
}

@test "consistency: 1-page copy steps under concurrent writes give consistent snapshots" {
    [[ -x "$GEN" ]] || skip "syncpipe-gen is not built"
    concurrent_snapshots delete --copy-step-pages 1 -v
    # every snapshot says how it copied: stepwise, or (when writes kept
    # restarting it) in two passes, the second under one lock; which one depends on timing: reported only
    [ $((stepped + locked)) -eq "$runs" ]
    echo "$stepped stepwise, $locked under one lock, $restarted restarted after a write" >&2
}

@test "rowid names shadowed by columns: another name of the rowid, else the row content with duplicates counted" {
    db=$(mkdb shadow.db "$FIX/webui-schema.sql")
    sqlite3 "$db" "CREATE TABLE half(\"_ROWID_\" TEXT, v INTEGER);
        INSERT INTO half VALUES ('a', 1), ('a', 1);
        CREATE TABLE shadowed(RowId TEXT, oid INTEGER, _rowid_ BLOB, v REAL);
        INSERT INTO shadowed VALUES ('x', 1, 1, 0.5), ('x', 1, 1, 0.5), (NULL, NULL, NULL, NULL),
                                    ('x', 1, '1', 0.5), ('y', 2, NULL, 1e300), ('x', 1, 1, 0.5);"
    snap "$db"
    check_stream "$out"
    # one name left: the real rowid under it, not the column
    [ "$(table_rec half | jq -c '[.key, .key_source]')" = '[["_sqlite_rowid"],"rowid"]' ]
    [ "$(jqs -c '[.[] | select(.t == "row" and .table == "half") | .v]')" = '[["a",1,1],["a",1,2]]' ]
    # none left: the key is the row content plus a count of identical rows
    [ "$(table_rec shadowed | jq -c '[.key, .key_source, .columns[-1].name, .columns[-1].decl]')" = \
        '[["_sqlite_row"],"row_content","_sqlite_row","TEXT"]' ]
    [ "$(jqs '[.[] | select(.t == "row" and .table == "shadowed")] | length')" = 6 ]
    [ "$(jqs '[.[] | select(.t == "row" and .table == "shadowed") | .kh] | unique | length')" = 6 ]
    # the three identical rows are -1, -2, -3 of one content hash; '1' (TEXT, kept as such by the BLOB
    # affinity of _rowid_) is another content than 1
    [ "$(jqs -r '[.[] | select(.t == "row" and .table == "shadowed") | .v[4] | split("-")[1]] | sort | join(",")')" = \
        "1,1,1,1,2,3" ]
    [ "$(jqs '[.[] | select(.t == "row" and .table == "shadowed") | .v[4] | split("-")[0]] | unique | length')" = 4 ]
    # the same file gives the same keys again (stable across runs)
    keys=$(jqs -c '[.[] | select(.t == "row" and .table == "shadowed") | .kh] | sort')
    snap "$db"
    [ "$(jqs -c '[.[] | select(.t == "row" and .table == "shadowed") | .kh] | sort')" = "$keys" ]
    # a table that already has the synthetic column's name is refused
    sqlite3 "$db" "CREATE TABLE clash(rowid, oid, _rowid_, _sqlite_row)"
    run ! snap "$db"
    grep -q 'table "clash" already has a column named _sqlite_row' "$err"
}
