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

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
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
 * the HippoVolume result (demo model), opened from the dashboard in OHIF, lists RadFlow's SR and SEG series. Screenshots go to
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
        options.setCapability("goog:loggingPrefs", java.util.Map.of("browser", "ALL"));
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

            // Drawing this SEG in OHIF is not checked yet. Its 35 x 51 frames are not byte-aligned once bit-packed, which
            // OHIF 3.13 with Orthanc 1.10 could not load as BINARY (full-instance length check, then frames unpacked from
            // byte boundaries); SegWriter therefore writes it FRACTIONAL with values 0/255, which OHIF's loader accepts
            // as "pseudo-binary". A pixel check of the overlay is open work (issue 14).

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
