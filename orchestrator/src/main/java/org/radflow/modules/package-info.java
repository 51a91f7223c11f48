/**
 * Module discovery and lifecycle: {@link org.radflow.modules.ModuleRegistry}.
 *
 * <p>Built-in modules are found on the server's class path with {@link java.util.ServiceLoader}. Drop-in
 * modules are installed one directory per module (a JAR may hold several modules):
 *
 * <pre>
 * &lt;modules.dir&gt;/
 *   hippovolume/
 *     hippovolume-1.2.0.jar      the module, built with radflow-module-api in 'provided' scope
 *     commons-math3-3.6.1.jar    its own libraries, beside it (seen only by this module)
 *     models/                    its model files: ModuleContext.modelDirectory()
 *   .incoming/                   hidden directories are ignored: copy there, then rename into place
 * </pre>
 *
 * Each directory gets its own class loader that looks in the directory's JARs first; only the JDK and
 * the packages in {@link org.radflow.modules.ModuleClassLoader#SHARED_WITH_SERVER} (the module API,
 * SLF4J, the inference runtimes) come from the server. The JARs are copied to
 * {@code <dataDir>/work/.jars/} before loading, so replacing a JAR in place never disturbs running jobs.
 *
 * <p>A job takes a {@link org.radflow.modules.ModuleLease} on the module's current generation and
 * releases it when done; a replaced or removed generation is closed when its last lease is released:
 * the module instance's {@code close()} runs once (with the module's context class loader; an exception
 * from it is logged at WARN and ignored), then the class loader closes. A configuration reload of a
 * drop-in module and the server's shutdown retire generations the same way.
 *
 * <p>Each module's configuration ({@code modules.<id>.config}) is checked against its declared typed
 * properties by {@link org.radflow.modules.ScopedConfig}, at load and at a configuration reload, with
 * messages naming {@code modules.<id>.config.<key>}, the value and the fix. The module test kit uses the
 * same class, so a module's tests check configuration as the server does.
 *
 * <p>A drop-in generation is offered first and then, through {@link org.radflow.modules.ModuleRegistry#onOffered}, created at
 * once by the server (in-process modules) or in a new worker (worker-process modules, which report back through
 * {@link org.radflow.modules.ModuleRegistry#workerStarted}), so that a module that cannot start shows it in
 * {@link org.radflow.modules.ModuleRegistry#problems()} before its first job. A configuration reload tries a changed
 * scope first ({@link org.radflow.modules.ModuleRegistry#trial}). {@link org.radflow.modules.DropIns} reads a modules
 * directory's descriptors in place for {@code radflow config check}.
 */
package org.radflow.modules;
