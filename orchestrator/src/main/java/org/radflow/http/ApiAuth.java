package org.radflow.http;

import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.radflow.audit.AuditLog;
import org.radflow.config.RadflowConfig;

import java.security.MessageDigest;
import java.util.Locale;

/**
 * Bearer-token authentication with roles. Tokens are compared by their SHA-256 with a constant-time
 * comparison, against every configured token (no early exit), so timing says nothing about which
 * token or how much of it matched. Without configured tokens authentication is off (the
 * configuration allows that only on a loopback bind address).
 */
public final class ApiAuth {

    /** Routing-context key of the caller's token name ("anonymous" with authentication off, "open" on an open path). */
    public static final String USER = "radflow.user";
    /** Routing-context key of the caller's role (ADMIN with authentication off, absent on an open path). */
    public static final String ROLE = "radflow.role";

    private volatile RadflowConfig.Auth auth;
    private final AuditLog audit;

    public ApiAuth(RadflowConfig.Auth auth, AuditLog audit) {
        this.auth = auth;
        this.audit = audit;
    }

    /** A configuration reload: new tokens and open paths apply to the next request. */
    public void update(RadflowConfig.Auth next) {
        this.auth = next;
    }

    public boolean enabled() {
        return auth.enabled();
    }

    /** A handler that lets the request through only with a token of at least this role. */
    public Handler<RoutingContext> require(RadflowConfig.Role role) {
        return ctx -> {
            RadflowConfig.Auth a = auth;
            String path = ctx.normalizedPath();
            if (!a.enabled()) {
                ctx.put(USER, "anonymous");
                ctx.put(ROLE, RadflowConfig.Role.ADMIN);
                ctx.next();
                return;
            }
            if (a.open().contains(path)) {
                ctx.put(USER, "open");
                ctx.next();
                return;
            }
            String header = ctx.request().getHeader("Authorization");
            if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
                deny(ctx, 401, "Bearer realm=\"radflow\"", null,
                        "authentication required: send 'Authorization: Bearer <token>' (tokens are configured under api.auth.tokens)");
                return;
            }
            byte[] presented = RadflowConfig.sha256(header.substring(7).trim());
            RadflowConfig.ApiToken match = null;
            for (RadflowConfig.ApiToken t : a.tokens()) {
                if (MessageDigest.isEqual(t.sha256(), presented) & match == null) {
                    match = t;
                }
            }
            if (match == null) {
                deny(ctx, 401, "Bearer realm=\"radflow\", error=\"invalid_token\"", null, "the bearer token is not valid");
                return;
            }
            if (match.role().ordinal() < role.ordinal()) {
                deny(ctx, 403, null, match.name(), "token '" + match.name() + "' has role " + lower(match.role()) + "; "
                        + ctx.request().method() + " " + path + " needs " + lower(role));
                return;
            }
            ctx.put(USER, match.name());
            ctx.put(ROLE, match.role());
            ctx.next();
        };
    }

    private void deny(RoutingContext ctx, int status, String challenge, String user, String message) {
        if (audit != null) {
            audit.record("api.denied", new JsonObject().put("user", user).put("action", ctx.request().method() + " " + ctx.normalizedPath())
                    .put("peerAddress", ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().hostAddress())
                    .put("outcome", status));
        }
        var r = ctx.response().setStatusCode(status).putHeader("content-type", "application/json");
        if (challenge != null) {
            r.putHeader("WWW-Authenticate", challenge);
        }
        r.end(new JsonObject().put("error", message).encode());
    }

    private static String lower(RadflowConfig.Role r) {
        return r.name().toLowerCase(Locale.ROOT);
    }
}
