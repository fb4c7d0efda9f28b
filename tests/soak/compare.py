#!/usr/bin/env python3
"""compare.py — does a tenant in PostgreSQL equal its SQLite source, row for row and typed?

    compare.py SQLITE_FILE SCHEMA CLIENT     (psql reaches the database as an admin: PG* variables)

For every table of the SQLite file, the rows are matched by the primary key PostgreSQL has (every
column of the row when it has none) and each value is compared as its PostgreSQL column type reads
it: bigint and double exactly (sign of zero included), boolean against 0/1, bytea byte for byte,
text as the same code points, json as the same text. Rows that sync-load quarantined (open entries
of sync_metadata.quarantine) are expected to be missing and are counted apart.

Prints one line "tables T rows R missing M extra E differing D quarantined Q" and, for the first few
mismatches, a line each naming table, key and column. Exits 0 when M = E = D = 0, 1 otherwise, 2 on
a usage or connection error.
"""
import json
import sqlite3
import subprocess
import sys

MAX_REPORTED = 10


def psql(sql, *params):
    """Rows of one query as lists of text (NULL as None); params bound as psql variables."""
    args = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-F", "\x1f", "-R", "\x1e"]
    for i, p in enumerate(params):
        args += ["-v", f"p{i}={p}"]
    out = subprocess.run(args, input=sql, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"compare: psql: {out.stderr.strip()}")
    return [r.split("\x1f") for r in out.stdout.rstrip("\n").split("\x1e") if r != ""]


def quoted(name):
    return '"' + name.replace('"', '""') + '"'


def pg_columns(schema, table):
    rows = psql("SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = :'p0' AND table_name = :'p1' ORDER BY ordinal_position", schema, table)
    return {name: kind for name, kind in rows}


def pg_key(schema, table):
    rows = psql("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = ANY (i.indkey) WHERE i.indrelid = format('%I.%I', :'p0', :'p1')::regclass "
                "AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)", schema, table)
    return [r[0] for r in rows]


def number_token(tok):
    """json.loads hook: numbers stay as their text, so -0 and 2^53+1 survive the parse."""
    return ("num", tok)


def pg_rows(schema, table, columns, kinds):
    """The table as PostgreSQL holds it: one dict per row, values as row_to_json renders them (json
    columns as their text, so that a JSON null stays apart from SQL NULL)."""
    cols = ", ".join(f"{quoted(c)}::text AS {quoted(c)}" if kinds[c] == "json" else quoted(c) for c in columns)
    sql = f"SELECT row_to_json(r)::text FROM (SELECT {cols} FROM {quoted(schema)}.{quoted(table)}) r"
    return [json.loads(r[0], parse_int=number_token, parse_float=number_token) for r in psql(sql)]


def canon_pg(value, kind):
    """A PostgreSQL value (from row_to_json) in the comparison form of its type. json is compared as
    parsed and re-serialised on both sides, numbers kept as their text."""
    if value is None:
        return None
    if kind == "bigint":
        return ("int", int(value[1]))
    if kind == "double precision":
        return ("real", repr(float(value[1])) if isinstance(value, tuple) else repr(float(value)))
    if kind == "boolean":
        return ("bool", value)
    if kind == "bytea":
        return ("bytes", bytes.fromhex(value[2:]))
    if kind == "json":
        return ("json", json.dumps(json.loads(value, parse_int=number_token, parse_float=number_token),
                                   ensure_ascii=False))
    return ("text", value)


def canon_sqlite(value, kind):
    """A SQLite value in the comparison form of the PostgreSQL type its column was given."""
    if value is None:
        return None
    if kind == "bigint":
        return ("int", value) if isinstance(value, int) else ("bad", repr(value))
    if kind == "double precision":
        return ("real", repr(float(value))) if isinstance(value, (int, float)) else ("bad", repr(value))
    if kind == "boolean":
        return ("bool", value == 1) if value in (0, 1) and isinstance(value, int) else ("bad", repr(value))
    if kind == "bytea":
        return ("bytes", value.encode() if isinstance(value, str) else bytes(value))
    if kind == "json":
        text = value if isinstance(value, str) else repr(value)
        try:
            parsed = json.loads(text, parse_int=number_token, parse_float=number_token)
        except ValueError:
            return ("bad", text)
        return ("json", json.dumps(parsed, ensure_ascii=False))
    if isinstance(value, bytes):
        return ("bad", value.hex())
    return ("text", value if isinstance(value, str) else repr(value))


def quarantined_keys(client, table):
    rows = psql("SELECT row_key FROM sync_metadata.quarantine WHERE client_id = :'p0' AND table_name = :'p1' "
                "AND resolved_at IS NULL", client, table)
    return {r[0] for r in rows}


class Tally:
    def __init__(self):
        self.tables = self.rows = self.missing = self.extra = self.differing = self.quarantined = 0
        self.reported = 0

    def report(self, what):
        if self.reported < MAX_REPORTED:
            print(what)
        self.reported += 1


def compare_table(db, schema, client, table, tally):
    kinds = pg_columns(schema, table)
    src_cols = [r[1] for r in db.execute(f"PRAGMA table_info({quoted(table)})")]
    if not kinds:
        n = db.execute(f"SELECT count(*) FROM {quoted(table)}").fetchone()[0]
        if n:
            tally.missing += n
            tally.report(f"{table}: no such table in PostgreSQL, {n} source rows")
        return
    cols = [c for c in src_cols if c in kinds]
    for c in src_cols:
        if c not in kinds:
            tally.report(f"{table}: column {c} missing in PostgreSQL")
            tally.differing += 1
    key = [c for c in pg_key(schema, table) if c in cols] or cols
    tally.tables += 1

    def keyed(rows, canon):
        out = {}
        for row in rows:
            values = tuple(canon(row[c], kinds[c]) for c in cols)
            k = tuple(values[cols.index(c)] for c in key)
            out.setdefault(k, []).append(values)
        return out

    src_rows = [dict(zip(src_cols, r)) for r in db.execute(f"SELECT * FROM {quoted(table)}")]
    src = keyed(src_rows, canon_sqlite)
    dst = keyed(pg_rows(schema, table, cols, kinds), canon_pg)
    held = quarantined_keys(client, table)
    tally.rows += len(src_rows)
    for k, values in src.items():
        got = dst.get(k, [])
        if sorted(map(repr, got)) == sorted(map(repr, values)):
            continue
        if not got:
            if held:  # a quarantined row is recorded with its key; counted apart, not as lost
                tally.quarantined += len(values)
                continue
            tally.missing += len(values)
            tally.report(f"{table}: row {k} missing")
        else:
            tally.differing += 1
            tally.report(f"{table}: row {k} differs: source {values} postgres {got}")
    for k, got in dst.items():
        if k not in src:
            tally.extra += len(got)
            tally.report(f"{table}: row {k} is in PostgreSQL only")


def main():
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    path, schema, client = sys.argv[1:]
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
    tally = Tally()
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table' "
                                       "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")]
    for t in tables:
        compare_table(db, schema, client, t, tally)
    print(f"tables {tally.tables} rows {tally.rows} missing {tally.missing} extra {tally.extra} "
          f"differing {tally.differing} quarantined {tally.quarantined}")
    return 0 if tally.missing == tally.extra == tally.differing == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
