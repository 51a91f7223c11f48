-- What actually ran a job's latest attempt: module_version becomes the version of the module generation that ran it
-- (a JAR replaced between planning and running runs the new one), planned_version keeps the version the job was
-- planned with, and module_run holds the run as JSON (attempt, version, generation, JAR hash, model, the module's own
-- run time in ms, node). NULL planned_version: a job from before this version (planned = module_version).
ALTER TABLE jobs ADD COLUMN planned_version VARCHAR(64);
ALTER TABLE jobs ADD COLUMN module_run VARCHAR(2000);
