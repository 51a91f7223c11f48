package org.radflow.e2e;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.radflow.config.RadflowConfig;
import org.radflow.server.RadflowServer;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dcmtk;
import org.radflow.testkit.OrthancServer;
import org.radflow.viewer.ViewerServer;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard and the OHIF viewer in a real headless browser: Debian's {@code chromium} driven by
 * Debian's {@code chromedriver} through Selenium (both paths set, so Selenium Manager never fetches
 * anything). A real Orthanc (with DICOMweb) is the PACS; storescu sends a synthetic MR study to
 * RadFlow; the page shows the jobs complete, a planned failure is retried with the Retry button, and
 * the HippoVolume result (demo model), opened from the dashboard in OHIF, lists RadFlow's SR and SEG series, and OHIF
 * draws the SEG (35 x 51 frames) over the MR where the mask is, checked on the screenshot's pixels. Screenshots go to
 * {@code target/screenshots/}.
 */
class DashboardBrowserIT {

    private static final Path CHROMIUM = Path.of(System.getProperty("radflow.chromium", "/usr/bin/chromium"));
    private static final Path CHROMEDRIVER = Path.of(System.getProperty("radflow.chromedriver", "/usr/bin/chromedriver"));
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private WebDriver browser;

    @BeforeEach
    void browser() throws Exception {
        assertTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "this test needs Debian's chromium and chromium-driver (" + CHROMIUM + ", " + CHROMEDRIVER + "): run scripts/setup.sh");
        Files.createDirectories(SCREENSHOTS);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().withLogFile(dir.resolve("chromedriver.log").toFile()).build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1440,1000", "--user-data-dir=" + dir.resolve("chromium-profile"), "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--lang=en-US");
        options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
    }

    @AfterEach
    void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    private RadflowServer radflow(OrthancServer pacs) throws Exception {
        Path modules = dir.resolve("modules");
        installSampleModule(modules); // sample-fail: a drop-in module that fails once, to retry from the page
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0, fsync: false}
                api: {port: 0}
                viewer: {port: 0, dicomWebUrl: '%s'}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 2}
                delivery: {initialBackoffSeconds: 1, maxBackoffSeconds: 2}
                modules:
                  dir: %s
                  watch: false
                  hippovolume:
                    config: {model: demo}
                  sample-fail:
                    config: {mode: permanent, failTimes: 1}
                destinations:
                  pacs: {type: dicom, aeTitle: %s, host: 127.0.0.1, port: %d}
                rules:
                  - {name: mr-hippo, module: hippovolume, destinations: [pacs], match: {Modality: MR}}
                  - {name: mr-fail, module: sample-fail, match: {Modality: MR}}
                """.formatted(dir.resolve("data"), pacs.dicomWebUrl(), modules, pacs.aeTitle(), pacs.dicomPort()));
        RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false);
        s.start().await(60, TimeUnit.SECONDS);
        return s;
    }

    /** The sample drop-in modules, copied by this module's build to target/test-modules (as an operator installs one). */
    static Path installSampleModule(Path modulesDir) throws Exception {
        Path jar = Path.of(System.getProperty("radflow.testModulesDir", "target/test-modules"), "sample", "radflow-sample-module.jar");
        assertTrue(Files.exists(jar), "the build copies the sample module to " + jar);
        Path target = modulesDir.resolve("sample").resolve(jar.getFileName());
        Files.createDirectories(target.getParent());
        Files.copy(jar, target);
        return target;
    }

    @Test
    void anOperatorWatchesAStudyRetriesAFailureAndOpensTheResultInOhif() throws Exception {
        Path ohif = ViewerServer.defaultOhifDir();
        assertTrue(Files.isRegularFile(ohif.resolve("index.html")), "the OHIF viewer is not in " + ohif
                + ": the build fetches it with npm (orchestrator/src/build/fetch-ohif.sh, phase prepare-package); "
                + "install npm and run the build with registry access");
        try (OrthancServer pacs = new OrthancServer().withName("DashboardBrowserIT-pacs").start();
             RadflowServer s = radflow(pacs)) {
            String ui = "http://127.0.0.1:" + s.httpPort() + "/ui/";
            browser.get(ui + "#/live");
            wait(10).until(d -> d.findElement(By.cssSelector(".ruo")).getText().contains("NOT FOR DIAGNOSTIC USE"));

            GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(51));
            Dcmtk.storescu().to(pacs).files(mr.files()).run().assertOk(); // the PACS has the images, as in real life
            Dcmtk.storescu().host("127.0.0.1").port(s.dicomPort()).calledAe("RADFLOW").files(mr.files()).run().assertOk();
            String study = mr.studyInstanceUid();

            // the live view shows both jobs of the study: the hippovolume job succeeds, the planned failure fails
            String rowHippo = "#live-jobs tr[data-study='" + study + "'][data-module='hippovolume']";
            String rowFail = "#live-jobs tr[data-study='" + study + "'][data-module='sample-fail']";
            wait(60).until(d -> !d.findElements(By.cssSelector(rowHippo)).isEmpty());
            wait(90).until(d -> state(d, rowHippo).equals("SUCCEEDED") && state(d, rowFail).equals("FAILED"));
            assertTrue(browser.findElement(By.cssSelector("#studies")).getText().contains(study.substring(study.length() - 18)),
                    "the study is listed: " + browser.findElement(By.cssSelector("#studies")).getText());
            screenshot("01-live");

            // the failed job, retried from the Failed page, succeeds (the module fails only the first attempt)
            String failedJob = attr(browser, rowFail, "data-job");
            browser.get(ui + "#/failed");
            By retry = By.cssSelector("tr[data-job='" + failedJob + "'] button.retry");
            wait(10).until(d -> !d.findElements(retry).isEmpty());
            wait(10).until(d -> d.findElement(By.cssSelector("tr[data-job='" + failedJob + "'] td.reason")).getText()
                    .contains("planned permanent failure"));
            screenshot("02-failed");
            wait(10).until(d -> {
                d.findElement(retry).click(); // retried by the wait when a refresh replaced the row under the click
                return true;
            });
            wait(10).until(d -> d.findElement(By.id("status")).getText().contains("Retry job " + failedJob + ": done"));
            wait(30).until(d -> d.findElements(By.cssSelector("tr[data-job='" + failedJob + "']")).isEmpty());
            browser.get(ui + "#/job/" + failedJob);
            wait(60).until(d -> d.findElement(By.cssSelector(".facts .badge")).getText().equals("succeeded"));
            assertTrue(browser.findElement(By.cssSelector("main")).getText().contains("retry requested through the API"),
                    "the timeline shows the retry");

            // the hippovolume job's page: timeline, result, report page preview (or why there is none), viewer link
            String hippoJob = Api.jobs(s.httpPort(), "&module=hippovolume&study=" + study).get(0).getString("id");
            browser.get(ui + "#/job/" + hippoJob);
            wait(30).until(d -> {
                String preview = d.findElement(By.cssSelector(".preview")).getText();
                return !d.findElements(By.id("report-image")).isEmpty() || preview.contains("No report page image available");
            });
            if (!browser.findElements(By.id("report-image")).isEmpty()) {
                wait(10).until(d -> (Boolean) ((JavascriptExecutor) d).executeScript(
                        "const i = document.getElementById('report-image'); return i.complete && i.naturalWidth > 0;"));
            }
            wait(30).until(d -> d.findElements(By.cssSelector(".badge.s-sent")).size() == 3); // SR, report page, SEG
            screenshot("03-job");
            String viewerUrl = attr(browser, "main .facts + p a.viewer-link", "href");
            assertEquals("http://127.0.0.1:" + s.viewerPort() + "/viewer?StudyInstanceUIDs=" + study, viewerUrl);

            // the reports reached the PACS; OHIF, reading it through RadFlow's proxy, lists them in the study
            awaitInOrthanc(pacs, study, Set.of("MR", "SR", "SEG", "OT"));
            String srSeries = seriesDescription(pacs, study, "SR");
            String segSeries = seriesDescription(pacs, study, "SEG");
            browser.get(viewerUrl);
            JavascriptExecutor js = (JavascriptExecutor) browser;
            wait(90).until(d -> {
                String all = (String) js.executeScript("return document.body.textContent;");
                return all.contains(srSeries) && all.contains(segSeries);
            });
            String text = browser.findElement(By.tagName("body")).getText();
            assertTrue(text.contains("SEG") && text.contains("SR") && text.contains("MR"),
                    "OHIF's study browser shows the MR, SR and SEG series: " + text);
            // OHIF labels itself for investigational use; the user confirms and hides the label
            By confirm = By.cssSelector("[data-cy='confirm-and-hide-button']");
            wait(30).until(d -> !d.findElements(confirm).isEmpty());
            assertTrue(browser.findElement(By.tagName("body")).getText().contains("for investigational use only"));
            // a click through JavaScript: OHIF sometimes lays another overlay (its tour) over the notice while it loads
            js.executeScript("arguments[0].click();", browser.findElement(confirm));
            skipOhifTour();
            Thread.sleep(2000); // let the first image draw for the screenshot
            screenshot("04-ohif-viewer");

            // the SR opens: RadFlow's measurements have no image coordinates, which OHIF 3.13 fails on unless the
            // viewer's configuration (ViewerServer.appConfig) gives them an empty one
            WebElement srItem = browser.findElements(By.cssSelector("[data-cy='study-browser-thumbnail-no-image']")).stream()
                    .filter(e -> e.getText().trim().startsWith("SR"))
                    .findFirst().orElseThrow(() -> new AssertionError("no SR item in OHIF's study browser"));
            new Actions(browser).doubleClick(srItem).perform();
            Thread.sleep(6000);
            screenshot("04-ohif-sr");
            List<String> srErrors = browser.manage().logs().get("browser").getAll().stream().map(Object::toString)
                    .filter(l -> l.contains("ReferencedSOPSequence") || l.contains("Error loading displaySet")).toList();
            assertTrue(srErrors.isEmpty(), "OHIF failed on RadFlow's SR: " + srErrors);

            // the SEG drawn over the MR, on pixels. Its 35 x 51 frames are not byte-aligned once bit-packed, so SegWriter
            // writes it FRACTIONAL 0/255; written BINARY, OHIF 3.13 with Orthanc 1.10 stays at "Loading SEG..." and this fails
            segmentationDrawnOverTheMr(pacs, study);

            // the other pages render against the live server
            for (String page : List.of("modules", "destinations", "rules?study=" + study)) {
                browser.get(ui + "#/" + page);
                Thread.sleep(2500);
                screenshot("05-" + page.replaceAll("\\?.*", ""));
            }
            wait(10).until(d -> d.findElement(By.id("rt-result")).getText().contains("mr-hippo"));
            assertEquals("matched", attr(browser, "tr[data-rule='mr-hippo']", "data-outcome"), "the rule tester says mr-hippo matched");
            browser.get(ui + "#/destinations");
            wait(10).until(d -> d.findElement(By.cssSelector("tr[data-destination='pacs']")).getText().contains("pacs"));
            browser.get(ui + "#/cluster");
            wait(10).until(d -> d.findElement(By.id("cluster-claiming")).getText().equals("This node claims work."));
            assertTrue(browser.findElement(By.id("cluster-summary")).getText().contains("works alone"));
            screenshot("06-cluster");
            // an operator drains the node from the page and resumes it
            clickWhenStable(By.xpath("//button[text()='Drain']"));
            wait(10).until(d -> d.findElement(By.id("cluster-claiming")).getText().startsWith("This node claims no work: draining"));
            clickWhenStable(By.xpath("//button[text()='Resume']"));
            wait(10).until(d -> d.findElement(By.id("cluster-claiming")).getText().equals("This node claims work."));
            browser.get(ui + "#/study/" + study);
            wait(10).until(d -> d.findElements(By.cssSelector("tr[data-study='" + study + "'][data-state='SUCCEEDED']")).size() == 2);
            screenshot("06-study");

            // the proxy is read-only
            HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.viewerPort() + "/dicom-web/studies"))
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());
        }
    }

    /** Clicks an element the page may redraw meanwhile (the cluster page refreshes itself): found again until it works. */
    private void clickWhenStable(By by) {
        wait(10).until(d -> {
            try {
                d.findElement(by).click();
                return true;
            } catch (org.openqa.selenium.StaleElementReferenceException | org.openqa.selenium.NoSuchElementException e) {
                return false;
            }
        });
    }

    @Test
    void aPastedTokenIsSentAsBearerAndKeptOnlyForTheTab() throws Exception {
        // the page against an API that wants a bearer token (the page is the unit under test here)
        io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
        try {
            io.vertx.ext.web.Router r = io.vertx.ext.web.Router.router(vertx);
            List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
            r.route("/api/*").handler(ctx -> {
                String auth = ctx.request().getHeader("Authorization");
                seen.add(String.valueOf(auth));
                if (!"Bearer s3cret-token".equals(auth)) {
                    ctx.response().setStatusCode(401).putHeader("content-type", "application/json")
                            .end(new io.vertx.core.json.JsonObject().put("error", "a bearer token is required").encode());
                } else {
                    ctx.next();
                }
            });
            r.get("/api/health").handler(ctx -> ctx.json(new io.vertx.core.json.JsonObject().put("status", "UP").put("node", "n1")));
            r.get("/api/jobs").handler(ctx -> ctx.json(new io.vertx.core.json.JsonObject().put("jobs", new io.vertx.core.json.JsonArray()
                    .add(new io.vertx.core.json.JsonObject().put("id", "job-1").put("state", "RUNNING").put("module", "m")
                            .put("studyInstanceUid", "1.2.3").put("progress", 0.4).put("createdAt", "2026-01-01T00:00:00Z")
                            .put("startedAt", "2026-01-01T00:00:01Z")))));
            io.vertx.core.http.HttpServer server = vertx.createHttpServer()
                    .requestHandler(org.radflow.http.WebUi.mount(r, () -> -1)).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
            String ui = "http://127.0.0.1:" + server.actualPort() + "/ui/";

            browser.get(ui + "#/live");
            wait(10).until(d -> d.findElement(By.id("live-jobs")).getText().contains("needs a token"));
            browser.findElement(By.id("token")).sendKeys("s3cret-token");
            browser.findElement(By.cssSelector("#token-form button[type=submit]")).click();
            wait(10).until(d -> !d.findElements(By.cssSelector("tr[data-job='job-1'][data-state='RUNNING']")).isEmpty());
            assertTrue(seen.contains("Bearer s3cret-token"));
            assertEquals("", browser.findElement(By.id("token")).getAttribute("value"), "the field is cleared once used");
            JavascriptExecutor js = (JavascriptExecutor) browser;
            assertEquals("s3cret-token", js.executeScript("return sessionStorage.getItem('radflow.apiToken');"));
            assertEquals(0L, js.executeScript("return localStorage.length;"), "nothing is kept beyond the tab");
            browser.navigate().refresh(); // same tab: still signed in
            wait(10).until(d -> !d.findElements(By.cssSelector("tr[data-job='job-1']")).isEmpty());
            screenshot("07-token");
            browser.findElement(By.id("token-clear")).click();
            assertEquals(null, js.executeScript("return sessionStorage.getItem('radflow.apiToken');"));
            wait(10).until(d -> d.findElement(By.id("live-jobs")).getText().contains("needs a token"));
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    /**
     * The SEG drawn by OHIF over the MR, checked on the screen's pixels (issue 14). On the source slice where each segment
     * has most pixels, the screen at the centre of every segment pixel shows that segment's colour (gold 0xFFD700
     * anterior, blue 0x1E90FF posterior, blended over the grey MR, so the hue is the segment's) and pixels neither in nor
     * next to a segment show no segment colour; before the SEG is opened the same slices show none. The mask is read
     * back from the SEG the PACS serves to OHIF; OHIF's own geometry (cornerstone's worldToCanvas of each MR pixel's
     * patient position) says where each MR pixel is on the screen.
     */
    private void segmentationDrawnOverTheMr(OrthancServer pacs, String study) throws Exception {
        OrthancServer.StoredInstance segInstance = pacs.instancesOfStudy(study).stream().filter(x -> "SEG".equals(x.modality()))
                .findFirst().orElseThrow();
        SegMask mask = SegMask.read(pacs.instanceFile(segInstance.orthancId()));
        assertEquals("Anterior hippocampus", mask.labels().get(1), "segment 1 is drawn gold");
        assertEquals("Posterior hippocampus", mask.labels().get(2), "segment 2 is drawn blue");

        // the MR alone: no segment colour on the slices the check looks at
        WebElement mrItem = browser.findElements(By.cssSelector("[data-cy='study-browser-thumbnail']")).stream()
                .filter(e -> e.getText().contains("HippoCrop")).findFirst()
                .orElseThrow(() -> new AssertionError("no MR thumbnail in OHIF's study browser"));
        new Actions(browser).doubleClick(mrItem).perform();
        for (int segment : new int[] {1, 2}) {
            String sop = mask.largestSlice(segment);
            Overlay before = showSlice(sop, "08-ohif-mr-segment-" + segment);
            assertTrue(before.litFraction(mask) > 0.5, "the MR slice is drawn (most of it is not black): " + before);
            assertEquals(0, before.coloured(mask, 1) + before.coloured(mask, 2),
                    "the MR alone shows no segment colour: " + before);
        }

        // the SEG, opened as a user does: a double-click on its item, then "Yes" when OHIF asks whether to open it
        WebElement segItem = browser.findElements(By.cssSelector("[data-cy='study-browser-thumbnail-no-image']")).stream()
                .filter(e -> e.getText().trim().startsWith("SEG"))
                .findFirst().orElseThrow(() -> new AssertionError("no SEG item in OHIF's study browser"));
        new Actions(browser).doubleClick(segItem).perform();
        By yes = By.xpath("//button[normalize-space(.)='Yes']");
        try {
            wait(60).until(d -> d.findElement(By.tagName("body")).getText().contains("Do you want to open this Segmentation?")
                    && !d.findElements(yes).isEmpty());
        } catch (TimeoutException e) {
            screenshot("09-ohif-seg-not-loaded");
            throw new AssertionError("OHIF did not load the SEG within 60 s (it asks to open a SEG once it has read it; see "
                    + SCREENSHOTS.resolve("09-ohif-seg-not-loaded.png") + "); browser log: " + browserLog(), e);
        }
        screenshot("09-ohif-seg-prompt");
        JavascriptExecutor js = (JavascriptExecutor) browser;
        js.executeScript("arguments[0].click();", browser.findElement(yes));
        wait(60).until(d -> (Boolean) js.executeScript("return window.services.segmentationService.getSegmentations().length > 0;"));
        wait(30).until(d -> d.findElements(yes).isEmpty());

        for (int segment : new int[] {1, 2}) {
            String sop = mask.largestSlice(segment);
            int expected = segment;
            Overlay[] shown = new Overlay[1];
            try {
                wait(30).until(d -> {
                    shown[0] = showSlice(sop, "10-ohif-seg-segment-" + expected);
                    return shown[0].coloured(mask, expected) > 0;
                });
            } catch (TimeoutException e) {
                throw new AssertionError("OHIF does not draw segment " + segment + " (" + mask.labels().get(segment)
                        + ") of the SEG on slice " + sop + " (see " + SCREENSHOTS.resolve("10-ohif-seg-segment-" + segment + ".png")
                        + "); browser log: " + browserLog(), e);
            }
            int[] h = shown[0].hits(mask, sop);
            String counts = "slice " + sop + " (where segment " + segment + " is largest): " + h[1] + " of its " + h[0]
                    + " segment pixels show their segment's colour, "
                    + h[3] + " of " + h[2] + " pixels away from the mask show a segment colour (" + shown[0] + ")";
            System.out.println("[DashboardBrowserIT] OHIF draws the SEG: " + counts);
            assertTrue(h[0] > 0 && h[1] >= 0.95 * h[0], "OHIF draws the mask where it is: " + counts);
            assertTrue(h[3] <= h[2] / 100, "OHIF draws no segment colour away from the mask: " + counts);
        }
    }

    private String browserLog() {
        return browser.manage().logs().get("browser").getAll().stream().map(Object::toString)
                .filter(l -> l.contains("SEG") || l.contains("egmentation") || l.contains("rror")).map(DashboardBrowserIT::abbreviate)
                .collect(Collectors.joining("\n"));
    }

    /** Shows this MR instance in the active viewport and reads, from a screenshot, the colour over each of its pixels. */
    private Overlay showSlice(String sopInstanceUid, String screenshotName) {
        wait(60).until(d -> (Boolean) ((JavascriptExecutor) d).executeScript("""
                const active = window.services && window.services.viewportGridService.getActiveViewportId();
                const vps = window.cornerstone ? window.cornerstone.getRenderingEngines().flatMap(e => e.getViewports()) : [];
                const vp = vps.find(v => v.id === active);
                return !!vp && !!vp.getImageIds && vp.getImageIds().some(id => id.includes(arguments[0]));
                """, sopInstanceUid));
        Object r = ((JavascriptExecutor) browser).executeAsyncScript("""
                const [uid, done] = arguments;
                (async () => {
                  const active = window.services.viewportGridService.getActiveViewportId();
                  const vps = window.cornerstone.getRenderingEngines().flatMap(e => e.getViewports());
                  const vp = vps.find(v => v.id === active) || vps[0];
                  const ids = vp.getImageIds();
                  const index = ids.findIndex(id => id.includes(uid));
                  if (index < 0) { done({error: 'viewport ' + vp.id + ' (' + vp.type + ') has no image of ' + uid + ': ' + ids.length}); return; }
                  if (vp.setImageIdIndex) { await vp.setImageIdIndex(index); }
                  else { await window.cornerstone.utilities.jumpToSlice(vp.element, {imageIndex: index}); }
                  vp.render();
                  await new Promise(res => requestAnimationFrame(() => requestAnimationFrame(res)));
                  const imageId = vp.getCurrentImageId();
                  const p = window.cornerstone.metaData.get('imagePlaneModule', imageId);
                  const world = (c, r) => [0, 1, 2].map(k => p.imagePositionPatient[k] + p.rowCosines[k] * c * p.columnPixelSpacing
                      + p.columnCosines[k] * r * p.rowPixelSpacing);
                  const o = vp.worldToCanvas(world(0, 0)), c1 = vp.worldToCanvas(world(1, 0)), r1 = vp.worldToCanvas(world(0, 1));
                  const rect = vp.canvas.getBoundingClientRect();
                  done({type: vp.type, index: index, current: imageId, dpr: window.devicePixelRatio,
                        left: rect.left, top: rect.top, width: rect.width, height: rect.height,
                        ox: o[0], oy: o[1], cx: c1[0] - o[0], cy: c1[1] - o[1], rx: r1[0] - o[0], ry: r1[1] - o[1]});
                })().catch(e => done({error: String(e && e.stack || e)}));
                """, sopInstanceUid);
        @SuppressWarnings("unchecked")
        Map<String, Object> v = (Map<String, Object>) r;
        assertTrue(!v.containsKey("error"), "showing slice " + sopInstanceUid + " in OHIF: " + v.get("error"));
        assertTrue(String.valueOf(v.get("current")).contains(sopInstanceUid), "OHIF shows " + v.get("current"));
        assertEquals(1.0, ((Number) v.get("dpr")).doubleValue(), "screenshot pixels are CSS pixels");
        byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        try {
            Files.write(SCREENSHOTS.resolve(screenshotName + ".png"), png);
            return new Overlay(ImageIO.read(new ByteArrayInputStream(png)), num(v, "left"), num(v, "top"),
                    num(v, "ox"), num(v, "oy"), num(v, "cx"), num(v, "cy"), num(v, "rx"), num(v, "ry"), v.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double num(Map<String, Object> v, String key) {
        return ((Number) v.get(key)).doubleValue();
    }

    /** A screenshot and where the shown MR's pixel centres lie on it (an affine map from column/row to page pixels). */
    record Overlay(BufferedImage shot, double left, double top, double ox, double oy, double cx, double cy,
                   double rx, double ry, String describe) {

        /** The segment whose colour the screen shows at the centre of this MR pixel, or 0. */
        int colourAt(int column, int row) {
            int x = (int) Math.round(left + ox + column * cx + row * rx);
            int y = (int) Math.round(top + oy + column * cy + row * ry);
            if (x < 0 || y < 0 || x >= shot.getWidth() || y >= shot.getHeight()) {
                throw new AssertionError("MR pixel (" + column + ", " + row + ") is off the screen at (" + x + ", " + y + "): " + describe);
            }
            return segmentOfColour(shot.getRGB(x, y));
        }

        /** The fraction of this slice's pixel centres that are not black on the screen (the image is drawn). */
        double litFraction(SegMask mask) {
            int lit = 0;
            for (int r = 0; r < mask.rows(); r++) {
                for (int c = 0; c < mask.columns(); c++) {
                    int rgb = shot.getRGB((int) Math.round(left + ox + c * cx + r * rx), (int) Math.round(top + oy + c * cy + r * ry));
                    lit += Math.max((rgb >> 16) & 0xFF, Math.max((rgb >> 8) & 0xFF, rgb & 0xFF)) > 60 ? 1 : 0;
                }
            }
            return lit / (double) (mask.rows() * mask.columns());
        }

        /** How many pixels of this slice show this segment's colour. */
        int coloured(SegMask mask, int segment) {
            int n = 0;
            for (int r = 0; r < mask.rows(); r++) {
                for (int c = 0; c < mask.columns(); c++) {
                    n += colourAt(c, r) == segment ? 1 : 0;
                }
            }
            return n;
        }

        /**
         * {pixels of any segment on this slice, those showing their own segment's colour, pixels neither in nor next to
         * a segment, those showing a segment colour}.
         */
        int[] hits(SegMask mask, String sop) {
            int[] h = new int[4];
            for (int r = 0; r < mask.rows(); r++) {
                for (int c = 0; c < mask.columns(); c++) {
                    int shown = colourAt(c, r);
                    int segment = mask.segmentAt(sop, c, r);
                    if (segment != 0) {
                        h[0]++;
                        h[1] += shown == segment ? 1 : 0;
                    } else if (!mask.nearMask(sop, c, r)) {
                        h[2]++;
                        h[3] += shown != 0 ? 1 : 0;
                    }
                }
            }
            return h;
        }

        @Override
        public String toString() {
            return describe;
        }
    }

    /**
     * 1 for gold (0xFFD700, hue 51 degrees), 2 for blue (0x1E90FF, hue 210 degrees), 0 for anything else. A colour blended
     * over grey keeps its hue and loses saturation, so the test is on hue with a floor on chroma (grey has none).
     */
    static int segmentOfColour(int rgb) {
        int r = (rgb >> 16) & 0xFF;
        int g = (rgb >> 8) & 0xFF;
        int b = rgb & 0xFF;
        int max = Math.max(r, Math.max(g, b));
        int min = Math.min(r, Math.min(g, b));
        int chroma = max - min;
        if (chroma < 24) {
            return 0;
        }
        double hue;
        if (max == r) {
            hue = 60.0 * (((g - b) / (double) chroma) % 6);
        } else if (max == g) {
            hue = 60.0 * ((b - r) / (double) chroma + 2);
        } else {
            hue = 60.0 * ((r - g) / (double) chroma + 4);
        }
        hue = (hue + 360) % 360;
        if (Math.abs(hue - 51) <= 15) {
            return 1;
        }
        if (Math.abs(hue - 210) <= 15) {
            return 2;
        }
        return 0;
    }

    /** The Series Description Orthanc holds for the study's series of this modality (what OHIF must list). */
    private static String seriesDescription(OrthancServer pacs, String study, String modality) {
        OrthancServer.StoredInstance i = pacs.instancesOfStudy(study).stream().filter(x -> modality.equals(x.modality())).findFirst()
                .orElseThrow();
        String d = pacs.getJsonObject("/instances/" + i.orthancId() + "/simplified-tags").getString("SeriesDescription");
        assertTrue(d != null && !d.isBlank(), modality + " has a series description");
        return d;
    }

    /** OHIF's first-visit tour covers the viewport; a user would skip it too. */
    private void skipOhifTour() {
        for (WebElement e : browser.findElements(By.xpath("//*[normalize-space(text())='Skip all']"))) {
            if (e.isDisplayed()) {
                ((JavascriptExecutor) browser).executeScript("arguments[0].click();", e);
                return;
            }
        }
    }

    /** Reads an attribute in one step: the page re-renders its tables every 2 s, so element handles go stale. */
    private static String attr(WebDriver d, String css, String name) {
        Object v = ((JavascriptExecutor) d).executeScript("const e = document.querySelector(arguments[0]); "
                + "return e ? e.getAttribute(arguments[1]) : null;", css, name);
        return v == null ? "" : v.toString();
    }

    private static String state(WebDriver d, String css) {
        return attr(d, css, "data-state");
    }

    private WebDriverWait wait(int seconds) {
        WebDriverWait w = new WebDriverWait(browser, Duration.ofSeconds(seconds), Duration.ofMillis(250));
        w.ignoring(StaleElementReferenceException.class);
        w.withMessage(() -> "page at " + browser.getCurrentUrl() + " shows: " + abbreviate(browser.findElement(By.tagName("body")).getText()));
        return w;
    }

    private static String abbreviate(String s) {
        return s.length() > 3000 ? s.substring(0, 3000) + "…" : s;
    }

    private void screenshot(String name) throws Exception {
        File f = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(f.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    private static void awaitInOrthanc(OrthancServer o, String study, Set<String> modalities) throws Exception {
        long end = System.currentTimeMillis() + 60_000;
        Set<String> have = Set.of();
        while (System.currentTimeMillis() < end) {
            have = o.instancesOfStudy(study).stream().map(OrthancServer.StoredInstance::modality).collect(Collectors.toSet());
            if (have.containsAll(modalities)) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("Orthanc has " + have + " of " + modalities);
    }
}
