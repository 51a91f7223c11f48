package org.radflow.testdata;

import static org.radflow.testdata.Rng.smoothstep;

/**
 * A synthetic chest radiograph as a brightness map (0 = black, 1 = white as MONOCHROME2 shows
 * it: air dark, bone bright). Coordinates are normalised by the shorter image side, centred,
 * with v growing downwards; frontal views show the patient's right on the viewer's left, the
 * lateral view shows anterior on the left.
 */
final class ChestPhantom {
    private ChestPhantom() {}

    static final int MAX = 4095;

    /** MONOCHROME2 samples (12-bit) in row-major order. */
    static short[] render(ChestOptions.View view, int rows, int columns, long seed) {
        return render(view, rows, columns, seed, ChestOptions.Finding.NONE);
    }

    /** MONOCHROME2 samples (12-bit) in row-major order, with a simulated lung finding in frontal views. */
    static short[] render(ChestOptions.View view, int rows, int columns, long seed, ChestOptions.Finding finding) {
        short[] out = new short[rows * columns];
        double s = Math.min(rows, columns);
        java.util.stream.IntStream.range(0, rows).parallel().forEach(r -> {
            double v = (r + 0.5 - rows / 2.0) / s;
            for (int c = 0; c < columns; c++) {
                double u = (c + 0.5 - columns / 2.0) / s;
                double a = switch (view) {
                    case PA -> frontal(u, v, false, seed, finding);
                    case AP -> frontal(u, v, true, seed, finding);
                    case LAT -> lateral(u, v, seed);
                };
                a += 0.006 * Rng.gaussianish(Rng.hash(seed, 7, r, c));
                int value = (int) Math.round(a * MAX);
                out[r * columns + c] = (short) Math.max(0, Math.min(MAX, value));
            }
        });
        return out;
    }

    private static double texture(double u, double v, long seed) {
        return 0.6 * Rng.noise2(seed, u * 8, v * 8)
                + 0.3 * Rng.noise2(seed + 1, u * 21, v * 21)
                + 0.1 * Rng.noise2(seed + 2, u * 55, v * 55);
    }

    /** 1 inside the ellipse, 0 outside, soft over {@code soft} (in normalised radius). */
    private static double ellipse(double u, double v, double cu, double cv, double a, double b, double soft) {
        double du = (u - cu) / a;
        double dv = (v - cv) / b;
        return 1 - smoothstep(1 - soft, 1 + soft, Math.sqrt(du * du + dv * dv));
    }

    /** 1 near the segment (within half-width w), soft edge. */
    private static double segment(double u, double v, double u0, double v0, double u1, double v1, double w) {
        double du = u1 - u0;
        double dv = v1 - v0;
        double t = ((u - u0) * du + (v - v0) * dv) / (du * du + dv * dv);
        t = Math.max(0, Math.min(1, t));
        double pu = u0 + t * du - u;
        double pv = v0 + t * dv - v;
        double d = Math.sqrt(pu * pu + pv * pv);
        return 1 - smoothstep(0.6 * w, w, d);
    }

    private static double frontal(double u, double v, boolean ap, long seed, ChestOptions.Finding finding) {
        double au = Math.abs(u);
        double hw = 0.085 + (0.45 - 0.085) * smoothstep(-0.43, -0.28, v) - 0.06 * smoothstep(0.1, 0.55, v);
        double inBody = 1 - smoothstep(hw - 0.012, hw + 0.004, au);
        double rel = Math.min(1, au / (hw + 0.02));
        double thick = inBody * Math.sqrt(1 - rel * rel);
        double a = 0.05 + 0.30 * inBody + 0.22 * thick;

        double heartScale = ap ? 1.13 : 1.0;
        double heart = ellipse(u, v, 0.05, 0.14, 0.15 * heartScale, 0.115 * heartScale, 0.12);

        // Lungs: elliptic apex, flatter base cut by the diaphragm domes (right one higher).
        double lungs = 0;
        for (int sgn = -1; sgn <= 1; sgn += 2) {
            double cu = sgn * 0.2;
            double x = (u - cu) / 0.155;
            double y = (v + 0.03) / 0.31;
            double r = Math.sqrt(x * x + (y < 0 ? y * y : y * y * y * y));
            double m = 1 - smoothstep(0.88, 1.02, r);
            double dome = 0.21 + 0.08 * x * x + (sgn < 0 ? -0.02 : 0.0);
            m *= 1 - smoothstep(dome - 0.01, dome + 0.01, v);
            m *= smoothstep(0.045, 0.075, au);
            lungs = Math.max(lungs, m);
        }
        lungs *= inBody * (1 - 0.85 * heart);
        a -= 0.33 * lungs;
        a += lungs * 0.035 * Rng.noise2(seed + 3, u * 70, v * 70); // lung markings
        if (finding != ChestOptions.Finding.NONE) { // guarded: images without a finding stay bit-identical
            a += lungs * opacity(u, v, finding, seed);
        }

        double mw = 0.055 + 0.035 * smoothstep(-0.3, 0.1, v);
        a += 0.12 * inBody * (1 - smoothstep(mw - 0.01, mw + 0.01, au)) * smoothstep(-0.45, -0.3, v);
        a += 0.04 * heart;
        a += 0.08 * ellipse(u, v, 0.06, -0.12, 0.035, 0.035, 0.2); // aortic knob

        // Trachea (air column) and spine with vertebral bodies.
        a -= 0.10 * (1 - smoothstep(0.012, 0.02, au)) * (1 - smoothstep(-0.16, -0.1, v));
        double spine = 1 - smoothstep(0.026, 0.036, au);
        double phase = (v + 10) / 0.055;
        double disc = Math.abs(phase - Math.floor(phase) - 0.5) * 2; // 0 mid-body, 1 at a disc
        a += spine * (0.10 + 0.05 * (1 - smoothstep(0.75, 0.95, disc)));

        // Ribs: posterior arcs (brighter) and anterior arcs (fainter) on each side.
        double ribArea = inBody * (1 - smoothstep(hw - 0.03, hw - 0.01, au));
        double t = (au - 0.035) / 0.38;
        if (t > -0.02 && t < 1.08) {
            double ribs = 0;
            for (int k = 0; k < 10; k++) {
                double v0 = -0.31 + 0.056 * k;
                double vp = v0 - 0.04 * t + 0.11 * t * t * t;
                double w = 0.010 + 0.002 * k / 9.0;
                ribs = Math.max(ribs, 1 - smoothstep(0.55 * w, w, Math.abs(v - vp)));
                if (t > 0.35) {
                    double va = v0 + 0.03 + 0.13 * (1 - t);
                    ribs = Math.max(ribs, 0.45 * (1 - smoothstep(0.6 * 0.014, 0.014, Math.abs(v - va))));
                }
            }
            a += 0.075 * ribs * ribArea * (0.35 + 0.65 * lungs);
        }

        // Clavicles (more horizontal in AP), humeral heads, and in AP the scapular borders.
        for (int sgn = -1; sgn <= 1; sgn += 2) {
            double lateralV = ap ? -0.30 : -0.335;
            a += 0.12 * segment(u, v, sgn * 0.04, -0.285, sgn * 0.31, lateralV, 0.015);
            a += 0.12 * inBody * ellipse(u, v, sgn * 0.43, -0.27, 0.055, 0.06, 0.1);
            if (ap) {
                a += 0.05 * segment(u, v, sgn * 0.25, -0.26, sgn * 0.30, 0.03, 0.01);
            }
        }
        return a + 0.025 * inBody * texture(u, v, seed);
    }

    private static double lateral(double u, double v, long seed) {
        double cu = 0.05 * (1 - smoothstep(-0.45, -0.3, v));
        double hw = 0.10 + (0.31 - 0.10) * smoothstep(-0.45, -0.3, v) - 0.02 * smoothstep(0.15, 0.55, v);
        double du = u - cu;
        double inBody = 1 - smoothstep(hw - 0.012, hw + 0.004, Math.abs(du));
        double rel = Math.min(1, Math.abs(du) / (hw + 0.02));
        double thick = inBody * Math.sqrt(1 - rel * rel);
        double a = 0.07 + 0.34 * inBody + 0.24 * thick;

        double heart = ellipse(u, v, -0.10, 0.12, 0.14, 0.13, 0.08);
        double x = (u - 0.02) / 0.24;
        double y = (v + 0.02) / 0.31;
        double r = Math.sqrt(x * x + (y < 0 ? y * y : y * y * y * y));
        double lung = 1 - smoothstep(0.88, 1.02, r);
        double dome = 0.20 + 0.06 * x + 0.06 * x * x;
        lung *= 1 - smoothstep(dome - 0.01, dome + 0.01, v);
        lung *= inBody * (1 - 0.8 * heart);
        a -= 0.36 * lung;
        a += lung * 0.035 * Rng.noise2(seed + 3, u * 70, v * 70);
        a += 0.05 * heart;

        // Shoulders and arms over the upper chest.
        a += 0.12 * inBody * ellipse(u, v, 0.0, -0.33, 0.22, 0.08, 0.3);

        // Trachea, sloping backwards as it descends.
        double tu = -0.03 + 0.06 * (v + 0.5);
        a -= 0.12 * (1 - smoothstep(0.012, 0.02, Math.abs(u - tu))) * (1 - smoothstep(-0.12, -0.06, v));

        // Spine at the back: vertebral bodies with discs, then posterior elements.
        double sc = 0.21 + 0.05 * (v + 0.1) * (v + 0.1) - 0.10 * (1 - smoothstep(-0.45, -0.25, v));
        double phase = (v + 10) / 0.055;
        double disc = Math.abs(phase - Math.floor(phase) - 0.5) * 2;
        double body = inBody * (1 - smoothstep(0.032, 0.04, Math.abs(u - sc)));
        a += body * (0.07 + 0.12 * (1 - smoothstep(0.72, 0.9, disc)));
        a += 0.08 * (1 - smoothstep(0.015, 0.022, Math.abs(u - sc - 0.07))) * inBody;

        // Sternum at the front.
        a += 0.10 * (1 - smoothstep(0.012, 0.018, Math.abs(u + 0.275)))
                * smoothstep(-0.3, -0.26, v) * (1 - smoothstep(0.1, 0.14, v));

        // Faint posterior rib arcs.
        if (u > -0.16 && u < 0.26) {
            double ribs = 0;
            for (int k = 0; k < 10; k++) {
                double vk = -0.28 + 0.055 * k + 0.9 * (u - 0.22) * (u - 0.22);
                ribs = Math.max(ribs, 1 - smoothstep(0.007, 0.012, Math.abs(v - vk)));
            }
            a += 0.04 * ribs * inBody;
        }
        return a + 0.025 * inBody * texture(u, v, seed);
    }

    /**
     * Extra brightness of a finding at a point inside the lungs (to be multiplied by the lung mask; the lungs
     * themselves are 0.33 darker than soft tissue). Placement, size and texture come from the seed.
     */
    static double opacity(double u, double v, ChestOptions.Finding finding, long seed) {
        if (finding == ChestOptions.Finding.CONSOLIDATION) {
            // One lobe of one lung (above or below an oblique fissure), mostly or partly filled: a dense
            // patch with a straight edge at the fissure, a lobulated edge elsewhere, and air bronchograms.
            int side = Rng.unit(Rng.hash(seed, 0xC0750L, 1, 0)) < 0.5 ? -1 : 1;
            boolean lower = Rng.unit(Rng.hash(seed, 0xC0750L, 2, 0)) < 0.6;
            double su = side * u;
            double fissure = -0.04 + 0.08 * Rng.unit(Rng.hash(seed, 0xC0750L, 3, 0)) + 0.35 * (su - 0.2);
            double edge = (lower ? v - fissure : fissure - v) + 0.01 * Rng.noise2(seed + 10, u * 30, v * 30);
            double lobe = smoothstep(-0.005, 0.015, edge) * smoothstep(0.03, 0.06, su);
            double cu = 0.2 + 0.03 * Rng.signed(Rng.hash(seed, 0xC0750L, 4, 0));
            double cv = lower ? 0.08 : -0.14;
            double ra = 0.12 + 0.06 * Rng.unit(Rng.hash(seed, 0xC0750L, 5, 0));
            double rb = 0.12 + 0.08 * Rng.unit(Rng.hash(seed, 0xC0750L, 6, 0));
            double du = (su - cu) / ra;
            double dv = (v - cv) / rb;
            double r = Math.sqrt(du * du + dv * dv) + 0.25 * Rng.noise2(seed + 11, u * 12, v * 12);
            double patch = lobe * (1 - smoothstep(0.75, 1.05, r));
            double bronchi = 1 - smoothstep(0.0, 0.06, Math.abs(Rng.noise2(seed + 12, u * 16, v * 16)));
            return patch * (0.27 - 0.08 * bronchi + 0.02 * Rng.noise2(seed + 13, u * 40, v * 40));
        }
        if (finding == ChestOptions.Finding.DIFFUSE_OPACITY) {
            // Both lungs, peripheral and lower-zone predominant, patchy and hazy (ground-glass-like).
            double au = Math.abs(u);
            double peripheral = smoothstep(0.12, 0.30, au);
            double lower = 0.35 + 0.65 * smoothstep(-0.2, 0.1, v);
            double patchy = smoothstep(-0.35, 0.45, Rng.noise2(seed + 21, u * 9, v * 9));
            double fine = 0.015 * Rng.noise2(seed + 22, u * 45, v * 45);
            return (0.05 + 0.14 * peripheral * lower * patchy) + fine;
        }
        return 0;
    }
}
