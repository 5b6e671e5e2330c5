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


if __name__ == "__main__":
    main()
