#!/usr/bin/python3
"""Writes the PyTorch autograd golden gradients in tests/golden/data/grad_*.

Run from the repository root with Debian's interpreter (python3-torch):

    /usr/bin/python3 tests/golden/generate_grad_golden.py

For each case a batch x (N, C, H, W), weights w, bias b and an upstream
gradient dy of the output's shape are drawn by numpy's seeded Generator; torch
autograd in float64 computes y = op(x; w, b) and backpropagates dy, giving dx,
dw and db. Asymmetric padding is F.pad (conv2d) or a crop of the full output
(conv_transpose2d), both differentiated by autograd. Writes
grad_<name>_{x,w,b,dy,dx,dw,db}.npy (float32) and grad_cases.json; a rerun writes
byte-identical files.

The layer kinds without planned weights (relu, prelu, leaky_relu, tanh,
sigmoid, clamp, pixel_shuffle, pad, upsample) get their own cases from their
own Generator, so the convolution cases above stay as they were: x holds the
kinks exactly (0 and -0 for relu, prelu, leaky_relu; min and max for clamp),
torch computes y = op(x) and backpropagates dy in float64. Writes
grad_layer_<name>_{x,y,dy,dx}.npy, for prelu also _w (the slopes) and _dw
(dL/da), and grad_layer_cases.json.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def pair(v):
    return [v, v] if isinstance(v, int) else list(v)


def make_case(rng, name, op, cin, cout, size, kernel, stride=1, dilation=1, padding=0,
              output_padding=0, groups=1, batch=2):
    kh, kw = pair(kernel)
    sh, sw = pair(stride)
    dh, dw = pair(dilation)
    oph, opw = pair(output_padding)
    t, l, bo, r = padding if isinstance(padding, (list, tuple)) and len(padding) == 4 else pair(padding) * 2
    x = rng.standard_normal((batch, cin) + tuple(size)).astype(np.float32)
    wshape = (cin, cout // groups, kh, kw) if op == "conv_transpose2d" else (cout, cin // groups, kh, kw)
    w = rng.standard_normal(wshape).astype(np.float32)
    b = rng.standard_normal(cout).astype(np.float32)
    xt = torch.tensor(x.astype(np.float64), requires_grad=True)
    wt = torch.tensor(w.astype(np.float64), requires_grad=True)
    bt = torch.tensor(b.astype(np.float64), requires_grad=True)
    if op == "conv2d":
        y = F.conv2d(F.pad(xt, (l, r, t, bo)), wt, bt, stride=(sh, sw), dilation=(dh, dw), groups=groups)
    else:
        full = F.conv_transpose2d(xt, wt, bt, stride=(sh, sw), output_padding=(oph, opw), groups=groups,
                                  dilation=(dh, dw))
        y = full[:, :, t:full.shape[2] - bo, l:full.shape[3] - r]
    assert min(y.shape) >= 1, name
    dy = rng.standard_normal(tuple(y.shape)).astype(np.float32)
    y.backward(torch.from_numpy(dy.astype(np.float64)))
    arrays = {"x": x, "w": w, "b": b, "dy": dy, "dx": xt.grad.numpy(), "dw": wt.grad.numpy(),
              "db": bt.grad.numpy()}
    for key, value in arrays.items():
        np.save(os.path.join(OUT, f"grad_{name}_{key}.npy"), value.astype(np.float32))
    return {"name": name, "op": op, "in_channels": cin, "out_channels": cout, "groups": groups,
            "kernel": [kh, kw], "stride": [sh, sw], "dilation": [dh, dw], "padding": [t, l, bo, r],
            "output_padding": [oph, opw], "input_shape": list(x.shape), "output_shape": list(y.shape)}


def make_layer_case(rng, name, op, shape, batch=2, **params):
    x = rng.standard_normal((batch,) + tuple(shape)).astype(np.float32)
    flat = x.reshape(-1)
    if op in ("relu", "prelu", "leaky_relu"):
        flat[::5] = 0.0   # the kink, exactly
        flat[2::7] = -0.0
    if op == "clamp":
        if params.get("min") is not None:
            flat[::5] = params["min"]
        if params.get("max") is not None:
            flat[1::5] = params["max"]
    arrays = {"x": x}
    xt = torch.tensor(x.astype(np.float64), requires_grad=True)
    wt = None
    if op == "relu":
        y = F.relu(xt)
    elif op == "prelu":
        w = rng.uniform(-0.5, 0.5, params["slopes"]).astype(np.float32)
        arrays["w"] = w
        wt = torch.tensor(w.astype(np.float64), requires_grad=True)
        y = F.prelu(xt, wt)
    elif op == "leaky_relu":
        y = F.leaky_relu(xt, params["slope"])
    elif op == "tanh":
        y = torch.tanh(xt)
    elif op == "sigmoid":
        y = torch.sigmoid(xt)
    elif op == "clamp":
        y = torch.clamp(xt, params.get("min"), params.get("max"))
    elif op == "pixel_shuffle":
        y = F.pixel_shuffle(xt, params["factor"])
    elif op == "pad":
        t, l, b, r = params["padding"]
        if params["mode"] == "constant":
            y = F.pad(xt, (l, r, t, b), mode="constant", value=params["value"])
        else:
            y = F.pad(xt, (l, r, t, b), mode=params["mode"])
    elif op == "upsample":
        up = torch.nn.Upsample(scale_factor=params["factor"], mode=params["mode"],
                               align_corners=False if params["mode"] == "bilinear" else None)
        y = up(xt)
    else:
        raise ValueError(op)
    dy = rng.standard_normal(tuple(y.shape)).astype(np.float32)
    y.backward(torch.from_numpy(dy.astype(np.float64)))
    arrays.update({"y": y.detach().numpy(), "dy": dy, "dx": xt.grad.numpy()})
    if wt is not None:
        arrays["dw"] = wt.grad.numpy()
    for key, value in arrays.items():
        np.save(os.path.join(OUT, f"grad_layer_{name}_{key}.npy"), value.astype(np.float32))
    return dict({"name": name, "op": op, "input_shape": list(x.shape),
                 "output_shape": list(y.shape)}, **params)


def layer_specs():
    specs = [
        ("relu", "relu", (3, 5, 4), {}),
        ("prelu_one_slope", "prelu", (3, 4, 5), dict(slopes=1)),
        ("prelu_per_channel", "prelu", (4, 3, 5), dict(slopes=4)),
        ("leaky_relu_slope02", "leaky_relu", (2, 5, 6), dict(slope=0.2)),
        ("leaky_relu_default", "leaky_relu", (1, 4, 7), dict(slope=0.01)),
        ("tanh", "tanh", (2, 4, 5), {}),
        ("sigmoid", "sigmoid", (2, 5, 4), {}),
        ("clamp_min_max", "clamp", (2, 5, 6), dict(min=-0.5, max=0.75)),
        ("clamp_min", "clamp", (1, 6, 5), {"min": 0.0, "max": None}),
        ("clamp_max", "clamp", (2, 3, 4), {"min": None, "max": 0.25}),
        ("pixel_shuffle_2", "pixel_shuffle", (8, 3, 4), dict(factor=2)),
        ("pixel_shuffle_3", "pixel_shuffle", (9, 2, 3), dict(factor=3)),
        ("pad_constant", "pad", (2, 4, 5), dict(padding=[1, 2, 0, 3], mode="constant", value=0.5)),
        ("pad_reflect", "pad", (2, 5, 6), dict(padding=[2, 1, 4, 3], mode="reflect", value=0.0)),
        ("pad_replicate", "pad", (2, 3, 4), dict(padding=[3, 0, 2, 5], mode="replicate", value=0.0)),
        ("pad_circular", "pad", (2, 4, 5), dict(padding=[1, 5, 4, 2], mode="circular", value=0.0)),
        ("pad_reflect_thin", "pad", (1, 2, 1), dict(padding=[1, 0, 1, 0], mode="reflect", value=0.0)),
        ("pad_circular_1x1", "pad", (1, 1, 1), dict(padding=[1, 1, 0, 1], mode="circular", value=0.0)),
    ]
    for mode in ("nearest", "bilinear"):
        for f in (1, 2, 3, 4):
            specs.append((f"upsample_{mode}_{f}", "upsample", (2, 3, 5), dict(factor=f, mode=mode)))
        for f in (2, 3):
            for h, w in ((1, 5), (4, 1), (1, 1)):
                specs.append((f"upsample_{mode}_{f}_{h}x{w}", "upsample", (1, h, w),
                              dict(factor=f, mode=mode)))
    return specs


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.startswith("grad_"):
            os.remove(os.path.join(OUT, f))
    rng = np.random.default_rng(20261204)
    c2, ct = "conv2d", "conv_transpose2d"
    specs = [
        ("conv_k3_p1", c2, dict(cin=2, cout=3, size=(6, 7), kernel=3, padding=1)),
        ("conv_k5_s2", c2, dict(cin=3, cout=2, size=(9, 8), kernel=5, stride=2, padding=2)),
        ("conv_k3_d2_g2", c2, dict(cin=4, cout=6, size=(8, 9), kernel=3, dilation=2, padding=2, groups=2)),
        ("conv_k1_56to12", c2, dict(cin=8, cout=3, size=(5, 4), kernel=1)),
        ("conv_asym_s3x2", c2, dict(cin=2, cout=2, size=(10, 7), kernel=(2, 4), stride=(3, 2),
                                    padding=[1, 0, 2, 1])),
        ("conv_1x1_image", c2, dict(cin=2, cout=2, size=(1, 1), kernel=3, padding=1)),
        ("tconv_k4_s2_p1", ct, dict(cin=3, cout=2, size=(5, 6), kernel=4, stride=2, padding=1)),
        ("tconv_k9_s2_fsrcnn", ct, dict(cin=6, cout=1, size=(5, 5), kernel=9, stride=2, padding=4,
                                        output_padding=1)),
        ("tconv_k3_s3_g3", ct, dict(cin=3, cout=6, size=(4, 3), kernel=3, stride=3, groups=3)),
        ("tconv_d2_op", ct, dict(cin=2, cout=2, size=(4, 5), kernel=3, stride=2, dilation=2, padding=1,
                                 output_padding=1)),
        ("tconv_d2_s1_op1", ct, dict(cin=2, cout=3, size=(4, 5), kernel=3, dilation=2, output_padding=1)),
        ("tconv_asym_s2x3", ct, dict(cin=2, cout=2, size=(3, 4), kernel=(3, 4), stride=(2, 3),
                                     padding=[0, 2, 1, 1])),
        ("tconv_1x1_image", ct, dict(cin=1, cout=2, size=(1, 1), kernel=2, stride=2)),
    ]
    cases = [make_case(rng, name, op, **kw) for name, op, kw in specs]
    with open(os.path.join(OUT, "grad_cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")
    layer_rng = np.random.default_rng(20260117)
    layer_cases = [make_layer_case(layer_rng, name, op, shape, **params)
                   for name, op, shape, params in layer_specs()]
    with open(os.path.join(OUT, "grad_layer_cases.json"), "w") as f:
        json.dump(layer_cases, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
