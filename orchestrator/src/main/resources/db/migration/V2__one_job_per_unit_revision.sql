-- Two schedulers or nodes enqueueing the same unit at once must not both write revision N: the
-- second insert fails and JobJournal.enqueue reads the unit again.
CREATE UNIQUE INDEX jobs_unit_revision ON jobs (unit_key, module_id, rule_name, revision);
