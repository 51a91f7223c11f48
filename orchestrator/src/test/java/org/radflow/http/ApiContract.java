package org.radflow.http;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * openapi.json parsed by the reference parser (swagger-parser), and a small checker of JSON values against its
 * schemas: types, formats (date-time, int32/int64), enums, required properties, nullable, arrays, objects with
 * {@code additionalProperties}, {@code $ref} and {@code allOf}. In strict mode a property the schema does not
 * declare is a problem too (unless the schema allows additional properties, or declares none: a free-form object),
 * so the document cannot fall behind what the server sends.
 */
public final class ApiContract {

    private static final String REF_PREFIX = "#/components/schemas/";

    private final OpenAPI api;
    private final List<String> parserMessages;
    private final boolean strict;

    private ApiContract(OpenAPI api, List<String> parserMessages, boolean strict) {
        this.api = api;
        this.parserMessages = parserMessages;
        this.strict = strict;
    }

    /** The document served at /api/openapi.json (the class-path resource next to HttpApi), strict. */
    public static ApiContract served() {
        try (InputStream in = HttpApi.class.getResourceAsStream("openapi.json")) {
            if (in == null) {
                throw new IllegalStateException("openapi.json is not on the class path next to HttpApi");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Any OpenAPI text (tests of the checker give it deliberately wrong documents). */
    public static ApiContract parse(String text, boolean strict) {
        ParseOptions options = new ParseOptions();
        options.setResolve(false); // $ref stay as written: the checker resolves them itself and names a missing one
        SwaggerParseResult result = new OpenAPIV3Parser().readContents(text, null, options);
        List<String> messages = result.getMessages() == null ? List.of() : List.copyOf(result.getMessages());
        if (result.getOpenAPI() == null) {
            throw new IllegalArgumentException("not an OpenAPI document: " + messages);
        }
        return new ApiContract(result.getOpenAPI(), messages, strict);
    }

    public OpenAPI api() {
        return api;
    }

    /** What the parser reported (syntax and validation); empty for a valid document. */
    public List<String> parserMessages() {
        return parserMessages;
    }

    /** The operation for a documented path template ("/api/jobs/{id}") and method; null when not documented. */
    public Operation operation(String method, String pathTemplate) {
        PathItem item = api.getPaths() == null ? null : api.getPaths().get(pathTemplate);
        if (item == null) {
            return null;
        }
        return item.readOperationsMap().entrySet().stream().filter(e -> e.getKey().name().equalsIgnoreCase(method))
                .map(Map.Entry::getValue).findFirst().orElse(null);
    }

    /**
     * Problems of one real answer against the document: the status must be documented for the operation, the
     * content type must be one it lists, and a JSON body must match that media type's schema. Empty: it conforms.
     */
    public List<String> checkResponse(String method, String pathTemplate, int status, String contentType, String body) {
        String what = method + " " + pathTemplate + " -> " + status;
        Operation op = operation(method, pathTemplate);
        if (op == null) {
            return List.of(what + ": the operation is not in openapi.json");
        }
        ApiResponse response = op.getResponses() == null ? null : op.getResponses().get(String.valueOf(status));
        if (response == null && op.getResponses() != null) {
            response = op.getResponses().get("default");
        }
        if (response == null) {
            return List.of(what + ": status " + status + " is not documented (documented: "
                    + (op.getResponses() == null ? "none" : op.getResponses().keySet()) + "); body " + abbreviate(body));
        }
        if (response.get$ref() != null) {
            return List.of(what + ": response $ref is not supported by this checker: " + response.get$ref());
        }
        if (response.getContent() == null || response.getContent().isEmpty()) {
            return List.of(what + ": the response has no documented content");
        }
        String type = contentType == null ? "" : contentType.split(";")[0].trim().toLowerCase(java.util.Locale.ROOT);
        MediaType media = response.getContent().get(type);
        if (media == null) {
            return List.of(what + ": content type '" + contentType + "' is not documented (documented: "
                    + response.getContent().keySet() + ")");
        }
        if (media.getSchema() == null) {
            return List.of(what + ": " + type + " has no schema");
        }
        if (!type.equals("application/json")) {
            return List.of();
        }
        Object value;
        try {
            value = Json.decodeValue(body);
        } catch (DecodeException | NullPointerException e) {
            return List.of(what + ": the body is not JSON: " + abbreviate(body));
        }
        if (value instanceof Map<?, ?> m) {
            value = new JsonObject(cast(m));
        } else if (value instanceof List<?> l) {
            value = new JsonArray(l);
        }
        List<String> problems = new ArrayList<>();
        check(value, media.getSchema(), "$", problems);
        return problems.stream().map(p -> what + ": " + p).toList();
    }

    /** Problems of a JSON value (as Vert.x decodes it) against a schema; {@code where} names it in the messages. */
    public List<String> check(Object value, Schema<?> schema, String where) {
        List<String> problems = new ArrayList<>();
        check(value, schema, where, problems);
        return problems;
    }

    /** Problems of a JSON value against the named component schema. */
    public List<String> check(Object value, String componentName) {
        return check(value, new Schema<>().$ref(REF_PREFIX + componentName), "$");
    }

    /** A {@code $ref} to a component schema, resolved; null when it names nothing. */
    public Schema<?> resolve(String ref) {
        if (ref == null || !ref.startsWith(REF_PREFIX) || api.getComponents() == null || api.getComponents().getSchemas() == null) {
            return null;
        }
        return api.getComponents().getSchemas().get(ref.substring(REF_PREFIX.length()));
    }

    private void check(Object value, Schema<?> schema, String where, List<String> problems) {
        if (schema.get$ref() != null) {
            Schema<?> target = resolve(schema.get$ref());
            if (target == null) {
                problems.add(where + ": $ref " + schema.get$ref() + " names no schema in components/schemas");
                return;
            }
            // OpenAPI 3.0: siblings of $ref are ignored, so the target alone decides (also about null)
            check(value, target, where, problems);
            return;
        }
        if (value == null) {
            if (!Boolean.TRUE.equals(schema.getNullable()) && !nullableByAllOf(schema)) {
                problems.add(where + ": null, but the schema is not nullable");
            }
            return;
        }
        if (schema.getAllOf() != null) {
            for (Schema<?> part : schema.getAllOf()) {
                // each part judges the value; undeclared properties are judged below against the union of all parts
                new ApiContract(api, parserMessages, false).check(value, part, where, problems);
            }
            if (strict && value instanceof JsonObject o) {
                Set<String> declared = new LinkedHashSet<>();
                boolean open = false;
                for (Schema<?> part : schema.getAllOf()) {
                    Schema<?> p = part.get$ref() != null ? resolve(part.get$ref()) : part;
                    if (p != null && p.getProperties() != null) {
                        declared.addAll(p.getProperties().keySet());
                    }
                    open |= p != null && p.getAdditionalProperties() != null && !Boolean.FALSE.equals(p.getAdditionalProperties());
                }
                if (!open) {
                    for (String name : o.fieldNames()) {
                        if (!declared.contains(name)) {
                            problems.add(where + "." + name + ": not declared in the schema (add it to openapi.json)");
                        }
                    }
                }
            }
            return;
        }
        String type = schema.getType();
        if (type == null) {
            return; // any value
        }
        switch (type) {
            case "string" -> {
                if (!(value instanceof String s)) {
                    problems.add(where + ": expected a string, got " + describe(value));
                    return;
                }
                if ("date-time".equals(schema.getFormat())) {
                    try {
                        OffsetDateTime.parse(s);
                    } catch (DateTimeParseException e) {
                        problems.add(where + ": '" + s + "' is not an RFC 3339 date-time");
                    }
                }
                checkEnum(s, schema, where, problems);
            }
            case "integer" -> {
                if (!(value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte
                        || value instanceof BigInteger)) {
                    problems.add(where + ": expected an integer, got " + describe(value));
                    return;
                }
                long n = ((Number) value).longValue();
                if ("int32".equals(schema.getFormat()) && (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE)) {
                    problems.add(where + ": " + n + " does not fit int32");
                }
                checkRange(new BigDecimal(value.toString()), schema, where, problems);
                checkEnum(value, schema, where, problems);
            }
            case "number" -> {
                if (!(value instanceof Number num)) {
                    problems.add(where + ": expected a number, got " + describe(value));
                    return;
                }
                checkRange(new BigDecimal(num.toString()), schema, where, problems);
            }
            case "boolean" -> {
                if (!(value instanceof Boolean)) {
                    problems.add(where + ": expected a boolean, got " + describe(value));
                }
            }
            case "array" -> {
                if (!(value instanceof JsonArray a)) {
                    problems.add(where + ": expected an array, got " + describe(value));
                    return;
                }
                if (schema.getItems() != null) {
                    for (int i = 0; i < a.size(); i++) {
                        check(a.getValue(i), schema.getItems(), where + "[" + i + "]", problems);
                    }
                }
            }
            case "object" -> {
                if (!(value instanceof JsonObject o)) {
                    problems.add(where + ": expected an object, got " + describe(value));
                    return;
                }
                checkObject(o, schema, where, problems);
            }
            default -> problems.add(where + ": the schema's type '" + type + "' is not one OpenAPI 3.0 knows");
        }
    }

    private void checkObject(JsonObject o, Schema<?> schema, String where, List<String> problems) {
        if (schema.getRequired() != null) {
            for (String name : schema.getRequired()) {
                if (!o.containsKey(name)) {
                    problems.add(where + "." + name + ": required, but missing");
                }
            }
        }
        @SuppressWarnings("rawtypes")
        Map<String, Schema> properties = schema.getProperties() == null ? Map.of() : schema.getProperties();
        Object additional = schema.getAdditionalProperties();
        for (String name : o.fieldNames()) {
            Object v = o.getValue(name);
            Schema<?> declared = properties.get(name);
            if (declared != null) {
                check(v, declared, where + "." + name, problems);
            } else if (additional instanceof Schema<?> extra) {
                check(v, extra, where + "." + name, problems);
            } else if (Boolean.FALSE.equals(additional) || (strict && additional == null && !properties.isEmpty())) {
                // strict: an object that lists its properties lists all of them; {type: object} alone is free-form
                problems.add(where + "." + name + ": not declared in the schema (add it to openapi.json)");
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    private boolean nullableByAllOf(Schema<?> schema) {
        return schema.getAllOf() != null && Boolean.TRUE.equals(schema.getNullable());
    }

    private static void checkEnum(Object value, Schema<?> schema, String where, List<String> problems) {
        List<?> allowed = schema.getEnum();
        if (allowed != null && !allowed.isEmpty() && allowed.stream().noneMatch(a -> String.valueOf(a).equals(String.valueOf(value)))) {
            problems.add(where + ": '" + value + "' is not one of " + allowed);
        }
    }

    private static void checkRange(BigDecimal n, Schema<?> schema, String where, List<String> problems) {
        if (schema.getMinimum() != null && n.compareTo(schema.getMinimum()) < 0) {
            problems.add(where + ": " + n + " is below the minimum " + schema.getMinimum());
        }
        if (schema.getMaximum() != null && n.compareTo(schema.getMaximum()) > 0) {
            problems.add(where + ": " + n + " is above the maximum " + schema.getMaximum());
        }
    }

    private static String describe(Object v) {
        String kind = v instanceof JsonObject ? "an object" : v instanceof JsonArray ? "an array" : v instanceof String ? "a string"
                : v instanceof Boolean ? "a boolean" : v instanceof Number ? "a number" : v.getClass().getSimpleName();
        return kind + " (" + abbreviate(String.valueOf(v)) + ")";
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "null";
        }
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
