/**
 * The RadFlow module API: the only code a module author compiles against (JDK only, {@code provided} scope).
 *
 * <h2>The contract</h2>
 * A module turns pixels and metadata into findings. It never encodes DICOM, opens sockets or chooses
 * destinations: the platform writes the SR, report page and segmentation and delivers them.
 * <ul>
 *   <li>{@link org.radflow.api.AiModuleFactory} is the entry point, found by {@link java.util.ServiceLoader}
 *       ({@code META-INF/services/org.radflow.api.AiModuleFactory}). It is created once, describes the module
 *       ({@link org.radflow.api.ModuleDescriptor}: id, version, model, selection, trigger, resources, timeout,
 *       typed configuration properties) without loading models, and {@code create(ModuleContext)} makes the
 *       working {@link org.radflow.api.AiModule}.</li>
 *   <li>{@link org.radflow.api.ModuleContext} gives the module its checked configuration
 *       ({@link org.radflow.api.ModuleConfig}, scope {@code modules.<id>.config}), its model and work
 *       directories, the host's {@link org.radflow.api.InferenceEngine} and a logger.</li>
 *   <li>{@link org.radflow.api.AiModule#process} reads a {@link org.radflow.api.StudyInput} (tags and decoded
 *       pixels: {@link org.radflow.api.ImagePlane}, {@link org.radflow.api.Volume}), reports progress and
 *       checks cancellation through {@link org.radflow.api.JobContext}, and returns a
 *       {@link org.radflow.api.ModuleResult}: completed with {@link org.radflow.api.Finding findings},
 *       not applicable with a reason, or failed ({@link org.radflow.api.ModuleException}).</li>
 * </ul>
 *
 * <h2>Lifecycle</h2>
 * One instance is created per module generation, on its first job, on a worker thread with the module's
 * class loader as context class loader. {@code process} may run on several threads at once (up to the
 * descriptor's {@code maxConcurrentJobs}). The host calls {@link org.radflow.api.AiModule#close()} once when
 * the generation is retired (its JAR replaced, its configuration reloaded, the module removed, the server
 * stopping), after the last running job of that generation has finished. An exception from {@code close()}
 * is logged and otherwise ignored.
 *
 * <h2>Configuration</h2>
 * Each key is declared as a {@link org.radflow.api.ConfigProperty} with a type (string, integer, number,
 * boolean, enum, path, secret), a default, a range and help text. The host refuses an unknown key, a missing
 * required key or a wrong value before the module is created, with the key at its real place
 * ({@code modules.<id>.config.<key>}), the value and the fix; the module then reads typed values.
 *
 * <h2>Versions</h2>
 * {@link org.radflow.api.ApiVersion} is this API's version; a module declares the version it was built
 * against by passing {@code ApiVersion.MAJOR, ApiVersion.MINOR} to {@link org.radflow.api.ModuleDescriptor#builder}.
 * The API grows by additions only within a major version: modules built against an older minor version
 * (0.2, 0.3) keep loading; a 0.2 module's configuration properties are text properties. 0.4 added
 * {@link org.radflow.api.Finding.Qualitative} (a coded answer without a probability, e.g. a band of a reference table),
 * {@link org.radflow.api.Finding.Modifier} (laterality and topographical modifiers of a finding site or segment type;
 * prefer them to private pre-coordinated codes), a measurement's reference to the segment it was measured on (the SR
 * then references the SEG segment), {@code TagCondition.orAbsent}/{@code either}, and an explanation on a
 * {@link org.radflow.api.TagMatch} that a refused study's reason quotes. 0.5 added {@link org.radflow.api.CodingScheme}:
 * a module declares the coding schemes of its own codes and each SR it gets lists them in its Coding Scheme
 * Identification Sequence. 0.6 added {@link org.radflow.api.VoiLut} and {@link org.radflow.api.ImagePlane#voiLut()} /
 * {@link org.radflow.api.ImagePlane#windowed8()}: window/level (or minimum to maximum) to 8-bit levels through a lookup
 * table built once, instead of a division and a rounding per pixel in module code.
 *
 * <p>Test a module with {@code org.radflow:radflow-module-testkit} (test scope): a host-like context and job,
 * inputs from DICOM files or arrays, configuration checked as the host checks it, and assertions on results.
 */
package org.radflow.api;
