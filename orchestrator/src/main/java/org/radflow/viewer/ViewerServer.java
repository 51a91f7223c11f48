package org.radflow.viewer;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;
import org.radflow.config.RadflowConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The OHIF viewer's own HTTP listener. OHIF's prebuilt {@code dist} is built for the root of an origin
 * ({@code PUBLIC_URL="/"}), so it gets a listener of its own: the files at {@code /} with client-side
 * routes ({@code /viewer?StudyInstanceUIDs=...}) falling back to {@code index.html}, a generated
 * {@code /app-config.js} whose one data source is {@code /dicom-web} on this origin, and
 * {@code /dicom-web/*}: a read-only (GET/HEAD) proxy to the PACS's DICOMweb root, so the browser never
 * crosses origins.
 */
public final class ViewerServer {

    private static final Logger LOG = LoggerFactory.getLogger(ViewerServer.class);
    static final String PROXY_PREFIX = "/dicom-web";
    /** Request headers passed to the PACS: what DICOMweb content negotiation and caching need, nothing else. */
    private static final List<String> REQUEST_HEADERS = List.of("accept", "accept-encoding", "range", "if-none-match",
            "if-modified-since");
    /** Response headers passed back (hop-by-hop headers and cookies stay behind). */
    private static final List<String> RESPONSE_HEADERS = List.of("content-type", "content-length", "content-encoding",
            "content-range", "accept-ranges", "etag", "last-modified", "cache-control");

    private final Vertx vertx;
    private final RadflowConfig.Viewer config;
    private final Path ohifDir;
    private final URI upstream;
    private HttpClientAgent client;
    private HttpServer server;

    public ViewerServer(Vertx vertx, RadflowConfig.Viewer config) {
        this.vertx = vertx;
        this.config = config;
        this.ohifDir = (config.ohifDir() != null ? config.ohifDir() : defaultOhifDir()).toAbsolutePath().normalize();
        try {
            this.upstream = new URI(config.dicomWebUrl());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("viewer.dicomWebUrl: " + e.getMessage(), e);
        }
    }

    /** {@code ohif/} next to RadFlow's jar (or its classes folder): {@code orchestrator/target/ohif} in a build. */
    public static Path defaultOhifDir() {
        try {
            Path code = Path.of(ViewerServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return code.toAbsolutePath().getParent().resolve("ohif");
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of("ohif");
        }
    }

    public Path ohifDir() {
        return ohifDir;
    }

    public boolean ohifInstalled() {
        return Files.isRegularFile(ohifDir.resolve("index.html"));
    }

    public Future<HttpServer> start() {
        boolean https = "https".equals(upstream.getScheme());
        // OHIF fetches metadata, thumbnails and frames in parallel; the default pool (5) would queue them
        client = vertx.createHttpClient(new HttpClientOptions().setTcpNoDelay(true).setSsl(https)
                .setConnectTimeout(10_000).setIdleTimeout(120).setMaxRedirects(0), new PoolOptions().setHttp1MaxSize(16));
        Router router = Router.router(vertx);
        router.route(PROXY_PREFIX + "/*").handler(this::proxy);
        router.get("/app-config.js").handler(ctx -> ctx.response().putHeader("content-type", "application/javascript; charset=utf-8")
                .putHeader("cache-control", "no-store").end(appConfig()));
        if (ohifInstalled()) {
            router.route().handler(StaticHandler.create(FileSystemAccess.ROOT, ohifDir.toString()).setIndexPage("index.html")
                    .setCachingEnabled(true));
            router.get().handler(this::spaFallback);
        } else {
            LOG.warn("The OHIF viewer is not installed: {} has no index.html. The build fetches it with npm "
                    + "(npm pack @ohif/app); set viewer.ohifDir or viewer.enabled: false", ohifDir);
            router.route().handler(ctx -> ctx.response().setStatusCode(503).putHeader("content-type", "text/html; charset=utf-8")
                    .end(missingPage()));
        }
        // no compression: with it, Netty reads and gzips each file (OHIF's bundles are megabytes) on the event loop,
        // which blocked it for over a second (DashboardBrowserIT); without it files go out by zero-copy sendfile.
        // A site that serves the viewer over a slow link puts a compressing reverse proxy in front.
        HttpServerOptions options = new HttpServerOptions().setHost(config.bindAddress()).setPort(config.port())
                .setTcpNoDelay(true).setCompressionSupported(false);
        return vertx.createHttpServer(options).requestHandler(router).listen().onSuccess(s -> {
            server = s;
            LOG.info("OHIF viewer on http://{}:{}/ (DICOMweb proxy {} -> {}){}", config.bindAddress(), s.actualPort(),
                    PROXY_PREFIX, config.dicomWebUrl(), ohifInstalled() ? "" : " - OHIF files missing");
        });
    }

    public int port() {
        return server == null ? -1 : server.actualPort();
    }

    /** Client-side routes get index.html; a missing file (a name with an extension) stays a 404. */
    private void spaFallback(RoutingContext ctx) {
        String path = ctx.normalizedPath();
        String last = path.substring(path.lastIndexOf('/') + 1);
        if (last.contains(".")) {
            ctx.response().setStatusCode(404).putHeader("content-type", "text/plain; charset=utf-8")
                    .putHeader("x-content-type-options", "nosniff").end("not found: " + path);
            return;
        }
        ctx.response().putHeader("content-type", "text/html; charset=utf-8").putHeader("cache-control", "no-cache")
                .sendFile(ohifDir.resolve("index.html").toString());
    }

    private void proxy(RoutingContext ctx) {
        HttpServerRequest in = ctx.request();
        HttpServerResponse out = ctx.response();
        if (in.method() != HttpMethod.GET && in.method() != HttpMethod.HEAD) {
            out.setStatusCode(405).putHeader("allow", "GET, HEAD").putHeader("content-type", "text/plain; charset=utf-8")
                    .end("The viewer's DICOMweb proxy is read-only: only GET and HEAD reach the PACS.");
            return;
        }
        String raw = in.path();
        if (raw.contains("..") || raw.contains("%2e") || raw.contains("%2E")) {
            out.setStatusCode(400).end("bad path");
            return;
        }
        String base = upstream.getRawPath() == null ? "" : upstream.getRawPath();
        if (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        String uri = base + raw.substring(PROXY_PREFIX.length()) + (in.query() == null ? "" : "?" + in.query());
        int port = upstream.getPort() > 0 ? upstream.getPort() : "https".equals(upstream.getScheme()) ? 443 : 80;
        RequestOptions req = new RequestOptions().setMethod(in.method()).setHost(upstream.getHost()).setPort(port)
                .setURI(uri).setTimeout(120_000);
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        for (String h : REQUEST_HEADERS) {
            String v = in.getHeader(h);
            if (v != null) {
                headers.set(h, v);
            }
        }
        // Orthanc's DICOMweb plugin builds the URLs in its answers (BulkDataURI, RetrieveURL) from this header,
        // so they point back at this proxy and the browser stays on one origin.
        String host = in.authority() == null ? null : in.authority().toString();
        if (host != null) {
            headers.set("forwarded", "host=" + host + ";proto=" + (in.isSSL() ? "https" : "http"));
        }
        req.setHeaders(headers);
        client.request(req).compose(r -> r.send()).onSuccess(resp -> {
            out.setStatusCode(resp.statusCode());
            for (String h : RESPONSE_HEADERS) {
                String v = resp.getHeader(h);
                if (v != null) {
                    out.putHeader(h, v);
                }
            }
            if (resp.getHeader("content-length") == null && in.method() != HttpMethod.HEAD) {
                out.setChunked(true);
            }
            resp.pipeTo(out);
        }).onFailure(e -> {
            if (!out.headWritten()) {
                LOG.warn("Viewer DICOMweb proxy: {} {} failed: {}", in.method(), config.dicomWebUrl(), e.toString());
                out.setStatusCode(502).putHeader("content-type", "text/plain; charset=utf-8")
                        .end("The PACS's DICOMweb service at " + config.dicomWebUrl() + " did not answer: " + e.getMessage()
                                + " (check viewer.dicomWebUrl)");
            } else {
                out.reset();
            }
        });
    }

    /** OHIF's configuration: one DICOMweb data source, this origin's /dicom-web (see PITFALLS.md, OHIF). */
    String appConfig() {
        return """
                /* Generated by RadFlow for its OHIF viewer. Research use only. NOT FOR DIAGNOSTIC USE. */
                (function () {
                  var root = window.location.origin + '%s';
                  function first(x) { return Array.isArray(x) ? x[0] : x; }
                  function items(x) { return !x ? [] : Array.isArray(x) ? x : [x]; }
                  function concept(item) { var c = first(item.ConceptNameCodeSequence); return c ? c.CodeValue : null; }
                  var placedCount = {};
                  // the measurement group of the SR series with this Tracking Unique Identifier, its Source of Measurement
                  // image, and that image's size from the instances OHIF has loaded
                  function radflowPlace(m, srSeries) {
                    var services = window.services;
                    if (!services || !services.displaySetService) { return null; }
                    var ref = null;
                    services.displaySetService.getDisplaySetsForSeries(srSeries).forEach(function (ds) {
                      (ds.instances || []).forEach(function (sr) {
                        items(sr.ContentSequence).filter(function (i) { return concept(i) === '126010'; }).forEach(function (list) {
                          items(list.ContentSequence).forEach(function (group) {
                            var content = items(group.ContentSequence);
                            var own = content.some(function (i) { return concept(i) === '112040' && i.UID === m.TrackingUniqueIdentifier; });
                            var source = own && content.filter(function (i) { return concept(i) === '121112'; })[0];
                            if (source && !ref) { ref = first(source.ReferencedSOPSequence); }
                          });
                        });
                      });
                    });
                    if (!ref || !ref.ReferencedSOPInstanceUID) { return null; }
                    var image = null;
                    services.displaySetService.getActiveDisplaySets().forEach(function (ds) {
                      (ds.instances || ds.images || []).forEach(function (i) {
                        if (!image && i.SOPInstanceUID === ref.ReferencedSOPInstanceUID) { image = i; }
                      });
                    });
                    if (!image) { return null; }
                    var key = ref.ReferencedSOPInstanceUID;
                    placedCount[key] = placedCount[key] || [];
                    var k = placedCount[key].indexOf(m.TrackingUniqueIdentifier);
                    if (k < 0) { k = placedCount[key].push(m.TrackingUniqueIdentifier) - 1; }
                    var columns = Number(image.Columns) || 10;
                    var rows = Number(image.Rows) || 10;
                    return {
                      ValueType: 'SCOORD',
                      GraphicType: 'POINT',
                      GraphicData: [columns * 0.05, rows * (0.05 + 0.2 * k)],
                      ReferencedSOPSequence: { ReferencedSOPClassUID: ref.ReferencedSOPClassUID,
                                               ReferencedSOPInstanceUID: ref.ReferencedSOPInstanceUID }
                    };
                  }
                  window.config = {
                    name: 'radflow',
                    routerBasename: null,
                    extensions: [],
                    modes: [],
                    customizationService: {
                      // OHIF 3.13 (extensions/cornerstone-dicom-sr, getSopClassHandlerModule.ts) draws an SR measurement only
                      // on the image its first coordinate references, reads coords[0] of every measurement (failing on none)
                      // and calls this hook before placing each one. RadFlow's segment volumes carry their outline (a SCOORD);
                      // a measurement without image coordinates (a whole-image classification, a total volume) is placed
                      // here as a point near the top left corner of its Source of Measurement image (DCM 121112, read from
                      // the SR) so that its values and comments show on that image; it stays without a reference (not
                      // drawn) while that image is not known yet, and is tried again when more series arrive.
                      onBeforeSRAddMeasurement: {
                        $set: function (args) {
                          var m = args.measurement;
                          if (!m || (m.coords && m.coords.length > 0 && m.coords[0] && m.coords[0].GraphicData)) {
                            return m;
                          }
                          var placed = null;
                          try {
                            placed = radflowPlace(m, args.SeriesInstanceUID);
                          } catch (e) {
                            console.warn('RadFlow: cannot place SR measurement ' + m.TrackingIdentifier, e);
                          }
                          m.coords = placed ? [placed] : [{}];
                          return m;
                        }
                      }
                    },
                    showStudyList: true,
                    maxNumberOfWebWorkers: 3,
                    showWarningMessageForCrossOrigin: false,
                    showCPUFallbackMessage: true,
                    showLoadingIndicator: true,
                    strictZSpacingForVolumeViewport: true,
                    // OHIF's own label ("for investigational use only"), shown in every new tab until confirmed
                    investigationalUseDialog: { option: 'always' },
                    maxNumRequests: { interaction: 100, thumbnail: 5, prefetch: 10 },
                    showErrorDetails: 'always',
                    defaultDataSourceName: 'radflow',
                    dataSources: [
                      {
                        namespace: '@ohif/extension-default.dataSourcesModule.dicomweb',
                        sourceName: 'radflow',
                        configuration: {
                          friendlyName: 'PACS through RadFlow (research use only)',
                          name: 'radflow',
                          wadoUriRoot: root,
                          qidoRoot: root,
                          wadoRoot: root,
                          qidoSupportsIncludeField: false,
                          supportsReject: false,
                          dicomUploadEnabled: false,
                          imageRendering: 'wadors',
                          thumbnailRendering: 'wadors',
                          enableStudyLazyLoad: true,
                          supportsFuzzyMatching: false,
                          supportsWildcard: true,
                          omitQuotationForMultipartRequest: true,
                          bulkDataURI: { enabled: true, relativeResolution: 'studies' }
                        }
                      }
                    ]
                  };
                })();
                """.formatted(PROXY_PREFIX);
    }

    private String missingPage() {
        return """
                <!doctype html><html lang="en"><head><meta charset="utf-8"><title>RadFlow viewer not installed</title></head>
                <body><h1>The OHIF viewer is not installed</h1>
                <p>RadFlow looked for it in <code>%s</code>. The build fetches it with npm
                (<code>npm pack @ohif/app</code>, see orchestrator/src/build/fetch-ohif.sh): install npm and rebuild,
                or set <code>viewer.ohifDir</code> to an unpacked <code>@ohif/app</code> <code>dist</code> folder.</p>
                <p>Research use only. NOT FOR DIAGNOSTIC USE.</p></body></html>
                """.formatted(escape(ohifDir.toString()));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
