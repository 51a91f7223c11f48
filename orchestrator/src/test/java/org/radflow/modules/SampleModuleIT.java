package org.radflow.modules;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.ApiVersion;
import org.radflow.api.DicomTags;
import org.radflow.api.Finding;
import org.radflow.api.ImagePlane;
import org.radflow.api.JobContext;
import org.radflow.api.KeyImage;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.api.PixelDataException;
import org.radflow.api.StudyInput;
import org.radflow.api.Trigger;
import org.radflow.api.Volume;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.radflow.modules.ModuleRegistryTest.NO_INFERENCE;
import static org.radflow.modules.ModuleRegistryTest.job;

/**
 * The real sample module JAR (testmodules/sample, copied to target/test-modules/sample by the build),
 * installed in a modules directory and run on synthetic input.
 */
class SampleModuleIT {

    /** Set by failsafe; a surefire run (e.g. -Dtest=...modules.**) has no packaged sample JAR yet and skips. */
    static final String MODULES_PROPERTY = "radflow.testModulesDir";

    @TempDir
    Path tmp;
    ModuleRegistry registry;
    Path built;

    @BeforeEach
    void sampleJar() {
        String dir = System.getProperty(MODULES_PROPERTY);
        assumeTrue(dir != null, "the sample module JAR is copied by mvn verify (pre-integration-test): runs under failsafe");
        built = Path.of(dir, "sample");
        assertTrue(Files.isDirectory(built), "the build copies the sample module to " + built);
    }

    @AfterEach
    void close() {
        if (registry != null) {
            registry.close();
        }
    }

    private ModuleRegistry install(Map<String, Map<String, Object>> config) throws Exception {
        Path directory = Files.createDirectories(tmp.resolve("modules/sample"));
        try (Stream<Path> jars = Files.list(built)) {
            for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).toList()) {
                Files.copy(jar, directory.resolve(jar.getFileName()));
            }
        }
        registry = new ModuleRegistry(new RegistrySettings(tmp.resolve("modules"), null, tmp.resolve("data"), config,
                Duration.ZERO, null), NO_INFERENCE).start();
        return registry;
    }

    @Test
    void the_jar_offers_four_demo_modules_with_clear_descriptors() throws Exception {
        install(Map.of());

        assertEquals(List.of("sample", "sample-fail", "sample-hang", "sample-slow"),
                registry.modules().stream().map(LoadedModule::id).toList());
        assertTrue(registry.problems().isEmpty(), registry.problems().toString());
        for (LoadedModule m : registry.modules()) {
            ModuleDescriptor d = m.descriptor();
            assertEquals("1.0.0", d.version());
            assertTrue(d.model().demo(), d.id());
            assertEquals(ApiVersion.MAJOR, d.apiMajor());
            assertEquals(2, d.apiMinor(), "the sample JAR stays a module API 0.2 module: the check that 0.2 modules load");
            assertEquals(Trigger.SERIES, d.trigger());
            assertTrue(d.displayName().endsWith("(demo)"), d.displayName());
            assertEquals(tmp.resolve("modules/sample"), m.directory());
            assertEquals(1, m.generation());
        }
        ModuleDescriptor sample = registry.require("sample").descriptor();
        assertEquals(Optional.empty(), sample.selection().mismatch(tags(Map.of("Modality", "MR")), MR));
        assertEquals(Optional.empty(), sample.selection().mismatch(tags(Map.of("Modality", "CT")), MR));
        assertEquals(Optional.of("Modality is one of [MR, CT] (was 'CR')"),
                sample.selection().mismatch(tags(Map.of("Modality", "CR")), MR));
        assertEquals(Duration.ofSeconds(3), registry.require("sample-hang").descriptor().timeout());
    }

    @Test
    void sample_thresholds_a_synthetic_mr_series() throws Exception {
        install(Map.of());
        Synthetic mr = Synthetic.ellipsoid(32, 24, 9);

        ModuleResult result;
        try (ModuleLease lease = registry.acquire("sample")) {
            result = lease.process(mr.study(), job("mr-1"));
        }

        assertEquals(ModuleResult.Status.COMPLETED, result.status(), result.reason());
        List<Finding> findings = result.findings();
        Finding.Measurement mean = assertInstanceOf(Finding.Measurement.class, findings.get(0));
        assertEquals(mr.mean(), mean.value(), 1e-3);
        assertEquals("1", mean.unit().code());
        Finding.Classification level = assertInstanceOf(Finding.Classification.class, findings.get(1));
        double fraction = (double) mr.bright() / mr.voxels.length;
        assertEquals(fraction, level.probabilities().get(0).probability(), 1e-9);
        assertEquals(1.0, level.probabilities().stream().mapToDouble(Finding.ClassProbability::probability).sum(), 1e-9);
        assertEquals("Mostly dark", level.predicted().meaning());
        Finding.Measurement volume = assertInstanceOf(Finding.Measurement.class, findings.get(2));
        assertEquals(mr.bright() * 0.5 * 0.5 * 2.0, volume.value(), 1e-6);
        assertEquals("mm3", volume.unit().code());
        Finding.Segmentation mask = assertInstanceOf(Finding.Segmentation.class, findings.get(3));
        int labelled = 0;
        for (byte b : mask.labels()) {
            labelled += b;
        }
        assertEquals(mr.bright(), labelled);
        assertEquals(mr.uids, mask.sopInstanceUids());
        assertEquals(0xFF0000, mask.segments().get(0).rgb());

        KeyImage key = result.keyImages().get(0);
        assertEquals(32, key.width());
        assertEquals(24, key.height());
        assertEquals(mr.uids.get(4), key.sourceSopInstanceUid());
        int centre = key.rgb()[12 * 32 + 16];
        assertTrue((centre >> 16 & 0xFF) > (centre & 0xFF), "the region is tinted red: " + Integer.toHexString(centre));
        int corner = key.rgb()[0];
        assertEquals(corner >> 16 & 0xFF, corner & 0xFF, "the background stays grey");
        assertTrue(result.summary().contains("DEMO MODEL"), result.summary());
        assertEquals("volume", result.parameters().get("pixels"));
    }

    @Test
    void sample_stacks_the_planes_when_the_series_forms_no_volume_and_says_why_when_it_cannot() throws Exception {
        install(Map.of("sample", Map.of("threshold", 300)));
        Synthetic mr = Synthetic.ellipsoid(16, 16, 4);

        try (ModuleLease lease = registry.acquire("sample")) {
            ModuleResult stacked = lease.process(mr.study(new PixelDataException("slice spacing is uneven")), job("mr-2"));
            assertEquals(ModuleResult.Status.COMPLETED, stacked.status(), stacked.reason());
            assertEquals("planes", stacked.parameters().get("pixels"));
            assertEquals("300", stacked.parameters().get("threshold"));

            ModuleResult none = lease.process(mr.withoutPixels(new PixelDataException("slice spacing is uneven")), job("mr-3"));
            assertEquals(ModuleResult.Status.NOT_APPLICABLE, none.status());
            assertEquals("the series forms no volume (slice spacing is uneven) and its images cannot be stacked "
                    + "(no instance has pixel data)", none.reason());
        }
    }

    @Test
    void sample_slow_waits_and_stops_soon_when_the_job_is_cancelled() throws Exception {
        install(Map.of("sample-slow", Map.of("delayMs", 300)));
        try (ModuleLease lease = registry.acquire("sample-slow")) {
            long start = System.nanoTime();
            ModuleResult done = lease.process(Synthetic.ellipsoid(4, 4, 1).study(), job("slow-1"));
            assertTrue(System.nanoTime() - start >= 300_000_000L);
            Finding.Measurement waited = assertInstanceOf(Finding.Measurement.class, done.findings().get(0));
            assertTrue(waited.value() >= 300, String.valueOf(waited.value()));
            assertEquals("ms", waited.unit().code());

            long cancelAt = System.nanoTime() + 100_000_000L;
            JobContext cancelled = new JobContext() {
                @Override
                public String jobId() {
                    return "slow-2";
                }

                @Override
                public void progress(double fraction, String message) {
                }

                @Override
                public boolean isCancelled() {
                    return System.nanoTime() > cancelAt;
                }
            };
            ModuleException e = assertThrows(ModuleException.class,
                    () -> lease.process(Synthetic.ellipsoid(4, 4, 1).study(), cancelled));
            assertTrue(e.getMessage().startsWith("job slow-2 was cancelled after "), e.getMessage());
        }
    }

    @Test
    void sample_fail_fails_transiently_the_configured_number_of_times_per_study() throws Exception {
        install(Map.of("sample-fail", Map.of("mode", "transient", "failTimes", 2)));
        StudyInput study = Synthetic.ellipsoid(4, 4, 1).study();
        try (ModuleLease lease = registry.acquire("sample-fail")) {
            for (int attempt = 1; attempt <= 2; attempt++) {
                ModuleException e = assertThrows(ModuleException.class, () -> lease.process(study, job("fail")));
                assertTrue(e.isTransient());
                assertEquals("planned transient failure, attempt " + attempt + " of 2 for this study", e.getMessage());
            }
            ModuleResult third = lease.process(study, job("fail"));
            assertEquals(ModuleResult.Status.COMPLETED, third.status());
            assertEquals(3.0, ((Finding.Measurement) third.findings().get(0)).value());
        }
    }

    @Test
    void sample_fail_can_fail_permanently_and_refuses_a_mode_it_does_not_know() throws Exception {
        install(Map.of("sample-fail", Map.of("mode", "permanent", "failTimes", -1),
                "sample", Map.of("treshold", 1)));
        try (ModuleLease lease = registry.acquire("sample-fail")) {
            ModuleException e = assertThrows(ModuleException.class,
                    () -> lease.process(Synthetic.ellipsoid(4, 4, 1).study(), job("fail")));
            assertFalse(e.isTransient());
            assertEquals("planned permanent failure, attempt 1 for this study", e.getMessage());
        }
        assertTrue(registry.find("sample").isEmpty(), "a misspelt key keeps the module out");
        assertTrue(registry.problems().get(0).reason().contains("unknown key 'modules.sample.config.treshold'; did you mean "
                + "'modules.sample.config.threshold'? Known keys in 'modules.sample.config': threshold"), registry.problems().toString());
        registry.close();

        install2(Map.of("sample-fail", Map.of("mode", "sometimes")));
        ModuleException e = assertThrows(ModuleException.class, () -> registry.acquire("sample-fail"));
        // the module's own "configuration key 'mode'" is named where the operator writes it
        assertEquals("module sample-fail could not be started: modules.sample-fail.config.mode must be 'transient' or "
                + "'permanent', not 'sometimes'", e.getMessage());
    }

    private void install2(Map<String, Map<String, Object>> config) throws Exception {
        tmp = Files.createDirectories(tmp.resolve("second"));
        install(config);
    }

    @Test
    void sample_hang_ignores_interruption() throws Exception {
        install(Map.of());
        ModuleLease lease = registry.acquire("sample-hang");
        Thread worker = new Thread(() -> {
            try {
                lease.process(Synthetic.ellipsoid(4, 4, 1).study(), job("hang"));
            } catch (ModuleException ignored) {
                // never happens: the module never returns
            }
        }, "sample-hang-test");
        worker.setDaemon(true); // abandoned, as the host abandons a timed-out job's thread
        worker.start();
        worker.join(200);
        worker.interrupt();
        worker.join(300);
        assertTrue(worker.isAlive(), "still running after an interrupt");
    }

    // ---------------------------------------------------------------------------------------- synthetic input

    static final String MR = "1.2.840.10008.5.1.4.1.1.4";

    static DicomTags tags(Map<String, String> values) {
        return keyword -> values.containsKey(keyword) ? List.of(values.get(keyword)) : List.of();
    }

    /** An MR series: a bright ellipsoid (500) on a dark background (100), 0.5 x 0.5 x 2 mm voxels. */
    record Synthetic(int columns, int rows, int slices, float[] voxels, List<String> uids) {

        static Synthetic ellipsoid(int columns, int rows, int slices) {
            float[] v = new float[columns * rows * slices];
            for (int s = 0; s < slices; s++) {
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < columns; c++) {
                        double dx = (c - columns / 2.0) / (columns / 4.0);
                        double dy = (r - rows / 2.0) / (rows / 4.0);
                        double dz = (s - slices / 2.0) / Math.max(1, slices / 2.0);
                        v[(s * rows + r) * columns + c] = dx * dx + dy * dy + dz * dz <= 1 ? 500 : 100;
                    }
                }
            }
            List<String> uids = new ArrayList<>();
            for (int s = 0; s < slices; s++) {
                uids.add("1.2.826.0.1.3680043.10.543.9." + (s + 1));
            }
            return new Synthetic(columns, rows, slices, v, List.copyOf(uids));
        }

        int bright() {
            int n = 0;
            for (float f : voxels) {
                n += f > mean() ? 1 : 0;
            }
            return n;
        }

        double mean() {
            double sum = 0;
            for (float f : voxels) {
                sum += f;
            }
            return sum / voxels.length;
        }

        StudyInput study() {
            return study(null, true);
        }

        StudyInput study(PixelDataException volumeProblem) {
            return study(volumeProblem, true);
        }

        StudyInput withoutPixels(PixelDataException volumeProblem) {
            return study(volumeProblem, false);
        }

        private StudyInput study(PixelDataException volumeProblem, boolean pixels) {
            Synthetic self = this;
            DicomTags seriesTags = tags(Map.of("Modality", "MR", "SeriesInstanceUID", "1.2.826.0.1.3680043.10.543.8"));
            List<StudyInput.InstanceInput> instances = new ArrayList<>();
            for (int s = 0; s < slices; s++) {
                int slice = s;
                instances.add(new StudyInput.InstanceInput() {
                    @Override
                    public String sopInstanceUid() {
                        return uids.get(slice);
                    }

                    @Override
                    public String sopClassUid() {
                        return MR;
                    }

                    @Override
                    public DicomTags tags() {
                        return SampleModuleIT.tags(Map.of("Modality", "MR", "InstanceNumber", String.valueOf(slice + 1),
                                "SliceThickness", "2"));
                    }

                    @Override
                    public int frames() {
                        return pixels ? 1 : 0;
                    }

                    @Override
                    public ImagePlane plane(int frame, StudyInput.PlaneOptions options) throws PixelDataException {
                        if (!pixels) {
                            throw new PixelDataException("no pixel data");
                        }
                        float[] plane = new float[rows * columns];
                        System.arraycopy(voxels, slice * rows * columns, plane, 0, plane.length);
                        return new ImagePlane(rows, columns, plane, 0.5, 0.5, "MONOCHROME2", false, Double.NaN, Double.NaN, 1);
                    }
                });
            }
            StudyInput.SeriesInput series = new StudyInput.SeriesInput() {
                @Override
                public String seriesInstanceUid() {
                    return "1.2.826.0.1.3680043.10.543.8";
                }

                @Override
                public DicomTags tags() {
                    return seriesTags;
                }

                @Override
                public List<StudyInput.InstanceInput> instances() {
                    return instances;
                }

                @Override
                public Volume volume() throws PixelDataException {
                    if (volumeProblem != null) {
                        throw volumeProblem;
                    }
                    return new Volume(columns, rows, slices, self.voxels.clone(), 0.5, 0.5, 2.0, new double[] {0, 0, 0},
                            new double[] {1, 0, 0}, new double[] {0, 1, 0}, uids);
                }
            };
            return new StudyInput() {
                @Override
                public String studyInstanceUid() {
                    return "1.2.826.0.1.3680043.10.543.7." + System.identityHashCode(self);
                }

                @Override
                public DicomTags studyTags() {
                    return SampleModuleIT.tags(Map.of());
                }

                @Override
                public List<SeriesInput> series() {
                    return List.of(series);
                }
            };
        }
    }
}
