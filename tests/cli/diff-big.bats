#!/usr/bin/env bats
# sync-diff with a 30 MB chat (issue 6): the row's "v" is forwarded as read
# on every path — a first sync's insert, an update of the big row, an
# update_update conflict that also carries the target row — within a memory
# bound, and what reaches PostgreSQL is byte-exact.

bats_require_minimum_version 1.5.0
source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"

setup_file() {
    pgcluster_require || return 1
    export DB="dbig_$$_$RANDOM" B="${SYNCPIPE_BUILD:?}" SHARED="${SHARED_DIR:-$BATS_TEST_DIRNAME/../../../shared}"
    export GEN="$B/tests/gen/syncpipe-gen" W="$BATS_FILE_TMPDIR" SYNCPIPE_HOST=h1
    pgcluster_migrate "$DB" >/dev/null
    pgcluster_state_home "$DB"
    "$GEN" create --schema-sql "$SHARED/fixtures/openwebui/webui-schema.sql" --out "$W/big.db" --users 3 \
        --chats-per-user 4 >/dev/null
    "$GEN" big --db "$W/big.db" --bytes 31457280 >/dev/null
    "$B/tools/snapshot/sync-snapshot" --client big --no-lease "$W/big.db" |
        "$B/tools/load/sync-load" --provision --dsn "dbname=$DB" >/dev/null 2>&1
}

teardown_file() { dropdb --if-exists --force -- "$DB"; }

setup() { [[ -x /usr/bin/time ]] || skip "GNU time is missing"; }

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }
BIG="id = 'big-31457280'"
# diff_to FILE — snapshot | sync-diff into FILE; sync-diff's peak RSS (KiB) into FILE.rss, its log into FILE.log
diff_to() {
    "$B/tools/snapshot/sync-snapshot" --client big --no-lease "$W/big.db" 2>/dev/null |
        /usr/bin/time -o "$1.rss" -f %M "$B/tools/diff/sync-diff" --dsn "dbname=$DB" --no-cache >"$1" 2>"$1.log"
}
apply() { "$B/tools/resolve/sync-resolve" <"$1" | "$B/tools/load/sync-load" --dsn "dbname=$DB" --no-cache; }
same_chat() {
    [ "$(sqlite3 "$W/big.db" "SELECT chat FROM chat WHERE $BIG" | head -c -1 | md5sum | cut -c1-32)" = \
        "$(q "SELECT md5(chat::text) FROM big.chat WHERE $BIG")" ]
}
# The "v" of the big chat's row in the snapshot and in sync-diff's record of type $2 are the same bytes.
same_v() {
    "$B/tools/snapshot/sync-snapshot" --client big --no-lease "$W/big.db" 2>/dev/null | python3 -c '
import sys
def v_of(line):  # the text of "v", up to the next top-level field (every writer puts "v" before the rest)
    i = line.index(b"\"v\":[") + 4
    depth, j, s, esc = 0, i, False, False
    while True:
        c = line[j:j + 1]
        if s:
            if esc: esc = False
            elif c == b"\\": esc = True
            elif c == b"\"": s = False
        elif c == b"\"": s = True
        elif c == b"[": depth += 1
        elif c == b"]":
            depth -= 1
            if depth == 0: return line[i:j + 1]
        j += 1
snap = [l for l in sys.stdin.buffer if b"big-31457280" in l and l.startswith(b"{\"t\":\"row\",\"table\":\"chat\"")]
out = [l for l in open(sys.argv[1], "rb")
       if b"big-31457280" in l and l.startswith(b"{\"t\":\"" + sys.argv[2].encode()) and b"\"table\":\"chat\"," in l[:80]]
assert len(snap) == 1 and len(out) == 1, (len(snap), len(out))
assert v_of(snap[0]) == v_of(out[0]) and len(v_of(snap[0])) > 31457280
' "$1" "$2"
}

# rss_below FILE KIB — the peak RSS in FILE is a number below KIB; in an ASan build (SYNCPIPE_SANITIZED=1,
# tests/meson.build) only a number: its peak is shadow memory and quarantine, not the tool's.
rss_below() {
    local kib
    kib="$(cat "$1")"
    [[ "$kib" =~ ^[0-9]+$ ]] || { echo "no peak RSS in $1: $kib" >&2; return 1; }
    [[ "${SYNCPIPE_SANITIZED:-0}" == 1 ]] && return 0
    ((kib < $2)) || { echo "peak RSS $kib KiB, bound $2 KiB" >&2; return 1; }
}

@test "first sync: the 30 MB row is forwarded as read, well under the memory bound" {
    diff_to "$W/d1"
    [[ "$(cat "$W/d1.log")" == *"inserts"* ]]
    same_v "$W/d1" change
    rss_below "$W/d1.rss" 120000
    apply "$W/d1"
    same_chat
}

@test "an update of the 30 MB row: one update record, no copy of the row kept per batch" {
    sqlite3 "$W/big.db" "UPDATE chat SET chat = json_set(chat, '\$.zz', 1) WHERE $BIG"
    diff_to "$W/d2"
    [[ "$(cat "$W/d2.log")" == *"1 updates"* ]]
    same_v "$W/d2" change
    rss_below "$W/d2.rss" 170000
    apply "$W/d2"
    same_chat
}

@test "an update_update conflict on the 30 MB row carries both rows" {
    sqlite3 "$W/big.db" "UPDATE chat SET chat = json_set(chat, '\$.zz', 2) WHERE $BIG"
    q "UPDATE big.chat SET title = 'changed in PostgreSQL' WHERE $BIG"
    diff_to "$W/d3"
    [[ "$(cat "$W/d3.log")" == *"1 conflicts"* ]]
    same_v "$W/d3" conflict
    grep -q '"target":\[.*"changed in PostgreSQL"' "$W/d3"
    rss_below "$W/d3.rss" 190000
}
