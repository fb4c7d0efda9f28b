#!/usr/bin/env python3
"""Per-table content digest of a tenant, computed on both sides and compared.

    digest.py SQLITE_FILE SCHEMA CLIENT        (psql reads the PG* variables and $DB)

An independent oracle for what sync-load must leave in PostgreSQL (sync-load(1),
"Column types"; sync-protocol(7), "target image"). For every table of the SQLite
file it computes, from the SQLite side alone:
  - the PostgreSQL type each column should have (from its declared type, its name
    and the storage classes it holds), and
  - for every row, the value PostgreSQL should hold, or, when PostgreSQL cannot hold
    one of its values, the row as the quarantine should keep it (the source values);
and from the PostgreSQL side: the column types, every row of the tenant table and
the open quarantine entries of the table (row_data decoded back to SQLite values).

Each value becomes a canonical text that names its kind, so a wrong type, a lost NUL
byte, a changed unit, a flipped sign of -0.0 or a dropped row all change it:
  N            NULL
  i<decimal>   INTEGER, and boolean as 0/1
  r<16 hex>    REAL / double precision: the IEEE-754 bits, big-endian
  t<md5>       TEXT / text / json: md5 of the exact bytes
  b<md5>       BLOB / bytea: md5 of the exact bytes
A row is the md5 of its values joined by ',' (quarantined rows get a 'Q' in front);
the table digest is the sha256 of its column types and its sorted row hashes, so it
does not depend on row order. Prints one line per table; on a mismatch, what differs.
Exit status: 0 every table matches, 1 a table differs, 2 usage or I/O error.
"""
import base64
import hashlib
import json
import os
import sqlite3
import struct
import subprocess
import sys
from decimal import Decimal

BIG = 2**53


def md5(b):
    return hashlib.md5(b).hexdigest()


# --- the expected PostgreSQL type of a column (sync-load(1), "Column types") -------------

def boolean_name(n):
    return n in ("active", "archived") or n.startswith("is_") or n.startswith("has_")


def type_from_values(classes, max_abs_int):
    if classes == {"blob"}:
        return "bytea"
    if classes & {"text", "blob"}:
        return "text"
    if "real" in classes:
        return "double precision" if max_abs_int <= BIG else "text"
    return "bigint" if "integer" in classes else "text"


def expected_type(decl, name, classes, max_abs_int):
    d = decl.upper()
    if "BOOL" in d:
        return "boolean"
    if "INT" in d:
        return "boolean" if boolean_name(name) and not classes & {"text", "real"} else "bigint"
    if "JSON" in d:
        return "json"
    if any(x in d for x in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if "BLOB" in d:
        return "bytea"
    if any(x in d for x in ("REAL", "FLOA", "DOUB")):
        return "double precision"
    if "DATE" in d and "TIME" not in d:
        return "text"
    return type_from_values(classes, max_abs_int)


# --- a SQLite value as PostgreSQL should hold it ---------------------------------------

def shortest_text(x):
    """The text C++ std::to_chars(double) writes: shortest round-trip digits, fixed or
    scientific notation, whichever is shorter (fixed on a tie); checked against libstdc++
    on 40,000 random doubles."""
    if x != x:
        return "nan"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    sign = "-" if struct.pack(">d", x)[0] & 0x80 else ""
    if x == 0:
        return sign + "0"
    t = Decimal(repr(abs(x))).normalize().as_tuple()
    digits = "".join(map(str, t.digits))
    exp10 = t.exponent + len(digits) - 1  # value = d.ddd × 10^exp10
    sci = digits[0] + ("." + digits[1:] if len(digits) > 1 else "") + "e" + ("-" if exp10 < 0 else "+") + \
        f"{abs(exp10):02d}"
    if t.exponent >= 0:  # an integral value: fixed notation writes its exact digits
        fixed = str(int(abs(x)))
    elif -t.exponent >= len(digits):
        fixed = "0." + "0" * (-t.exponent - len(digits)) + digits
    else:
        fixed = digits[: t.exponent] + "." + digits[t.exponent:]
    return sign + (fixed if len(fixed) <= len(sci) else sci)


def no_constant(c):
    raise ValueError(c)


def valid_json(b):
    try:
        json.loads(b.decode("utf-8"), parse_constant=no_constant)
        return True
    except ValueError:
        return False


def text_refusal(b, pgtype):
    if b"\0" in b:
        return "NUL"
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return "UTF-8"
    if pgtype == "json" and not valid_json(b):
        return "JSON"
    return None


def number_bytes(kind, v):
    return str(v).encode() if kind == "integer" else shortest_text(v).encode()


def source_canon(kind, v):
    if kind == "null":
        return "N"
    if kind == "integer":
        return f"i{v}"
    if kind == "real":
        return "r" + struct.pack(">d", v).hex()
    return ("t" if kind == "text" else "b") + md5(v)


def target_canon(kind, v, pgtype):
    """(canonical text of what PostgreSQL should hold, or None when it cannot hold it)."""
    if kind == "null":
        return "N"
    if pgtype == "bigint":
        return f"i{v}" if kind == "integer" else None
    if pgtype == "boolean":
        return f"i{v}" if kind == "integer" and v in (0, 1) else None
    if pgtype == "double precision":
        if kind == "real":
            return source_canon(kind, v)
        return source_canon("real", float(v)) if kind == "integer" and abs(v) <= BIG else None
    if pgtype == "bytea":
        return "b" + md5(v) if kind in ("text", "blob") else None
    if kind == "blob":
        return None
    b = v if kind == "text" else number_bytes(kind, v)
    return None if text_refusal(b, pgtype) else "t" + md5(b)


# --- the two sides ---------------------------------------------------------------------

def qi(name):
    return '"' + name.replace('"', '""') + '"'


def psql(sql):
    r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", os.environ["DB"], "-c", sql],
                       capture_output=True)
    if r.returncode != 0:
        sys.exit(f"digest: psql failed: {r.stderr.decode(errors='replace').strip()}")
    return r.stdout


def sqlite_side(con, table, pg_columns):
    cols = [(r[1].decode(), (r[2] or b"").decode()) for r in con.execute(f"PRAGMA table_info({qi(table)})")]
    if "_sqlite_rowid" in pg_columns and "_sqlite_rowid" not in [c for c, _ in cols]:
        cols.append(("_sqlite_rowid", "INTEGER"))
    exprs = ", ".join(f"typeof({'rowid' if c == '_sqlite_rowid' else qi(c)}), "
                      f"{'rowid' if c == '_sqlite_rowid' else qi(c)}" for c, _ in cols)
    rows = [([k.decode() for k in r[0::2]], r[1::2]) for r in con.execute(f"SELECT {exprs} FROM {qi(table)}")]
    types = []
    for j, (name, decl) in enumerate(cols):
        classes = {kinds[j] for kinds, _ in rows} - {"null"}
        ints = [abs(vals[j]) for kinds, vals in rows if kinds[j] == "integer"]
        types.append(expected_type(decl, name, classes, max(ints, default=0)))
    hashes = {}
    for kinds, vals in rows:
        canon = [target_canon(k, v, t) for k, v, t in zip(kinds, vals, types)]
        if None in canon:
            canon = ["Q"] + [source_canon(k, v) for k, v in zip(kinds, vals)]
        hashes.setdefault(md5(",".join(canon).encode()), []).append(row_label(kinds, vals))
    return [c for c, _ in cols], types, hashes


def row_label(kinds, vals):
    v = vals[0]
    return v.decode("utf-8", "replace") if kinds[0] == "text" else repr(v)


PG_CANON = {
    "bigint": "'i' || {}",
    "boolean": "'i' || {}::int",
    "double precision": "'r' || encode(float8send({}), 'hex')",
    "text": "'t' || md5(convert_to({}, 'UTF8'))",
    "json": "'t' || md5(convert_to({}::text, 'UTF8'))",
    "bytea": "'b' || md5({})",
}


def lit(s):
    return "'" + s.replace("'", "''") + "'"


def pg_columns(schema, table):
    out = psql(f"SELECT json_agg(json_build_array(attname, format_type(atttypid, atttypmod)) ORDER BY attnum) "
               f"FROM pg_attribute WHERE attrelid = to_regclass({lit(qi(schema) + '.' + qi(table))}) "
               f"AND attnum > 0 AND NOT attisdropped")
    return dict(json.loads(out.decode() or "null") or [])


def pg_side(schema, client, table, cols, types):
    exprs = [f"coalesce({PG_CANON.get(types[c], chr(39) + 'x' + chr(39) + ' || {}').format(qi(c))}, 'N')"
             for c in cols]
    first = cols[0]
    out = psql(f"SELECT md5(concat_ws(',', {', '.join(exprs)})), translate({qi(first)}::text, E'\\n\\r', '  ') "
               f"FROM {qi(schema)}.{qi(table)}")
    hashes = {}
    for line in out.decode().splitlines():
        h, label = line.split("|", 1)
        hashes.setdefault(h, []).append(label)
    out = psql(f"SELECT row_data FROM sync_metadata.quarantine WHERE client_id = {lit(client)} "
               f"AND table_name = {lit(table)} AND resolved_at IS NULL")
    for line in out.decode().splitlines():
        vals = [decode_protocol(x) for x in json.loads(line)]
        canon = ["Q"] + [source_canon(k, v) for k, v in vals]
        label = "quarantined " + row_label([vals[0][0]], [vals[0][1]])
        hashes.setdefault(md5(",".join(canon).encode()), []).append(label)
    return hashes


def decode_protocol(x):
    """A value of sync-protocol(7), VALUES, as (storage class, Python value)."""
    if x is None:
        return "null", None
    if isinstance(x, bool):
        raise ValueError(f"boolean in a row: {x}")
    if isinstance(x, int):
        return "integer", x
    if isinstance(x, float):
        return "real", x
    if isinstance(x, str):
        return "text", x.encode("utf-8")
    if "real" in x:
        return "real", float(x["real"])
    if "text_b64" in x:
        return "text", base64.b64decode(x["text_b64"])
    return "blob", base64.b64decode(x["blob"])


def digest(types, hashes):
    h = hashlib.sha256("|".join(types).encode())
    for k in sorted(hashes):
        h.update((k * len(hashes[k])).encode())
    return h.hexdigest()[:16]


def compare(con, schema, client, table):
    pgcols = pg_columns(schema, table)
    cols, types, src = sqlite_side(con, table, pgcols)
    if not pgcols:
        return [f"{table}: no such table in schema {schema}"]
    if sorted(pgcols) != sorted(cols):
        return [f"{table}: columns differ: sqlite {cols}, postgresql {list(pgcols)}"]
    want = [f"{c}:{t}" for c, t in zip(cols, types)]
    have = [f"{c}:{pgcols[c]}" for c in cols]
    dst = pg_side(schema, client, table, cols, pgcols)
    d_src, d_dst = digest(want, src), digest(have, dst)
    if d_src == d_dst:
        print(f"{table}: {d_src} ({sum(map(len, src.values()))} rows)")
        return []
    bad = [f"{table}: digest sqlite {d_src} != postgresql {d_dst}"]
    bad += [f"  column {w}, postgresql has {h.split(':', 1)[1]}" for w, h in zip(want, have) if w != h]
    for h in sorted(set(src) | set(dst)):
        n_src, n_dst = len(src.get(h, [])), len(dst.get(h, []))
        if n_src != n_dst:
            side, labels = ("sqlite", src[h]) if n_src > n_dst else ("postgresql", dst[h])
            bad.append(f"  only in {side}: row {labels[0]} ({abs(n_src - n_dst)}x)")
    return bad


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: digest.py SQLITE_FILE SCHEMA CLIENT")
    path, schema, client = sys.argv[1:]
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    con.text_factory = bytes
    tables = [r[0].decode() for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    bad = []
    for t in tables:
        bad += compare(con, schema, client, t)
    for line in bad:
        print(line)
    return 1 if bad else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, sqlite3.Error) as e:
        print(f"digest: {e}", file=sys.stderr)
        sys.exit(2)
