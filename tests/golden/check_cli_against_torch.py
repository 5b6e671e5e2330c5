#!/usr/bin/python3
"""Numeric mode of tconv-upsample against PyTorch on random configurations.

Draws random ConvTranspose2d configurations (every parameter: per-axis
stride, kernel, dilation, padding incl. asymmetric, output_padding, groups,
bias, rank-3 and rank-4 inputs, `same` padding, output_size) that no
committed golden file uses, runs the real binary on .npy files and compares
with torch.nn.functional.conv_transpose2d in float64 to 1e-5 relative.

Usage: check_cli_against_torch.py PATH/TO/tconv-upsample [--cases N] [--seed S]
Exit 0 when all match, 1 on a mismatch, 77 (CTest "skipped") without torch.
"""
import argparse
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
    from contract import same_pads, tconv_reference
except ImportError as e:  # the suite must run without torch: skip loudly
    print(f"SKIPPED: needs numpy and torch (Debian python3-torch): {e}", file=sys.stderr)
    sys.exit(77)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--cases", type=int, default=60)
    ap.add_argument("--seed", type=int, default=20261124)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        done = 0
        while done < args.cases:
            g = int(rng.integers(1, 4))
            cin, cout = g * int(rng.integers(1, 4)), g * int(rng.integers(1, 4))
            kh, kw = (int(v) for v in rng.integers(1, 6, 2))
            sh, sw = (int(v) for v in rng.integers(1, 5, 2))
            dh, dw = (int(v) for v in rng.integers(1, 4, 2))
            oph = int(rng.integers(0, max(sh, dh)))
            opw = int(rng.integers(0, max(sw, dw)))
            h, wd = (int(v) for v in rng.integers(1, 12, 2))
            mode = rng.choice(["sym", "asym", "same", "same_lower", "output_size"])
            batched = bool(rng.integers(0, 2))
            x = rng.standard_normal((2 if batched else 1, cin, h, wd)).astype(np.float32)
            w = rng.standard_normal((cin, cout // g, kh, kw)).astype(np.float32)
            b = rng.standard_normal(cout).astype(np.float32) if rng.integers(0, 2) else None
            flags = ["-s", f"{sh},{sw}", "--dilation", f"{dh},{dw}", "--groups", str(g)]
            if mode in ("sym", "asym", "output_size"):
                if mode == "asym":
                    pads = [int(v) for v in rng.integers(0, 3, 4)]
                else:
                    ph, pw = (int(v) for v in rng.integers(0, 3, 2))
                    pads = [ph, pw, ph, pw]
                flags += ["--padding", ",".join(map(str, pads))]
                if mode == "output_size":
                    oph = int(rng.integers(0, sh))
                    opw = int(rng.integers(0, sw))
                    base_h = (h - 1) * sh - pads[0] - pads[2] + dh * (kh - 1) + 1
                    base_w = (wd - 1) * sw - pads[1] - pads[3] + dw * (kw - 1) + 1
                    flags += ["--output-size", f"{base_h + oph},{base_w + opw}"]
                else:
                    flags += ["--output-padding", f"{oph},{opw}"]
            else:
                flags += ["--padding", str(mode), "--output-padding", f"{oph},{opw}"]
                pbh, peh, oph = same_pads(kh, sh, dh, oph, mode)
                pbw, pew, opw = same_pads(kw, sw, dw, opw, mode)
                pads = [pbh, pbw, peh, pew]
            try:
                expected = tconv_reference(x, w, b, (sh, sw), (dh, dw), g, pads, (oph, opw))
            except RuntimeError:
                continue  # torch refuses (e.g. output_padding >= dilation and stride)
            if expected.shape[2] < 1 or expected.shape[3] < 1:
                continue  # padding crops everything; covered by the validation tests
            xin = x if batched else x[0]
            np.save(os.path.join(tmp, "x.npy"), xin)
            np.save(os.path.join(tmp, "w.npy"), w)
            cmd = [args.binary, os.path.join(tmp, "x.npy"), "-w", os.path.join(tmp, "w.npy"),
                   "-o", os.path.join(tmp, "y.npy"), "--overwrite", "-q"] + flags
            if b is not None:
                np.save(os.path.join(tmp, "b.npy"), b)
                cmd += ["--bias", os.path.join(tmp, "b.npy")]
            run = subprocess.run(cmd, capture_output=True, text=True)
            if run.returncode != 0:
                print(f"FAIL: {' '.join(cmd)}\n  exit {run.returncode}: {run.stderr.strip()}")
                return 1
            y = np.load(os.path.join(tmp, "y.npy"))
            want = expected if batched else expected[0]
            if y.shape != want.shape:
                print(f"FAIL shape {y.shape} != {want.shape}: {' '.join(flags)}")
                return 1
            err = float(np.max(np.abs(y - want) / (1.0 + np.abs(want))))
            worst = max(worst, err)
            if err > 1e-5:
                print(f"FAIL relative error {err:.3g}: {' '.join(flags)} input {x.shape}")
                return 1
            done += 1
    print(f"OK: {done} random configurations (seed {args.seed}) match torch "
          f"{torch.__version__}; worst relative error {worst:.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
