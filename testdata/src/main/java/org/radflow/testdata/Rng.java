package org.radflow.testdata;

/**
 * Seeded randomness that does not depend on iteration order: every value is a hash of the seed
 * and coordinates (SplitMix64 finaliser), so images are the same whichever order or thread
 * computes them.
 */
final class Rng {
    private Rng() {}

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static long hash(long seed, long a, long b, long c) {
        long h = mix(seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L);
        h = mix(h ^ (a * 0xD1B54A32D192ED03L));
        h = mix(h ^ (b * 0xAEF17502108EF2D9L));
        return mix(h ^ (c * 0xDB4F0B9175AE2165L));
    }

    /** Uniform in [0, 1). */
    static double unit(long h) {
        return (h >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [-1, 1). */
    static double signed(long h) {
        return unit(h) * 2.0 - 1.0;
    }

    /** Approximately normal (mean 0, sd 1): sum of four uniforms from one 64-bit hash. */
    static double gaussianish(long h) {
        double s = (h & 0xFFFF) + ((h >>> 16) & 0xFFFF) + ((h >>> 32) & 0xFFFF) + ((h >>> 48) & 0xFFFF);
        // four U(0, 65535): mean 131070, sd 65535 * sqrt(4/12)
        return (s - 131070.0) / (65535.0 * 0.5773502691896258);
    }

    private static double fade(double t) {
        return t * t * (3.0 - 2.0 * t);
    }

    /** Smooth 2D value noise in [-1, 1], lattice spacing 1. */
    static double noise2(long seed, double x, double y) {
        double fx = Math.floor(x);
        double fy = Math.floor(y);
        long ix = (long) fx;
        long iy = (long) fy;
        double tx = fade(x - fx);
        double ty = fade(y - fy);
        double v00 = signed(hash(seed, ix, iy, 0));
        double v10 = signed(hash(seed, ix + 1, iy, 0));
        double v01 = signed(hash(seed, ix, iy + 1, 0));
        double v11 = signed(hash(seed, ix + 1, iy + 1, 0));
        double a = v00 + (v10 - v00) * tx;
        double b = v01 + (v11 - v01) * tx;
        return a + (b - a) * ty;
    }

    /** Smooth 3D value noise in [-1, 1], lattice spacing 1. */
    static double noise3(long seed, double x, double y, double z) {
        double fx = Math.floor(x);
        double fy = Math.floor(y);
        double fz = Math.floor(z);
        long ix = (long) fx;
        long iy = (long) fy;
        long iz = (long) fz;
        double tx = fade(x - fx);
        double ty = fade(y - fy);
        double tz = fade(z - fz);
        double c000 = signed(hash(seed, ix, iy, iz));
        double c100 = signed(hash(seed, ix + 1, iy, iz));
        double c010 = signed(hash(seed, ix, iy + 1, iz));
        double c110 = signed(hash(seed, ix + 1, iy + 1, iz));
        double c001 = signed(hash(seed, ix, iy, iz + 1));
        double c101 = signed(hash(seed, ix + 1, iy, iz + 1));
        double c011 = signed(hash(seed, ix, iy + 1, iz + 1));
        double c111 = signed(hash(seed, ix + 1, iy + 1, iz + 1));
        double x00 = c000 + (c100 - c000) * tx;
        double x10 = c010 + (c110 - c010) * tx;
        double x01 = c001 + (c101 - c001) * tx;
        double x11 = c011 + (c111 - c011) * tx;
        double y0 = x00 + (x10 - x00) * ty;
        double y1 = x01 + (x11 - x01) * ty;
        return y0 + (y1 - y0) * tz;
    }

    /** Smooth step from 0 (at edge0) to 1 (at edge1). */
    static double smoothstep(double edge0, double edge1, double x) {
        double t = (x - edge0) / (edge1 - edge0);
        if (t <= 0) {
            return 0;
        }
        if (t >= 1) {
            return 1;
        }
        return t * t * (3 - 2 * t);
    }
}
