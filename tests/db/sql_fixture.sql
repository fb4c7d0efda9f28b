-- Fixture for tests/db/sql.bats, applied by the admin after the migrations.
-- Two hosts X and Y, one tenant each, with tenant schemas created and granted the way provisioning
-- does it (USAGE on the schema; SELECT, INSERT, UPDATE on the tables; nothing else).

INSERT INTO sync_metadata.hosts (host_id, node_name, hostname, last_heartbeat)
VALUES ('X', 'node-a', 'hx-a', now()), ('Y', 'node-a', 'hy-a', now());
INSERT INTO sync_metadata.leader_election (cluster_id, holder, epoch, acquired_at, renewed_at, expires_at)
VALUES ('Y', 'node-a', 1, now(), now(), now() + interval '1 minute');
INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name)
VALUES ('acme', 'X', 'acme'), ('other', 'Y', 'other');

CREATE SCHEMA acme;
CREATE TABLE acme."user" (id text PRIMARY KEY, name text);
CREATE TABLE acme.pairs (a bigint, b text, note text, PRIMARY KEY (b, a));
GRANT USAGE ON SCHEMA acme TO sync_service;
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA acme TO sync_service;

CREATE SCHEMA other;
CREATE TABLE other."user" (id text PRIMARY KEY, name text);
INSERT INTO other."user" VALUES ('o1', 'Olga');
GRANT USAGE ON SCHEMA other TO sync_service;
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA other TO sync_service;

-- A schema the service may only read. (Registered first: a schema that already holds tables cannot be.)
INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name) VALUES ('ro', 'X', 'ro');
CREATE SCHEMA ro;
CREATE TABLE ro.t (id text PRIMARY KEY);
INSERT INTO ro.t VALUES ('r1');
GRANT USAGE ON SCHEMA ro TO sync_service;
GRANT SELECT ON ro.t TO sync_service;

-- The target of the hostile table name 'x"; drop table y; --'.
CREATE TABLE public.y (id int);
