package org.radflow.testdata;

/**
 * A T1-weighted-looking head in patient coordinates (LPS, mm): scalp bright, skull dark,
 * CSF dark, grey matter darker than white matter, dark lateral ventricles, and on each side a
 * hippocampus made of an anterior and a posterior blob (the ground-truth labels) inside a thin
 * dark CSF rim.
 */
final class HeadPhantom {
    private HeadPhantom() {}

    /** Centre of the right hippocampus (patient's right is -x in LPS). */
    static final double[] RIGHT_HIPPOCAMPUS_CENTRE = {-28, 7, -18};
    static final double[] HEAD_CENTRE = {0, 0, 0};

    private static final double BX = 0, BY = 5, BZ = 15; // brain/skull centre

    static final double AIR = 0;
    static final double SCALP = 650;
    static final double SKULL = 70;
    static final double CSF = 130;
    static final double GREY = 430;
    static final double WHITE = 640;
    static final double HIPPO_ANTERIOR = 360;
    static final double HIPPO_POSTERIOR = 500;
    static final double NECK = 420;

    private static double r2(double x, double y, double z, double cx, double cy, double cz,
                             double a, double b, double c) {
        double dx = (x - cx) / a;
        double dy = (y - cy) / b;
        double dz = (z - cz) / c;
        return dx * dx + dy * dy + dz * dz;
    }

    /** 0 background, 1 anterior, 2 posterior hippocampus (either side). */
    static int label(double x, double y, double z) {
        double ax = Math.abs(x);
        if (ax < 14 || ax > 42) {
            return 0;
        }
        double ant = r2(ax, y, z, 28, -2, -20, 7, 12, 6);
        double post = r2(ax, y, z, 27, 16, -16, 5, 12, 4.5);
        if (ant <= 1 || post <= 1) {
            return y < 6 ? 1 : 2;
        }
        return 0;
    }

    /** Noise-free intensity at a point. */
    static double intensity(double x, double y, double z, long seed) {
        int label = label(x, y, z);
        if (label == 1) {
            return HIPPO_ANTERIOR;
        }
        if (label == 2) {
            return HIPPO_POSTERIOR;
        }
        double head = r2(x, y, z, BX, BY, BZ, 76, 96, 83);
        if (head > 1) {
            // neck below the head
            double neck = r2(x, y, 0, 0, 18, 0, 48, 52, 1);
            if (z < BZ - 40 && neck <= 1) {
                double cord = r2(x, y, 0, 0, 38, 0, 9, 9, 1);
                return cord <= 1 ? 250 : NECK;
            }
            return AIR;
        }
        double skullOuter = r2(x, y, z, BX, BY, BZ, 71, 91, 78);
        if (skullOuter > 1) {
            return SCALP;
        }
        double skullInner = r2(x, y, z, BX, BY, BZ, 65, 85, 72);
        if (skullInner > 1) {
            return SKULL;
        }
        // Brain surface wobbles a little; the cortex is a rim of varying thickness with sulci.
        double wob = 1 + 0.03 * Rng.noise3(seed ^ 0xB2A1, x / 14, y / 14, z / 14);
        double brain = Math.sqrt(r2(x, y, z, BX, BY, BZ, 62, 82, 69)) / wob;
        if (brain > 1) {
            return CSF;
        }
        double sulcus = Rng.noise3(seed ^ 0x5C1, x / 5, y / 5, z / 5);
        double cortex = (4.5 + 2.5 * Rng.noise3(seed ^ 0xC0, x / 9, y / 9, z / 9)) / 65.0;
        if (brain > 1 - cortex) {
            return (sulcus > 0.55 && brain > 1 - 0.6 * cortex) ? CSF : GREY;
        }
        // Lateral ventricles (slightly curved), third ventricle.
        double ax = Math.abs(x);
        double bend = 0.004 * (y - 5) * (y - 5);
        if (r2(ax, y, z - bend, 10, 2, 22, 5, 24, 8) <= 1 || r2(x, y, z, 0, 6, 4, 1.8, 13, 9) <= 1) {
            return CSF;
        }
        // Temporal horn: a thin CSF rim around the hippocampus.
        if (ax > 14 && ax < 44) {
            if (r2(ax, y, z, 28, -2, -20, 9.5, 14.5, 8.5) <= 1 || r2(ax, y, z, 27, 16, -16, 7.5, 14.5, 7) <= 1) {
                return CSF;
            }
        }
        // Brainstem, and the cerebellum with its folia (grey and white leaves).
        if (z < 0 && x * x + (y - 20) * (y - 20) < 11 * 11) {
            return 0.92 * WHITE;
        }
        double cb = r2(x, y, z, 0, 46, -33, 48, 24, 19);
        if (cb <= 1) {
            if (cb > 0.93) {
                return CSF;
            }
            return Rng.noise3(seed ^ 0xCE5EL, x / 6, y / 2.5, z / 2.5) > -0.1 ? GREY : 0.95 * WHITE;
        }
        // Deep grey nuclei (thalamus-like), a little darker than white matter.
        if (r2(ax, y, z, 11, 14, 8, 8, 12, 9) <= 1) {
            return 0.5 * (GREY + WHITE);
        }
        return WHITE;
    }
}
