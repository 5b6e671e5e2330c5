#!/usr/bin/python3
"""Writes the model-file golden cases in tests/golden/data/model_*.

Run from the repository root with Debian's interpreter (python3-torch):

    /usr/bin/python3 tests/golden/generate_model_golden.py

Each case is a small PyTorch network saved as a tconv model file
(<name>.safetensors, written here with the standard library and numpy only,
as docs/model-format.md shows), an input <name>_x.npy (C,H,W) in [0, 1] and torch's
forward output <name>_y.npy. The C++ test runs the model file through
tconv::Model::run_network and compares with <name>_y.npy to 1e-5.
Deterministic: seeded numpy Generator; torch computes in float64 from exactly
the stored (float32 or float16) values, so a rerun writes identical files.
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def write_safetensors(path, tensors, metadata):
    """tensors: name -> (numpy array, "F32" | "F16"); metadata: str -> str."""
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, (array, dtype) in tensors.items():
        data = np.ascontiguousarray(array, dtype={"F32": "<f4", "F16": "<f2"}[dtype]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(b"".join(blobs))


class Case:
    def __init__(self, rng):
        self.rng = rng
        self.tensors = {}
        self.layers = []

    def param(self, name, shape, dtype="F32", scale=0.5):
        v = self.rng.uniform(-scale, scale, size=shape).astype(np.float32)
        if dtype == "F16":
            v = v.astype(np.float16)
        self.tensors[name] = (v, dtype)
        return torch.from_numpy(v.astype(np.float64))

    def save(self, name, color, scale, x, y, residual="none"):
        meta = {"tconv.format": "1", "tconv.scale": str(scale), "tconv.color": color,
                "tconv.residual": residual, "tconv.layers": json.dumps(self.layers),
                "source": "tests/golden/generate_model_golden.py"}
        write_safetensors(os.path.join(OUT, name + ".safetensors"), self.tensors, meta)
        np.save(os.path.join(OUT, name + "_x.npy"), x.astype(np.float32))
        np.save(os.path.join(OUT, name + "_y.npy"), y.numpy().astype(np.float32))


def rgb_x2(rng):
    """conv2d, PReLU per channel, asymmetric padding, leaky_relu, dilation +
    groups, relu, conv_transpose2d, sigmoid."""
    c = Case(rng)
    x = rng.uniform(0, 1, size=(3, 7, 9)).astype(np.float32)
    t = torch.from_numpy(x.astype(np.float64))[None]
    w, b = c.param("head.weight", (8, 3, 3, 3)), c.param("head.bias", (8,))
    t = F.conv2d(t, w, b, padding=1)
    c.layers.append({"op": "conv2d", "weight": "head.weight", "bias": "head.bias", "padding": 1})
    a = c.param("act.weight", (8,), scale=0.3)
    t = F.prelu(t, a)
    c.layers.append({"op": "prelu", "weight": "act.weight"})
    w = c.param("asym.weight", (8, 8, 3, 2))
    t = F.conv2d(F.pad(t, (0, 1, 1, 1)), w)  # F.pad order: left, right, top, bottom
    c.layers.append({"op": "conv2d", "weight": "asym.weight", "padding": [1, 0, 1, 1]})
    t = F.leaky_relu(t, 0.1)
    c.layers.append({"op": "leaky_relu", "slope": 0.1})
    w, b = c.param("dil.weight", (8, 4, 3, 3)), c.param("dil.bias", (8,))
    t = F.conv2d(t, w, b, padding=2, dilation=2, groups=2)
    c.layers.append({"op": "conv2d", "weight": "dil.weight", "bias": "dil.bias", "padding": [2, 2],
                     "dilation": 2, "groups": 2})
    t = F.relu(t)
    c.layers.append({"op": "relu"})
    w, b = c.param("up.weight", (8, 3, 4, 4)), c.param("up.bias", (3,))
    t = F.conv_transpose2d(t, w, b, stride=2, padding=1)
    c.layers.append({"op": "conv_transpose2d", "weight": "up.weight", "bias": "up.bias",
                     "stride": [2, 2], "padding": 1})
    t = torch.sigmoid(t)
    c.layers.append({"op": "sigmoid"})
    c.save("model_rgb_x2", "rgb", 2, x, t[0])


def gray_x3(rng):
    """conv2d 5x5, tanh, an F16 conv2d weight, pixel_shuffle, clamp."""
    c = Case(rng)
    x = rng.uniform(0, 1, size=(1, 6, 5)).astype(np.float32)
    t = torch.from_numpy(x.astype(np.float64))[None]
    w, b = c.param("a.weight", (6, 1, 5, 5)), c.param("a.bias", (6,))
    t = torch.tanh(F.conv2d(t, w, b, padding=2))
    c.layers += [{"op": "conv2d", "weight": "a.weight", "bias": "a.bias", "padding": [2, 2, 2, 2]},
                 {"op": "tanh"}]
    w = c.param("b.weight", (9, 6, 3, 3), dtype="F16")
    t = F.pixel_shuffle(F.conv2d(t, w, padding=1), 3)
    c.layers += [{"op": "conv2d", "weight": "b.weight", "padding": 1},
                 {"op": "pixel_shuffle", "factor": 3}]
    t = torch.clamp(t, -0.2, 0.4)
    c.layers.append({"op": "clamp", "min": -0.2, "max": 0.4})
    c.save("model_gray_x3", "gray", 3, x, t[0])


def y_x2(rng):
    """FSRCNN in miniature: conv2d, one shared PReLU slope, a 9x9
    conv_transpose2d with output_padding."""
    c = Case(rng)
    x = rng.uniform(0, 1, size=(1, 8, 7)).astype(np.float32)
    t = torch.from_numpy(x.astype(np.float64))[None]
    w, b = c.param("first.weight", (4, 1, 5, 5)), c.param("first.bias", (4,))
    a = c.param("first.act", (1,), scale=0.3)
    t = F.prelu(F.conv2d(t, w, b, padding=2), a)
    c.layers += [{"op": "conv2d", "weight": "first.weight", "bias": "first.bias", "padding": 2},
                 {"op": "prelu", "weight": "first.act"}]
    w, b = c.param("last.weight", (4, 1, 9, 9), scale=0.2), c.param("last.bias", (1,))
    t = F.conv_transpose2d(t, w, b, stride=2, padding=4, output_padding=1)
    c.layers.append({"op": "conv_transpose2d", "weight": "last.weight", "bias": "last.bias",
                     "stride": 2, "padding": 4, "output_padding": 1})
    c.save("model_y_x2", "y", 2, x, t[0])


def pad_gray_x2(rng):
    """Every pad mode: reflect + conv2d, circular + conv2d, constant with a
    value, then what `train` writes: a replicate pad and a conv_transpose2d
    whose padding is widened by stride x pad."""
    c = Case(rng)
    x = rng.uniform(0, 1, size=(1, 7, 6)).astype(np.float32)
    t = torch.from_numpy(x.astype(np.float64))[None]
    w = c.param("a.weight", (2, 1, 3, 4))
    t = F.conv2d(F.pad(t, (2, 1, 1, 1), mode="reflect"), w)  # left, right, top, bottom
    c.layers += [{"op": "pad", "padding": [1, 2, 1, 1], "mode": "reflect"},
                 {"op": "conv2d", "weight": "a.weight"}]
    w = c.param("b.weight", (2, 2, 3, 3))
    t = F.conv2d(F.pad(t, (1, 1, 1, 1), mode="circular"), w)
    c.layers += [{"op": "pad", "padding": 1, "mode": "circular"},
                 {"op": "conv2d", "weight": "b.weight"}]
    w = c.param("c.weight", (1, 2, 3, 3))
    t = F.conv2d(F.pad(t, (1, 1, 1, 1), mode="constant", value=0.25), w)
    c.layers += [{"op": "pad", "padding": [1, 1], "value": 0.25},
                 {"op": "conv2d", "weight": "c.weight"}]
    w, b = c.param("up.weight", (1, 1, 8, 8), scale=0.3), c.param("up.bias", (1,))
    t = F.conv_transpose2d(F.pad(t, (2, 2, 2, 2), mode="replicate"), w, b, stride=2,
                           padding=3 + 2 * 2)
    c.layers += [{"op": "pad", "padding": 2, "mode": "replicate"},
                 {"op": "conv_transpose2d", "weight": "up.weight", "bias": "up.bias",
                  "stride": 2, "padding": 3 + 2 * 2}]
    c.save("model_pad_gray_x2", "gray", 2, x, t[0])


def main():
    rng = np.random.default_rng(20240611)
    rgb_x2(rng)
    gray_x3(rng)
    y_x2(rng)
    pad_gray_x2(rng)


if __name__ == "__main__":
    main()
