-- Where a job's inputs are: in a cluster each node spools what it receives, so a job may only be claimed by
-- the node that planned it (input_node) until inputs are replicated or fetched between nodes. NULL: any
-- node (a single node, and jobs from before this version).
ALTER TABLE jobs ADD COLUMN input_node VARCHAR(200);
