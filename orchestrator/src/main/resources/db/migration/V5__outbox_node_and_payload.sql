-- In a cluster each node sends the report objects it wrote (node), and keeps a copy of each object in the store
-- (payload): when a node dies with objects still to send, another node takes its rows over and sends them from
-- the copy, since the files were on the dead node's disk. NULL node: any node (a single node, rows from before).
-- BYTEA is PostgreSQL's binary type and an alias of BINARY VARYING in H2 2.x.
ALTER TABLE outbox ADD COLUMN node VARCHAR(200);
ALTER TABLE outbox ADD COLUMN payload BYTEA;
