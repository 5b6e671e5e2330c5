#!/usr/bin/python3
"""Writes the .npy files that the documentation's commands name (w.npy,
b.npy, x.npy, ones.npy), for tests/cli/run_doc_commands.sh.

Standard library only; run from the repository root, a rerun writes
byte-identical files:

    /usr/bin/python3 tests/cli/docs_data/make_docs_data.py

- w.npy    (3, 3, 4, 4): bilinear x2 for RGB with groups 1 (each channel's
           4x4 taps on the diagonal, zero across channels), so README's
           `photo.png -s 2 -w w.npy --bias b.npy --padding 1` is a plain
           bilinear upsample and `x.npy -w w.npy -s 2 --padding 1 ...` runs.
- b.npy    (3,): zeros.
- x.npy    (3, 6, 5): a ramp, awkward sizes, three channels (w.npy's and
           the rgb models' input channel count).
- ones.npy (3, 1, 3, 3): 1 / 2.25, the all-ones 3x3 kernel of
           docs/cli.md's checkerboard example (`--groups 3`).
"""
import math
import os
import struct

OUT = os.path.dirname(os.path.abspath(__file__))


def write_npy(name, shape, values):
    assert len(values) == math.prod(shape)
    dims = "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % dims
    # Magic, version 1.0, header length; the header ends in a newline and
    # pads the preamble to a multiple of 64 bytes, as numpy writes it.
    total = 10 + len(header) + 1
    header += " " * (-total % 64) + "\n"
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%df" % len(values), *values))


def main():
    taps = [0.25, 0.75, 0.75, 0.25]  # bilinear x2: k = 4, padding 1
    w = []
    for i in range(3):
        for o in range(3):
            for ty in range(4):
                for tx in range(4):
                    w.append(taps[ty] * taps[tx] if i == o else 0.0)
    write_npy("w.npy", (3, 3, 4, 4), w)
    write_npy("b.npy", (3,), [0.0, 0.0, 0.0])
    x = [((c * 7 + y * 5 + x) % 11) / 10.0 for c in range(3) for y in range(6) for x in range(5)]
    write_npy("x.npy", (3, 6, 5), x)
    write_npy("ones.npy", (3, 1, 3, 3), [1 / 2.25] * 27)


if __name__ == "__main__":
    main()
