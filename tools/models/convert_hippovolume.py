#!/usr/bin/python3
"""Convert a HippoVolume.AI ``model.pth`` (its RecursiveUNet) to ONNX for RadFlow's hippovolume module.

    /usr/bin/python3 tools/models/convert_hippovolume.py model.pth out.onnx [--filters 64 --downs 4]
    /usr/bin/python3 tools/models/convert_hippovolume.py --random out.onnx [--seed 0]   # benchmark network

Accepts: a raw state_dict; a checkpoint dict holding it under 'model_state_dict', 'state_dict', 'model' or 'net';
a whole pickled model (torch.save(model)); keys prefixed 'module.' (nn.DataParallel). The graph: input ``input``
float32 [N, 1, H, W] -> output ``output`` float32 [N, 3, H, W] logits (classes 0 background, 1 anterior,
2 posterior), N, H and W dynamic (H and W must be multiples of 2**downs: the module pads them). ONNX opset 17.
After export: onnx.checker, then torch vs the exported graph on a random input when onnxruntime (python) is
installed (it is not in Debian; the RadFlow module's tests run the graph in Java).
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hippovolume_unet import RecursiveUNet, UnetSkipConnectionBlock, UNet, parameter_count  # noqa: E402,F401


def extract_state_dict(obj):
    """The parameter dict inside whatever torch.load returned."""
    if isinstance(obj, torch.nn.Module):
        return obj.state_dict()
    if not isinstance(obj, dict):
        raise SystemExit(f"error: the file holds a {type(obj).__name__}, not a state dict or a model")
    for key in ("model_state_dict", "state_dict", "model", "net"):
        inner = obj.get(key)
        if isinstance(inner, torch.nn.Module):
            return inner.state_dict()
        if isinstance(inner, dict) and inner and all(torch.is_tensor(v) for v in inner.values()):
            return inner
    if obj and all(torch.is_tensor(v) for v in obj.values()):
        return obj
    raise SystemExit("error: no state dict found: expected tensors at the top level or under one of "
                     "'model_state_dict', 'state_dict', 'model', 'net'; keys were " + ", ".join(map(str, list(obj)[:10])))


def strip_prefix(sd):
    if sd and all(k.startswith("module.") for k in sd):
        return {k[len("module."):]: v for k, v in sd.items()}
    return sd


def load_checkpoint(path, filters, downs):
    net = RecursiveUNet(num_classes=3, in_channels=1, initial_filter_size=filters, num_downs=downs)
    # A whole pickled model refers to the original's module path (networks.RecursiveUNet); point it here.
    import types
    shim = types.ModuleType("networks.RecursiveUNet")
    shim.UNet = UNet
    shim.UnetSkipConnectionBlock = UnetSkipConnectionBlock
    sys.modules.setdefault("networks", types.ModuleType("networks"))
    sys.modules.setdefault("networks.RecursiveUNet", shim)
    obj = torch.load(path, map_location="cpu")
    sd = strip_prefix(extract_state_dict(obj))
    first = sd.get("model.model.0.0.weight")
    if first is not None and first.shape[0] != filters:
        raise SystemExit(f"error: the checkpoint has {first.shape[0]} initial filters; run with --filters {first.shape[0]}")
    missing, unexpected = net.load_state_dict(sd, strict=False)
    if missing or unexpected:
        raise SystemExit("error: the checkpoint does not match RecursiveUNet(num_classes=3, in_channels=1, "
                         f"initial_filter_size={filters}, num_downs={downs}): missing {missing[:5]}, "
                         f"unexpected {unexpected[:5]} (check --filters and --downs)")
    return net


def export(net, out, downs, opset=17):
    net.eval()
    side = 2 ** downs * 2
    dummy = torch.zeros(1, 1, side, side)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    torch.onnx.export(net, dummy, out, input_names=["input"], output_names=["output"], opset_version=opset,
                      dynamic_axes={"input": {0: "N", 2: "H", 3: "W"}, "output": {0: "N", 2: "H", 3: "W"}},
                      do_constant_folding=True)


def verify(net, out, downs, seed=1234):
    import onnx
    model = onnx.load(out)
    onnx.checker.check_model(model)
    inp, outp = model.graph.input[0], model.graph.output[0]
    dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]  # noqa: E731
    print(f"onnx.checker: ok; input {inp.name} {dims(inp)}, output {outp.name} {dims(outp)}, "
          f"opset {model.opset_import[0].version}")
    if inp.name != "input" or outp.name != "output":
        raise SystemExit("error: unexpected tensor names")
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(2, 1, 2 ** downs * 3, 2 ** downs * 2, generator=g)
    with torch.no_grad():
        ref = net(x).numpy()
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime (python) not installed: graph checked, numeric comparison skipped "
              "(the Java module tests run the graph)")
        return
    got = ort.InferenceSession(out, providers=["CPUExecutionProvider"]).run(None, {"input": x.numpy()})[0]
    diff = float(abs(got - ref).max())
    print(f"torch vs onnxruntime on a random [2,1,{x.shape[2]},{x.shape[3]}] input: max |diff| = {diff:.2e}")
    if diff > 1e-3:
        raise SystemExit("error: the exported graph disagrees with torch")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="+", help="model.pth out.onnx, or only out.onnx with --random")
    ap.add_argument("--filters", type=int, default=64, help="initial_filter_size (original: 64)")
    ap.add_argument("--downs", type=int, default=4, help="num_downs (original: 4)")
    ap.add_argument("--random", action="store_true", help="no .pth: write a randomly initialised network (benchmark)")
    ap.add_argument("--seed", type=int, default=0, help="torch seed for --random (default 0)")
    a = ap.parse_args()
    if a.random:
        if len(a.paths) != 1:
            ap.error("with --random give only the output path")
        torch.manual_seed(a.seed)
        net = RecursiveUNet(num_classes=3, in_channels=1, initial_filter_size=a.filters, num_downs=a.downs)
        out = a.paths[0]
    else:
        if len(a.paths) != 2:
            ap.error("give model.pth and out.onnx")
        net = load_checkpoint(a.paths[0], a.filters, a.downs)
        out = a.paths[1]
    print(f"RecursiveUNet(num_classes=3, in_channels=1, initial_filter_size={a.filters}, num_downs={a.downs}): "
          f"{parameter_count(net):,} parameters" + (f", random weights (seed {a.seed})" if a.random else ""))
    export(net, out, a.downs)
    print(f"wrote {out} ({os.path.getsize(out) / 1e6:.1f} MB)")
    verify(net, out, a.downs)


if __name__ == "__main__":
    main()
