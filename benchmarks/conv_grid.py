"""Convolution, pooling and batch norm over a grid of common shapes, minidl vs PyTorch CPU.

    python -m benchmarks.conv_grid [--quick] [--cases 32] [--rounds 2] [--ops conv pool bn]
                                   [--write]

The grid covers what courses use: kernels 1, 3, 5, 7; 1–256 channels in and out; batch
1–128; images 7–64 pixels; stride 1 and 2; with and without a gradient for the input
(a network's first layer needs none). The full product has thousands of shapes, so the
benchmark times a seeded sample: every (kernel, stride, input gradient) combination
appears ``--cases`` / 16 times, the other axes drawn at random, keeping only shapes whose
forward + backward costs at most ``--max-gflop`` (so one run takes minutes); the named
shapes of the issue that asked for this (5×5 16→32 on 32², 3×3 32→64 on 28²) and
LeNet-5's two layers are always included.

Each convolution is timed the way a model runs it: ``conv2d(x, W, b, stride, padding=k//2)
.backward(g)`` through autograd in both frameworks, W and b requiring gradients, x only
when the case says so. Pooling and batch norm run on the same cases' conv *outputs* (the
activations a pool or a norm layer after that convolution sees): max-pool 2×2 stride 2,
and training-mode batch norm with affine parameters, forward + backward with the input
requiring a gradient.

Method (benchmarks.timing): each framework's calls back to back, the fastest of 3 block
medians, repeats chosen so one block takes ≈ 0.2 s (at least 3, at most ``--repeats``);
PyTorch gets as many threads as Numba. On a busy machine ``--cpu-time`` sets one
thread everywhere (BLAS, Numba, PyTorch) and times CPU time instead of the wall clock,
which other processes disturb much less. The summary prints the worst, median and best
minidl / torch ratio per op and the worst case's shape. The 2-core course machine is
shared: rerun and compare ranges (the load average is printed with the table).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np

from benchmarks.run import cpu_model, write_results
from benchmarks.timing import median_time

KERNELS = (1, 3, 5, 7)
CHANNELS = (1, 3, 8, 16, 32, 64, 128, 256)
BATCHES = (1, 8, 16, 32, 64, 128)
IMAGES = (7, 14, 28, 32, 56, 64)
STRIDES = (1, 2)


@dataclass(frozen=True)
class Case:
    """conv2d(x (n, c, size, size), W (o, c, k, k), stride, padding k // 2)."""

    n: int
    c: int
    o: int
    size: int
    k: int
    stride: int
    input_grad: bool

    @property
    def out_size(self) -> int:
        return (self.size + 2 * (self.k // 2) - self.k) // self.stride + 1

    @property
    def gflop(self) -> float:
        """Forward, dL/dW and (when needed) dL/dx GEMM work, in GFLOP."""
        products = 2 + self.input_grad
        return products * 2 * self.n * self.o * self.out_size**2 * self.c * self.k**2 / 1e9

    def label(self) -> str:
        return (f"{self.n}×{self.c}×{self.size}² → {self.o}, k{self.k} s{self.stride}"
                + ("" if self.input_grad else ", no dx"))


NAMED = (
    Case(32, 16, 32, 32, 5, 1, True),   # the 3.5–4× case
    Case(64, 32, 64, 28, 3, 1, True),   # the 2.2–3.1× case
    Case(64, 1, 6, 28, 5, 1, False),    # LeNet conv1 (first layer: no dx)
    Case(64, 6, 16, 14, 5, 1, True),    # LeNet conv2 (padding 2 here, valid in LeNet)
)


def sample_grid(count: int, max_gflop: float, seed: int = 0) -> list[Case]:
    """``count`` cases: each (kernel, stride, input gradient) combination equally often,
    channels / batch / image size drawn at random among shapes under ``max_gflop``."""
    rng = np.random.default_rng(seed)
    combos = list(itertools.product(KERNELS, STRIDES, (True, False)))
    cases: list[Case] = []
    while len(cases) < count:
        k, stride, grad = combos[len(cases) % len(combos)]
        while True:
            case = Case(int(rng.choice(BATCHES)), int(rng.choice(CHANNELS)),
                        int(rng.choice(CHANNELS)), int(rng.choice(IMAGES)), k, stride, grad)
            if case.gflop <= max_gflop and case not in cases:
                cases.append(case)
                break
    return cases


def conv_step(lib, case: Case, rng: np.random.Generator) -> Callable[[], None]:  # noqa: ANN001
    """One forward + backward of the case's convolution, built with ``lib`` (minidl/torch)."""
    x = lib.tensor(rng.standard_normal((case.n, case.c, case.size, case.size), dtype=np.float32),
                   requires_grad=case.input_grad)
    w = lib.tensor(rng.standard_normal((case.o, case.c, case.k, case.k), dtype=np.float32)
                   / float(np.sqrt(case.c * case.k**2)), requires_grad=True)
    b = lib.tensor(rng.standard_normal(case.o, dtype=np.float32), requires_grad=True)
    g = lib.tensor(rng.standard_normal((case.n, case.o, case.out_size, case.out_size),
                                       dtype=np.float32))
    conv = lib.nn.functional.conv2d

    def step() -> None:
        for t in (x, w, b):
            t.grad = None
        conv(x, w, b, stride=case.stride, padding=case.k // 2).backward(g)

    return step


def pool_step(lib, case: Case, rng: np.random.Generator) -> Callable[[], None]:  # noqa: ANN001
    """max_pool2d(2, 2) forward + backward on the case's conv output."""
    s = case.out_size
    x = lib.tensor(rng.standard_normal((case.n, case.o, s, s), dtype=np.float32),
                   requires_grad=True)
    g = lib.tensor(np.ones((case.n, case.o, s // 2, s // 2), np.float32))
    pool = lib.nn.functional.max_pool2d

    def step() -> None:
        x.grad = None
        pool(x, 2).backward(g)

    return step


def bn_step(lib, case: Case, rng: np.random.Generator) -> Callable[[], None]:  # noqa: ANN001
    """Training-mode batch_norm (γ, β, running statistics) forward + backward on the conv output."""
    s = case.out_size
    x = lib.tensor(rng.standard_normal((case.n, case.o, s, s), dtype=np.float32),
                   requires_grad=True)
    gamma = lib.tensor(np.ones(case.o, np.float32), requires_grad=True)
    beta = lib.tensor(np.zeros(case.o, np.float32), requires_grad=True)
    mean, var = lib.zeros(case.o), lib.ones(case.o)
    g = lib.tensor(rng.standard_normal(x.shape, dtype=np.float32))
    bn = lib.nn.functional.batch_norm

    def step() -> None:
        for t in (x, gamma, beta):
            t.grad = None
        bn(x, mean, var, gamma, beta, training=True).backward(g)

    return step


OPS = {"conv": conv_step, "pool": pool_step, "bn": bn_step}


def timed(step: Callable[[], None], max_repeats: int, clock: Callable[[], float]) -> float:
    """Seconds per call; repeats so that a block lasts ≈ 0.2 s (3 ≤ repeats ≤ max_repeats)."""
    start = clock()
    step()  # warm-up, and an estimate of one call
    once = clock() - start
    repeats = int(min(max_repeats, max(3, 0.2 / max(once, 1e-6))))
    return median_time(step, repeats, clock=clock)


def measure(op: str, cases: list[Case], torch, max_repeats: int,  # noqa: ANN001
            clock: Callable[[], float]) -> list[tuple[Case, float, float]]:
    """(case, minidl s, torch s) for every case where ``op`` applies."""
    import minidl

    rows = []
    for case in cases:
        if op == "pool" and case.out_size < 2:
            continue
        build = OPS[op]
        ours = timed(build(minidl, case, np.random.default_rng(0)), max_repeats, clock)
        theirs = timed(build(torch, case, np.random.default_rng(0)), max_repeats, clock)
        rows.append((case, ours, theirs))
    return rows


def summary(op: str, rows: list[tuple[Case, float, float]]) -> str:
    ratios = [ours / theirs for _, ours, theirs in rows]
    worst = max(range(len(rows)), key=ratios.__getitem__)
    within = sum(r <= 1.5 for r in ratios)
    return (f"**{op}**: minidl / torch worst {ratios[worst]:.2f}×, median "
            f"{statistics.median(ratios):.2f}×, best {min(ratios):.2f}× over {len(rows)} "
            f"cases ({within} within 1.5×); worst case {rows[worst][0].label()}")


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.conv_grid",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="16 small cases, 3 repeats (a smoke test: proves it runs)")
    parser.add_argument("--cases", type=int, default=32, help="sampled cases (default 32)")
    parser.add_argument("--max-gflop", type=float, default=3.0,
                        help="largest forward + backward work per sampled case (GFLOP)")
    parser.add_argument("--repeats", type=int, default=15, help="most calls per block")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure the whole grid this many times (each case keeps its "
                             "fastest time; every round's summary is printed)")
    parser.add_argument("--ops", nargs="+", choices=list(OPS), default=list(OPS))
    parser.add_argument("--cpu-time", action="store_true",
                        help="1 thread everywhere, timed by process CPU time (a busy machine)")
    parser.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    args = parser.parse_args(argv)
    import torch  # the comparison needs it: pip install torch

    clock = time.perf_counter
    if args.cpu_time:  # one thread everywhere, CPU time: steadier on a busy machine
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
        numba.set_num_threads(1)
        clock = time.process_time
    torch.set_num_threads(numba.get_num_threads())
    if args.quick:
        cases, repeats = sample_grid(16, 0.02, args.seed), 3
    else:
        cases = list(NAMED) + sample_grid(args.cases, args.max_gflop, args.seed)
        repeats = args.repeats
    load_before = os.getloadavg()
    rounds = [{op: measure(op, cases, torch, repeats, clock) for op in args.ops}
              for _ in range(args.rounds)]
    load_after = os.getloadavg()
    results = {op: [(case, min(r[op][i][1] for r in rounds), min(r[op][i][2] for r in rounds))
                    for i, (case, _, _) in enumerate(rounds[0][op])] for op in args.ops}
    lines = [
        f"Machine: {cpu_model()}, {os.cpu_count()} cores; NumPy {np.__version__}, Numba "
        f"{numba.__version__} ({numba.get_num_threads()} threads), PyTorch "
        f"{torch.__version__} ({torch.get_num_threads()} threads). Load average (1, 5, 15 min) "
        f"{', '.join(f'{v:.2f}' for v in load_before)} before, "
        f"{', '.join(f'{v:.2f}' for v in load_after)} after.",
        f"Command: `{' '.join(['python -m benchmarks.conv_grid'] + (argv or sys.argv[1:]))}`.",
        "",
    ]
    lines += [summary(op, rows) + "  " for op, rows in results.items()]
    if args.rounds > 1:
        lines += ["", f"Each round alone ({args.rounds} rounds; the table keeps each case's "
                      "fastest time over all rounds):  "]
        lines += [f"round {i + 1}, " + summary(op, r[op]) + "  "
                  for i, r in enumerate(rounds) for op in args.ops]
    lines += ["", "| case (N×C×H² → O, kernel, stride) | GFLOP | "
              + " | ".join(f"{op} minidl ms | {op} torch ms | {op} ratio" for op in results)
              + " |", "|---|---:|" + "---:|" * (3 * len(results))]
    per_case = {op: {row[0]: row for row in rows} for op, rows in results.items()}
    for case in cases:
        cells = []
        for op in results:
            row = per_case[op].get(case)
            cells.append("– | – | –" if row is None else
                         f"{row[1] * 1e3:.2f} | {row[2] * 1e3:.2f} | {row[1] / row[2]:.2f}×")
        lines.append(f"| {case.label()} | {case.gflop:.3f} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_results(table, marker="grid results")
    return table


if __name__ == "__main__":
    main()
