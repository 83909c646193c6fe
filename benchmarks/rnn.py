"""LSTM training step, minidl vs PyTorch CPU: ``python -m benchmarks.rnn [--threads N]``.

One step = forward of ``LSTM(64, 128)`` over a (64, 32, 64) batch (sequence 64, batch
32), a mean-squared loss, backward (BPTT) and an SGD update. Both frameworks run
with the same number of threads (BLAS and PyTorch's intra-op pool), the same
weights, and report the median of timed steps after warm-up, timed in turns. The target is a
minidl/PyTorch ratio within 2×. On a shared machine the numbers are noisy: rerun,
and compare ratios rather than absolute times.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

SEQ, BATCH, INPUT, HIDDEN = 64, 32, 64, 128


def _median_seconds(steps: list[Callable[[], None]], warmup: int, repeats: int) -> list[float]:
    """Median seconds per call of each step, timed in turns (so background load hits all)."""
    for _ in range(warmup):
        for step in steps:
            step()
    times: list[list[float]] = [[] for _ in steps]
    for _ in range(repeats):
        for step, kept in zip(steps, times, strict=True):
            start = time.perf_counter()
            step()
            kept.append(time.perf_counter() - start)
    return [statistics.median(kept) for kept in times]


def minidl_step(x_data, lr: float = 0.01) -> tuple[Callable[[], None], object]:  # noqa: ANN001
    """A minidl LSTM training step on ``x_data`` (SEQ, BATCH, INPUT), and its model."""
    import minidl
    from minidl import nn, optim

    minidl.manual_seed(0)
    model = nn.LSTM(INPUT, HIDDEN)
    opt = optim.SGD(model.parameters(), lr=lr)
    x = minidl.tensor(x_data)

    def step() -> None:
        opt.zero_grad()
        out, _ = model(x)
        loss = (out * out).mean()
        loss.backward()
        opt.step()

    return step, model


def torch_step(x_data, model_weights, lr: float = 0.01) -> Callable[[], None]:  # noqa: ANN001
    """The same step in PyTorch, starting from minidl's weights."""
    import torch

    model = torch.nn.LSTM(INPUT, HIDDEN)
    with torch.no_grad():
        for (_, p), w in zip(model.named_parameters(), model_weights, strict=True):
            p.copy_(torch.from_numpy(w))
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    x = torch.from_numpy(x_data)

    def step() -> None:
        opt.zero_grad()
        out, _ = model(x)
        loss = (out * out).mean()
        loss.backward()
        opt.step()

    return step


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="threads for BLAS and PyTorch")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)  # read when NumPy's BLAS first loads

    import numpy as np

    x_data = np.random.default_rng(0).standard_normal((SEQ, BATCH, INPUT)).astype(np.float32)
    step, model = minidl_step(x_data)
    print(f"LSTM({INPUT}, {HIDDEN}) training step, sequence {SEQ}, batch {BATCH}, "
          f"{args.threads} thread(s), median of {args.repeats} after {args.warmup} warm-up")
    try:
        import torch
    except ImportError:
        (ours,) = _median_seconds([step], args.warmup, args.repeats)
        print(f"  minidl   {ours * 1e3:8.2f} ms\n  PyTorch  not installed (pip install torch)")
        return
    torch.set_num_threads(args.threads)
    reference = torch_step(x_data, [p.data.copy() for p in model.parameters()])
    ours, theirs = _median_seconds([step, reference], args.warmup, args.repeats)
    ratio = ours / theirs
    print(f"  minidl   {ours * 1e3:8.2f} ms\n  PyTorch  {theirs * 1e3:8.2f} ms")
    print(f"  ratio    {ratio:8.2f}×  ({'within' if ratio <= 2 else 'NOT within'} the 2× target)")

if __name__ == "__main__":
    main()
