#!/usr/bin/env bash
# pgcluster.sh — a throwaway PostgreSQL 15 cluster for syncpipe's tests and benchmarks.
#
# Two ways to use it:
#   source tests/lib/pgcluster.sh
#   pgcluster_start                 # initdb + start; exports PGHOST PGPORT PGUSER PGDATABASE PGCLUSTER_DIR
#   pgcluster_migrate mydb          # createdb if missing, apply sql/*.sql in lexical order
#   pgcluster_service_db prefix     # a fresh migrated database; exports DB, SVC, PGPASSFILE, XDG_STATE_HOME
#   pgcluster_service_password mydb # password for role sync_service; exports SERVICE_PASSFILE
#   pgcluster_stop                  # stop the server and remove the directory
# or
#   tests/lib/pgcluster.sh run CMD [ARG...]   # start, export the env, run CMD, stop; exits with CMD's status
#
# Layout of $PGCLUSTER_DIR (owned by the postgres system user when we run as root):
#   data/  the cluster         sock/  unix socket dir (= PGHOST)
#   log    server log          pgpass passfile for sync_service (mode 0600, written by pgcluster_service_password)
#
# Authentication: `local all all trust` and `host all all 127.0.0.1/32 scram-sha-256`, so TCP
# connections need a real password (the service role's passfile); superuser work goes through the socket.
# PGPASSWORD is never exported.
#
# Environment read:
#   PGCLUSTER_PORT     TCP port on 127.0.0.1 (default: a free random port)
#   PGCLUSTER_BINDIR   PostgreSQL binaries (default: /usr/lib/postgresql/15/bin, else `pg_config --bindir`)
#   PGCLUSTER_SQL_DIR  migrations to apply (default: sql/ of this repository)
#   PGCLUSTER_TMPDIR   parent of the cluster dir (default: $TMPDIR or /tmp)

_pgcluster_self="${BASH_SOURCE[0]}"
_pgcluster_repo="$(cd "$(dirname "$_pgcluster_self")/../.." && pwd)"

_pgcluster_log() { printf 'pgcluster: %s\n' "$*" >&2; }

_pgcluster_bindir() {
    if [[ -n "${PGCLUSTER_BINDIR:-}" ]]; then
        printf '%s\n' "$PGCLUSTER_BINDIR"
    elif [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
        printf '%s\n' /usr/lib/postgresql/15/bin
    else
        pg_config --bindir
    fi
}

# Run a command as the postgres system user when we are root; as ourselves otherwise.
_pgcluster_as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# True when nothing accepts connections on 127.0.0.1:$1.
_pgcluster_port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

_pgcluster_pick_port() {
    local port tries=0
    while ((tries++ < 200)); do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        if _pgcluster_port_free "$port"; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    _pgcluster_log "no free TCP port found"
    return 1
}

_pgcluster_write_conf() {
    local dir="$1" port="$2"
    cat >>"$dir/data/postgresql.conf" <<EOF

# --- pgcluster.sh ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/sock'
max_connections = 200
fsync = on
password_encryption = 'scram-sha-256'
logging_collector = off
EOF
    cat >"$dir/data/pg_hba.conf" <<'EOF'
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  scram-sha-256
EOF
}

_pgcluster_initdb() {
    local bindir="$1" dir="$2"
    mkdir -p "$dir/sock" || return 1
    if [[ $(id -u) -eq 0 ]]; then
        chown -R postgres:postgres "$dir" || return 1
    fi
    chmod 700 "$dir" || return 1
    _pgcluster_as_owner "$bindir/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 --no-sync --no-instructions \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
}

# Start the server on $3; returns 2 when the port was taken (so the caller can try another).
_pgcluster_pg_ctl_start() {
    local bindir="$1" dir="$2" port="$3"
    sed -i '/^# --- pgcluster.sh ---$/,$d' "$dir/data/postgresql.conf"
    _pgcluster_write_conf "$dir" "$port"
    if _pgcluster_as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start >/dev/null; then
        return 0
    fi
    if grep -q 'could not bind\|could not create any TCP/IP sockets' "$dir/log" 2>/dev/null; then
        return 2
    fi
    tail -n 20 "$dir/log" >&2
    return 1
}

pgcluster_start() {
    if [[ -n "${PGCLUSTER_DIR:-}" && -d "${PGCLUSTER_DIR}/data" ]]; then
        _pgcluster_log "already running in $PGCLUSTER_DIR"
        return 1
    fi
    local bindir base dir port rc tries=0
    bindir="$(_pgcluster_bindir)" || return 1
    base="${PGCLUSTER_TMPDIR:-${TMPDIR:-/tmp}}"
    # A unix socket path is limited to 107 bytes: keep the cluster dir short.
    ((${#base} <= 60)) || base=/tmp
    dir="$(mktemp -d "$base/pgcluster.XXXXXX")" || return 1
    _pgcluster_initdb "$bindir" "$dir" || { rm -rf "$dir"; return 1; }
    while :; do
        port="${PGCLUSTER_PORT:-$(_pgcluster_pick_port)}" || { rm -rf "$dir"; return 1; }
        rc=0
        _pgcluster_pg_ctl_start "$bindir" "$dir" "$port" || rc=$?
        [[ $rc -eq 0 ]] && break
        if [[ $rc -ne 2 || -n "${PGCLUSTER_PORT:-}" || $((++tries)) -ge 5 ]]; then
            _pgcluster_log "server failed to start (port $port)"
            rm -rf "$dir"
            return 1
        fi
    done
    export PGCLUSTER_DIR="$dir" PGHOST="$dir/sock" PGPORT="$port" PGUSER=postgres PGDATABASE=postgres
    export PGCLUSTER_BINDIR="$bindir"
    _pgcluster_log "PostgreSQL up: dir $dir, socket $PGHOST, 127.0.0.1:$PGPORT"
}

# pgcluster_require — for test files: fail (never skip) unless a cluster's environment is exported.
pgcluster_require() {
    if [[ -z "${PGCLUSTER_DIR:-}" || -z "${PGPORT:-}" ]]; then
        echo "no cluster: run under tests/lib/pgcluster.sh run" >&2
        return 1
    fi
}

pgcluster_stop() {
    local dir="${PGCLUSTER_DIR:-}"
    if [[ -z "$dir" || ! -d "$dir" ]]; then
        return 0
    fi
    local bindir
    bindir="$(_pgcluster_bindir)"
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        _pgcluster_as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null ||
            _pgcluster_as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
    fi
    rm -rf "$dir"
    unset PGCLUSTER_DIR PGHOST PGPORT PGUSER PGDATABASE SERVICE_PASSFILE
}

# pgcluster_migrate DBNAME — create DBNAME if missing, then apply every sql/*.sql in lexical order.
pgcluster_migrate() {
    local db="${1:?usage: pgcluster_migrate DBNAME}"
    local sqldir="${PGCLUSTER_SQL_DIR:-$_pgcluster_repo/sql}"
    local exists f
    exists="$(psql -X -At -d postgres -v db="$db" <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")" ||
        return 1
    if [[ "$exists" != 1 ]]; then
        createdb -- "$db" || return 1
    fi
    local files=()
    while IFS= read -r f; do files+=("$f"); done < <(LC_ALL=C ls -1 "$sqldir"/*.sql 2>/dev/null)
    if ((${#files[@]} == 0)); then
        _pgcluster_log "no migrations in $sqldir"
        return 1
    fi
    for f in "${files[@]}"; do
        PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" \
            psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$f" >/dev/null || {
            _pgcluster_log "migration failed: $f"
            return 1
        }
    done
}

# pgcluster_state_home NAME — export XDG_STATE_HOME as a new directory NAME of this test file (or of the
# cluster), without STATE_DIRECTORY: the default --state-dir of the tools is then that directory's.
pgcluster_state_home() {
    unset STATE_DIRECTORY
    export XDG_STATE_HOME="${BATS_FILE_TMPDIR:-${PGCLUSTER_DIR:?pgcluster is not running}}/state-${1:?NAME}"
    mkdir -p "$XDG_STATE_HOME"
}

# pgcluster_service_password DBNAME — give role sync_service a random password (one per cluster,
# kept in $PGCLUSTER_DIR/pgpass) and export SERVICE_PASSFILE. The password never appears in argv or env.
pgcluster_service_password() {
    local db="${1:?usage: pgcluster_service_password DBNAME}"
    local passfile="${PGCLUSTER_DIR:?pgcluster is not running}/pgpass" pw tmp
    if [[ -s "$passfile" ]]; then
        pw="$(cut -d: -f5- "$passfile")"
    else
        pw="$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
        tmp="$(mktemp "$PGCLUSTER_DIR/pgpass.XXXXXX")" || return 1
        chmod 600 "$tmp"
        printf '127.0.0.1:%s:*:sync_service:%s\n' "$PGPORT" "$pw" >"$tmp"
        # Another test file may have raced us: the first passfile wins.
        if ! ln "$tmp" "$passfile" 2>/dev/null; then
            pw="$(cut -d: -f5- "$passfile")"
        fi
        rm -f "$tmp"
    fi
    # The password is hex, so it needs no quoting; it travels on psql's stdin.
    printf "ALTER ROLE sync_service PASSWORD '%s';\n" "$pw" |
        psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f - >/dev/null || return 1
    export SERVICE_PASSFILE="$passfile"
}

# pgcluster_service_db PREFIX — a fresh migrated database for one test file, with sync_service's password
# set: exports DB (PREFIX_<pid>_<random>), SVC (sync_service over TCP) and PGPASSFILE (sync_service's
# passfile; the admin keeps using the socket). The tools' default state directory (their base-state
# caches, read by every sync-snapshot of a file) becomes one of this database's own: no cache of
# another test file, test run or of $HOME is ever read.
pgcluster_service_db() {
    export DB="${1:?usage: pgcluster_service_db PREFIX}_$$_$RANDOM"
    pgcluster_state_home "$DB"
    pgcluster_migrate "$DB" >/dev/null || return 1
    pgcluster_service_password "$DB" >/dev/null || return 1
    export SVC="host=127.0.0.1 port=$PGPORT user=sync_service dbname=$DB" PGPASSFILE="$SERVICE_PASSFILE"
}

_pgcluster_run() {
    # A run nested inside another gets a cluster of its own.
    unset PGCLUSTER_DIR SERVICE_PASSFILE
    pgcluster_start || return 1
    trap 'pgcluster_stop' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    local rc=0
    "$@" || rc=$?
    pgcluster_stop
    trap - EXIT INT TERM
    return "$rc"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    case "${1:-}" in
        run)
            shift
            if (($# == 0)); then
                echo "usage: $0 run CMD [ARG...]" >&2
                exit 64
            fi
            _pgcluster_run "$@"
            exit $?
            ;;
        *)
            echo "usage: $0 run CMD [ARG...]   (or source it and call pgcluster_start/pgcluster_stop)" >&2
            exit 64
            ;;
    esac
fi
