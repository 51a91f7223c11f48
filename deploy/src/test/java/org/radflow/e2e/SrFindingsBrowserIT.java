package org.radflow.e2e;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.ContentItem;
import com.pixelmed.dicom.ContentItemFactory;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.StructuredReport;
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
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dcmtk;
import org.radflow.testkit.OrthancServer;
import org.radflow.viewer.ViewerServer;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RadFlow's SRs read in the OHIF 3.13 it serves (issue 14), in headless chromium as {@link DashboardBrowserIT} drives it:
 * a HippoVolume MR study and a COVID-Net chest radiograph go through RadFlow to a real Orthanc; opening each study's SR
 * in OHIF shows its findings in words on the image (the text OHIF draws next to a measurement: the anterior volume in
 * mm3, COVID-Net's most likely class), and for HippoVolume the segment's outline (the SR's SCOORD POLYLINE) is drawn
 * where the SR says, checked on the screenshot's pixels: OHIF draws the active SR measurement in green, and green is
 * found along the outline's edges. Screenshots go to {@code target/screenshots/}.
 */
class SrFindingsBrowserIT {

    private static final Path CHROMIUM = Path.of(System.getProperty("radflow.chromium", "/usr/bin/chromium"));
    private static final Path CHROMEDRIVER = Path.of(System.getProperty("radflow.chromedriver", "/usr/bin/chromedriver"));
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

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
        Path models = dir.resolve("models");
        CovidNetOrthancIT.writeModel(models.resolve("covidnet").resolve("covidnet.onnx"));
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0, fsync: false}
                api: {port: 0}
                viewer: {port: 0, dicomWebUrl: '%s'}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 2}
                modules:
                  dir: %s
                  modelsDir: %s
                  watch: false
                  hippovolume:
                    config: {model: demo}
                destinations:
                  pacs: {type: dicom, aeTitle: %s, host: 127.0.0.1, port: %d}
                rules:
                  - {name: mr-hippo, module: hippovolume, destinations: [pacs], match: {Modality: MR}}
                  - {name: dx-covid, module: covidnet, destinations: [pacs], match: {Modality: DX}}
                """.formatted(dir.resolve("data"), pacs.dicomWebUrl(), dir.resolve("drop-in"), models, pacs.aeTitle(),
                pacs.dicomPort()));
        RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false);
        s.start().await(60, TimeUnit.SECONDS);
        return s;
    }

    @Test
    void ohifShowsTheHippoVolumeOutlineAndVolumeAndCovidNetsAnswer() throws Exception {
        Path ohif = ViewerServer.defaultOhifDir();
        assertTrue(Files.isRegularFile(ohif.resolve("index.html")), "the OHIF viewer is not in " + ohif
                + ": the build fetches it with npm (orchestrator/src/build/fetch-ohif.sh, phase prepare-package)");
        try (OrthancServer pacs = new OrthancServer().withName("SrFindingsBrowserIT-pacs").start();
             RadflowServer s = radflow(pacs)) {
            GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(61));
            GeneratedSeries dx = Synth.chestRadiograph(dir.resolve("dx"), ChestOptions.defaults().withSeed(62));
            for (GeneratedSeries g : List.of(mr, dx)) {
                Dcmtk.storescu().to(pacs).files(g.files()).run().assertOk(); // the PACS has the images, as in real life
                Dcmtk.storescu().host("127.0.0.1").port(s.dicomPort()).calledAe("RADFLOW").files(g.files()).run().assertOk();
            }
            Map<String, List<OrthancServer.StoredInstance>> hippo = Api.awaitModalities(pacs, mr.studyInstanceUid(),
                    Set.of("SR", "SEG"), 180_000);
            Map<String, List<OrthancServer.StoredInstance>> covid = Api.awaitModalities(pacs, dx.studyInstanceUid(),
                    Set.of("SR"), 120_000);

            // what the HippoVolume SR says: its first group's volume, and that volume's image region (outline + image)
            ContentItem root = (ContentItem) new StructuredReport(read(pacs, hippo.get("SR").get(0))).getRoot();
            List<ContentItem> nums = new ArrayList<>();
            collect(root, "NUM", nums);
            ContentItem first = nums.stream().filter(n -> "118565006".equals(n.getConceptNameCodeValue())).findFirst()
                    .orElseThrow(() -> new AssertionError("the SR has no volume"));
            String volume = String.format(Locale.ROOT, "Volume: %.2f mm3",
                    Double.parseDouble(((ContentItemFactory.NumericContentItem) first).getNumericValue()));
            List<ContentItem> regions = new ArrayList<>();
            collect(first, "SCOORD", regions);
            assertEquals(1, regions.size(), "the first volume (a segment's) has its image region in the SR");
            var region = (ContentItemFactory.SpatialCoordinatesContentItem) regions.get(0);
            String slice = ((ContentItemFactory.ImageContentItem) region.getChildAt(0)).getReferencedSOPInstanceUID();
            float[] outline = region.getGraphicData();

            // the MR study in OHIF; the SR opened as a user does (double-click on its item)
            openStudy(s, mr.studyInstanceUid());
            openSr(() -> bodyText().contains(volume), slice);
            Geometry g = geometry(slice);
            BufferedImage shot = screenshot("11-ohif-sr-hippovolume");
            int edges = outline.length / 2 - 1;
            int green = 0;
            List<String> missed = new ArrayList<>();
            for (int i = 0; i < edges; i++) {
                // the middle of each edge of the polygon, in image coordinates (pixel corners), on the screen
                double x = (outline[2 * i] + outline[2 * i + 2]) / 2;
                double y = (outline[2 * i + 1] + outline[2 * i + 3]) / 2;
                int[] p = g.toScreen(x, y);
                if (greenNear(shot, p[0], p[1], 3)) {
                    green++;
                } else {
                    missed.add("(" + x + ", " + y + ") at " + p[0] + "," + p[1]);
                }
            }
            System.out.println("[SrFindingsBrowserIT] outline edges drawn: " + green + " of " + edges + " (" + g + ")");
            assertTrue(green >= 0.9 * edges, "OHIF draws the SR's outline where it is: " + green + " of " + edges
                    + " edge middles are green; missed " + missed + "; " + g);
            // and not everywhere: the image's corners (away from the outline) are not green
            int[] corner = g.toScreen(0.5, 0.5);
            assertTrue(!greenNear(shot, corner[0], corner[1], 1), "no green at the image's top left pixel");

            // the COVID-Net radiograph: its answer in words and its probabilities, on the image
            openStudy(s, dx.studyInstanceUid());
            try {
                openSr(() -> bodyText().contains("Most likely: ") && bodyText().contains("Probability of "), null);
            } finally {
                screenshot("12-ohif-sr-covidnet");
            }
            assertEquals(1, covid.get("SR").size());
        }
    }

    private static AttributeList read(OrthancServer pacs, OrthancServer.StoredInstance i) throws Exception {
        AttributeList l = new AttributeList();
        try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(pacs.instanceFile(i.orthancId())))) {
            l.read(in);
        }
        return l;
    }

    private static void collect(ContentItem item, String valueType, List<ContentItem> out) {
        if (valueType.equals(item.getValueType())) {
            out.add(item);
        }
        for (int i = 0; i < item.getChildCount(); i++) {
            collect((ContentItem) item.getChildAt(i), valueType, out);
        }
    }

    private void openStudy(RadflowServer s, String study) throws Exception {
        browser.get("http://127.0.0.1:" + s.viewerPort() + "/viewer?StudyInstanceUIDs=" + study);
        JavascriptExecutor js = (JavascriptExecutor) browser;
        By confirm = By.cssSelector("[data-cy='confirm-and-hide-button']");
        wait(90).until(d -> !d.findElements(confirm).isEmpty() || !srItems().isEmpty());
        if (!browser.findElements(confirm).isEmpty()) {
            js.executeScript("arguments[0].click();", browser.findElement(confirm));
        }
        for (WebElement e : browser.findElements(By.xpath("//*[normalize-space(text())='Skip all']"))) {
            if (e.isDisplayed()) {
                js.executeScript("arguments[0].click();", e);
            }
        }
        wait(90).until(d -> !srItems().isEmpty());
    }

    private List<WebElement> srItems() {
        return browser.findElements(By.cssSelector("[data-cy='study-browser-thumbnail-no-image']")).stream()
                .filter(e -> e.getText().trim().startsWith("SR")).toList();
    }

    /**
     * Opens the study's SR as a user does (double-click on its item) once the first series has drawn, and waits until
     * {@code shown}. OHIF 3.13 with Debian's chromium 156 (2026-12-05) often loads the SR's measurements (its
     * DICOMSRDisplay annotations, on the right image) without drawing them until the viewport next renders: 5 of 6 runs
     * here and one CI run, where earlier sessions' runs drew them at once. The test then does what makes a user's
     * viewer draw them — the mouse over the image, a redraw, scrolling off the image and back — one at a time, logging
     * which one it took; a region drawn in the wrong place or not at all still fails.
     */
    private void openSr(java.util.function.BooleanSupplier shown, String slice) throws Exception {
        JavascriptExecutor js = (JavascriptExecutor) browser;
        wait(90).until(d -> (Boolean) js.executeScript("""
                const vps = window.cornerstone ? window.cornerstone.getRenderingEngines().flatMap(e => e.getViewports()) : [];
                return vps.some(v => v.getCurrentImageId && !!v.getCurrentImageId());
                """));
        Thread.sleep(1000);
        new Actions(browser).doubleClick(srItems().get(0)).perform();
        try {
            wait(30).until(d -> shown.getAsBoolean());
            return;
        } catch (org.openqa.selenium.TimeoutException notYet) {
            screenshot("sr-not-shown");
        }
        Object srAnnotations = js.executeScript("""
                return window.cornerstoneTools ? window.cornerstoneTools.annotation.state.getAllAnnotations()
                    .filter(a => a.metadata && a.metadata.toolName === 'DICOMSRDisplay').length : -1;
                """);
        assertTrue(((Number) srAnnotations).intValue() > 0, "OHIF did not load the SR's measurements in 30 s (annotations: "
                + srAnnotations + ")");
        System.out.println("[SrFindingsBrowserIT] OHIF loaded the SR's " + srAnnotations + " measurement(s) and drew none in 30 s");
        // 1. the mouse over the image
        WebElement canvas = browser.findElements(By.cssSelector("canvas")).stream().filter(WebElement::isDisplayed)
                .max(java.util.Comparator.comparingInt(e -> e.getSize().getWidth() * e.getSize().getHeight())).orElseThrow();
        new Actions(browser).moveToElement(canvas).moveByOffset(15, 15).moveByOffset(-30, -30).perform();
        if (shownWithin(shown, 5, "after the mouse moved over the image")) {
            return;
        }
        // 2. a redraw of the viewports
        js.executeScript("window.cornerstone.getRenderingEngines().flatMap(e => e.getViewports()).forEach(v => v.render());");
        if (shownWithin(shown, 5, "after a redraw")) {
            return;
        }
        // 3. off the image and back, as a user scrolls (a stack of more than one image)
        Object moved = js.executeAsyncScript("""
                const uid = arguments[0], done = arguments[arguments.length - 1];
                (async () => {
                  for (const v of window.cornerstone.getRenderingEngines().flatMap(e => e.getViewports())) {
                    const ids = v.getImageIds ? v.getImageIds() : [];
                    const i = uid ? ids.findIndex(id => String(id).includes(uid)) : v.getCurrentImageIdIndex();
                    if (i >= 0 && ids.length > 1) {
                      await v.setImageIdIndex(i === 0 ? 1 : 0);
                      await new Promise(r => setTimeout(r, 500));
                      await v.setImageIdIndex(i);
                      return i;
                    }
                  }
                  return -1;
                })().then(done, e => done(String(e)));
                """, slice);
        if (!shownWithin(shown, 60, "after scrolling off the image and back (index " + moved + ")")) {
            throw new AssertionError("OHIF loaded the SR's measurements but never drew them; screenshot sr-not-shown.png");
        }
    }

    private boolean shownWithin(java.util.function.BooleanSupplier shown, int seconds, String what) {
        try {
            wait(seconds).until(d -> shown.getAsBoolean());
            System.out.println("[SrFindingsBrowserIT] the SR's measurements were drawn " + what);
            return true;
        } catch (org.openqa.selenium.TimeoutException no) {
            return false;
        }
    }

    private String bodyText() {
        return (String) ((JavascriptExecutor) browser).executeScript("return document.body.textContent;");
    }

    /** Where the shown image's pixel centres lie on the page: an affine map, as DashboardBrowserIT reads it. */
    record Geometry(double left, double top, double ox, double oy, double cx, double cy, double rx, double ry, String describe) {
        /** Image coordinates (DICOM SCOORD: (0,0) the top left corner of the top left pixel) to page pixels. */
        int[] toScreen(double x, double y) {
            double c = x - 0.5;
            double r = y - 0.5;
            return new int[] {(int) Math.round(left + ox + c * cx + r * rx), (int) Math.round(top + oy + c * cy + r * ry)};
        }

        @Override
        public String toString() {
            return describe;
        }
    }

    private Geometry geometry(String sopInstanceUid) {
        JavascriptExecutor js = (JavascriptExecutor) browser;
        wait(60).until(d -> (Boolean) js.executeScript("""
                const vps = window.cornerstone ? window.cornerstone.getRenderingEngines().flatMap(e => e.getViewports()) : [];
                return vps.some(v => v.getCurrentImageId && String(v.getCurrentImageId()).includes(arguments[0]));
                """, sopInstanceUid));
        Object r = js.executeAsyncScript("""
                const [uid, done] = arguments;
                (async () => {
                  const vps = window.cornerstone.getRenderingEngines().flatMap(e => e.getViewports());
                  const vp = vps.find(v => v.getCurrentImageId && String(v.getCurrentImageId()).includes(uid));
                  await new Promise(res => requestAnimationFrame(() => requestAnimationFrame(res)));
                  const imageId = vp.getCurrentImageId();
                  const p = window.cornerstone.metaData.get('imagePlaneModule', imageId);
                  const world = (c, r) => [0, 1, 2].map(k => p.imagePositionPatient[k] + p.rowCosines[k] * c * p.columnPixelSpacing
                      + p.columnCosines[k] * r * p.rowPixelSpacing);
                  const o = vp.worldToCanvas(world(0, 0)), c1 = vp.worldToCanvas(world(1, 0)), r1 = vp.worldToCanvas(world(0, 1));
                  const rect = vp.canvas.getBoundingClientRect();
                  done({current: imageId, dpr: window.devicePixelRatio, left: rect.left, top: rect.top,
                        ox: o[0], oy: o[1], cx: c1[0] - o[0], cy: c1[1] - o[1], rx: r1[0] - o[0], ry: r1[1] - o[1]});
                })().catch(e => done({error: String(e && e.stack || e)}));
                """, sopInstanceUid);
        @SuppressWarnings("unchecked")
        Map<String, Object> v = (Map<String, Object>) r;
        assertTrue(!v.containsKey("error"), "reading the SR viewport's geometry: " + v.get("error"));
        assertEquals(1.0, ((Number) v.get("dpr")).doubleValue(), "screenshot pixels are CSS pixels");
        return new Geometry(num(v, "left"), num(v, "top"), num(v, "ox"), num(v, "oy"), num(v, "cx"), num(v, "cy"),
                num(v, "rx"), num(v, "ry"), v.toString());
    }

    private static double num(Map<String, Object> v, String key) {
        return ((Number) v.get(key)).doubleValue();
    }

    /** A green pixel (the active SR measurement's colour, rgb(0, 255, 0), possibly anti-aliased) within r pixels. */
    static boolean greenNear(BufferedImage shot, int x, int y, int r) {
        for (int dy = -r; dy <= r; dy++) {
            for (int dx = -r; dx <= r; dx++) {
                int px = x + dx;
                int py = y + dy;
                if (px < 0 || py < 0 || px >= shot.getWidth() || py >= shot.getHeight()) {
                    continue;
                }
                int rgb = shot.getRGB(px, py);
                int red = (rgb >> 16) & 0xFF;
                int green = (rgb >> 8) & 0xFF;
                int blue = rgb & 0xFF;
                if (green >= 120 && green - Math.max(red, blue) >= 80) {
                    return true;
                }
            }
        }
        return false;
    }

    private BufferedImage screenshot(String name) throws Exception {
        byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        Files.write(SCREENSHOTS.resolve(name + ".png"), png);
        return ImageIO.read(new ByteArrayInputStream(png));
    }

    private WebDriverWait wait(int seconds) {
        WebDriverWait w = new WebDriverWait(browser, Duration.ofSeconds(seconds), Duration.ofMillis(250));
        w.ignoring(StaleElementReferenceException.class);
        w.withMessage(() -> "page at " + browser.getCurrentUrl() + " shows: " + abbreviate(bodyText()) + "\nbrowser log: "
                + browser.manage().logs().get("browser").getAll().stream().map(Object::toString)
                .filter(l -> l.contains("SR") || l.contains("rror")).map(SrFindingsBrowserIT::abbreviate)
                .collect(Collectors.joining("\n")));
        return w;
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 3000 ? s.substring(0, 3000) + "…" : s;
    }
}
