# assert_tenant_digest SQLITE_FILE SCHEMA [CLIENT] — fails unless every table of the SQLite file has the
# same per-table content digest in PostgreSQL ($DB, schema SCHEMA, open quarantine entries of CLIENT,
# default SCHEMA): the same rows, each value of the kind and bytes the column type calls for
# (tests/lib/digest.py says how). Prints one line per table, and what differs.
#   source "$BATS_TEST_DIRNAME/../lib/digest.bash"
assert_tenant_digest() {
    python3 "${BASH_SOURCE[0]%/*}/digest.py" "$1" "$2" "${3:-$2}"
}
