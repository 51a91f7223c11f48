package org.radflow.testdata;

/**
 * An axial CT slice through an elliptic body: soft tissue, a rib-cage ring of bone, two lungs,
 * a vertebra, an enhanced aorta and the table, with noise. Stored values are HU + 1024.
 */
final class CtPhantom {
    private CtPhantom() {}

    static short[] slice(int rows, int cols, double ps, double x0, double y0, double z, long seed, int index) {
        // The body narrows and widens slowly along z.
        double wobble = 1 + 0.06 * Rng.noise2(seed ^ 0xC7L, z / 90.0, 0.5);
        double a = Math.min(165, 0.45 * cols * ps) * wobble;
        double b = Math.min(115, 0.31 * rows * ps) * wobble;
        double lungScale = Math.max(0, Math.min(1, 1.2 - Math.abs(z) / 250.0));
        double tableTop = b + 12;
        short[] out = new short[rows * cols];
        long state = Rng.hash(seed, 0xC7, index, 0);
        for (int r = 0; r < rows; r++) {
            double y = y0 + r * ps;
            double yb = y / b;
            for (int c = 0; c < cols; c++) {
                double x = x0 + c * ps;
                double xa = x / a;
                double e = xa * xa + yb * yb;
                double hu;
                if (e > 1) {
                    hu = (y > tableTop && y < tableTop + 12 && Math.abs(x) < 0.9 * cols * ps / 2) ? 150 : -1000;
                } else if (e > 0.80 && e < 0.88) {
                    hu = 700; // bone ring
                } else {
                    hu = 40;
                    double sy = y - 0.62 * b;
                    double spine = x * x + sy * sy;
                    if (spine < 16 * 16) {
                        hu = spine < 11 * 11 ? 250 : 800;
                    } else {
                        double ay = y - 0.35 * b;
                        double ax = x + 0.08 * a;
                        if (ax * ax + ay * ay < 12 * 12) {
                            hu = 180; // aorta
                        } else if (lungScale > 0) {
                            double lx = (Math.abs(x) - 0.42 * a) / (0.30 * a * lungScale);
                            double ly = (y + 0.05 * b) / (0.62 * b * lungScale);
                            if (lx * lx + ly * ly < 1) {
                                hu = -850;
                            }
                        }
                    }
                }
                state += 0x9E3779B97F4A7C15L;
                hu += 12 * Rng.gaussianish(Rng.mix(state));
                int stored = (int) Math.round(hu) + 1024;
                out[r * cols + c] = (short) Math.max(0, Math.min(4095, stored));
            }
        }
        return out;
    }
}
