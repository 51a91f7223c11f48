package org.radflow.hippovolume;

import org.radflow.api.Concept;
import org.radflow.api.DicomTags;
import org.radflow.api.ModuleException;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.Period;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A site-supplied reference table of hippocampal volume percentiles by sex and age band, read from a CSV file
 * (configuration key {@code normativeTable}). HippoVolume has no normative numbers of its own: without a table it
 * says nothing about norms.
 *
 * <pre>
 * # citation: Author A, Author B. Title. Journal Year;Volume:Page
 * # doi: 10.xxxx/yyyy            (or: none)
 * # segmentation: how the reference volumes were segmented (software, version, protocol)
 * # measure: one-hemisphere      (one-hemisphere, both-hemispheres, left or right)
 * # headSizeCorrected: false
 * # ageRange: 45-80
 * # units: mm3
 * sex,ageFrom,ageTo,percentile,volumeMm3
 * F,45,50,5,3190
 * F,45,50,50,3780
 * ...
 * </pre>
 *
 * <p>An age band holds ages {@code ageFrom <= age < ageTo} in whole years; a band's rows are consecutive, its
 * percentiles increase and its volumes do not decrease; the bands of one sex go up in age without overlapping.
 * Every error names the file, the line and the fix.
 */
final class NormativeTable {

    /** What HippoVolume measures: the hippocampus of one HippoCrop, one hemisphere whose side is not known. */
    static final String MODULE_MEASURE = "one-hemisphere";
    static final List<String> MEASURES = List.of("one-hemisphere", "both-hemispheres", "left", "right");
    static final List<String> KEYS = List.of("citation", "doi", "segmentation", "measure", "headSizeCorrected",
            "ageRange", "units");
    static final List<String> COLUMNS = List.of("sex", "ageFrom", "ageTo", "percentile", "volumeMm3");
    /** More is not a percentile table: refused before reading. */
    static final long MAX_BYTES = 1 << 20;
    static final int MAX_ERRORS = 20;

    /** The SR concept of the comparison and RadFlow's private codes for its answers. */
    static final Concept BAND_CONCEPT = new Concept("99RADFLOW", "HIPPO-NORM-BAND",
            "Hippocampal volume percentile band");

    private static final Pattern KEY_LINE = Pattern.compile("#\\s*([A-Za-z]+)\\s*:\\s*(.*)");
    private static final Pattern AGE_RANGE = Pattern.compile("(\\d{1,3})\\s*-\\s*(\\d{1,3})");
    private static final Pattern DOI = Pattern.compile("10\\.\\d{4,9}/\\S+");
    private static final Pattern AGE = Pattern.compile("(\\d{1,3})\\s*([DWMY])");

    enum Sex {
        F("women"), M("men");

        final String people;

        Sex(String people) {
            this.people = people;
        }
    }

    /** The provenance header. */
    record Provenance(String citation, String doi, String segmentation, String measure, boolean headSizeCorrected,
                      int ageFrom, int ageTo) {
    }

    /** One percentile of a band. */
    record Point(double percentile, double volumeMm3) {
    }

    /** The rows of one sex and age band ({@code ageFrom <= age < ageTo}), percentiles increasing. */
    record Band(Sex sex, int ageFrom, int ageTo, List<Point> points, int line) {
        String group() {
            return sex.people + " aged " + ageFrom + " to under " + ageTo;
        }
    }

    /**
     * Where a volume falls, or why it was not placed.
     *
     * @param answer the band as a coded answer ({@code PCTL-5-10} "Between the 5th and 10th percentile"); null when
     *               not placed
     * @param band   the sex and age band compared with; null when not placed
     * @param reason why there is no comparison; null when placed
     */
    record Comparison(Concept answer, Band band, String reason) {
        boolean placed() {
            return answer != null;
        }
    }

    private final Path file;
    private final Provenance provenance;
    private final List<Band> bands;

    private NormativeTable(Path file, Provenance provenance, List<Band> bands) {
        this.file = file;
        this.provenance = provenance;
        this.bands = List.copyOf(bands);
    }

    Path file() {
        return file;
    }

    Provenance provenance() {
        return provenance;
    }

    List<Band> bands() {
        return bands;
    }

    /** The reference as a reader sees it: the citation, then the DOI when there is one. */
    String reference() {
        return provenance.citation() + (provenance.doi().equalsIgnoreCase("none") ? "" : " doi:" + provenance.doi());
    }

    /** What the reference volumes are, for the caveat. */
    String referenceVolumes() {
        return "one hemisphere, " + provenance.segmentation() + ", "
                + (provenance.headSizeCorrected() ? "head-size corrected" : "not head-size corrected");
    }

    // ------------------------------------------------------------------------------------------ reading

    /** Reads and checks a table; every problem found (up to {@value #MAX_ERRORS}) is in the exception's message. */
    static NormativeTable read(Path file) throws ModuleException {
        String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        if (name.toLowerCase(Locale.ROOT).endsWith(".json")) {
            throw new ModuleException(prefix(file) + "JSON tables are not supported; write the table as CSV with a"
                    + " '# key: value' provenance header (see the module README, 'Normative comparison')");
        }
        if (!Files.isRegularFile(file)) {
            throw new ModuleException(prefix(file) + "no such file (configuration key 'normativeTable'); give the path"
                    + " of a CSV table (absolute, or relative to the model directory), or leave the key empty for no"
                    + " comparison");
        }
        String text;
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES) {
                throw new ModuleException(prefix(file) + "the file has " + size + " bytes; a percentile table is far"
                        + " smaller (at most " + MAX_BYTES + " bytes): check that the key names the right file");
            }
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new ModuleException(prefix(file) + "not UTF-8 text; save the table as UTF-8 CSV", e);
        } catch (IOException e) {
            throw new ModuleException(prefix(file) + "cannot be read: " + e.getMessage(), e);
        }
        return parse(file, text);
    }

    static NormativeTable parse(Path file, String text) throws ModuleException {
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        String[] lines = text.split("\r\n|\r|\n", -1);
        List<String> errors = new ArrayList<>();
        Map<String, String> keys = new LinkedHashMap<>();
        Map<String, Integer> keyLines = new LinkedHashMap<>();
        Map<String, Integer> columns = null;
        int headerLine = 0;
        List<Band> bands = new ArrayList<>();
        // the band being read: its key and collected points
        Sex sex = null;
        int ageFrom = 0;
        int ageTo = 0;
        int bandLine = 0;
        List<Point> points = new ArrayList<>();
        int previousPointLine = 0;
        for (int i = 0; i < lines.length && errors.size() < MAX_ERRORS; i++) {
            int n = i + 1;
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                Matcher m = KEY_LINE.matcher(line);
                if (!m.matches()) {
                    continue; // a comment
                }
                String key = known(m.group(1));
                if (key == null) {
                    errors.add(at(file, n, "unknown provenance key '" + m.group(1) + "'; the keys are "
                            + String.join(", ", KEYS) + " (write other notes as '# text' without a colon after the"
                            + " first word)"));
                } else if (columns != null) {
                    errors.add(at(file, n, "provenance key '" + key + "' after the header row (line " + headerLine
                            + "); move it above the header row"));
                } else if (keys.containsKey(key)) {
                    errors.add(at(file, n, "provenance key '" + key + "' given twice (also line " + keyLines.get(key)
                            + "); keep one"));
                } else {
                    keys.put(key, m.group(2).strip());
                    keyLines.put(key, n);
                }
                continue;
            }
            String[] cells = line.split(",", -1);
            if (columns == null) {
                headerLine = n;
                columns = header(file, n, cells, errors);
                if (columns == null) {
                    break; // rows cannot be read without their columns
                }
                continue;
            }
            if (cells.length != columns.size()) {
                errors.add(at(file, n, cells.length + " values but the header row (line " + headerLine + ") has "
                        + columns.size() + " columns; give " + String.join(",", COLUMNS)));
                continue;
            }
            int before = errors.size();
            Sex rowSex = sex(file, n, cells[columns.get("sex")].strip(), errors);
            int from = wholeYears(file, n, "ageFrom", cells[columns.get("ageFrom")].strip(), errors);
            int to = wholeYears(file, n, "ageTo", cells[columns.get("ageTo")].strip(), errors);
            double percentile = number(file, n, "percentile", cells[columns.get("percentile")].strip(), errors);
            double volume = number(file, n, "volumeMm3", cells[columns.get("volumeMm3")].strip(), errors);
            if (errors.size() > before) {
                continue;
            }
            if (from >= to) {
                errors.add(at(file, n, "ageFrom " + from + " is not below ageTo " + to + "; a band holds ages from ageFrom"
                        + " up to but not including ageTo (e.g. 45,50)"));
                continue;
            }
            if (!(percentile > 0 && percentile < 100)) {
                errors.add(at(file, n, "percentile " + cells[columns.get("percentile")].strip() + " is not between 0 and"
                        + " 100 (exclusive); give e.g. 5 for the 5th percentile"));
                continue;
            }
            if (Math.rint(percentile * 100) != percentile * 100) {
                errors.add(at(file, n, "percentile " + cells[columns.get("percentile")].strip() + " has more than two"
                        + " decimals; round it (e.g. 2.5)"));
                continue;
            }
            if (!(volume > 0)) {
                errors.add(at(file, n, "volumeMm3 " + cells[columns.get("volumeMm3")].strip() + " is not a positive"
                        + " volume; give the volume in mm3"));
                continue;
            }
            if (rowSex == sex && from == ageFrom && to == ageTo) {
                Point last = points.get(points.size() - 1);
                if (percentile <= last.percentile()) {
                    errors.add(at(file, n, "percentile " + num(percentile) + " does not increase (line " + previousPointLine
                            + " has " + num(last.percentile()) + " for " + rowSex.people + " aged " + from + " to under "
                            + to + "); list a band's percentiles from lowest to highest, each once"));
                    continue;
                }
                if (volume < last.volumeMm3()) {
                    errors.add(at(file, n, "volume " + num(volume) + " mm3 at the " + ordinal(percentile)
                            + " percentile is below " + num(last.volumeMm3()) + " mm3 at the " + ordinal(last.percentile())
                            + " (line " + previousPointLine + "); volumes must not decrease as the percentile rises:"
                            + " check the column order and the values"));
                    continue;
                }
                points.add(new Point(percentile, volume));
                previousPointLine = n;
                continue;
            }
            // a new band: close the one read so far, then check its place among the bands of its sex
            if (sex != null) {
                close(file, bands, sex, ageFrom, ageTo, points, bandLine, errors);
            }
            String misplaced = misplaced(bands, rowSex, from, to);
            if (misplaced != null) {
                errors.add(at(file, n, misplaced));
            }
            sex = rowSex;
            ageFrom = from;
            ageTo = to;
            bandLine = n;
            points = new ArrayList<>(List.of(new Point(percentile, volume)));
            previousPointLine = n;
        }
        if (sex != null) {
            close(file, bands, sex, ageFrom, ageTo, points, bandLine, errors);
        }
        if (columns == null && errors.isEmpty()) {
            errors.add(prefix(file) + "no header row; after the '# key: value' lines give the header row "
                    + String.join(",", COLUMNS) + " and then one row per percentile");
        } else if (columns != null && bands.isEmpty() && errors.isEmpty()) {
            errors.add(prefix(file) + "no rows after the header row (line " + headerLine + "); give one row per sex, age"
                    + " band and percentile");
        }
        Provenance provenance = provenance(file, keys, keyLines, bands, errors);
        if (!errors.isEmpty()) {
            List<String> shown = errors.subList(0, Math.min(errors.size(), MAX_ERRORS));
            throw new ModuleException("Module hippovolume: configuration key 'normativeTable': the table " + file
                    + " is not usable (" + errors.size() + (errors.size() >= MAX_ERRORS ? "+" : "") + " problem"
                    + (errors.size() == 1 ? "" : "s") + "):\n  " + String.join("\n  ", shown));
        }
        return new NormativeTable(file, provenance, bands);
    }

    private static String known(String key) {
        for (String k : KEYS) {
            if (k.equalsIgnoreCase(key)) {
                return k;
            }
        }
        return null;
    }

    private static Map<String, Integer> header(Path file, int n, String[] cells, List<String> errors) {
        Map<String, Integer> columns = new LinkedHashMap<>();
        List<String> unknown = new ArrayList<>();
        for (int c = 0; c < cells.length; c++) {
            String name = cells[c].strip();
            String column = COLUMNS.stream().filter(k -> k.equalsIgnoreCase(name)).findFirst().orElse(null);
            if (column == null) {
                unknown.add("'" + name + "'");
            } else if (columns.putIfAbsent(column, c) != null) {
                unknown.add("'" + name + "' (twice)");
            }
        }
        List<String> missing = COLUMNS.stream().filter(k -> !columns.containsKey(k)).toList();
        if (missing.isEmpty() && unknown.isEmpty()) {
            return columns;
        }
        errors.add(at(file, n, "the header row " + (missing.isEmpty() ? "" : "lacks column" + (missing.size() == 1 ? " " : "s ")
                + String.join(", ", missing)) + (missing.isEmpty() || unknown.isEmpty() ? "" : " and ")
                + (unknown.isEmpty() ? "" : "has unknown column" + (unknown.size() == 1 ? " " : "s ") + String.join(", ", unknown))
                + "; the header row is " + String.join(",", COLUMNS) + " (the first line not starting with #)"));
        return null;
    }

    private static Sex sex(Path file, int n, String value, List<String> errors) {
        String v = value.toUpperCase(Locale.ROOT);
        if (v.equals("F") || v.equals("FEMALE")) {
            return Sex.F;
        }
        if (v.equals("M") || v.equals("MALE")) {
            return Sex.M;
        }
        errors.add(at(file, n, "sex '" + value + "' is not F or M (DICOM Patient's Sex); give F or M"));
        return null;
    }

    private static int wholeYears(Path file, int n, String column, String value, List<String> errors) {
        try {
            int years = Integer.parseInt(value);
            if (years < 0 || years > 150) {
                errors.add(at(file, n, column + " " + value + " is not an age in years (0 to 150)"));
            }
            return years;
        } catch (NumberFormatException e) {
            errors.add(at(file, n, column + " '" + value + "' is not a whole number of years; give e.g. 45"));
            return 0;
        }
    }

    private static double number(Path file, int n, String column, String value, List<String> errors) {
        try {
            double d = Double.parseDouble(value);
            if (Double.isFinite(d) && !value.isEmpty() && Character.isDigit(value.charAt(value.length() - 1))) {
                return d;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        errors.add(at(file, n, column + " '" + value + "' is not a number; give digits with a '.' for decimals"
                + " (e.g. 2.5), without units or thousands separators"));
        return Double.NaN;
    }

    /** Why a new band cannot come here, or null. */
    private static String misplaced(List<Band> bands, Sex sex, int from, int to) {
        Band last = null;
        for (Band b : bands) {
            if (b.sex() != sex) {
                continue;
            }
            if (b.ageFrom() == from && b.ageTo() == to) {
                return "the rows of " + b.group() + " are split (the band started at line " + b.line()
                        + "); keep a band's rows together";
            }
            last = b;
        }
        if (last == null) {
            return null;
        }
        if (from < last.ageFrom()) {
            return "age band " + from + " to under " + to + " of " + sex.people + " comes after band " + last.ageFrom()
                    + " to under " + last.ageTo() + " (line " + last.line() + "); order each sex's bands by age";
        }
        if (from < last.ageTo()) {
            return "age band " + from + " to under " + to + " of " + sex.people + " overlaps band " + last.ageFrom()
                    + " to under " + last.ageTo() + " (line " + last.line() + "); ageTo is not part of its band, so the"
                    + " next band starts at " + last.ageTo() + " or later";
        }
        return null;
    }

    private static void close(Path file, List<Band> bands, Sex sex, int from, int to, List<Point> points, int line,
                              List<String> errors) {
        if (points.size() < 2) {
            errors.add(at(file, line, sex.people + " aged " + from + " to under " + to + " has one percentile; a band"
                    + " needs at least two to place a volume between them"));
        }
        bands.add(new Band(sex, from, to, List.copyOf(points), line));
    }

    private static Provenance provenance(Path file, Map<String, String> keys, Map<String, Integer> lines,
                                         List<Band> bands, List<String> errors) {
        List<String> missing = new ArrayList<>();
        for (String k : KEYS) {
            if (keys.getOrDefault(k, "").isBlank()) {
                missing.add(k);
            }
        }
        if (!missing.isEmpty()) {
            errors.add(prefix(file) + "the provenance header lacks " + String.join(", ", missing) + "; give each as a line"
                    + " '# key: value' above the header row (see the module README, 'Normative comparison')");
        }
        String doi = keys.getOrDefault("doi", "").strip();
        if (!doi.isEmpty() && !doi.equalsIgnoreCase("none") && !DOI.matcher(doi).matches()) {
            errors.add(at(file, lines.get("doi"), "doi '" + doi + "' is not a DOI (10.NNNN/...); give the source's DOI"
                    + " without 'https://doi.org/', or 'none' when it has none"));
        }
        String units = keys.getOrDefault("units", "").strip();
        if (!units.isEmpty() && !units.equals("mm3") && !units.equals("mm³")) {
            errors.add(at(file, lines.get("units"), "units '" + units + "': the table's volumes must be in mm3 (write"
                    + " 'units: mm3'; convert cm3 or mL by multiplying by 1000)"));
        }
        String measure = keys.getOrDefault("measure", "").strip().toLowerCase(Locale.ROOT);
        if (!measure.isEmpty()) {
            if (!MEASURES.contains(measure)) {
                errors.add(at(file, lines.get("measure"), "measure '" + keys.get("measure") + "' is not one of "
                        + String.join(", ", MEASURES)));
            } else if (!measure.equals(MODULE_MEASURE)) {
                errors.add(at(file, lines.get("measure"), "measure '" + measure + "' does not match what HippoVolume"
                        + " measures: one hippocampus from a HippoCrop, side unknown (one-hemisphere). Use a table of"
                        + " one-hemisphere volumes (e.g. the mean of left and right) with 'measure: one-hemisphere'"));
            }
        }
        String corrected = keys.getOrDefault("headSizeCorrected", "").strip().toLowerCase(Locale.ROOT);
        boolean headSize = corrected.equals("true");
        if (!corrected.isEmpty()) {
            if (!corrected.equals("true") && !corrected.equals("false")) {
                errors.add(at(file, lines.get("headSizeCorrected"), "headSizeCorrected '" + keys.get("headSizeCorrected")
                        + "' is not true or false"));
            } else if (headSize) {
                errors.add(at(file, lines.get("headSizeCorrected"), "the table's volumes are head-size corrected, but"
                        + " HippoVolume measures volumes without head-size correction (a HippoCrop has no intracranial"
                        + " volume); use a table of uncorrected volumes ('headSizeCorrected: false')"));
            }
        }
        int from = -1;
        int to = -1;
        String range = keys.getOrDefault("ageRange", "").strip();
        if (!range.isEmpty()) {
            Matcher m = AGE_RANGE.matcher(range);
            if (!m.matches() || Integer.parseInt(m.group(1)) >= Integer.parseInt(m.group(2))) {
                errors.add(at(file, lines.get("ageRange"), "ageRange '" + range + "' is not FROM-TO in whole years with"
                        + " FROM below TO; give e.g. 45-80"));
            } else {
                from = Integer.parseInt(m.group(1));
                to = Integer.parseInt(m.group(2));
                int rowsFrom = bands.stream().mapToInt(Band::ageFrom).min().orElse(from);
                int rowsTo = bands.stream().mapToInt(Band::ageTo).max().orElse(to);
                if (rowsFrom != from || rowsTo != to) {
                    errors.add(at(file, lines.get("ageRange"), "ageRange " + from + "-" + to + " does not match the rows,"
                            + " which cover ages " + rowsFrom + " to under " + rowsTo + "; correct one of them"));
                }
            }
        }
        return new Provenance(keys.getOrDefault("citation", "").strip(), doi, keys.getOrDefault("segmentation", "").strip(),
                measure, headSize, from, to);
    }

    private static String prefix(Path file) {
        return "normative table " + file + ": ";
    }

    private static String at(Path file, int line, String message) {
        return file + " line " + line + ": " + message;
    }

    // ------------------------------------------------------------------------------------------ comparing

    /** Places a one-hemisphere volume for the patient of {@code tags} (Patient's Sex; Patient's Age, else Birth Date and Study Date). */
    Comparison compare(double volumeMm3, DicomTags tags) {
        String sexValue = tags.get("PatientSex").map(String::strip).orElse("").toUpperCase(Locale.ROOT);
        Sex sex = sexValue.equals("F") ? Sex.F : sexValue.equals("M") ? Sex.M : null;
        if (sex == null) {
            return none(sexValue.isEmpty() ? "Patient's Sex is absent"
                    : "Patient's Sex is " + sexValue + " and the table is for F and M");
        }
        OptionalInt age = years(tags);
        if (age.isEmpty()) {
            return none("the patient's age is not known (no usable Patient's Age, nor Patient's Birth Date with Study Date)");
        }
        return compare(volumeMm3, sex, age.getAsInt());
    }

    Comparison compare(double volumeMm3, Sex sex, int age) {
        Optional<Band> found = bands.stream().filter(b -> b.sex() == sex && b.ageFrom() <= age && age < b.ageTo())
                .findFirst();
        if (found.isEmpty()) {
            List<Band> ofSex = bands.stream().filter(b -> b.sex() == sex).toList();
            if (ofSex.isEmpty()) {
                return none("the table has no rows for " + sex.people);
            }
            return none("the table has no band for " + sex.people + " aged " + age + " (its " + sex.people + "'s bands"
                    + " cover " + ofSex.get(0).ageFrom() + " to under " + ofSex.get(ofSex.size() - 1).ageTo() + ")");
        }
        Band band = found.get();
        List<Point> p = band.points();
        int i = -1;
        while (i + 1 < p.size() && p.get(i + 1).volumeMm3() <= volumeMm3) {
            i++;
        }
        Concept answer;
        if (i < 0) {
            double low = p.get(0).percentile();
            answer = new Concept("99RADFLOW", "PCTL-LT-" + num(low), "Below the " + ordinal(low) + " percentile");
        } else if (i == p.size() - 1) {
            double high = p.get(i).percentile();
            answer = new Concept("99RADFLOW", "PCTL-GE-" + num(high), "At or above the " + ordinal(high) + " percentile");
        } else {
            double a = p.get(i).percentile();
            double b = p.get(i + 1).percentile();
            answer = new Concept("99RADFLOW", "PCTL-" + num(a) + "-" + num(b),
                    "Between the " + ordinal(a) + " and " + ordinal(b) + " percentile");
        }
        return new Comparison(answer, band, null);
    }

    private static Comparison none(String reason) {
        return new Comparison(null, null, reason);
    }

    /** Whole years: from Patient's Age (nnnD/W/M/Y), else from Patient's Birth Date to Study Date. */
    static OptionalInt years(DicomTags tags) {
        Optional<String> age = tags.get("PatientAge").map(s -> s.strip().toUpperCase(Locale.ROOT));
        if (age.isPresent()) {
            Matcher m = AGE.matcher(age.get());
            if (m.matches()) {
                int n = Integer.parseInt(m.group(1));
                return OptionalInt.of(switch (m.group(2)) {
                    case "Y" -> n;
                    case "M" -> n / 12;
                    case "W" -> n * 7 / 365;
                    default -> n / 365;
                });
            }
        }
        Optional<LocalDate> birth = date(tags, "PatientBirthDate");
        Optional<LocalDate> study = date(tags, "StudyDate");
        if (birth.isPresent() && study.isPresent() && !birth.get().isAfter(study.get())) {
            return OptionalInt.of(Period.between(birth.get(), study.get()).getYears());
        }
        return OptionalInt.empty();
    }

    private static Optional<LocalDate> date(DicomTags tags, String keyword) {
        String v = tags.get(keyword).map(String::strip).orElse("");
        if (!v.matches("\\d{8}")) {
            return Optional.empty();
        }
        try {
            return Optional.of(LocalDate.parse(v, DateTimeFormatter.BASIC_ISO_DATE));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** 5 -> "5", 2.5 -> "2.5", 97.75 -> "97.75". */
    static String num(double v) {
        return new java.math.BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString();
    }

    /** 1st, 2nd, 3rd, 4th, 11th, 21st, 2.5th. */
    static String ordinal(double p) {
        if (p != Math.rint(p)) {
            return num(p) + "th";
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
}
