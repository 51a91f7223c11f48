-- Fenced leases on running jobs, so that several nodes can share one store: the node that claimed a job
-- (lease_owner), a number that grows with every claim of that job (lease_token: a holder whose claim was
-- taken over has an older number, and every write that moves the job on is conditional on it), and when
-- the lease ends unless its holder renews it (lease_expires_at: another node's sweep re-queues the job then).
-- Jobs running before this version have no owner: the next start of any node treats them as its own.
ALTER TABLE jobs ADD COLUMN lease_owner VARCHAR(200);
ALTER TABLE jobs ADD COLUMN lease_token BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE jobs ADD COLUMN lease_expires_at TIMESTAMP;
CREATE INDEX jobs_lease ON jobs (state, lease_expires_at);
