package org.radflow.jobs;

import io.vertx.core.json.JsonArray;
import org.radflow.api.Trigger;
import org.radflow.routing.Priority;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Rows of the {@code jobs} table as {@link Job}s: shared by the journal (writes) and {@link JobQueries} (reads). */
final class JobRows {

    private JobRows() {
    }

    static Optional<Job> find(Connection c, String id) throws SQLException {
        try (PreparedStatement q = c.prepareStatement("SELECT * FROM jobs WHERE id = ?")) {
            q.setString(1, id);
            List<Job> l = list(q);
            return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
        }
    }

    static List<Job> list(PreparedStatement q) throws SQLException {
        List<Job> out = new ArrayList<>();
        try (ResultSet rs = q.executeQuery()) {
            while (rs.next()) {
                out.add(map(rs));
            }
        }
        return out;
    }

    static Job map(ResultSet rs) throws SQLException {
        return new Job(
                rs.getString("id"),
                rs.getString("unit_key"),
                Trigger.valueOf(rs.getString("trigger_kind")),
                rs.getString("study_uid"),
                rs.getString("series_uid"),
                rs.getString("sop_uid"),
                rs.getString("module_id"),
                rs.getString("module_version"),
                rs.getString("rule_name"),
                Priority.valueOf(rs.getString("priority")),
                new JsonArray(rs.getString("destinations")).stream().map(String::valueOf).toList(),
                new JsonArray(rs.getString("input_files")).stream().map(o -> Path.of(String.valueOf(o))).toList(),
                rs.getString("input_hash"),
                rs.getInt("revision"),
                rs.getString("supersedes"),
                JobState.valueOf(rs.getString("state")),
                rs.getInt("attempts"),
                rs.getString("reason"),
                rs.getDouble("progress"),
                rs.getString("progress_message"),
                instant(rs, "created_at"),
                instant(rs, "updated_at"),
                instant(rs, "started_at"),
                instant(rs, "finished_at"),
                instant(rs, "next_attempt_at"),
                lease(rs),
                rs.getString("lease_owner"),
                rs.getString("input_node"),
                rs.getString("planned_version"),
                ModuleRun.fromJson(rs.getString("module_run")));
    }

    /** The lease of a running job that has one (jobs running from before leases have no owner). */
    private static Lease lease(ResultSet rs) throws SQLException {
        String owner = rs.getString("lease_owner");
        if (owner == null || !"RUNNING".equals(rs.getString("state"))) {
            return null;
        }
        return new Lease(rs.getString("id"), owner, rs.getLong("lease_token"), instant(rs, "lease_expires_at"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }
}
