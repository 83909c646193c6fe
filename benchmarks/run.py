"""The benchmark suite: minidl beside a NumPy reference and PyTorch CPU, in one process.

    python -m benchmarks [--quick] [--reference MODULE ...] [--no-write]

Every timing is the fastest of 3 block medians of repeated runs, each block after a warm-up
(see benchmarks.timing). PyTorch (when installed) gets the same number of threads as
minidl's Numba pool. GFLOP/s are compared with the machine's measured NumPy SGEMM rate
(2048², float32). Results go to stdout and, unless ``--no-write``, into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import platform
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.timing import median_time

HERE = Path(__file__).resolve().parent
CONV_CASES = {  # name: (N, C, H, W, O, k, padding)
    "LeNet conv1 1→6, 28², k5 p2": (64, 1, 28, 28, 6, 5, 2),
    "LeNet conv2 6→16, 14², k5": (64, 6, 14, 14, 16, 5, 0),
    "32→64, 28², k3 p1": (64, 32, 28, 28, 64, 3, 1),
}
POOL_CASE = (64, 16, 28, 28)  # max-pool 2×2 of a (N, C, H, W) batch


def sgemm_gflops(repeats: int) -> float:
    a = np.random.default_rng(0).standard_normal((2048, 2048), dtype=np.float32)
    return 2 * 2048**3 / median_time(lambda: a @ a, repeats) / 1e9


Row = tuple[str, float, dict[str, float], float | None]  # case, minidl s, reference s, torch s


def conv_rows(refs: dict, torch, repeats: int) -> list[tuple[Row, float]]:
    """(row, GFLOP) per conv2d case, forward + backward.

    minidl and torch are timed the way a model uses them, through autograd
    (``conv2d(x, W, b).backward(g)`` with x, W and b all requiring gradients); the
    NumPy references, which have no autograd, through their two kernel functions.
    """
    import minidl

    rows = []
    rng = np.random.default_rng(0)
    for name, (n, c, h, w, o, k, p) in CONV_CASES.items():
        x = rng.standard_normal((n, c, h, w), dtype=np.float32)
        wt = rng.standard_normal((o, c, k, k), dtype=np.float32)
        b = rng.standard_normal(o, dtype=np.float32)
        args = ((1, 1), (p, p), (1, 1))
        oh, ow = h + 2 * p - k + 1, w + 2 * p - k + 1
        g = rng.standard_normal((n, o, oh, ow), dtype=np.float32)
        flop = 3 * 2 * n * o * oh * ow * c * k * k  # forward, grad x, grad W

        def reference(ref, x=x, wt=wt, b=b, g=g, args=args):
            ref.conv2d_forward(x, wt, b, *args)
            ref.conv2d_backward(g, x, wt, *args, True)

        t_refs = {label: median_time(functools.partial(reference, ref), max(1, repeats // 4))
                  for label, ref in refs.items()}
        conv = functools.partial(autograd_time, "conv2d", (x, wt, b), g, repeats, padding=p)
        rows.append(((name, conv(minidl), t_refs, conv(torch) if torch else None), flop))
    return rows


def autograd_time(op: str, arrays, g, repeats: int, lib,
                  clock: Callable[[], float] = time.perf_counter, **kwargs) -> float:
    """Median seconds of ``lib.nn.functional.<op>(*tensors, **kwargs).backward(g)``.

    ``lib`` is minidl or torch; every input tensor requires a gradient; ``clock`` as in
    :func:`benchmarks.timing.median_time`.
    """
    tensors = [lib.tensor(a, requires_grad=True) for a in arrays]
    tg = lib.tensor(g)
    fn = getattr(lib.nn.functional, op)

    def step():
        for t in tensors:
            t.grad = None
        fn(*tensors, **kwargs).backward(tg)

    return median_time(step, repeats, clock=clock)


def pool_row(refs: dict, torch, repeats: int) -> Row:
    """max-pool 2×2 forward + backward: minidl and torch through autograd, references as kernels."""
    import minidl

    x = np.random.default_rng(1).standard_normal(POOL_CASE, dtype=np.float32)
    g = np.ones((POOL_CASE[0], POOL_CASE[1], 14, 14), np.float32)

    def reference(ref):
        _, idx = ref.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0))
        ref.max_pool2d_backward(g, idx, x.shape)

    t_refs = {label: median_time(functools.partial(reference, ref), repeats)
              for label, ref in refs.items()}
    pool = functools.partial(autograd_time, "max_pool2d", (x,), g, repeats, kernel_size=2)
    return "max_pool2d 2×2, 64×16×28²", pool(minidl), t_refs, pool(torch) if torch else None


def lenet(nn):
    """LeNet-5 (with ReLU and max-pooling), the same in minidl.nn and torch.nn."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


def lenet_step_fn(lib, optim, functional, batch: int = 64) -> Callable[[], object]:
    """One SGD training step of LeNet on a fixed random batch, built with ``lib``."""
    model = lenet(lib.nn)
    opt = optim.SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(2)
    x = lib.tensor(rng.standard_normal((batch, 1, 28, 28), dtype=np.float32))
    y = lib.tensor(rng.integers(0, 10, batch))

    def step():
        opt.zero_grad()
        loss = functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def lenet_row(torch, repeats: int) -> Row:
    import minidl
    from minidl import functional, optim

    t_ours = median_time(lenet_step_fn(minidl, optim, functional), repeats)
    t_torch = None
    if torch:
        t_torch = median_time(lenet_step_fn(torch, torch.optim, torch.nn.functional), repeats)
    return "LeNet-5 SGD step, batch 64", t_ours, {}, t_torch


def lenet_epoch_fn(lib, images: np.ndarray, labels: np.ndarray,
                   batch: int = 64) -> Callable[[], object]:
    """One SGD epoch of LeNet over MNIST, built with ``lib``: the same shuffled order of
    mini-batches for both frameworks, sliced from arrays (neither DataLoader is timed)."""
    model = lenet(lib.nn)
    opt = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x = lib.tensor(images[:, None].astype(np.float32) / 255)
    y = lib.tensor(labels)
    order = np.random.default_rng(3).permutation(len(labels))
    batches = [lib.tensor(order[i:i + batch]) for i in range(0, len(order) - batch + 1, batch)]

    def epoch():
        for idx in batches:
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        return loss

    return epoch


def lenet_epoch_row(torch, repeats: int) -> Row:
    """A LeNet-5 epoch over MNIST's training digits (full set when cached, else offline 4,000)."""
    import minidl
    from minidl.data import load_mnist

    images, labels, source = load_mnist("train", verbose=False)
    runs = max(1, repeats // 5)
    t_ours = median_time(lenet_epoch_fn(minidl, images, labels), runs)
    t_torch = median_time(lenet_epoch_fn(torch, images, labels), runs) if torch else None
    return f"LeNet-5 epoch, MNIST {source} ({len(labels):,} digits)", t_ours, {}, t_torch


COLD_SCRIPT = """
import time
t0 = time.perf_counter()
import minidl
from minidl import functional, optim
from benchmarks.run import lenet_step_fn
lenet_step_fn(minidl, optim, functional)()
print(time.perf_counter() - t0)
"""


def cold_start() -> tuple[float, float]:
    """Seconds for a fresh process to import minidl and run one LeNet step: empty, warm cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        times = []
        for _ in range(2):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", COLD_SCRIPT], env=env, cwd=HERE.parent,
                           check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    return times[0], times[1]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def header_lines(module: str, argv: list[str] | None, torch: types.ModuleType,
                 load_before: tuple[float, ...]) -> list[str]:
    """The first two lines of a framework-comparison table (gan, rnn, transformer):
    "Machine: …, NumPy/Numba/PyTorch versions, load average before and now (after)" and
    "Command: `python -m <module> <args>`." (a suite appends its timing method)."""
    import numba

    load_after = os.getloadavg()
    return [
        f"Machine: {cpu_model()}, {os.cpu_count()} cores; NumPy {np.__version__}, Numba "
        f"{numba.__version__}, PyTorch {torch.__version__}. Load average (1, 5, 15 min) "
        f"{', '.join(f'{v:.2f}' for v in load_before)} before, "
        f"{', '.join(f'{v:.2f}' for v in load_after)} after.",
        f"Command: `{' '.join([f'python -m {module}'] + (argv or sys.argv[1:]))}`.",
    ]


def ms(t: float | None) -> str:
    return "–" if t is None else f"{t * 1e3:.2f}"


def ratio(a: float | None, b: float | None) -> str:
    return "–" if a is None or b is None else f"{a / b:.2f}×"


REFERENCES = {  # column label: module with NumPy versions of minidl's chapter-3 kernel slots
    "course solution": "solutions.ch03_cnn",
    "offset loops": "benchmarks.reference_numpy",
}


def table_row(row: Row, labels: list[str], rate: str = "") -> str:
    name, t, t_refs, t_torch = row
    refs = " | ".join(f"{ms(t_refs.get(label))} | {ratio(t_refs.get(label), t)}"
                      for label in labels)
    return f"| {name} | {ms(t)} | {ms(t_torch)} | {ratio(t, t_torch)} | {refs} | {rate} |"


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no cold start")
    parser.add_argument("--reference", action="append", metavar="MODULE",
                        help="a module with NumPy reference kernels (repeatable; default: "
                             + ", ".join(REFERENCES.values()) + ")")
    parser.add_argument("--no-write", action="store_true", help="do not update README.md")
    args = parser.parse_args(argv)
    import numba  # here, not at the top: benchmarks.memory measures torch without it

    repeats = 5 if args.quick else 15
    modules = ({label: name for label, name in REFERENCES.items()} if args.reference is None
               else {name: name for name in args.reference})
    refs = {label: importlib.import_module(name) for label, name in modules.items()}
    labels = list(refs)
    try:
        import torch

        torch.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    except ImportError:
        torch = None

    convs = conv_rows(refs, torch, repeats)
    others = [pool_row(refs, torch, repeats), lenet_row(torch, repeats),
              lenet_epoch_row(torch, repeats)]
    peak = sgemm_gflops(repeats)  # last: seconds of full-machine GEMMs slowed what came next
    lines = [
        f"Machine: {cpu_model()}, {os.cpu_count()} cores; NumPy {np.__version__}, Numba "
        f"{numba.__version__} ({numba.config.NUMBA_NUM_THREADS} threads)"
        + (f", PyTorch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else "")
        + ".",
        f"Command: `{' '.join(['python -m benchmarks'] + (argv or sys.argv[1:]))}`; references: "
        + ", ".join(f"{label} = `{name}`" for label, name in modules.items())
        + f". Fastest of 3 block medians of {repeats} runs, each after a warm-up.",
        f"NumPy SGEMM (2048², float32): {peak:.1f} GFLOP/s.",
        "",
        "| case (forward + backward) | minidl ms | torch ms | minidl / torch | "
        + " | ".join(f"{label} ms | {label} / minidl" for label in labels)
        + " | minidl GFLOP/s (% of SGEMM) |",
        "|---|" + "---:|" * (4 + 2 * len(labels)),
    ]
    for row, flop in convs:
        rate = flop / row[1] / 1e9
        lines.append(table_row(("conv2d " + row[0],) + row[1:], labels,
                               f"{rate:.1f} ({rate / peak:.0%})"))
    lines += [table_row(row, labels) for row in others]
    if not args.quick:
        empty, warm = cold_start()
        lines += ["", f"Cold start (fresh process: import minidl + one LeNet step): "
                      f"empty Numba cache {empty:.1f} s, warm cache {warm:.1f} s."]
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        write_results(table)
    return table


def write_results(table: str, marker: str = "results") -> None:
    """Replace the ``marker`` section of benchmarks/README.md with ``table``."""
    readme = HERE / "README.md"
    text = readme.read_text() if readme.exists() else "# Benchmarks\n"
    begin, end = f"<!-- {marker} begin -->", f"<!-- {marker} end -->"
    if begin in text:
        head, rest = text.split(begin, 1)
        text = head + begin + "\n" + table + "\n" + end + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + f"\n\n## Results\n\n{begin}\n{table}\n{end}\n"
    readme.write_text(text)


if __name__ == "__main__":
    main()
