package org.radflow.moduletest;

import org.radflow.api.AiModule;
import org.radflow.api.AiModuleFactory;
import org.radflow.api.InferenceEngine;
import org.radflow.api.ModuleConfig;
import org.radflow.api.ModuleContext;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;
import org.radflow.inference.HostInferenceEngine;
import org.radflow.modules.ScopedConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A {@link ModuleContext} as the server builds it: the configuration is checked by the server's own code
 * (types, ranges, allowed values, unknown and required keys, the same messages), the inference engine is the
 * host's ({@link HostInferenceEngine}: ONNX Runtime, TensorFlow Java) sized to the descriptor's inference threads.
 *
 * <pre>{@code
 * AiModule module = TestModuleContext.builder(new MyFactory())
 *         .config("threshold", 0.7)
 *         .modelDirectory(models)
 *         .create();
 * }</pre>
 */
public final class TestModuleContext implements ModuleContext {

    private final ModuleDescriptor descriptor;
    private final ScopedConfig config;
    private final Path modelDirectory;
    private final Path workDirectory;
    private final Supplier<InferenceEngine> inference;
    private InferenceEngine engine;

    private TestModuleContext(ModuleDescriptor descriptor, ScopedConfig config, Path modelDirectory, Path workDirectory,
                              Supplier<InferenceEngine> inference) {
        this.descriptor = descriptor;
        this.config = config;
        this.modelDirectory = modelDirectory;
        this.workDirectory = workDirectory;
        this.inference = inference;
    }

    /** A context for the factory's module; {@link Builder#create()} then makes the module with this factory. */
    public static Builder builder(AiModuleFactory factory) {
        return new Builder(factory.descriptor(), factory);
    }

    /** A context for a descriptor (a factory under test calls its own {@code create}). */
    public static Builder builder(ModuleDescriptor descriptor) {
        return new Builder(descriptor, null);
    }

    @Override
    public ModuleDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public ModuleConfig config() {
        return config;
    }

    @Override
    public Path modelDirectory() {
        return modelDirectory;
    }

    @Override
    public Path workDirectory() {
        return workDirectory;
    }

    /** The engine given to the builder, or a view of the shared host engine; made on first use, as on the server. */
    @Override
    public synchronized InferenceEngine inference() {
        if (engine == null) {
            engine = inference.get();
        }
        return engine;
    }

    @Override
    public System.Logger logger() {
        return System.getLogger("radflow.module." + descriptor.id());
    }

    @Override
    public String toString() {
        return "TestModuleContext[" + descriptor.id() + " " + descriptor.version() + ", " + config + ", models "
                + modelDirectory + ", work " + workDirectory + "]";
    }

    /** What the operator's configuration and the server's directories would be. */
    public static final class Builder {
        private final ModuleDescriptor descriptor;
        private final AiModuleFactory factory;
        private final Map<String, Object> config = new LinkedHashMap<>();
        private Path modelDirectory;
        private Path workDirectory;
        private Supplier<InferenceEngine> inference;

        private Builder(ModuleDescriptor descriptor, AiModuleFactory factory) {
            this.descriptor = Objects.requireNonNull(descriptor, "descriptor");
            this.factory = factory;
        }

        /** One key of {@code modules.<id>.config}, as YAML would give it (text, number, boolean). */
        public Builder config(String key, Object value) {
            config.put(key, value);
            return this;
        }

        /** Keys of {@code modules.<id>.config}; nested maps join with dots, as in the server's YAML. */
        public Builder config(Map<String, ?> values) {
            config.putAll(values);
            return this;
        }

        /** {@link ModuleContext#modelDirectory()}; by default an empty temporary directory (removed at exit). */
        public Builder modelDirectory(Path directory) {
            modelDirectory = directory;
            return this;
        }

        /** {@link ModuleContext#workDirectory()}; by default a new temporary directory (removed at exit). */
        public Builder workDirectory(Path directory) {
            workDirectory = directory;
            return this;
        }

        /** The host engine, with the descriptor's inference threads (as the server sizes it). */
        public Builder inference(HostInferenceEngine host) {
            return inference(host, descriptor.resources().inferenceThreads());
        }

        /** The host engine with another intra-op thread budget (benchmarks). */
        public Builder inference(HostInferenceEngine host, int threads) {
            Objects.requireNonNull(host, "host");
            inference = () -> host.forModule(descriptor.id(), threads);
            return this;
        }

        /** Any engine, e.g. one that counts calls. */
        public Builder inference(InferenceEngine engine) {
            Objects.requireNonNull(engine, "engine");
            inference = () -> engine;
            return this;
        }

        /**
         * The context, its configuration checked as the server checks it.
         *
         * @throws ModuleException where the server would not offer the module, with the server's message:
         *                         {@code module covidnet is not offered: modules.covidnet.config.backend: 'tf' is not allowed; ...}
         */
        public TestModuleContext build() throws ModuleException {
            ScopedConfig checked;
            try {
                checked = ScopedConfig.of(descriptor, config);
            } catch (ScopedConfig.InvalidConfigException e) {
                throw new ModuleException("module " + descriptor.id() + " is not offered: " + e.getMessage());
            }
            Path work = workDirectory != null ? workDirectory : temporary("radflow-" + descriptor.id() + "-work");
            Path models = modelDirectory != null ? modelDirectory : temporary("radflow-" + descriptor.id() + "-models");
            try {
                Files.createDirectories(work); // the server empties and creates it before create()
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the work directory " + work, e);
            }
            Supplier<InferenceEngine> engine = inference != null ? inference
                    : () -> SharedEngine.HOST.forModule(descriptor.id(), descriptor.resources().inferenceThreads());
            return new TestModuleContext(descriptor, checked, models, work, engine);
        }

        /**
         * Builds the context and creates the module with the factory given to {@link TestModuleContext#builder(AiModuleFactory)},
         * with the factory's class loader as context class loader, as the server does. Close the module when done.
         */
        public AiModule create() throws ModuleException {
            if (factory == null) {
                throw new IllegalStateException("no factory: start with TestModuleContext.builder(factory)");
            }
            TestModuleContext context = build();
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(factory.getClass().getClassLoader());
            try {
                AiModule module = factory.create(context);
                if (module == null) {
                    throw new ModuleException(factory.getClass().getName() + ".create() returned null");
                }
                return module;
            } finally {
                thread.setContextClassLoader(previous);
            }
        }

        private static Path temporary(String prefix) {
            try {
                return Files.createTempDirectory(Scratch.ROOT, prefix);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a temporary directory in " + Scratch.ROOT, e);
            }
        }
    }

    /** One temporary folder per test JVM for the default directories, removed when the JVM exits. */
    private static final class Scratch {
        static final Path ROOT = create();

        private static Path create() {
            try {
                Path root = Files.createTempDirectory("radflow-module-test");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(root), "radflow-module-test-cleanup"));
                return root;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a temporary directory", e);
            }
        }

        private static void delete(Path root) {
            try (Stream<Path> paths = Files.walk(root)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException | UncheckedIOException ignored) {
                // a leftover in the temporary folder is harmless
            }
        }
    }

    /** One host engine per test JVM, as one per server: native runtimes load once per process. */
    private static final class SharedEngine {
        static final HostInferenceEngine HOST = new HostInferenceEngine();
    }
}
