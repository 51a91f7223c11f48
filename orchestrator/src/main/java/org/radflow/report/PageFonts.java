package org.radflow.report;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.awt.Font;
import java.awt.font.TextAttribute;
import java.io.File;
import java.text.AttributedString;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The fonts of the report page: Noto Sans (Latin, Greek, Cyrillic; Debian {@code fonts-noto-core}) first,
 * then Noto Sans CJK (Debian {@code fonts-noto-cjk}) for the characters Noto Sans lacks, then Java's logical
 * {@code SansSerif} font (which falls back through fontconfig). Text is drawn as runs, each character with the
 * first font of the chain that has its glyph, so a name mixing scripts renders without tofu boxes.
 */
public final class PageFonts {

    private static final Logger LOG = LoggerFactory.getLogger(PageFonts.class);

    /** Where Debian's packages put the fonts. */
    static final String NOTO_DIR = "/usr/share/fonts/truetype/noto/";
    static final String NOTO_CJK_DIR = "/usr/share/fonts/opentype/noto/";

    /** CJK face chosen by the Specific Character Set: Japanese by default, Chinese or Korean when the data says so. */
    public enum CjkLocale {
        JP("Noto Sans CJK JP"), SC("Noto Sans CJK SC"), TC("Noto Sans CJK TC"), KR("Noto Sans CJK KR");

        final String family;

        CjkLocale(String family) {
            this.family = family;
        }

        /** From Specific Character Set (0008,0005) values: GB18030/GBK give SC, ISO 2022 IR 149 gives KR, else JP. */
        public static CjkLocale fromCharacterSets(String[] values) {
            if (values != null) {
                for (String v : values) {
                    String s = v == null ? "" : v.toUpperCase(Locale.ROOT);
                    if (s.contains("GB18030") || s.contains("GBK") || s.contains("IR 58")) {
                        return SC;
                    }
                    if (s.contains("IR 149")) {
                        return KR;
                    }
                }
            }
            return JP;
        }
    }

    private static final Font[] REGULAR_BASE;
    private static final Font[] BOLD_BASE;
    private static final Font[][] CJK_REGULAR = new Font[CjkLocale.values().length][];
    private static final Font[][] CJK_BOLD = new Font[CjkLocale.values().length][];
    private static final Font LOGICAL = new Font(Font.SANS_SERIF, Font.PLAIN, 1);
    private static final Font LOGICAL_BOLD = new Font(Font.SANS_SERIF, Font.BOLD, 1);

    static {
        System.setProperty("java.awt.headless", "true");
        REGULAR_BASE = load(NOTO_DIR + "NotoSans-Regular.ttf");
        BOLD_BASE = load(NOTO_DIR + "NotoSans-Bold.ttf");
        Font[] cjkRegular = load(NOTO_CJK_DIR + "NotoSansCJK-Regular.ttc");
        Font[] cjkBold = load(NOTO_CJK_DIR + "NotoSansCJK-Bold.ttc");
        for (CjkLocale l : CjkLocale.values()) {
            CJK_REGULAR[l.ordinal()] = pick(cjkRegular, l.family);
            CJK_BOLD[l.ordinal()] = pick(cjkBold, l.family + " Bold");
        }
    }

    private final CjkLocale cjk;

    public PageFonts(CjkLocale cjk) {
        this.cjk = cjk;
    }

    private static Font[] load(String path) {
        File f = new File(path);
        if (!f.isFile()) {
            LOG.warn("report page font {} missing (Debian fonts-noto-core / fonts-noto-cjk): using SansSerif", path);
            return new Font[0];
        }
        try {
            return Font.createFonts(f);
        } catch (Exception e) {
            LOG.warn("cannot load report page font {}", path, e);
            return new Font[0];
        }
    }

    private static Font[] pick(Font[] collection, String fontName) {
        for (Font f : collection) {
            if (f.getFontName(Locale.ROOT).equalsIgnoreCase(fontName) || f.getFamily(Locale.ROOT).equalsIgnoreCase(fontName)) {
                return new Font[] {f};
            }
        }
        return collection.length > 0 ? new Font[] {collection[0]} : new Font[0];
    }

    /** The font chain for a style and size, first choice first. */
    public List<Font> chain(boolean bold, float size) {
        List<Font> out = new ArrayList<>(3);
        for (Font f : bold ? BOLD_BASE : REGULAR_BASE) {
            out.add(f.deriveFont(size));
        }
        for (Font f : (bold ? CJK_BOLD : CJK_REGULAR)[cjk.ordinal()]) {
            out.add(f.deriveFont(size));
        }
        out.add((bold ? LOGICAL_BOLD : LOGICAL).deriveFont(size));
        return out;
    }

    /** The first choice of the chain: Noto Sans when installed. */
    public Font primary(boolean bold, float size) {
        return chain(bold, size).get(0);
    }

    /** True when the Noto fonts were found (otherwise the page uses the logical SansSerif font). */
    public static boolean notoInstalled() {
        return REGULAR_BASE.length > 0 && BOLD_BASE.length > 0 && CJK_REGULAR[0].length > 0 && CJK_BOLD[0].length > 0;
    }

    /**
     * The font of the chain that draws code point {@code cp}; the last (logical) font when none has it.
     */
    Font fontFor(List<Font> chain, int cp) {
        for (Font f : chain) {
            if (f.canDisplay(cp)) {
                return f;
            }
        }
        return chain.get(chain.size() - 1);
    }

    /**
     * Index of the first character no font of the chain can draw, or -1 when all can (Font.canDisplayUpTo per font).
     */
    public int canDisplayUpTo(String text) {
        List<Font> chain = chain(false, 12f);
        int i = 0;
        while (i < text.length()) {
            int best = i;
            for (Font f : chain) {
                int upTo = f.canDisplayUpTo(text.substring(i));
                int reached = upTo < 0 ? text.length() : i + upTo;
                best = Math.max(best, reached);
            }
            if (best == i) {
                return i;
            }
            i = best;
        }
        return -1;
    }

    /** The text as runs, each character in the first font of the chain that has its glyph. */
    public AttributedString runs(String text, boolean bold, float size) {
        List<Font> chain = chain(bold, size);
        AttributedString as = new AttributedString(text);
        int i = 0;
        while (i < text.length()) {
            int cp = text.codePointAt(i);
            Font f = Character.isWhitespace(cp) ? chain.get(0) : fontFor(chain, cp);
            int j = i + Character.charCount(cp);
            while (j < text.length()) {
                int cp2 = text.codePointAt(j);
                Font f2 = Character.isWhitespace(cp2) ? f : fontFor(chain, cp2);
                if (f2 != f) {
                    break;
                }
                j += Character.charCount(cp2);
            }
            as.addAttribute(TextAttribute.FONT, f, i, j);
            i = j;
        }
        return as;
    }
}
