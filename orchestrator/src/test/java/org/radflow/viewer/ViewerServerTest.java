package org.radflow.viewer;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.testkit.FreePorts;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The viewer listener's own behaviour: OHIF files with client-side routes falling back to index.html,
 * the generated app-config.js, the read-only proxy and its errors. (The proxy against a real Orthanc and
 * OHIF in a real browser: DashboardBrowserIT.)
 */
class ViewerServerTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private Vertx vertx;

    @BeforeEach
    void vertx() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private ViewerServer start(Path ohif, String upstream) throws Exception {
        ViewerServer v = new ViewerServer(vertx, new RadflowConfig.Viewer(true, "127.0.0.1", 0, upstream, ohif));
        v.start().await(10, TimeUnit.SECONDS);
        return v;
    }

    private static HttpResponse<String> get(ViewerServer v, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + v.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesOhifWithClientRoutesFallingBackToIndexAndItsOwnConfig() throws Exception {
        Path ohif = Files.createDirectories(dir.resolve("ohif"));
        Files.writeString(ohif.resolve("index.html"), "<html>OHIF index</html>");
        Files.writeString(ohif.resolve("app.bundle.js"), "console.log('bundle')");
        Files.writeString(ohif.resolve("app-config.js"), "window.config = {dataSources: ['the public demo server']};");
        ViewerServer v = start(ohif, "http://127.0.0.1:" + FreePorts.find() + "/dicom-web");

        assertEquals("<html>OHIF index</html>", get(v, "/").body());
        HttpResponse<String> route = get(v, "/viewer?StudyInstanceUIDs=1.2.3");
        assertEquals(200, route.statusCode());
        assertEquals("<html>OHIF index</html>", route.body());
        assertEquals("console.log('bundle')", get(v, "/app.bundle.js").body());
        assertEquals(404, get(v, "/missing.bundle.js").statusCode(), "a missing file is not the index page");

        String config = get(v, "/app-config.js").body();
        assertFalse(config.contains("public demo server"), "RadFlow's configuration replaces the packaged one");
        assertTrue(config.contains("window.location.origin + '/dicom-web'"), config);
        assertTrue(config.contains("omitQuotationForMultipartRequest: true"), config);
        assertTrue(config.contains("NOT FOR DIAGNOSTIC USE"), config);
        assertTrue(config.contains("investigationalUseDialog: { option: 'always' }"), "OHIF labels itself in every tab: " + config);
    }

    @Test
    void theProxyIsReadOnlyAndForwardsPathQueryAndAccept() throws Exception {
        // a plain HTTP server standing in for the PACS's DICOMweb root, echoing what reached it
        HttpServer pacs = vertx.createHttpServer().requestHandler(r -> r.response().putHeader("content-type", "application/dicom+json")
                .putHeader("set-cookie", "session=secret")
                .end("[\"" + r.method() + " " + r.uri() + " accept=" + r.getHeader("accept") + " forwarded=" + r.getHeader("forwarded") + "\"]"))
                .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        ViewerServer v = start(dir.resolve("none"), "http://127.0.0.1:" + pacs.actualPort() + "/orthanc/dicom-web");

        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + v.port()
                + "/dicom-web/studies?StudyInstanceUID=1.2.3&includefield=00081030")).header("Accept", "application/dicom+json").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals("application/dicom+json", r.headers().firstValue("content-type").orElse(""));
        assertTrue(r.headers().firstValue("set-cookie").isEmpty(), "the PACS's cookies stay behind");
        assertEquals("[\"GET /orthanc/dicom-web/studies?StudyInstanceUID=1.2.3&includefield=00081030 accept=application/dicom+json "
                + "forwarded=host=127.0.0.1:" + v.port() + ";proto=http\"]", r.body());

        for (String method : new String[] {"POST", "PUT", "DELETE"}) {
            HttpResponse<String> w = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + v.port() + "/dicom-web/studies"))
                    .method(method, HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, w.statusCode(), method);
            assertTrue(w.body().contains("read-only"), w.body());
        }
    }

    @Test
    void aPacsThatDoesNotAnswerAndMissingOhifFilesAreExplained() throws Exception {
        int closed = FreePorts.find();
        ViewerServer v = start(dir.resolve("not-there"), "http://127.0.0.1:" + closed + "/dicom-web");
        assertFalse(v.ohifInstalled());
        HttpResponse<String> proxied = get(v, "/dicom-web/studies");
        assertEquals(502, proxied.statusCode());
        assertTrue(proxied.body().contains("http://127.0.0.1:" + closed + "/dicom-web") && proxied.body().contains("viewer.dicomWebUrl"),
                proxied.body());
        HttpResponse<String> page = get(v, "/viewer?StudyInstanceUIDs=1.2.3");
        assertEquals(503, page.statusCode());
        assertTrue(page.body().contains("The OHIF viewer is not installed") && page.body().contains(dir.resolve("not-there").toString()),
                page.body());
    }

    /**
     * The generated configuration's onBeforeSRAddMeasurement hook, run in node against a fake OHIF displaySetService: a
     * measurement without image coordinates is placed as a point on its Source of Measurement image (read from the SR's
     * group with the same Tracking Unique Identifier), a second one on the same image below the first; one whose image
     * is not loaded yet gets an empty coordinate (OHIF 3.13 reads coords[0]); one with coordinates is left as it is.
     */
    @Test
    void theSrHookPlacesCoordinateLessMeasurementsOnTheirSourceImage() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/node")), "needs node");
        Path ohif = Files.createDirectories(dir.resolve("ohif-hook"));
        Files.writeString(ohif.resolve("index.html"), "<html>OHIF index</html>");
        ViewerServer v = start(ohif, "http://127.0.0.1:" + FreePorts.find() + "/dicom-web");
        Path config = dir.resolve("app-config.js");
        Files.writeString(config, get(v, "/app-config.js").body());
        Path script = dir.resolve("hook.js");
        Files.writeString(script, """
                const fs = require('fs');
                global.window = { location: { origin: 'http://x' } };
                eval(fs.readFileSync(process.argv[2], 'utf8'));
                const group = (uid, sop) => ({ ConceptNameCodeSequence: [{ CodeValue: '125007' }], ContentSequence: [
                  { ConceptNameCodeSequence: [{ CodeValue: '112039' }], TextValue: 'x' },
                  { ConceptNameCodeSequence: [{ CodeValue: '112040' }], UID: uid },
                  { ConceptNameCodeSequence: [{ CodeValue: '121112' }],
                    ReferencedSOPSequence: [{ ReferencedSOPClassUID: '1.2.840.10008.5.1.4.1.1.1.1', ReferencedSOPInstanceUID: sop }] }] });
                const sr = { ContentSequence: [{ ConceptNameCodeSequence: [{ CodeValue: '111028' }] },
                  { ConceptNameCodeSequence: [{ CodeValue: '126010' }],
                    ContentSequence: [group('9.1', '7.7'), group('9.2', '7.7'), group('9.3', '7.8')] }] };
                window.services = { displaySetService: {
                  getDisplaySetsForSeries: s => s === 'sr-series' ? [{ instances: [sr] }] : [],
                  getActiveDisplaySets: () => [{ instances: [{ SOPInstanceUID: '7.7', Rows: 200, Columns: 100 }] }] } };
                const hook = window.config.customizationService.onBeforeSRAddMeasurement.$set;
                const drawn = { TrackingUniqueIdentifier: '9.0', coords: [{ GraphicType: 'POLYLINE', GraphicData: [1, 1, 2, 2] }] };
                const out = ['9.1', '9.2', '9.3', '9.1'].map(uid =>
                  hook({ measurement: { TrackingUniqueIdentifier: uid, coords: [] }, SeriesInstanceUID: 'sr-series' }).coords);
                out.push(hook({ measurement: drawn, SeriesInstanceUID: 'sr-series' }).coords);
                console.log(JSON.stringify(out));
                """);
        Process p = new ProcessBuilder("/usr/bin/node", script.toString(), config.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), out);
        String point = "{\"ValueType\":\"SCOORD\",\"GraphicType\":\"POINT\",\"GraphicData\":[5,%s],"
                + "\"ReferencedSOPSequence\":{\"ReferencedSOPClassUID\":\"1.2.840.10008.5.1.4.1.1.1.1\","
                + "\"ReferencedSOPInstanceUID\":\"7.7\"}}";
        assertEquals("[[" + point.formatted("10") + "],[" + point.formatted("50") + "],[{}],[" + point.formatted("10")
                + "],[{\"GraphicType\":\"POLYLINE\",\"GraphicData\":[1,1,2,2]}]]", out);
    }
}
