#!/usr/bin/python3
"""Writes the PyTorch golden vectors in tests/golden/data/.

Run from the repository root with Debian's interpreter (python3-torch):

    /usr/bin/python3 tests/golden/generate_golden.py

Deterministic: numpy's seeded Generator makes the inputs and weights, torch
computes in float64 from exactly the stored float32 values, and a rerun
writes byte-identical files. For each case it writes <name>_x.npy,
<name>_w.npy, <name>_b.npy (with bias) and <name>_y.npy, and lists the cases
in cases.json; the field semantics are in README.md beside this script.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

from contract import same_pads, tconv_reference

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def pair(v):
    return [v, v] if isinstance(v, int) else list(v)


def make_case(rng, name, note, cin=1, cout=1, groups=1, size=(5, 5), kernel=3, stride=1,
              dilation=1, padding=0, output_padding=0, bias=False, batch=None, auto_pad="none",
              output_size=None, x=None, w=None, op="conv_transpose2d"):
    kh, kw = pair(kernel)
    sh, sw = pair(stride)
    dh, dw = pair(dilation)
    oph, opw = pair(output_padding)
    pads = padding if isinstance(padding, (list, tuple)) and len(padding) == 4 else pair(padding) * 2
    h, wd = size
    shape = [cin, h, wd] if batch is None else [batch, cin, h, wd]
    if x is None:
        x = rng.standard_normal(shape).astype(np.float32)
    else:
        x = np.asarray(x, np.float32).reshape(shape)
    wshape = (cin, cout // groups, kh, kw) if op == "conv_transpose2d" else (cout, cin // groups, kh, kw)
    if w is None:
        w = rng.standard_normal(wshape).astype(np.float32)
    else:
        w = np.asarray(w, np.float32).reshape(wshape)
    b = rng.standard_normal(cout).astype(np.float32) if bias else None
    x4 = x if batch is not None else x[None]

    if op == "conv2d":
        t, l, bo, r = pads
        xp = F.pad(torch.from_numpy(x4.astype(np.float64)), (l, r, t, bo))
        y = F.conv2d(xp, torch.from_numpy(w.astype(np.float64)),
                     None if b is None else torch.from_numpy(b.astype(np.float64)),
                     stride=(sh, sw), dilation=(dh, dw), groups=groups).numpy()
    elif auto_pad != "none":
        pbh, peh, eoh = same_pads(kh, sh, dh, oph, auto_pad)
        pbw, pew, eow = same_pads(kw, sw, dw, opw, auto_pad)
        y = tconv_reference(x4, w, b, (sh, sw), (dh, dw), groups, (pbh, pbw, peh, pew), (eoh, eow))
        assert y.shape[2:] == (h * sh, wd * sw), (name, y.shape)
    elif output_size is not None:
        assert pads[0] == pads[2] and pads[1] == pads[3]
        m = torch.nn.ConvTranspose2d(cin, cout, (kh, kw), (sh, sw), (pads[0], pads[1]), 0, groups,
                                     bias is True, (dh, dw)).double()
        with torch.no_grad():
            m.weight.copy_(torch.from_numpy(w.astype(np.float64)))
            if b is not None:
                m.bias.copy_(torch.from_numpy(b.astype(np.float64)))
            y = m(torch.from_numpy(x4.astype(np.float64)), output_size=list(output_size)).numpy()
        assert list(y.shape[2:]) == list(output_size)
    else:
        y = tconv_reference(x4, w, b, (sh, sw), (dh, dw), groups, pads, (oph, opw))
        if pads[0] == pads[2] and pads[1] == pads[3]:
            # The crop method agrees with torch's own symmetric padding.
            direct = F.conv_transpose2d(torch.from_numpy(x4.astype(np.float64)),
                                        torch.from_numpy(w.astype(np.float64)),
                                        None if b is None else torch.from_numpy(b.astype(np.float64)),
                                        stride=(sh, sw), padding=(pads[0], pads[1]),
                                        output_padding=(oph, opw), groups=groups,
                                        dilation=(dh, dw)).numpy()
            assert np.array_equal(direct.shape, y.shape) and np.allclose(direct, y, atol=1e-12), name
    if batch is None:
        y = y[0]
    y = y.astype(np.float32)
    assert min(y.shape) >= 1, name

    np.save(os.path.join(OUT, f"{name}_x.npy"), x)
    np.save(os.path.join(OUT, f"{name}_w.npy"), w)
    if b is not None:
        np.save(os.path.join(OUT, f"{name}_b.npy"), b)
    np.save(os.path.join(OUT, f"{name}_y.npy"), y)
    return {"name": name, "op": op, "input_shape": list(x.shape), "in_channels": cin,
            "out_channels": cout, "groups": groups, "kernel": [kh, kw], "stride": [sh, sw],
            "dilation": [dh, dw], "padding": [int(p) for p in pads] if auto_pad == "none" else [0, 0, 0, 0],
            "output_padding": [oph, opw] if output_size is None else [0, 0], "auto_pad": auto_pad,
            "output_size": None if output_size is None else list(output_size), "bias": bias,
            "output_shape": list(y.shape), "note": note}


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    rng = np.random.default_rng(12345)
    seed_x, seed_k = [0, 1, 2, 3], [0, 1, 2, 3]
    specs = [
        # d2l.ai "Transposed Convolution" seed examples.
        ("seed_basic", "d2l: X=K=[[0,1],[2,3]] -> [[0,0,1],[0,4,6],[4,12,9]]", dict(size=(2, 2), kernel=2, x=seed_x, w=seed_k)),
        ("seed_pad1", "d2l: padding=1 -> [[4]]", dict(size=(2, 2), kernel=2, padding=1, x=seed_x, w=seed_k)),
        ("seed_stride2", "d2l: stride=2 -> 4x4", dict(size=(2, 2), kernel=2, stride=2, x=seed_x, w=seed_k)),
        # Strides, kernels, paddings.
        ("s1_k3", "stride 1", dict(cin=2, cout=3, kernel=3)),
        ("s2_k4_p1", "the classic 2x upsampler geometry", dict(cin=3, cout=2, kernel=4, stride=2, padding=1, bias=True)),
        ("s3_k3", "stride 3, k == s", dict(cin=2, cout=2, kernel=3, stride=3)),
        ("s4_k5_p2", "stride 4", dict(cin=1, cout=2, kernel=5, stride=4, padding=2)),
        ("s2x3", "unequal strides per axis", dict(cin=2, cout=2, size=(4, 5), kernel=3, stride=(2, 3), bias=True)),
        ("s3x1_k2x4", "non-square kernel and strides", dict(cin=2, cout=1, size=(5, 3), kernel=(2, 4), stride=(3, 1))),
        ("k1_s2", "kernel smaller than stride: holes", dict(cin=2, cout=2, kernel=1, stride=2)),
        ("k2_s3", "kernel smaller than stride", dict(cin=1, cout=2, kernel=2, stride=3, bias=True)),
        ("k5_s1_p2", "large padding", dict(cin=2, cout=2, kernel=5, padding=2)),
        ("p2x0", "per-axis padding", dict(cin=2, cout=3, kernel=(5, 3), stride=2, padding=(2, 0))),
        ("asym_p1020", "asymmetric padding (t,l,b,r) = 1,0,2,0", dict(cin=2, cout=2, kernel=4, stride=2, padding=[1, 0, 2, 0])),
        ("asym_p0211", "asymmetric padding 0,2,1,1", dict(cin=1, cout=2, kernel=(3, 5), stride=(2, 2), padding=[0, 2, 1, 1], bias=True)),
        ("asym_p2001_d2", "asymmetric padding with dilation", dict(cin=2, cout=2, kernel=3, stride=2, dilation=2, padding=[2, 0, 0, 1])),
        # output_padding.
        ("op1_s2", "output_padding 1 at stride 2", dict(cin=2, cout=2, kernel=3, stride=2, padding=1, output_padding=1, bias=True)),
        ("op2x1_s3x2", "per-axis output_padding", dict(cin=1, cout=2, kernel=3, stride=(3, 2), output_padding=(2, 1))),
        ("op2_s1_d3", "output_padding >= stride but < dilation", dict(cin=2, cout=1, kernel=2, stride=1, dilation=3, output_padding=2)),
        ("op1_s1_d2_p1", "output_padding 1 at stride 1 via dilation 2", dict(cin=1, cout=1, kernel=3, dilation=2, padding=1, output_padding=1)),
        # Dilation.
        ("d2", "dilation 2", dict(cin=2, cout=2, kernel=3, dilation=2)),
        ("d3x1_s2", "per-axis dilation with stride", dict(cin=2, cout=2, kernel=3, stride=2, dilation=(3, 1), padding=1)),
        ("d2_s3_p2", "dilation, stride and padding", dict(cin=1, cout=3, kernel=2, stride=3, dilation=2, padding=2, bias=True)),
        # Groups.
        ("g2", "groups 2", dict(cin=4, cout=4, groups=2, kernel=3, stride=2)),
        ("g3_depthwise", "depthwise: groups == in == out", dict(cin=3, cout=3, groups=3, kernel=4, stride=2, padding=1, bias=True)),
        ("g2_mult3", "channel multiplier: in 2, out 6, groups 2", dict(cin=2, cout=6, groups=2, kernel=3, stride=2)),
        ("g3_in6_out3", "groups 3 narrowing", dict(cin=6, cout=3, groups=3, kernel=2, stride=2, dilation=2)),
        ("g2_all", "groups with every parameter", dict(cin=4, cout=6, groups=2, size=(4, 5), kernel=(3, 4), stride=(2, 3), dilation=(2, 1), padding=[1, 2, 0, 1], output_padding=(1, 2), bias=True)),
        # Sizes.
        ("odd_7x5", "odd sizes 7x5", dict(cin=3, cout=2, size=(7, 5), kernel=4, stride=2, padding=1)),
        ("odd_9x7_s3", "odd sizes 9x7 stride 3", dict(cin=2, cout=2, size=(9, 7), kernel=5, stride=3, padding=1, bias=True)),
        ("in_1x1", "1x1 input", dict(cin=2, cout=3, size=(1, 1), kernel=3, stride=2, bias=True)),
        ("in_1x6", "single row", dict(cin=1, cout=1, size=(1, 6), kernel=(1, 4), stride=(1, 2), padding=(0, 1))),
        ("batch3", "rank-4 batched input", dict(cin=2, cout=3, batch=3, size=(4, 3), kernel=4, stride=2, padding=1, bias=True)),
        ("batch2_g2", "batched with groups", dict(cin=2, cout=4, groups=2, batch=2, size=(3, 3), kernel=3, stride=3)),
        # output_size requests.
        ("osize_min", "output_size at the bottom of its range", dict(cin=2, cout=2, size=(4, 4), kernel=3, stride=2, padding=1, output_size=(7, 7))),
        ("osize_max", "output_size at the top of its range", dict(cin=2, cout=2, size=(4, 4), kernel=3, stride=2, padding=1, output_size=(8, 8))),
        ("osize_mixed_s3", "output_size min on one axis, max on the other", dict(cin=1, cout=2, size=(3, 4), kernel=3, stride=3, output_size=(9, 14), bias=True)),
        # same auto-padding.
        ("same_upper_k4s2", "same_upper, total 1 (odd)", dict(cin=2, cout=2, kernel=3, stride=2, auto_pad="same_upper")),
        ("same_lower_k4s2", "same_lower, total 1 (odd)", dict(cin=2, cout=2, kernel=3, stride=2, auto_pad="same_lower")),
        ("same_upper_k4", "same_upper, total 2 (even)", dict(cin=1, cout=2, kernel=4, stride=2, auto_pad="same_upper", bias=True)),
        ("same_lower_k5s2", "same_lower, total 2", dict(cin=2, cout=1, kernel=5, stride=2, auto_pad="same_lower")),
        ("same_upper_k1s2", "same_upper with negative total (k=1, s=2)", dict(cin=2, cout=2, kernel=1, stride=2, auto_pad="same_upper")),
        ("same_lower_k2s3_d2", "same_lower with dilation and per-axis stride", dict(cin=1, cout=1, size=(4, 3), kernel=2, stride=(3, 2), dilation=2, auto_pad="same_lower")),
        ("same_upper_op1", "same_upper with output_padding", dict(cin=1, cout=1, kernel=3, stride=2, output_padding=1, auto_pad="same_upper")),
        # conv2d (forward).
        ("conv_k3", "conv2d k3", dict(op="conv2d", cin=2, cout=3, size=(6, 5), kernel=3, bias=True)),
        ("conv_s2_p1", "conv2d stride 2 padding 1", dict(op="conv2d", cin=3, cout=2, size=(7, 7), kernel=3, stride=2, padding=1)),
        ("conv_asym", "conv2d asymmetric padding", dict(op="conv2d", cin=1, cout=2, size=(5, 6), kernel=(2, 3), stride=(1, 2), padding=[0, 1, 2, 1])),
        ("conv_d2_g2", "conv2d dilation and groups", dict(op="conv2d", cin=4, cout=2, groups=2, size=(8, 7), kernel=3, dilation=2, bias=True)),
        ("conv_s3_k5_p2", "conv2d of the seed's 10->20 k5 s3 p2 geometry, small", dict(op="conv2d", cin=2, cout=3, size=(9, 9), kernel=5, stride=3, padding=2)),
        ("conv_depthwise", "conv2d depthwise", dict(op="conv2d", cin=3, cout=3, groups=3, size=(5, 5), kernel=3, padding=1)),
        ("conv_batch", "conv2d batched", dict(op="conv2d", cin=2, cout=2, batch=2, size=(4, 5), kernel=2, stride=2)),
        ("conv_1x1", "conv2d 1x1 kernel", dict(op="conv2d", cin=3, cout=4, size=(3, 2), kernel=1, bias=True)),
    ]
    cases = [make_case(rng, name, note, **kw) for name, note, kw in specs]
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")
    n_t = sum(c["op"] == "conv_transpose2d" for c in cases)
    print(f"wrote {len(cases)} cases ({n_t} conv_transpose2d) to {OUT} with torch {torch.__version__}")


if __name__ == "__main__":
    main()
