package org.radflow.jobs;

import org.radflow.store.Store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the API, the dashboard and the metrics read about jobs: listings, counts, last failures and a
 * job's timeline. Read-only; every change to a job goes through {@link JobJournal}.
 */
public final class JobQueries {

    private final Store store;

    public JobQueries(Store store) {
        this.store = store;
    }

    public Optional<Job> find(String id) throws SQLException {
        return store.read(c -> JobRows.find(c, id));
    }

    /** Filtered listing, newest first; null filters match everything. */
    public List<Job> search(JobState state, String moduleId, String studyUid, int limit) throws SQLException {
        return search(state, moduleId, studyUid, limit, 0);
    }

    /** Filtered listing, newest first, one page. */
    public List<Job> search(JobState state, String moduleId, String studyUid, int limit, int offset) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT * FROM jobs WHERE 1 = 1");
        List<String> args = new ArrayList<>();
        if (state != null) {
            sql.append(" AND state = ?");
            args.add(state.name());
        }
        if (moduleId != null) {
            sql.append(" AND module_id = ?");
            args.add(moduleId);
        }
        if (studyUid != null) {
            sql.append(" AND study_uid = ?");
            args.add(studyUid);
        }
        sql.append(" ORDER BY created_at DESC, id LIMIT ").append(Math.max(1, Math.min(limit, 10_000)))
                .append(" OFFSET ").append(Math.max(0, offset));
        return store.read(c -> {
            try (PreparedStatement q = c.prepareStatement(sql.toString())) {
                for (int i = 0; i < args.size(); i++) {
                    q.setString(i + 1, args.get(i));
                }
                return JobRows.list(q);
            }
        });
    }

    /** Job counts by state for each of these studies (studies without jobs are absent). */
    public Map<String, Map<JobState, Integer>> countsByStudy(Collection<String> studyUids) throws SQLException {
        Map<String, Map<JobState, Integer>> out = new HashMap<>();
        if (studyUids.isEmpty()) {
            return out;
        }
        String marks = String.join(", ", Collections.nCopies(studyUids.size(), "?"));
        return store.read(c -> {
            try (PreparedStatement q = c.prepareStatement("SELECT study_uid, state, COUNT(*) FROM jobs WHERE study_uid IN (" + marks
                    + ") GROUP BY study_uid, state")) {
                int i = 1;
                for (String s : studyUids) {
                    q.setString(i++, s);
                }
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        out.computeIfAbsent(rs.getString(1), k -> new EnumMap<>(JobState.class))
                                .put(JobState.valueOf(rs.getString(2)), rs.getInt(3));
                    }
                }
            }
            return out;
        });
    }

    /** Job counts by module and state (for metrics and the module list). */
    public Map<String, Map<JobState, Integer>> countsByModule() throws SQLException {
        return store.read(c -> {
            Map<String, Map<JobState, Integer>> out = new TreeMap<>();
            try (PreparedStatement q = c.prepareStatement("SELECT module_id, state, COUNT(*) FROM jobs GROUP BY module_id, state");
                 ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.computeIfAbsent(rs.getString(1), k -> new EnumMap<>(JobState.class))
                            .put(JobState.valueOf(rs.getString(2)), rs.getInt(3));
                }
            }
            return out;
        });
    }

    /** The module's most recent FAILED or TIMED_OUT job, if any. */
    public Optional<Job> lastFailure(String moduleId) throws SQLException {
        return store.read(c -> {
            try (PreparedStatement q = c.prepareStatement("SELECT * FROM jobs WHERE module_id = ? AND state IN ('FAILED', 'TIMED_OUT') "
                    + "ORDER BY updated_at DESC LIMIT 1")) {
                q.setString(1, moduleId);
                List<Job> l = JobRows.list(q);
                return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
            }
        });
    }

    /** A job's state changes, oldest first. */
    public List<Job.Event> timeline(String id) throws SQLException {
        return store.read(c -> {
            List<Job.Event> out = new ArrayList<>();
            try (PreparedStatement q = c.prepareStatement("SELECT at, state, message FROM job_events WHERE job_id = ? ORDER BY seq")) {
                q.setString(1, id);
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Job.Event(rs.getTimestamp(1).toInstant(), JobState.valueOf(rs.getString(2)), rs.getString(3)));
                    }
                }
            }
            return out;
        });
    }
}
