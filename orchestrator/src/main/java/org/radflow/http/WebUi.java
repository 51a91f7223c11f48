package org.radflow.http;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;

import java.util.function.IntSupplier;

/**
 * The operator dashboard: plain HTML, CSS and JavaScript modules from the class path
 * ({@code webroot/}), served at {@code /ui/} next to the API it calls. No build step, no CDN.
 */
public final class WebUi {

    private WebUi() {
    }

    /**
     * Adds the dashboard routes to the API's router and returns it.
     *
     * @param viewerPort the OHIF viewer listener's port, or a value below 1 when there is no viewer
     */
    public static Router mount(Router router, IntSupplier viewerPort) {
        router.get("/").handler(ctx -> ctx.redirect("/ui/"));
        router.get("/ui").handler(ctx -> {
            if (ctx.request().path().equals("/ui")) { // the route also matches "/ui/"
                ctx.redirect("/ui/");
            } else {
                ctx.next();
            }
        });
        // what the page needs to know about this server that the API does not say (no secrets)
        router.get("/ui/settings.json").handler(ctx -> {
            int port = viewerPort.getAsInt();
            ctx.response().putHeader("cache-control", "no-store");
            ctx.json(new JsonObject().put("viewerPort", port > 0 ? port : null)
                    .put("label", "Research use only. NOT FOR DIAGNOSTIC USE."));
        });
        router.route("/ui/*").handler(ctx -> {
            // the page loads only its own files and talks only to this origin
            ctx.response().putHeader("content-security-policy", "default-src 'self'; img-src 'self' blob: data:; "
                            + "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
                    .putHeader("x-content-type-options", "nosniff")
                    .putHeader("referrer-policy", "no-referrer");
            ctx.next();
        });
        router.route("/ui/*").handler(StaticHandler.create("webroot").setCachingEnabled(false).setMaxAgeSeconds(0)
                .setIndexPage("index.html"));
        return router;
    }
}
