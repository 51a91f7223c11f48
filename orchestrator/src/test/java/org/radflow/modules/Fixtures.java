package org.radflow.modules;

import java.io.IOException;
import java.nio.file.Path;

/** The small modules the registry tests load, as source; each becomes a JAR built at test time. */
final class Fixtures {

    private Fixtures() {
    }

    /**
     * A well-behaved module. Its result's summary reports what the tests check from inside the module:
     * {@code version|tccl-create|tccl-process|twin|greeting|token-set}. Closing it records whether the
     * context class loader was the module's in system property {@code fx.closed.<id>.<version>}.
     */
    static TestJars.Spec wellBehaved(String pkg, String id, String version) {
        String factory = """
                package fx.%1$s;

                import org.radflow.api.*;
                import java.util.List;
                import java.util.Map;

                public final class Factory implements AiModuleFactory {
                    public ModuleDescriptor descriptor() {
                        return ModuleDescriptor.builder("%2$s", "%3$s", ApiVersion.MAJOR, ApiVersion.MINOR)
                                .displayName("Fixture %2$s")
                                .config(ConfigProperty.of("greeting", "What the module says", "hello"))
                                .config(new ConfigProperty("token", "A secret", "", true))
                                .build();
                    }

                    public AiModule create(ModuleContext context) throws ModuleException {
                        boolean tccl = Thread.currentThread().getContextClassLoader() == Factory.class.getClassLoader();
                        return new Module(context, tccl);
                    }
                }

                final class Module implements AiModule {
                    private final ModuleContext context;
                    private final boolean tcclCreate;

                    Module(ModuleContext context, boolean tcclCreate) {
                        this.context = context;
                        this.tcclCreate = tcclCreate;
                    }

                    public ModelIdentity model() {
                        String g = context.config().get("greeting").orElse("hello");
                        return new ModelIdentity("fixture-model", g, "chosen by configuration", g.equals("demo"));
                    }

                    public ModuleResult process(StudyInput input, JobContext job) throws ModuleException {
                        boolean tccl = Thread.currentThread().getContextClassLoader() == Module.class.getClassLoader();
                        String summary = "%3$s|" + tcclCreate + "|" + tccl + "|" + org.radflow.modules.fixture.Twin.where()
                                + "|" + context.config().require("greeting") + "|" + !context.config().require("token").isEmpty()
                                + "|" + new Helper().name();
                        return ModuleResult.completed(List.of(), List.of(), summary,
                                Map.of("work", context.workDirectory().toString(), "models", context.modelDirectory().toString()));
                    }

                    public void close() {
                        boolean tccl = Thread.currentThread().getContextClassLoader() == Module.class.getClassLoader();
                        System.setProperty("fx.closed.%2$s.%3$s", tccl ? "with-module-tccl" : "with-other-tccl");
                    }
                }
                """.formatted(pkg, id, version);
        // loaded only on the first process(): proves an old generation still reads its own JAR after replacement
        String helper = """
                package fx.%s;

                final class Helper {
                    String name() {
                        return "helper-%s";
                    }
                }
                """.formatted(pkg, version);
        String twin = """
                package org.radflow.modules.fixture;

                public final class Twin {
                    public static String where() {
                        return "module";
                    }
                }
                """;
        return new TestJars.Spec()
                .source("fx." + pkg + ".Factory", factory)
                .source("fx." + pkg + ".Helper", helper)
                .source("org.radflow.modules.fixture.Twin", twin)
                .factory("fx." + pkg + ".Factory");
    }

    /** A factory whose descriptor() is the given expression (with {@code org.radflow.api.*} imported). */
    static TestJars.Spec descriptorIs(String pkg, String descriptorExpression) {
        String factory = """
                package fx.%s;

                import org.radflow.api.*;
                import java.time.Duration;
                import java.util.List;
                import java.util.Set;

                public final class Factory implements AiModuleFactory {
                    public ModuleDescriptor descriptor() {
                        return %s;
                    }

                    public AiModule create(ModuleContext context) {
                        return (input, job) -> ModuleResult.notApplicable("fixture");
                    }
                }
                """.formatted(pkg, descriptorExpression);
        return new TestJars.Spec().source("fx." + pkg + ".Factory", factory).factory("fx." + pkg + ".Factory");
    }

    /** A module whose create() always fails with a permanent ModuleException. */
    static TestJars.Spec createFails(String id) {
        String factory = """
                package fx.createfails;

                import org.radflow.api.*;

                public final class Factory implements AiModuleFactory {
                    public ModuleDescriptor descriptor() {
                        return ModuleDescriptor.builder("%s", "1.0", ApiVersion.MAJOR, ApiVersion.MINOR).build();
                    }

                    public AiModule create(ModuleContext context) throws ModuleException {
                        throw new ModuleException("model file " + context.modelDirectory().resolve("model.onnx") + " is missing");
                    }
                }
                """.formatted(id);
        return new TestJars.Spec().source("fx.createfails.Factory", factory).factory("fx.createfails.Factory");
    }

    /**
     * A module that counts its {@code close()} calls in system property {@code fx.closes.<id>} (one instance per
     * generation: the count is the number of instances closed) and throws from {@code close()} when configured
     * {@code throwOnClose: true}. Declares API 0.3 typed properties.
     */
    static TestJars.Spec countsCloses(String pkg, String id, String version) {
        String factory = """
                package fx.%1$s;

                import org.radflow.api.*;
                import java.util.List;
                import java.util.Map;

                public final class Factory implements AiModuleFactory {
                    public ModuleDescriptor descriptor() {
                        return ModuleDescriptor.builder("%2$s", "%3$s", ApiVersion.MAJOR, ApiVersion.MINOR)
                                .config(ConfigProperty.bool("throwOnClose", "Whether close() throws", false))
                                .config(ConfigProperty.integer("answer", "What process() says", 42).range(0, 100))
                                .build();
                    }

                    public AiModule create(ModuleContext context) {
                        boolean throwOnClose = context.config().getBoolean("throwOnClose");
                        int answer = context.config().getInt("answer");
                        return new AiModule() {
                            public ModuleResult process(StudyInput input, JobContext job) {
                                return ModuleResult.completed(List.of(), List.of(), "%3$s|" + answer, Map.of());
                            }

                            public void close() {
                                synchronized (System.class) {
                                    System.setProperty("fx.closes.%2$s", String.valueOf(Integer.getInteger("fx.closes.%2$s", 0) + 1));
                                }
                                if (throwOnClose) {
                                    throw new IllegalStateException("close failed on purpose");
                                }
                            }
                        };
                    }
                }
                """.formatted(pkg, id, version);
        return new TestJars.Spec().source("fx." + pkg + ".Factory", factory).factory("fx." + pkg + ".Factory");
    }

    static Path build(TestJars.Spec spec, Path modulesDir, String directory) throws IOException {
        return TestJars.build(spec, modulesDir.resolve(directory).resolve(directory + ".jar"));
    }

    /**
     * A module whose version 1.x always fails transiently (the job is retried) and whose other versions succeed with
     * one measurement (so the SR has a measurement group and its TID 4019 algorithm version) and two parameters.
     */
    static TestJars.Spec failsUntilReplaced(String pkg, String id, String version) {
        String factory = """
                package fx.%1$s;

                import org.radflow.api.*;
                import java.util.LinkedHashMap;
                import java.util.List;
                import java.util.Map;

                public final class Factory implements AiModuleFactory {
                    public ModuleDescriptor descriptor() {
                        return ModuleDescriptor.builder("%2$s", "%3$s", ApiVersion.MAJOR, ApiVersion.MINOR)
                                .displayName("Fixture %2$s")
                                .model(new ModelIdentity("fixture-model", "m-%3$s", "fixture", false))
                                .build();
                    }

                    public AiModule create(ModuleContext context) {
                        return (input, job) -> {
                            if ("%3$s".startsWith("1.")) {
                                throw new ModuleException("fixture %3$s fails transiently until it is replaced", true, null);
                            }
                            String sop = input.series().get(0).instances().get(0).sopInstanceUid();
                            Map<String, String> parameters = new LinkedHashMap<>();
                            parameters.put("zeta", "1");
                            parameters.put("alpha", "2");
                            return ModuleResult.completed(List.of(new Finding.Measurement(Concept.sct("5366002", "Hippocampus"),
                                    Concept.sct("118565006", "Volume"), 42.0, Concept.ucum("mm3", "cubic millimeter"),
                                    Concept.sct("5366002", "Hippocampus"), List.of(sop))), List.of(),
                                    "Fixture %3$s measured 42 mm3.", parameters);
                        };
                    }
                }
                """.formatted(pkg, id, version);
        return new TestJars.Spec().source("fx." + pkg + ".Factory", factory).factory("fx." + pkg + ".Factory");
    }
}
