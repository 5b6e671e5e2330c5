#!/usr/bin/python3
"""PyTorch 1.13 CPU as tconv-bench's peer for whole networks.

Builds FSRCNN x2 (d 56, s 12, m 4; PReLU; 9x9 stride-2 transposed
convolution) with random weights, as tconv-bench's fsrcnn_x2 case does, and
times one case on --threads threads:

  forward_1080p     the network's forward on one 1080x1920 luma plane
                    (torch.inference_mode)
  train_step_b16    one training step on a batch of 16 LR patches of
                    32x32: forward, MSE against a 64x64 target, backward,
                    Adam (the FSRCNN recipe's per-layer learning rates)

Prints one JSON object: {"case", "threads", "median_ms", "runs", "torch"}.
Exit 77 without torch (tconv-bench then reports the peer as absent).
"""
import argparse
import json
import statistics
import sys
import time

try:
    import torch
    from torch import nn
except ImportError as e:
    print(f"torch_peer: needs Debian python3-torch: {e}", file=sys.stderr)
    sys.exit(77)


def fsrcnn_x2():
    layers = [nn.Conv2d(1, 56, 5, padding=2), nn.PReLU(56),
              nn.Conv2d(56, 12, 1), nn.PReLU(12)]
    for _ in range(4):
        layers += [nn.Conv2d(12, 12, 3, padding=1), nn.PReLU(12)]
    layers += [nn.Conv2d(12, 56, 1), nn.PReLU(56),
               nn.ConvTranspose2d(56, 1, 9, stride=2, padding=4, output_padding=1)]
    return nn.Sequential(*layers)


def median_ms(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["forward_1080p", "train_step_b16"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(11)
    net = fsrcnn_x2()
    if args.case == "forward_1080p":
        x = torch.rand(1, 1, 1080, 1920)
        net.eval()

        def run():
            with torch.inference_mode():
                net(x)
        ms = median_ms(run, 1, args.reps)
    else:
        x = torch.rand(16, 1, 32, 32)
        y = torch.rand(16, 1, 64, 64)
        last = net[-1]
        body = [p for m in list(net)[:-1] for p in m.parameters()]
        opt = torch.optim.Adam([{"params": body}, {"params": last.parameters(), "lr": 1e-4}],
                               lr=1e-3)
        loss_fn = nn.MSELoss()

        def run():
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(x), y)
            loss.backward()
            opt.step()
        ms = median_ms(run, 3, args.reps)
    print(json.dumps({"case": args.case, "threads": args.threads, "median_ms": ms,
                      "runs": args.reps, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
