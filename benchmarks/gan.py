"""Generative adversarial networks, minidl vs PyTorch CPU: ``python -m benchmarks.gan [--write]``.

Cases, each run by both frameworks from the same weights, with the same number of threads
(BLAS, Numba and PyTorch's intra-op pool, set at run time for each count):

* **ConvTranspose2d forward + backward** through autograd (input, weight and bias all
  requiring gradients), the two layers of chapter 5's DCGAN generator at batch 64:
  64 → 32 channels, 7² → 14², and 32 → 1, 14² → 28² (kernel 4, stride 2, padding 1).
* **DCGAN training step**: chapter 5's generator and discriminator
  (``minidl.course.gan.models``, built with ``torch.nn`` for PyTorch), batch 64, 28×28:
  one discriminator update on a real batch and ``G(z).detach()``, then one generator update
  (non-saturating loss) through the updated discriminator, both with Adam (β1 = 0.5).

Each time is the fastest of 3 block medians of ``--repeats`` calls, each block after
warm-up; each framework's calls run back to back (see benchmarks.timing). Targets on
2 cores: ConvTranspose2d ≤ 1.5× PyTorch, the DCGAN step ≤ 2×. ``--write`` puts the table
into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import functools
import os
import time
from collections.abc import Callable

import numba
import numpy as np
from threadpoolctl import threadpool_limits

import minidl
from benchmarks.rnn import copy_weights
from benchmarks.run import autograd_time, header_lines, write_results
from benchmarks.timing import median_time
from minidl.course.gan.models import Z_DIM, dcgan_discriminator, dcgan_generator

BATCH = 64
TRANSPOSED_CASES = {  # name: (C_in, C_out, H) with kernel 4, stride 2, padding 1: H → 2H
    "ConvTranspose2d 64→32, 7²→14²": (64, 32, 7),
    "ConvTranspose2d 32→1, 14²→28²": (32, 1, 14),
}


def transposed_rows(torch, repeats: int, warmup: int,  # noqa: ANN001
                    clock: Callable[[], float]) -> list[tuple[str, float, float]]:
    rng = np.random.default_rng(0)
    rows = []
    for name, (c_in, c_out, h) in TRANSPOSED_CASES.items():
        arrays = (rng.standard_normal((BATCH, c_in, h, h), dtype=np.float32),
                  rng.standard_normal((c_in, c_out, 4, 4), dtype=np.float32),
                  rng.standard_normal(c_out, dtype=np.float32))
        g = rng.standard_normal((BATCH, c_out, 2 * h, 2 * h), dtype=np.float32)
        time_it = functools.partial(autograd_time, "conv_transpose2d", arrays, g, repeats,
                                    clock=clock, stride=2, padding=1)
        for _ in range(warmup):
            time_it(minidl)
        rows.append((f"{name}, batch {BATCH}", time_it(minidl), time_it(torch)))
    return rows


def dcgan_step_fn(lib, G, D, batch: int = BATCH,  # noqa: ANN001
                  device: str = "cpu") -> Callable[[], None]:
    """One alternating DCGAN step (D then G, Adam β1 = 0.5) on fixed batches, for ``lib``;
    G and D must already be on ``device``."""
    F = lib.nn.functional
    opt_g = lib.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = lib.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    rng = np.random.default_rng(1)
    real = lib.tensor(rng.uniform(-1, 1, (batch, 1, 28, 28)).astype(np.float32)).to(device)
    z = lib.tensor(rng.standard_normal((batch, Z_DIM), dtype=np.float32)).to(device)
    ones, zeros = lib.ones(batch, 1).to(device), lib.zeros(batch, 1).to(device)

    def step() -> None:
        fake = G(z)
        opt_d.zero_grad()
        d_loss = (F.binary_cross_entropy_with_logits(D(real), ones)
                  + F.binary_cross_entropy_with_logits(D(fake.detach()), zeros))
        d_loss.backward()
        opt_d.step()
        opt_g.zero_grad()
        F.binary_cross_entropy_with_logits(D(fake), ones).backward()
        opt_g.step()

    return step


def dcgan_row(torch, repeats: int, warmup: int,  # noqa: ANN001
              clock: Callable[[], float]) -> tuple[str, float, float]:
    minidl.manual_seed(0)
    ours = dcgan_generator(), dcgan_discriminator()
    theirs = dcgan_generator(nn=torch.nn), dcgan_discriminator(nn=torch.nn)
    for a, b in zip(ours, theirs):
        copy_weights(a, b, torch)
    return (f"DCGAN step (G and D), batch {BATCH}, 28×28",
            median_time(dcgan_step_fn(minidl, *ours), repeats, warmup, clock=clock),
            median_time(dcgan_step_fn(torch, *theirs), repeats, warmup, clock=clock))


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gan",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                        help="thread counts to measure (default: 1 2)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--cpu-time", action="store_true",
                        help="1 thread only, timed by process CPU time (a busy machine)")
    parser.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    args = parser.parse_args(argv)
    import torch  # the comparison needs it: pip install torch

    clock = time.process_time if args.cpu_time else time.perf_counter
    if args.cpu_time:  # CPU time counts every thread's work: meaningful with one thread only
        args.threads = [1]

    load_before = os.getloadavg()
    rows = []
    for threads in args.threads:
        numba.set_num_threads(threads)
        torch.set_num_threads(threads)
        with threadpool_limits(limits=threads):
            found = transposed_rows(torch, args.repeats, args.warmup, clock)
            found.append(dcgan_row(torch, args.repeats, args.warmup, clock))
        rows += [(threads, *row) for row in found]
    machine, command = header_lines("benchmarks.gan", argv, torch, load_before)
    lines = [
        machine,
        f"{command} Fastest of 3 block medians of {args.repeats} calls, each after {args.warmup} "
        f"warm-up; each framework's calls back to back; "
        f"{'process CPU time' if args.cpu_time else 'wall clock'}.",
        "",
        "| case (forward + backward / training step) | threads | minidl ms | torch ms | "
        "minidl / torch | target |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for threads, name, ours, theirs in rows:
        target = 2.0 if name.startswith("DCGAN") else 1.5
        met = "yes" if ours <= target * theirs else "no"
        lines.append(f"| {name} | {threads} | {ours * 1e3:.2f} | {theirs * 1e3:.2f} | "
                     f"{ours / theirs:.2f}× | {target:g}×: {met} |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_results(table, marker="gan results")
    return table


if __name__ == "__main__":
    main()
