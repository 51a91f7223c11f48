-- The received-studies index (issue 16): what GET /api/studies and GET /api/studies/{uid} show, kept by intake so that
-- a request costs the same at 10 and at 10,000 studies instead of scanning the spool. The spool stays the truth: the
-- index is rebuilt from it where they differ (at start-up, after a crash, after an upgrade from version 6).
-- Rows are keyed by the node whose spool holds the files (each cluster member indexes its own spool in the shared store).
-- Times are nanoseconds since 1970 (UTC) in BIGINT: the same in H2 and PostgreSQL, no time zone conversion.
CREATE TABLE received_series (
  node VARCHAR(200) NOT NULL,
  study_uid VARCHAR(64) NOT NULL,
  series_uid VARCHAR(64) NOT NULL,
  -- patient and study attributes as this series' first instance carries them (the study row takes its first series')
  patient_name VARCHAR(400),
  patient_id VARCHAR(200),
  study_date VARCHAR(32),
  study_description VARCHAR(400),
  accession VARCHAR(64),
  modality VARCHAR(16),
  series_number VARCHAR(32),
  series_description VARCHAR(400),
  instance_count INT NOT NULL,
  size_bytes BIGINT NOT NULL,
  first_received_ns BIGINT NOT NULL,
  last_received_ns BIGINT NOT NULL,
  -- the series folder's modification time when its files were last counted (-1: unknown), and when that was: start-up
  -- compares it with the folder's and counts again only where they differ (one stat per series, none per instance)
  folder_time_ns BIGINT NOT NULL,
  checked_at_ns BIGINT NOT NULL,
  PRIMARY KEY (node, study_uid, series_uid)
);

CREATE TABLE received_studies (
  node VARCHAR(200) NOT NULL,
  study_uid VARCHAR(64) NOT NULL,
  patient_name VARCHAR(400),
  patient_id VARCHAR(200),
  study_date VARCHAR(32),
  study_description VARCHAR(400),
  accession VARCHAR(64),
  -- the series' modalities, sorted, separated by a backslash (as DICOM separates values)
  modalities VARCHAR(400),
  series_count INT NOT NULL,
  instance_count INT NOT NULL,
  size_bytes BIGINT NOT NULL,
  first_received_ns BIGINT NOT NULL,
  last_received_ns BIGINT NOT NULL,
  PRIMARY KEY (node, study_uid)
);
-- the API's order: newest (last received) first, then by UID
CREATE INDEX received_studies_recent ON received_studies (node, last_received_ns DESC, study_uid);

-- Whether the node's index was left complete (a clean stop flushed it): after a crash, start-up also counts again the
-- series written to shortly before the index's last write.
CREATE TABLE received_index_state (
  node VARCHAR(200) PRIMARY KEY,
  clean_stop BOOLEAN NOT NULL,
  updated_at_ns BIGINT NOT NULL
);
