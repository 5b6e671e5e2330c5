#!/usr/bin/env python3
"""The checkerboard study on trained networks (docs/cli.md#the-checkerboard-study).

Trains FSRCNN's body with five upsampling heads on the same data, budget and
seed (train --arch): the 9x9 transposed convolution (random start, as the
paper, and bilinear start, as FCN), the sub-pixel head (conv + pixel_shuffle),
nearest resize + conv and bilinear resize + conv. Then, for each model:
Set5 and Set14 Y PSNR / SSIM (eval), the kernel's phase gains (inspect), and
the checkerboard metrics of its outputs on Set5 and Set14 (compare: phase-mean
spread, phase-energy ratio, spectral peak ratio, means over the images);
side-by-side pictures of each head against the transposed convolution. Writes
study.md (the table) and study.json into --out.

Trainings resume from their checkpoints when rerun (train --resume), so a
killed study continues where it stopped; finished models are kept.

  scripts/checkerboard_study.py [--steps N] [--scale S] [--seed N] [--work DIR] [--out DIR]
"""
import argparse
import json
import os
import subprocess
import sys

HEADS = [
    ("transposed conv 9x9 (random start)", "tconv_random", "fsrcnn", "random"),
    ("transposed conv 9x9 (bilinear start)", "tconv_bilinear", "fsrcnn", "bilinear"),
    ("sub-pixel (3x3 conv + pixel_shuffle)", "subpixel", "fsrcnn-subpixel", "random"),
    ("nearest resize + 5x5 conv", "resize_nearest", "resize-nearest", "random"),
    ("bilinear resize + 5x5 conv", "resize_bilinear", "resize-bilinear", "random"),
]


def run(cmd, **kw):
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, **kw)


def json_of(cmd):
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    return json.loads(out)


def mean(values):
    return sum(values) / len(values)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(root, "build/release/app/tconv-upsample"))
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(root), "shared/data/sr"))
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--scale", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--work", default=os.path.join(root, "build/study"))
    ap.add_argument("--out", default=None, help="where study.md, study.json and pictures go (default: --work)")
    args = ap.parse_args()
    out_dir = args.out or args.work
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(out_dir, exist_ok=True)
    train_dirs = [os.path.join(args.shared, "train", d) for d in ("T91", "BSDS200")]
    tests = {name: os.path.join(args.shared, name) for name in ("Set5", "Set14")}
    for d in train_dirs + list(tests.values()):
        if not os.path.isdir(d):
            sys.exit(f"checkerboard_study: {d} is absent (../shared beside the checkout)")

    s = args.scale
    rows = []
    for label, stem, arch, init in HEADS:
        model = os.path.join(args.work, f"{stem}_x{s}.safetensors")
        ckpt = model + ".ckpt"
        if not os.path.exists(model):
            cmd = [args.bin, "train", "--arch", arch, "--init", init, "-s", str(s), "--steps", str(args.steps),
                   "--seed", str(args.seed), "-j", str(args.threads), "-o", model,
                   "--log", os.path.join(args.work, f"{stem}_x{s}.jsonl")]
            for d in train_dirs:
                cmd += ["--images", d]
            if os.path.exists(ckpt):
                cmd.append("--resume")
            run(cmd)
        row = {"head": label, "arch": arch, "init": init, "model": model}
        meta = json_of([args.bin, "inspect", "--model", model, "--json"])["kernel"]
        row["phase_gain_ratio"] = meta["phase_gain_ratio"]
        for name, d in tests.items():
            ev = json_of([args.bin, "eval", "--images", d, "-s", str(s), "--model", model, "--json"])
            row[f"{name}_psnr"] = mean([i["psnr"] for i in ev["images"]])
            row[f"{name}_ssim"] = mean([i["ssim"] for i in ev["images"]])
            row[f"{name}_bicubic_psnr"] = mean([i["bicubic_psnr"] for i in ev["images"]])
        metrics = {"phase_mean_spread": [], "phase_energy_ratio": [], "spectral_peak_ratio": []}
        for d in tests.values():
            for image in sorted(os.listdir(d)):
                c = json_of([args.bin, "compare", os.path.join(d, image), "--model", model, "--json"])
                for k in metrics:
                    metrics[k].append(c["tconv"][k])
        for k, v in metrics.items():
            row[k] = None if None in v else mean(v)
        rows.append(row)

    # Pictures: each head against the transposed convolution on one Set14 image.
    reference = os.path.join(args.work, f"{HEADS[0][1]}_x{s}.safetensors")
    picture_input = os.path.join(tests["Set14"], "baboon.png")
    if not os.path.exists(picture_input):
        picture_input = os.path.join(tests["Set5"], sorted(os.listdir(tests["Set5"]))[0])
    for _, stem, _, _ in HEADS[1:]:
        pic_dir = os.path.join(out_dir, f"pictures_{stem}")
        os.makedirs(pic_dir, exist_ok=True)
        run([args.bin, "compare", picture_input, "--model", reference, "--against",
             os.path.join(args.work, f"{stem}_x{s}.safetensors"), "-o", pic_dir, "--overwrite"],
            stdout=subprocess.DEVNULL)

    with open(os.path.join(out_dir, "study.json"), "w") as f:
        json.dump({"scale": s, "steps": args.steps, "seed": args.seed, "rows": rows}, f, indent=2)
    lines = [f"Checkerboard study, x{s}: FSRCNN body (d 56, s 12, m 4), {args.steps} steps of 16 x 32x32 "
             f"patches from T91 + BSDS200, seed {args.seed}. PSNR / SSIM on Y (eval protocol); "
             "checkerboard metrics on the models' outputs over Set5 + Set14 (means; lower is flatter).",
             "",
             "| head | Set5 PSNR / SSIM | Set14 PSNR / SSIM | phase gain ratio | phase-mean spread | "
             "phase-energy ratio | spectral peak ratio |",
             "|---|---|---|---|---|---|---|"]
    def num(value, digits):
        # inspect and compare report an unbounded ratio as null
        return "unbounded" if value is None else f"{value:.{digits}f}"

    for r in rows:
        lines.append(f"| {r['head']} | {r['Set5_psnr']:.2f} / {r['Set5_ssim']:.4f} | "
                     f"{r['Set14_psnr']:.2f} / {r['Set14_ssim']:.4f} | {num(r['phase_gain_ratio'], 3)} | "
                     f"{num(r['phase_mean_spread'], 4)} | {num(r['phase_energy_ratio'], 3)} | "
                     f"{num(r['spectral_peak_ratio'], 3)} |")
    lines.append("")
    lines.append(f"Bicubic: Set5 {rows[0]['Set5_bicubic_psnr']:.2f} dB, Set14 {rows[0]['Set14_bicubic_psnr']:.2f} dB.")
    with open(os.path.join(out_dir, "study.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
