-- 006_row_state_lean.sql — row_state keeps only its primary key (client_id, key_hash).
--
-- Every synced row has a row_state row, written in the same transaction as the row, so each index
-- on it is paid for on every row of a first sync (bench/: the (client_id, table_name) index cost
-- about a quarter of the base-state insert). No tool reads row_state by table; per-table counts
-- for an operator are a scan of one tenant's rows through the primary key's client_id prefix.

BEGIN;

DROP INDEX IF EXISTS sync_metadata.row_state_client_table_idx;

COMMIT;
