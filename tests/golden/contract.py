"""The library's conv_transpose2d contract expressed with PyTorch.

Shared by generate_golden.py and check_cli_against_torch.py (both import it
from this folder). Needs numpy and torch.
"""
import numpy as np
import torch
import torch.nn.functional as F


def tconv_reference(x, w, b, stride, dilation, groups, pads, out_pad):
    """Full transposed convolution at padding 0 in float64, cropped by pads
    (top, left, bottom, right): PyTorch only pads symmetrically."""
    t, l, bo, r = pads
    y = F.conv_transpose2d(torch.from_numpy(x.astype(np.float64)), torch.from_numpy(w.astype(np.float64)),
                           None if b is None else torch.from_numpy(b.astype(np.float64)),
                           stride=stride, padding=0, output_padding=out_pad, groups=groups,
                           dilation=dilation).numpy()
    return y[:, :, t:y.shape[2] - bo, l:y.shape[3] - r]


def same_pads(k, s, d, op, mode):
    """ONNX auto_pad for ConvTranspose on one axis: (pad_begin, pad_end,
    effective output_padding) so that out = in * s. The odd pixel goes to the
    end for same_upper, to the beginning for same_lower; a negative total
    becomes extra output padding."""
    total = d * (k - 1) + 1 + op - s
    if total < 0:
        return 0, 0, op - total
    lo, hi = total // 2, total - total // 2
    return (lo, hi, op) if mode in ("same", "same_upper") else (hi, lo, op)
