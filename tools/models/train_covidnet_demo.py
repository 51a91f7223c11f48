#!/usr/bin/python3
"""Train the COVID-Net DEMO model on synthetic radiographs and export it as ONNX (cxr4 signature).

    /usr/bin/python3 tools/models/train_covidnet_demo.py [--per-class 48] [--held-out-per-class 12] [--seed 20260522]

DEMO MODEL — synthetic data, not for diagnosis. It learns the generator's simulated findings, nothing clinical:
normal = no finding, pneumonia = CONSOLIDATION (a dense lobar patch in one lung), COVID-19 = DIFFUSE_OPACITY
(bilateral peripheral hazy opacities).

Data: testdata's SynthCli (``chest --finding none|consolidation|diffuse``), one radiograph per seed, with the
modality (DX/CR), photometric interpretation (MONOCHROME1/2), view (PA/AP) and matrix size drawn from a seeded
numpy generator; held-out images use seeds disjoint from the training seeds. Each image goes through the Java
module's preprocessing (synthdata.covidnet_input: VOI window or min-max to 8 bit, MONOCHROME1 inverted, top
int(rows*0.08) rows dropped, centred square, cv2-style bilinear resize to 480, /255).

Network (about 20 k parameters): NHWC [1,480,480,3] -> mean of the 3 (identical) channels -> 8x8 average pool
(60x60) -> 3 x [3x3 conv + ReLU] with 2x2 max pools between (16, 32, 48 channels, batch norm before each ReLU) -> global mean and max
(96 values) -> dense 3 -> softmax. Training sees the 60x60 pooled images (exactly what the graph's first pool
produces), so it takes seconds; the exported graph starts from the 480x480 input.

Outputs: modules/covidnet/src/main/resources/org/radflow/covidnet/demo/covidnet-demo.onnx (input ``input_1:0``
float32 [1,480,480,3] NHWC, output ``norm_dense_1/Softmax:0`` float32 [1,3]: normal, pneumonia, COVID-19) and
covidnet-demo.json (provenance).
"""
import argparse
import datetime
import json
import os
import sys
import time

import numpy as np
import pydicom
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synthdata  # noqa: E402

CLASSES = ["normal", "pneumonia", "COVID-19"]
FINDINGS = ["none", "consolidation", "diffuse"]
OUT_DIR = os.path.join(synthdata.REPO, "modules", "covidnet", "src", "main", "resources", "org", "radflow",
                       "covidnet", "demo")


class DemoNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = nn.AvgPool2d(8)
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 48, 3, padding=1), nn.BatchNorm2d(48), nn.ReLU())
        self.fc = nn.Linear(96, 3)

    def logits60(self, x):
        """x: [N, 1, 60, 60] in 0..1."""
        f = self.features((x - 0.5) * 4)
        return self.fc(torch.cat([f.mean(dim=(2, 3)), f.amax(dim=(2, 3))], dim=1))

    def forward(self, nhwc):
        x = nhwc.permute(0, 3, 1, 2).mean(dim=1, keepdim=True)
        return torch.softmax(self.logits60(self.pool(x)), dim=1)


def dataset(work, seeds, rng):
    """Generates (or reuses) one radiograph per (seed, class); returns [N,60,60] pooled inputs and labels."""
    jobs, meta = [], []
    for seed in seeds:
        for label, finding in enumerate(FINDINGS):
            modality = rng.choice(["DX", "CR"])
            photometric = rng.choice(["MONOCHROME2", "MONOCHROME1"])
            view = rng.choice(["PA", "AP"])
            rows = int(rng.integers(448, 1025))
            cols = int(rng.integers(384, 1025))
            d = os.path.join(work, f"chest-{seed}-{finding}-{modality}-{photometric}-{view}-{rows}x{cols}")
            meta.append((d, label))
            if not (os.path.isdir(d) and os.listdir(d)):
                jobs.append((["chest", "--seed", str(seed), "--finding", finding, "--modality", modality,
                              "--photometric", photometric, "--view", view, "--size", f"{rows}x{cols}"], d))
    synthdata.synth_many(jobs)
    cache = os.path.join(work, "pooled-v2-%d-%d-%d.npz" % (seeds[0], seeds[-1], len(meta)))
    names = np.array([os.path.basename(d) for d, _ in meta])
    if os.path.exists(cache):
        z = np.load(cache)
        if np.array_equal(z["names"], names):
            return z["x"], z["y"]
    xs, ys = [], []
    for d, label in meta:
        ds = pydicom.dcmread(os.path.join(d, sorted(os.listdir(d))[0]))
        x480 = torch.from_numpy(synthdata.covidnet_input(ds))[None, None]
        xs.append(nn.functional.avg_pool2d(x480, 8)[0, 0].numpy())
        ys.append(label)
    x, y = np.stack(xs).astype(np.float32), np.array(ys, dtype=np.int64)
    np.savez(cache, x=x, y=y, names=names)
    return x, y


def augment(x, g):
    """Random horizontal flip, shift up to 3 pixels, small contrast/brightness change (a different window)."""
    n = x.shape[0]
    flip = torch.rand(n, generator=g) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    out = torch.zeros_like(x)
    for i in range(n):
        dy, dx = (torch.randint(-3, 4, (2,), generator=g)).tolist()
        out[i] = torch.roll(x[i], shifts=(dy, dx), dims=(1, 2))
    a = 1 + 0.15 * (torch.rand(n, 1, 1, 1, generator=g) * 2 - 1)
    b = 0.05 * (torch.rand(n, 1, 1, 1, generator=g) * 2 - 1)
    return (out * a + b).clamp(0, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-class", type=int, default=48, help="training radiographs per class (default 48)")
    ap.add_argument("--held-out-per-class", type=int, default=12, help="held-out radiographs per class (default 12)")
    ap.add_argument("--seed", type=int, default=20260522, help="master seed (data choices, init, shuffling)")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--work", default="/tmp/radflow-covidnet-demo", help="generated DICOM cache")
    ap.add_argument("--out", default=OUT_DIR, help="output folder for covidnet-demo.onnx/.json")
    ap.add_argument("--no-build", action="store_true", help="do not run mvn to build the generator first")
    a = ap.parse_args()
    t0 = time.time()
    torch.manual_seed(a.seed)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    if not a.no_build:
        synthdata.build()
    rng = np.random.default_rng(a.seed)
    train_seeds = [1000 + i for i in range(a.per_class)]
    test_seeds = [900000 + i for i in range(a.held_out_per_class)]
    os.makedirs(a.work, exist_ok=True)
    xtr, ytr = dataset(a.work, train_seeds, rng)
    xte, yte = dataset(a.work, test_seeds, rng)
    print(f"data: {len(ytr)} training, {len(yte)} held-out radiographs ({time.time() - t0:.0f} s)")

    net = DemoNet()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[int(a.epochs * 0.6), int(a.epochs * 0.85)], gamma=0.3)
    g = torch.Generator().manual_seed(a.seed)
    xt, yt = torch.from_numpy(xtr)[:, None], torch.from_numpy(ytr)
    for epoch in range(a.epochs):
        net.train()
        perm = torch.randperm(len(yt), generator=g)
        total = 0.0
        for i in range(0, len(perm), 16):
            idx = perm[i:i + 16]
            loss = nn.functional.cross_entropy(net.logits60(augment(xt[idx], g)), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        if epoch % 10 == 9 or epoch == a.epochs - 1:
            print(f"epoch {epoch + 1}: training loss {total / len(yt):.4f}")

    net.eval()
    with torch.no_grad():
        pred = net.logits60(torch.from_numpy(xte)[:, None]).argmax(1).numpy()
    accuracy = float((pred == yte).mean())
    confusion = [[int(((yte == t) & (pred == p)).sum()) for p in range(3)] for t in range(3)]
    print(f"held-out accuracy: {accuracy:.3f} ({int((pred == yte).sum())}/{len(yte)}); confusion (rows true "
          f"{CLASSES}, columns predicted): {confusion}")

    os.makedirs(a.out, exist_ok=True)
    onnx_path = os.path.join(a.out, "covidnet-demo.onnx")
    torch.onnx.export(net, torch.zeros(1, 480, 480, 3), onnx_path, input_names=["input_1:0"],
                      output_names=["norm_dense_1/Softmax:0"], opset_version=17, do_constant_folding=True)
    import onnx
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)
    dims = lambda v: [d.dim_value for d in v.type.tensor_type.shape.dim]  # noqa: E731
    assert m.graph.input[0].name == "input_1:0" and dims(m.graph.input[0]) == [1, 480, 480, 3]
    assert m.graph.output[0].name == "norm_dense_1/Softmax:0" and dims(m.graph.output[0]) == [1, 3]
    params = sum(p.numel() for p in net.parameters())
    size = os.path.getsize(onnx_path)
    print(f"wrote {onnx_path} ({size} bytes, {params} parameters); onnx.checker ok")
    provenance = {
        "name": "covidnet-demo",
        "warning": "DEMO MODEL — synthetic data, not for diagnosis",
        "profile": "cxr4",
        "input": {"name": "input_1:0", "shape": [1, 480, 480, 3], "layout": "NHWC float32, 0..1"},
        "output": {"name": "norm_dense_1/Softmax:0", "shape": [1, 3], "classes": CLASSES},
        "classMeaning": {"normal": "generator finding NONE", "pneumonia": "generator finding CONSOLIDATION",
                         "COVID-19": "generator finding DIFFUSE_OPACITY"},
        "script": "tools/models/train_covidnet_demo.py",
        "command": "/usr/bin/python3 tools/models/train_covidnet_demo.py " + " ".join(sys.argv[1:]),
        "gitCommit": synthdata.git_commit(),
        "seed": a.seed,
        "trainingSeeds": f"{train_seeds[0]}..{train_seeds[-1]} (one radiograph per seed and class)",
        "heldOutSeeds": f"{test_seeds[0]}..{test_seeds[-1]}",
        "trainingImages": int(len(ytr)),
        "heldOutImages": int(len(yte)),
        "epochs": a.epochs,
        "heldOutAccuracy": round(accuracy, 4),
        "heldOutConfusion": confusion,
        "parameters": int(params),
        "onnxOpset": 17,
        "torch": torch.__version__,
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    with open(os.path.join(a.out, "covidnet-demo.json"), "w") as f:
        json.dump(provenance, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(f"done in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
