#!/usr/bin/python3
"""Write the CXR2-size benchmark network (random weights) as ONNX, cxr2 signature. For timing only.

    /usr/bin/python3 tools/models/make_covidnet_bench_model.py OUT.onnx [--seed 0]

The architecture is fixed in tools/models/README.md ("Benchmark network of COVID-Net-CXR-2's size"), shared with
the TensorFlow Java benchmark: keep LAYERS below and that table identical. Input ``input_1:0`` float32 NHWC
[1,480,480,3], output ``norm_dense_2/Softmax:0`` float32 [1,2]. Prints parameters and MACs counted per layer
(conv: H_out*W_out*C_out*C_in*k*k; dense: in*out; biases, ReLU, pooling, softmax not counted). About 35 MB.
"""
import argparse
import os

import torch
from torch import nn

# (kind, in, out, kernel, stride) — the README's table, rows 1-17.
LAYERS = [
    ("conv", 3, 32, 7, 2),
    ("conv", 32, 60, 3, 2), ("conv", 60, 60, 3, 1), ("conv", 60, 60, 3, 1),
    ("conv", 60, 128, 3, 2), ("conv", 128, 128, 3, 1), ("conv", 128, 128, 3, 1),
    ("conv", 128, 256, 3, 2), ("conv", 256, 256, 3, 1), ("conv", 256, 256, 3, 1),
    ("conv", 256, 512, 3, 2), ("conv", 512, 512, 3, 1), ("conv", 512, 512, 3, 1),
    ("conv", 512, 1024, 1, 1),
    ("gap",),
    ("dense", 1024, 448, None, None),
    ("dense", 448, 2, None, None),
]
SIDE = 480


class BenchNet(nn.Module):
    def __init__(self):
        super().__init__()
        convs, denses = [], []
        for layer in LAYERS:
            if layer[0] == "conv":
                _, cin, cout, k, s = layer
                convs += [nn.Conv2d(cin, cout, k, stride=s, padding=k // 2), nn.ReLU()]
            elif layer[0] == "dense":
                denses.append(nn.Linear(layer[1], layer[2]))
        self.features = nn.Sequential(*convs)
        self.dense1, self.dense2 = denses

    def forward(self, nhwc):
        x = self.features(nhwc.permute(0, 3, 1, 2))
        x = x.mean(dim=(2, 3))
        return torch.softmax(self.dense2(torch.relu(self.dense1(x))), dim=1)


def count():
    """(rows, total params, total MACs) computed from LAYERS alone."""
    h, rows, params, macs = SIDE, [], 0, 0
    for layer in LAYERS:
        if layer[0] == "conv":
            _, cin, cout, k, s = layer
            h = -(-h // s)
            p, m = cin * cout * k * k + cout, h * h * cout * cin * k * k
            rows.append((f"conv {k}x{k}/{s} {cin}->{cout}", f"{h}x{h}", p, m))
        elif layer[0] == "gap":
            rows.append(("global average pool", "1x1", 0, 0))
        else:
            _, cin, cout, _, _ = layer
            p, m = cin * cout + cout, cin * cout
            rows.append((f"dense {cin}->{cout}", "", p, m))
        params += rows[-1][2]
        macs += rows[-1][3]
    return rows, params, macs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="output .onnx path (not committed: ~35 MB)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rows, params, macs = count()
    for i, (name, shape, p, m) in enumerate(rows, 1):
        print(f"{i:2d} {name:28s} {shape:8s} params {p:>10,} MACs {m:>14,}")
    print(f"total: {params:,} parameters, {macs:,} MACs ({macs / 1e9:.2f} G) at {SIDE}x{SIDE}")
    torch.manual_seed(a.seed)
    net = BenchNet().eval()
    for mod in net.modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(mod.weight, nonlinearity="relu")
            nn.init.zeros_(mod.bias)
    torch_params = sum(p.numel() for p in net.parameters())
    if torch_params != params:
        raise SystemExit(f"error: torch has {torch_params} parameters, the layer table {params}")
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    torch.onnx.export(net, torch.zeros(1, SIDE, SIDE, 3), a.out, input_names=["input_1:0"],
                      output_names=["norm_dense_2/Softmax:0"], opset_version=17, do_constant_folding=True)
    import onnx
    m = onnx.load(a.out)
    onnx.checker.check_model(m)
    dims = lambda v: [d.dim_value for d in v.type.tensor_type.shape.dim]  # noqa: E731
    print(f"wrote {a.out} ({os.path.getsize(a.out) / 1e6:.1f} MB): input {m.graph.input[0].name} "
          f"{dims(m.graph.input[0])}, output {m.graph.output[0].name} {dims(m.graph.output[0])}; onnx.checker ok")


if __name__ == "__main__":
    main()
