package org.radflow.modules;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.AiModule;
import org.radflow.api.ModuleResult;
import org.radflow.modules.fixture.Twin;
import org.slf4j.LoggerFactory;

import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.radflow.modules.ModuleRegistryTest.NO_INFERENCE;

/** Child-first loading with a short list of packages shared with the server. */
class ModuleClassLoaderTest {

    @TempDir
    Path tmp;
    ModuleRegistry registry;

    @AfterEach
    void close() {
        if (registry != null) {
            registry.close();
        }
    }

    private ModuleLease lease() throws Exception {
        Path modules = tmp.resolve("modules");
        Fixtures.build(Fixtures.wellBehaved("valid", "valid", "1.0"), modules, "valid");
        registry = new ModuleRegistry(new RegistrySettings(modules, null, tmp.resolve("data"), Map.of(), Duration.ZERO, null),
                NO_INFERENCE).start();
        return registry.acquire("valid");
    }

    @Test
    void a_class_in_both_the_module_and_the_server_resolves_to_the_modules_copy() throws Exception {
        try (ModuleLease lease = lease()) {
            Class<?> inModule = lease.classLoader().loadClass(Twin.class.getName());
            assertNotSame(Twin.class, inModule);
            assertSame(lease.classLoader(), inModule.getClassLoader());
            assertEquals("module", inModule.getMethod("where").invoke(null));
            assertEquals("platform", Twin.where());
            // and the same for resources: the module's class file first
            URL resource = lease.classLoader().getResource(Twin.class.getName().replace('.', '/') + ".class");
            assertTrue(resource.toString().contains("/work/.jars/valid-1/"), resource.toString());
        }
    }

    @Test
    void the_api_slf4j_and_the_jdk_resolve_to_the_servers_classes() throws Exception {
        try (ModuleLease lease = lease()) {
            ClassLoader loader = lease.classLoader();
            assertSame(AiModule.class, loader.loadClass(AiModule.class.getName()));
            assertSame(ModuleResult.class, loader.loadClass(ModuleResult.class.getName()));
            assertSame(LoggerFactory.class, loader.loadClass(LoggerFactory.class.getName()));
            assertSame(String.class, loader.loadClass("java.lang.String"));
            assertSame(javax.xml.parsers.DocumentBuilderFactory.class, loader.loadClass("javax.xml.parsers.DocumentBuilderFactory"));
            assertSame(org.w3c.dom.Node.class, loader.loadClass("org.w3c.dom.Node"), "JDK packages outside java.* too");
            // the API's resources come from the server too, never from a module's copy
            assertEquals(AiModule.class.getClassLoader().getResource("org/radflow/api/AiModule.class"),
                    loader.getResource("org/radflow/api/AiModule.class"));
        }
    }

    @Test
    void the_servers_own_libraries_are_invisible_to_a_module() throws Exception {
        try (ModuleLease lease = lease()) {
            ClassLoader loader = lease.classLoader();
            assertThrows(ClassNotFoundException.class, () -> loader.loadClass("io.vertx.core.Vertx"));
            assertThrows(ClassNotFoundException.class, () -> loader.loadClass("com.pixelmed.dicom.AttributeList"));
            assertThrows(ClassNotFoundException.class, () -> loader.loadClass(ModuleRegistry.class.getName()));
            assertNull(loader.getResource("logback-test.xml"));
            // the module's own service file, not the server's
            List<URL> services = Collections.list(loader.getResources("META-INF/services/org.radflow.api.AiModuleFactory"));
            assertEquals(1, services.size(), services.toString());
        }
    }

    @Test
    void the_shared_list_is_short() {
        assertEquals(List.of("org.radflow.api.", "org.slf4j.", "ai.onnxruntime.", "org.tensorflow.", "org.bytedeco."),
                ModuleClassLoader.SHARED_WITH_SERVER);
        assertTrue(ModuleClassLoader.jdk("javax.xml.parsers.SAXParser"));
        assertTrue(ModuleClassLoader.jdk("java.anything.AtAll"));
        assertTrue(!ModuleClassLoader.jdk("javax.inject.Inject"), "a javax package the JDK does not have belongs to the module");
    }
}
