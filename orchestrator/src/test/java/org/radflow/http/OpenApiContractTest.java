package org.radflow.http;

import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * openapi.json is a valid OpenAPI 3.0 document by the reference parser, every operation has a unique camelCase
 * operationId and a 2xx answer with a schema, every error answer uses the one Error schema, every $ref resolves;
 * and the schema checker the API's integration test uses ({@link ApiContract}) really finds wrong answers.
 */
class OpenApiContractTest {

    private static final ApiContract CONTRACT = ApiContract.served();

    @Test
    void theReferenceParserReportsNothing() {
        assertEquals(List.of(), CONTRACT.parserMessages(), "swagger-parser's messages about openapi.json");
        assertTrue(CONTRACT.api().getOpenapi().startsWith("3.0"), CONTRACT.api().getOpenapi());
    }

    @Test
    void everyOperationHasAnIdAndASuccessSchemaAndErrorsUseTheErrorSchema() {
        List<String> problems = new ArrayList<>();
        Map<String, String> ids = new HashMap<>();
        int operations = 0;
        for (Map.Entry<String, PathItem> path : CONTRACT.api().getPaths().entrySet()) {
            for (Map.Entry<PathItem.HttpMethod, Operation> e : path.getValue().readOperationsMap().entrySet()) {
                operations++;
                String what = e.getKey() + " " + path.getKey();
                Operation op = e.getValue();
                String id = op.getOperationId();
                if (id == null || !id.matches("[a-z][a-zA-Z0-9]*")) {
                    problems.add(what + ": operationId '" + id + "' is missing or not camelCase");
                } else if (ids.put(id, what) != null) {
                    problems.add(what + ": operationId '" + id + "' is also " + ids.get(id));
                }
                boolean success = false;
                for (Map.Entry<String, ApiResponse> r : op.getResponses().entrySet()) {
                    String code = r.getKey();
                    Map<String, MediaType> content = r.getValue().getContent();
                    boolean hasSchema = content != null && !content.isEmpty() && content.values().stream().allMatch(m -> m.getSchema() != null);
                    if (code.startsWith("2") && hasSchema) {
                        success = true;
                    }
                    if ((code.startsWith("4") || code.startsWith("5")) && !code.equals("503")) {
                        MediaType json = content == null ? null : content.get("application/json");
                        if (json == null || json.getSchema() == null || !"#/components/schemas/Error".equals(json.getSchema().get$ref())) {
                            problems.add(what + " " + code + ": an error answer must be application/json with $ref Error");
                        }
                    }
                    if (content != null) {
                        content.forEach((type, m) -> {
                            if (m.getSchema() != null) {
                                refs(m.getSchema(), what + " " + code + " " + type, problems);
                            }
                        });
                    }
                }
                if (!success) {
                    problems.add(what + ": no 2xx answer with a schema");
                }
            }
        }
        CONTRACT.api().getComponents().getSchemas().forEach((name, s) -> refs(s, "components/schemas/" + name, problems));
        assertEquals(List.of(), problems);
        assertTrue(operations >= 26, "the whole API is described: " + operations + " operations");
    }

    /** Every $ref below a schema names a component schema. */
    private static void refs(Schema<?> s, String where, List<String> problems) {
        if (s == null) {
            return;
        }
        if (s.get$ref() != null && CONTRACT.resolve(s.get$ref()) == null) {
            problems.add(where + ": $ref " + s.get$ref() + " names no schema");
        }
        if (s.getProperties() != null) {
            s.getProperties().forEach((n, p) -> refs(p, where + "." + n, problems));
        }
        refs(s.getItems(), where + "[]", problems);
        if (s.getAdditionalProperties() instanceof Schema<?> extra) {
            refs(extra, where + ".*", problems);
        }
        if (s.getAllOf() != null) {
            s.getAllOf().forEach(p -> refs(p, where + " allOf", problems));
        }
    }

    @Test
    void theErrorSchemaIsWhatHttpApiSends() {
        assertEquals(List.of(), CONTRACT.check(new JsonObject().put("error", "no job 42"), "Error"));
        assertFalse(CONTRACT.check(new JsonObject().put("message", "no job 42"), "Error").isEmpty(), "error is required");
    }

    private static JsonObject job() {
        return new JsonObject().put("id", "j-1").put("state", "SUCCEEDED").put("module", "sample").put("moduleVersion", "1.0")
                .put("plannedVersion", "1.0").put("generation", 2).put("moduleRunMs", 840L).put("rule", "mr").put("trigger", "SERIES").put("priority", "normal").put("studyInstanceUid", "1.2.3")
                .put("seriesInstanceUid", "1.2.3.4").put("sopInstanceUid", null).put("revision", 1).put("attempts", 1)
                .put("node", "n1").put("inputNode", null).put("progress", 1.0).put("progressMessage", null).put("reason", null)
                .put("createdAt", "2026-03-01T10:00:00.123Z").put("startedAt", "2026-03-01T10:00:01Z").put("finishedAt", null);
    }

    @Test
    void aConformingJobPasses() {
        assertEquals(List.of(), CONTRACT.check(job(), "JobSummary"));
        assertEquals(List.of(), CONTRACT.checkResponse("GET", "/api/jobs", 200, "application/json; charset=utf-8",
                new JsonObject().put("jobs", new JsonArray().add(job())).put("count", 1).put("limit", 100).put("offset", 0).encode()));
    }

    @Test
    void theCheckerFindsEachKindOfMistake() {
        assertProblem(job().put("attempts", "1"), "JobSummary", "$.attempts: expected an integer");
        assertProblem(job().put("progress", 1.5), "JobSummary", "$.progress: 1.5 is above the maximum 1");
        assertProblem(job().put("id", null), "JobSummary", "$.id: null, but the schema is not nullable");
        assertProblem(job().put("state", "DONE"), "JobSummary", "$.state: 'DONE' is not one of");
        assertProblem(job().put("createdAt", "yesterday"), "JobSummary", "$.createdAt: 'yesterday' is not an RFC 3339 date-time");
        JsonObject missing = job();
        missing.remove("revision");
        assertProblem(missing, "JobSummary", "$.revision: required, but missing");
        assertProblem(job().put("secret", "x"), "JobSummary", "$.secret: not declared in the schema");
        JsonObject page = new JsonObject().put("jobs", new JsonArray().add(job()).add(job().put("revision", true)))
                .put("count", 2).put("limit", 100).put("offset", 0);
        assertProblem(page, "JobPage", "$.jobs[1].revision: expected an integer");
        assertProblem(new JsonObject().put("jobs", new JsonObject()).put("count", 0).put("limit", 1).put("offset", 0), "JobPage",
                "$.jobs: expected an array");
        JsonObject destinations = new JsonObject().put("pacs", new JsonObject().put("status", "ok"));
        assertProblem(destinations, "Destinations", "$.pacs.pending: required, but missing");
    }

    @Test
    void answersAreCheckedByStatusAndContentType() {
        assertContains(CONTRACT.checkResponse("GET", "/api/jobs/{id}", 418, "application/json", "{}"), "status 418 is not documented");
        assertContains(CONTRACT.checkResponse("GET", "/api/jobs/{id}", 404, "text/html", "<p>"), "content type 'text/html' is not documented");
        assertContains(CONTRACT.checkResponse("GET", "/api/jobs/{id}", 404, "application/json", "not json"), "the body is not JSON");
        assertContains(CONTRACT.checkResponse("GET", "/api/nothing", 200, "application/json", "{}"), "not in openapi.json");
        assertEquals(List.of(), CONTRACT.checkResponse("GET", "/api/jobs/{id}", 404, "application/json", "{\"error\":\"no job x\"}"));
        assertEquals(List.of(), CONTRACT.checkResponse("GET", "/api/jobs/{id}/report.png", 200, "image/png", "\u0089PNG"));
    }

    @Test
    void aDeliberatelyWrongDocumentFailsARealShapedAnswer() throws Exception {
        String text;
        try (InputStream in = HttpApi.class.getResourceAsStream("openapi.json")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        // the document claims attempts is a string and revision is gone: the same valid job no longer conforms
        JsonObject doc = new JsonObject(text);
        JsonObject props = doc.getJsonObject("components").getJsonObject("schemas").getJsonObject("JobSummary").getJsonObject("properties");
        props.put("attempts", new JsonObject().put("type", "string"));
        props.remove("revision");
        ApiContract wrong = ApiContract.parse(doc.encode(), true);
        assertEquals(List.of(), wrong.parserMessages(), "still a valid document, only a wrong one");
        List<String> problems = wrong.check(job(), "JobSummary");
        assertContains(problems, "$.attempts: expected a string");
        assertContains(problems, "$.revision: not declared in the schema");
        // a $ref to a schema that does not exist is found too
        doc.getJsonObject("components").getJsonObject("schemas").remove("JobState");
        assertContains(ApiContract.parse(doc.encode(), true).check(job(), "JobSummary"), "$ref #/components/schemas/JobState names no schema");
    }

    @Test
    void anInvalidDocumentGetsParserMessages() {
        ApiContract broken = ApiContract.parse("""
                {"openapi": "3.0.3", "info": {"title": "x", "version": "1"},
                 "paths": {"/a": {"get": {"operationId": "getA", "responses": {"200": {"description": "ok"}}}},
                           "/b": {"get": {"operationId": "getB", "responses": {"200": {"description": "ok"}}, "bogus": 1}}}}
                """, true);
        assertFalse(broken.parserMessages().isEmpty(), "an unexpected attribute is reported");
    }

    private static void assertProblem(JsonObject value, String schema, String expected) {
        assertContains(CONTRACT.check(value, schema), expected);
    }

    private static void assertContains(List<String> problems, String expected) {
        assertTrue(problems.stream().anyMatch(p -> p.contains(expected)), "expected a problem containing '" + expected + "' in " + problems);
    }
}
