package org.radflow.api;

/**
 * The version of the module API. A module built against a newer major version than the server's
 * is refused; minor versions only add (default methods, new optional types), so a module built
 * against an older minor version of the same major version keeps loading.
 *
 * <p>0.3 added typed configuration properties ({@link ConfigProperty.Type}) with typed getters on
 * {@link ModuleConfig}, checked by the host; a 0.2 module's properties are text properties.
 *
 * <p>0.4 added {@link Finding.Qualitative}, a coded evaluation without a probability; {@link Finding.Modifier}
 * (laterality and topographical modifiers) on a measurement's finding site and a segment's type, and a measurement's
 * reference to the segment it was made on; {@link TagCondition#orAbsent} and {@link TagCondition#either}; and an
 * explanation on a {@link TagMatch}, used in the sentence a refused study gets.
 *
 * <p>0.5 added {@link CodingScheme}: a module declares the coding schemes of its own codes
 * ({@link ModuleDescriptor.Builder#codingScheme}) and the platform writes them into its structured reports; and an
 * optional confidence on a {@link Finding.Qualitative} (a classification without class probabilities).
 *
 * <p>0.6 added {@link VoiLut}, window/level (or minimum/maximum) to 8-bit levels through a table built once, and
 * {@link ImagePlane#voiLut()} / {@link ImagePlane#windowed8()}, so module code needs no {@code Math.round} per pixel.
 */
public final class ApiVersion {

    public static final int MAJOR = 0;
    public static final int MINOR = 6;

    private ApiVersion() {
    }

    public static String string() {
        return MAJOR + "." + MINOR;
    }
}
