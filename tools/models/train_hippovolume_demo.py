#!/usr/bin/python3
"""Train the HippoVolume DEMO model (a small RecursiveUNet with the original's contract) on synthetic HippoCrops.

    /usr/bin/python3 tools/models/train_hippovolume_demo.py [--filters 6] [--volumes 24] [--seed 20260523]

DEMO MODEL — synthetic data, not for diagnosis. It segments the generator's phantom hippocampus (anterior and
posterior blobs inside a CSF rim), nothing anatomical.

Contract (the same as the original HippoVolume.AI network, see hippovolume_unet.py): input ``input`` float32
[N, 1, H, W], output ``output`` float32 [N, 3, H, W] logits, classes 0 background, 1 anterior, 2 posterior;
H and W multiples of 16 (num_downs 4). Preprocessing, as the RadFlow module does it: each volume min-max
normalised to [0, 1], then every slice (along the series' slice axis: one DICOM image = one [rows, cols] input)
zero-padded up to multiples of 16. Training places each slice at a random offset in a zero canvas (the largest
padded slice size, so that every batch has one shape), so the model does not depend on where or how much the
module pads; evaluation pads at the bottom/right to the next multiples of 16.

Data: testdata's SynthCli ``mr --labels`` (ground-truth label volume in position order), seeds and sizes from a
seeded numpy generator: columns 28..48, rows 40..64, slices 24..40, spacing 0.8..1.25 mm, mostly axial with some
coronal and sagittal crops; the held-out volume is the default HippoCrop (35 x 51 x 32 axial at 1 mm) with an
unseen seed. Prints per-class Dice on it.

Outputs: modules/hippovolume/src/main/resources/org/radflow/hippovolume/demo/hippovolume-demo.onnx (opset 17,
dynamic N, H, W) and hippovolume-demo.json (provenance).
"""
import argparse
import datetime
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synthdata  # noqa: E402
from convert_hippovolume import export, verify  # noqa: E402
from hippovolume_unet import RecursiveUNet, parameter_count  # noqa: E402

OUT_DIR = os.path.join(synthdata.REPO, "modules", "hippovolume", "src", "main", "resources", "org", "radflow",
                       "hippovolume", "demo")
MULTIPLE = 16


def normalise(vol):
    lo, hi = float(vol.min()), float(vol.max())
    return np.zeros_like(vol) if hi == lo else (vol - lo) / (hi - lo)


def pad_to(img, h, w, top, left):
    out = np.zeros((h, w), dtype=img.dtype)
    out[top:top + img.shape[0], left:left + img.shape[1]] = img
    return out


def up(n):
    return -(-n // MULTIPLE) * MULTIPLE


def volumes(work, specs):
    jobs, dirs = [], []
    for seed, dims, spacing, orientation in specs:
        d = os.path.join(work, f"mr-{seed}-{dims}-{spacing}-{orientation}")
        dirs.append(d)
        if not os.path.exists(os.path.join(d, "labels.u8.json")):
            jobs.append((["mr", "--seed", str(seed), "--dimensions", dims, "--spacing", spacing, "--orientation",
                          orientation, "--labels", os.path.join(d, "labels.u8")], d))
    synthdata.synth_many(jobs)
    return [synthdata.read_mr_with_labels(d, os.path.join(d, "labels.u8"))[:2] for d in dirs]


def dice(pred, truth, label):
    p, t = pred == label, truth == label
    denom = p.sum() + t.sum()
    return 1.0 if denom == 0 else float(2 * (p & t).sum() / denom)


def predict(net, vol):
    """Module-style inference: normalise, pad bottom/right to multiples of 16, slice by slice, argmax, crop."""
    v = normalise(vol)
    n, r, c = v.shape
    x = np.zeros((n, 1, up(r), up(c)), dtype=np.float32)
    x[:, 0, :r, :c] = v
    with torch.no_grad():
        out = torch.cat([net(torch.from_numpy(x[i:i + 8])) for i in range(0, n, 8)])
    return out.argmax(1).numpy()[:, :r, :c]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--filters", type=int, default=6, help="initial_filter_size (default 6: a ~1 MB model)")
    ap.add_argument("--downs", type=int, default=4, help="num_downs (default 4, as the original)")
    ap.add_argument("--volumes", type=int, default=24, help="training volumes (default 24)")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--seed", type=int, default=20260523, help="master seed (data choices, init, shuffling)")
    ap.add_argument("--work", default="/tmp/radflow-hippovolume-demo", help="generated DICOM cache")
    ap.add_argument("--out", default=OUT_DIR)
    ap.add_argument("--no-build", action="store_true", help="do not run mvn to build the generator first")
    a = ap.parse_args()
    t0 = time.time()
    torch.manual_seed(a.seed)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    if not a.no_build:
        synthdata.build()
    rng = np.random.default_rng(a.seed)
    specs = []
    for i in range(a.volumes):
        dims = f"{rng.integers(28, 49)}x{rng.integers(40, 65)}x{rng.integers(24, 41)}"
        sp = [round(float(rng.uniform(0.8, 1.25)), 2) for _ in range(2)]
        spacing = f"{sp[0]},{sp[0]},{sp[1]}"
        orientation = "axial" if i % 4 != 3 else ("coronal" if i % 8 == 3 else "sagittal")
        if orientation != "axial":
            dims = f"{rng.integers(40, 65)}x{rng.integers(32, 49)}x{rng.integers(28, 41)}"
        specs.append((5000 + i, dims, spacing, orientation))
    held_out_spec = (777001, "35x51x32", "1,1,1", "axial")
    os.makedirs(a.work, exist_ok=True)
    train = volumes(a.work, specs)
    (test_vol, test_lab), = volumes(a.work, [held_out_spec])
    print(f"data: {len(train)} training volumes, {sum(v.shape[0] for v, _ in train)} slices; held-out "
          f"{test_vol.shape} ({time.time() - t0:.0f} s)")

    # slices, each normalised with its own volume; padded per batch item at train time
    slices = [(normalise(v)[k], l[k]) for v, l in train for k in range(v.shape[0])]
    net = RecursiveUNet(num_classes=3, in_channels=1, initial_filter_size=a.filters, num_downs=a.downs)
    print(f"RecursiveUNet(initial_filter_size={a.filters}, num_downs={a.downs}): {parameter_count(net):,} parameters")
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(a.seed)
    weights = torch.tensor([0.3, 1.0, 1.0])
    batch = 16
    # One canvas for every training batch: a new input shape costs seconds of kernel set-up in CPU torch.
    h = max(up(s.shape[0]) for s, _ in slices)
    w = max(up(s.shape[1]) for s, _ in slices)
    steps = len(slices) // batch
    for epoch in range(a.epochs):
        net.train()
        perm = torch.randperm(len(slices), generator=g).tolist()
        total = 0.0
        for i in range(0, steps * batch, batch):
            items = [slices[j] for j in perm[i:i + batch]]
            xs, ys = [], []
            for s, lab in items:
                top = int(torch.randint(0, h - s.shape[0] + 1, (1,), generator=g))
                left = int(torch.randint(0, w - s.shape[1] + 1, (1,), generator=g))
                xs.append(pad_to(s.astype(np.float32), h, w, top, left))
                ys.append(pad_to(lab.astype(np.int64), h, w, top, left))
            x = torch.from_numpy(np.stack(xs))[:, None]
            y = torch.from_numpy(np.stack(ys))
            logits = net(x)
            ce = nn.functional.cross_entropy(logits, y, weight=weights)
            prob = torch.softmax(logits, 1)
            onehot = nn.functional.one_hot(y, 3).permute(0, 3, 1, 2).float()
            inter = (prob * onehot).sum(dim=(0, 2, 3))[1:]
            soft_dice = 1 - (2 * inter + 1) / (prob.sum(dim=(0, 2, 3))[1:] + onehot.sum(dim=(0, 2, 3))[1:] + 1)
            loss = ce + soft_dice.mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(items)
        net.eval()
        pred = predict(net, test_vol)
        print(f"epoch {epoch + 1}: loss {total / (steps * batch):.4f}, held-out Dice anterior "
              f"{dice(pred, test_lab, 1):.3f} posterior {dice(pred, test_lab, 2):.3f} ({time.time() - t0:.0f} s)",
              flush=True)

    net.eval()
    pred = predict(net, test_vol)
    scores = {"anterior": round(dice(pred, test_lab, 1), 4), "posterior": round(dice(pred, test_lab, 2), 4),
              "background": round(dice(pred, test_lab, 0), 4)}
    counts = {name: [int((pred == k).sum()), int((test_lab == k).sum())] for k, name in
              ((1, "anterior"), (2, "posterior"))}
    print(f"held-out Dice {scores}; voxels [predicted, true] {counts}")

    os.makedirs(a.out, exist_ok=True)
    onnx_path = os.path.join(a.out, "hippovolume-demo.onnx")
    export(net, onnx_path, a.downs)
    verify(net, onnx_path, a.downs)
    size = os.path.getsize(onnx_path)
    print(f"wrote {onnx_path} ({size} bytes)")
    provenance = {
        "name": "hippovolume-demo",
        "warning": "DEMO MODEL — synthetic data, not for diagnosis",
        "architecture": f"RecursiveUNet (MIC-DKFZ basic_unet) num_classes=3 in_channels=1 "
                        f"initial_filter_size={a.filters} num_downs={a.downs} InstanceNorm2d LeakyReLU",
        "input": {"name": "input", "shape": ["N", 1, "H", "W"],
                  "preprocessing": "volume min-max to [0,1]; slices zero-padded to multiples of 16"},
        "output": {"name": "output", "shape": ["N", 3, "H", "W"], "classes": ["background", "anterior", "posterior"],
                   "kind": "logits"},
        "script": "tools/models/train_hippovolume_demo.py",
        "command": "/usr/bin/python3 tools/models/train_hippovolume_demo.py " + " ".join(sys.argv[1:]),
        "gitCommit": synthdata.git_commit(),
        "seed": a.seed,
        "trainingVolumes": len(train),
        "trainingSlices": len(slices),
        "trainingSpecs": [{"seed": s, "dimensions": d, "spacing": sp, "orientation": o} for s, d, sp, o in specs],
        "heldOut": {"seed": held_out_spec[0], "dimensions": held_out_spec[1], "spacing": held_out_spec[2],
                    "orientation": held_out_spec[3], "dice": scores, "voxelsPredictedTrue": counts},
        "epochs": a.epochs,
        "parameters": parameter_count(net),
        "onnxOpset": 17,
        "torch": torch.__version__,
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    with open(os.path.join(a.out, "hippovolume-demo.json"), "w") as f:
        json.dump(provenance, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(f"done in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
