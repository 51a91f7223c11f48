package org.radflow.hippovolume;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Places a hippocampal volume against age- and sex-specific percentiles.
 *
 * <p>Source: Nobis L, Manohar SG, Smith SM, Alfaro-Almagro F, Jenkinson M, Mackay CE, Husain M. Hippocampal volume
 * across age: nomograms derived from over 19,700 people in UK Biobank. NeuroImage: Clinical 2019;23:101904.
 * doi:10.1016/j.nicl.2019.101904 (UK Biobank, FSL FIRST, head-size corrected volumes of one hemisphere, ages about
 * 45 to 80).
 *
 * <p><b>APPROXIMATE VALUES, NOT THE PUBLISHED TABLE.</b> The paper's own percentile tables (and its online tool)
 * could not be consulted when this was written. The numbers below were reconstructed from the paper's reported
 * shape — medians of one hemisphere falling from about 3.8 (women) / 4.0 (men) cm³ in the late forties to about
 * 3.3 / 3.5 cm³ in the late seventies, the left/right average, and a normal spread (SD about 360 mm³ for women,
 * 390 mm³ for men) — then rounded to 10 mm³. Replace them with the published values before anyone reads the
 * comparison as more than an illustration. Even then the comparison is indicative only: the nomograms come from FSL
 * FIRST segmentations corrected for head size, not from this module's network, and a U-Net trained on other labels
 * (e.g. the Medical Segmentation Decathlon hippocampus crops) measures systematically differently.
 *
 * <p>The HippoCrop holds one hippocampus, so the total (anterior + posterior) is compared with the one-hemisphere
 * percentiles (left and right averaged, the side being unknown from the crop).
 */
final class Normative {

    /** The percentiles each row of the tables gives, in order. */
    static final double[] PERCENTILES = {2.5, 5, 10, 25, 50, 75, 90, 95, 97.5};
    /** First age of each 5-year band; the last band ends at {@link #MAX_AGE}. */
    static final int[] BAND_START = {45, 50, 55, 60, 65, 70, 75};
    static final int MIN_AGE = 45;
    static final int MAX_AGE = 80;

    /** Women: one-hemisphere hippocampal volume (mm³) per band at {@link #PERCENTILES}. Approximate, see above. */
    static final int[][] FEMALE = {
        {3070, 3190, 3320, 3540, 3780, 4020, 4240, 4370, 4490},
        {3030, 3150, 3280, 3500, 3740, 3980, 4200, 4330, 4450},
        {2970, 3090, 3220, 3440, 3680, 3920, 4140, 4270, 4390},
        {2890, 3010, 3140, 3360, 3600, 3840, 4060, 4190, 4310},
        {2800, 2920, 3050, 3270, 3510, 3750, 3970, 4100, 4220},
        {2700, 2820, 2950, 3170, 3410, 3650, 3870, 4000, 4120},
        {2590, 2710, 2840, 3060, 3300, 3540, 3760, 3890, 4010},
    };

    /** Men: as {@link #FEMALE}. Approximate, see above. */
    static final int[][] MALE = {
        {3230, 3350, 3490, 3730, 3990, 4250, 4490, 4630, 4750},
        {3190, 3310, 3450, 3690, 3950, 4210, 4450, 4590, 4710},
        {3130, 3250, 3390, 3630, 3890, 4150, 4390, 4530, 4650},
        {3060, 3180, 3320, 3560, 3820, 4080, 4320, 4460, 4580},
        {2980, 3100, 3240, 3480, 3740, 4000, 4240, 4380, 4500},
        {2880, 3000, 3140, 3380, 3640, 3900, 4140, 4280, 4400},
        {2770, 2890, 3030, 3270, 3530, 3790, 4030, 4170, 4290},
    };

    static final String CITATION = "Nobis et al. 2019, indicative only";

    private static final Pattern AGE = Pattern.compile("(\\d{1,3})\\s*([DWMY])");

    private Normative() {
    }

    /**
     * The comparison sentence, e.g. "between the 25th and 50th percentile for women aged 60-65 (Nobis et al. 2019,
     * indicative only)"; or why there is none (absent/unusable age or sex, age outside the tables).
     */
    static Result compare(double totalMm3, String patientAge, String patientSex) {
        String sex = patientSex == null ? "" : patientSex.trim().toUpperCase(Locale.ROOT);
        if (!sex.equals("F") && !sex.equals("M")) {
            return Result.none(sex.isEmpty() ? "no normative comparison: Patient's Sex is absent"
                    : "no normative comparison: the nomograms are for female and male, Patient's Sex is " + sex);
        }
        Optional<Integer> years = years(patientAge);
        if (years.isEmpty()) {
            return Result.none(patientAge == null || patientAge.isBlank() ? "no normative comparison: Patient's Age is absent"
                    : "no normative comparison: Patient's Age '" + patientAge.trim() + "' is not an age in years");
        }
        int age = years.get();
        if (age < MIN_AGE || age >= MAX_AGE) {
            return Result.none("no normative comparison: the nomograms cover ages " + MIN_AGE + " to " + MAX_AGE
                    + ", the patient is " + age);
        }
        int band = (age - MIN_AGE) / 5;
        int[] row = (sex.equals("F") ? FEMALE : MALE)[band];
        String group = (sex.equals("F") ? "women" : "men") + " aged " + BAND_START[band] + "-" + (BAND_START[band] + 5);
        String where;
        if (totalMm3 < row[0]) {
            where = "below the " + ordinal(PERCENTILES[0]) + " percentile";
        } else if (totalMm3 >= row[row.length - 1]) {
            where = "above the " + ordinal(PERCENTILES[row.length - 1]) + " percentile";
        } else {
            int i = 0;
            while (totalMm3 >= row[i + 1]) {
                i++;
            }
            where = "between the " + ordinal(PERCENTILES[i]) + " and " + ordinal(PERCENTILES[i + 1]) + " percentile";
        }
        return new Result(true, where + " for " + group + " (" + CITATION + ")");
    }

    /** Whole years from a DICOM Age String (nnnY; days, weeks and months give 0). */
    static Optional<Integer> years(String age) {
        if (age == null) {
            return Optional.empty();
        }
        Matcher m = AGE.matcher(age.trim().toUpperCase(Locale.ROOT));
        if (!m.matches()) {
            return Optional.empty();
        }
        int n = Integer.parseInt(m.group(1));
        return Optional.of(switch (m.group(2)) {
            case "Y" -> n;
            case "M" -> n / 12;
            case "W" -> n / 52;
            default -> n / 365;
        });
    }

    static String ordinal(double p) {
        if (p != Math.rint(p)) {
            return String.format(Locale.ROOT, "%.1fth", p);
        }
        int n = (int) p;
        int mod100 = n % 100;
        String suffix = mod100 >= 11 && mod100 <= 13 ? "th" : switch (n % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
        };
        return n + suffix;
    }

    /** @param available true when {@code text} places the volume; otherwise it says why not */
    record Result(boolean available, String text) {
        static Result none(String why) {
            return new Result(false, why);
        }
    }
}
