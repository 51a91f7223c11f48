"""Runs the repository's synthetic-study generator (testdata's SynthCli) and reads its DICOM files.

Used by the training scripts in this folder. The generator is Java: build it once with
    mvn -B -q -o -pl testdata -am package -DskipTests
(``build()`` does this), then each call is ``java -cp testdata/target/classes:<pixelmed jar> SynthCli ...``.
Only PixelMed is needed at run time (testdata's other dependency, slf4j-api, is not used by SynthCli).
"""
import glob
import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pydicom

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def build():
    subprocess.run(["mvn", "-B", "-q", "-o", "-pl", "testdata", "-am", "package", "-DskipTests"], cwd=REPO,
                   check=True)


def classpath():
    classes = os.path.join(REPO, "testdata", "target", "classes")
    if not os.path.isdir(classes):
        raise SystemExit("testdata is not built: run  mvn -B -q -o -pl testdata -am package -DskipTests")
    jars = sorted(glob.glob(os.path.expanduser("~/.m2/repository/com/pixelmed/pixelmed/*/pixelmed-*.jar")))
    jars = [j for j in jars if not j.endswith(("-sources.jar", "-javadoc.jar"))]
    if not jars:
        raise SystemExit("PixelMed is not in ~/.m2 (scripts/setup.sh registers Debian's libpixelmed-java)")
    return classes + os.pathsep + jars[-1]


def synth(args, out_dir):
    """Runs ``SynthCli <args> --out out_dir``; returns the printed key=value lines as a dict."""
    cmd = ["java", "-XX:TieredStopAtLevel=1", "-cp", classpath(), "org.radflow.testdata.SynthCli"] + list(args) \
        + ["--out", out_dir]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("SynthCli failed: " + " ".join(cmd) + "\n" + r.stderr)
    return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)


def synth_many(jobs, workers=2):
    """jobs: list of (args, out_dir); runs them on ``workers`` JVMs at a time, in order of the list."""
    with ThreadPoolExecutor(max_workers=workers) as ex:
        return list(ex.map(lambda j: synth(*j), jobs))


# ------------------------------------------------------------------ COVID-Net preprocessing (as the Java module)

def _round(x):
    """Java's Math.round (half up), not numpy's rint (half to even)."""
    return np.floor(x + 0.5)


def to_eight_bit(ds):
    """As CovidNetPreprocessing.toEightBit on a BRIGHTER_IS_HIGHER plane: modality LUT, MONOCHROME1 inverted with
    its window mirrored, then the first window (DICOM linear VOI, rounded) or min-max to 0..255."""
    x = ds.pixel_array.astype(np.float64)
    slope = float(getattr(ds, "RescaleSlope", 1) or 1)
    intercept = float(getattr(ds, "RescaleIntercept", 0) or 0)
    x = x * slope + intercept
    center = width = None
    if "WindowCenter" in ds and "WindowWidth" in ds:
        wc, ww = ds.WindowCenter, ds.WindowWidth
        center = float(wc[0] if isinstance(wc, pydicom.multival.MultiValue) else wc)
        width = float(ww[0] if isinstance(ww, pydicom.multival.MultiValue) else ww)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        # as the platform (DecodedInstance): mirror within the stored range, after the modality LUT
        bits = int(ds.BitsStored)
        lo_hi = -1 if int(getattr(ds, "PixelRepresentation", 0)) == 1 else 2 ** bits - 1
        top = slope * lo_hi + 2 * intercept
        x = top - x
        if center is not None:
            center = top - center
    if center is not None:
        low = center - 0.5 - (width - 1) / 2
        high = center - 0.5 + (width - 1) / 2
        y = _round(((x - (center - 0.5)) / max(width - 1, 1e-9) + 0.5) * 255)
        y = np.where(x <= low, 0, np.where(x > high, 255, y))
    else:
        lo, hi = x.min(), x.max()
        y = np.zeros_like(x) if hi == lo else _round((x - lo) / (hi - lo) * 255)
    return np.clip(y, 0, 255)


def _axis(start, src, dst):
    scale = src / dst
    s = (np.arange(dst) + 0.5) * scale - 0.5
    lo = np.floor(s).astype(np.int64)
    f = s - lo
    f = np.where(lo < 0, 0.0, f)
    lo = np.where(lo < 0, 0, lo)
    f = np.where(lo >= src - 1, 0.0, f)
    lo = np.where(lo >= src - 1, src - 1, lo)
    hi = np.minimum(lo + 1, src - 1)
    return start + lo, start + hi, f


def covidnet_input(ds, size=480):
    """[size, size] float32 in 0..1: 8 bit, drop top int(rows*0.08) rows, centred square, cv2-style bilinear
    resize rounded to whole levels, /255 (CovidNetPreprocessing.prepare without the channel copies)."""
    g = to_eight_bit(ds)
    rows, cols = g.shape
    top = int(rows * 0.08)
    h, w = rows - top, cols
    side = min(h, w)
    y0, x0 = top + (h - side) // 2, (w - side) // 2
    ya, yb, fy = _axis(y0, side, size)
    xa, xb, fx = _axis(x0, side, size)
    t = g[np.ix_(ya, xa)] * (1 - fx) + g[np.ix_(ya, xb)] * fx
    b = g[np.ix_(yb, xa)] * (1 - fx) + g[np.ix_(yb, xb)] * fx
    out = np.clip(_round(t * (1 - fy[:, None]) + b * fy[:, None]), 0, 255)
    return (out / 255.0).astype(np.float32)


# ------------------------------------------------------------------ MR volumes with labels

def read_mr_with_labels(out_dir, labels_path):
    """(volume [slices, rows, cols] float32 in position order, labels uint8 same shape, sidecar dict)."""
    with open(labels_path + ".json") as f:
        meta = json.load(f)
    n, r, c = meta["slices"], meta["rows"], meta["columns"]
    labels = np.fromfile(labels_path, dtype=np.uint8).reshape(n, r, c)
    vol = np.zeros((n, r, c), dtype=np.float32)
    for k, name in enumerate(meta["files"]):
        ds = pydicom.dcmread(os.path.join(out_dir, name))
        if ds.SOPInstanceUID != meta["sopInstanceUids"][k]:
            raise RuntimeError(f"slice {k}: {name} is not {meta['sopInstanceUids'][k]}")
        vol[k] = ds.pixel_array.astype(np.float32) * float(getattr(ds, "RescaleSlope", 1) or 1) \
            + float(getattr(ds, "RescaleIntercept", 0) or 0)
    return vol, labels, meta


def git_commit():
    """HEAD, with "-dirty" when the scripts or the generator have uncommitted changes (then HEAD is not the code
    that ran)."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "tools/models", "testdata"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
