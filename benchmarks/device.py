"""Each chapter's training step on the CPU and on a CUDA GPU, minidl beside PyTorch.

    python -m benchmarks.device [--device cuda] [--models mlp lenet lstm dcgan gpt]
                                [--repeats 10] [--tiny] [--write]
    python -m benchmarks --device cuda          (the same)

One training step (forward, loss, backward, optimizer step) of the model each chapter
trains, at its notebook's batch size: chapter 2's MLP (784-256-10, Adam, batch 100),
chapter 3's LeNet-5 (SGD, batch 64), chapter 4's character LSTM (embedding 64, hidden 256,
32 windows of 64 characters, Adam), chapter 5's DCGAN step (G and D, batch 64) and chapter
6's GPT (4 layers, 4 heads, 128 dims, context 64, batch 12, AdamW). Each is timed with
minidl on ``cpu`` and on ``--device``, and with PyTorch on both when it is installed (and
built with CUDA for the GPU column); each step ends with a device synchronisation, so a
time is the whole step's. Method as everywhere (benchmarks.timing): one library and device
at a time, back to back, the fastest of 3 block medians.

Without a GPU there is nothing to measure: the command says so and stops. Under Numba's
CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) ``--tiny`` runs the same code on toy sizes,
which is how the tests check it; its times say nothing about a GPU.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.timing import median_time


@dataclass(frozen=True)
class Sizes:
    """The sizes one run uses: the notebooks' (default) or toy ones (``--tiny``)."""

    mlp: tuple[int, int, int, int]  # batch, inputs, hidden, classes
    lenet_batch: int
    lstm: tuple[int, int, int, int, int]  # batch, length, vocab, embed, hidden
    dcgan_batch: int
    gpt: dict[str, int]  # GPTConfig fields, plus "batch"


NOTEBOOK = Sizes(mlp=(100, 784, 256, 10), lenet_batch=64, lstm=(32, 64, 65, 64, 256),
                 dcgan_batch=64,
                 gpt=dict(batch=12, block_size=64, vocab_size=103, n_layer=4, n_head=4,
                          n_embd=128))
TINY = Sizes(mlp=(4, 12, 8, 3), lenet_batch=2, lstm=(2, 3, 7, 4, 4), dcgan_batch=2,
             gpt=dict(batch=2, block_size=4, vocab_size=11, n_layer=1, n_head=2, n_embd=8))
MODELS = ("mlp", "lenet", "lstm", "dcgan", "gpt")


def classifier_step(lib: Any, model: Any, opt: Any, x: np.ndarray, y: np.ndarray,
                    device: str) -> Callable[[], None]:
    """One cross-entropy training step of ``model`` on the fixed batch (x, y)."""
    F = lib.nn.functional
    xd, yd = lib.tensor(x).to(device), lib.tensor(y).to(device)

    def step() -> None:
        opt.zero_grad()
        F.cross_entropy(model(xd), yd).backward()
        opt.step()

    return step


def mlp_step(lib: Any, device: str, sizes: Sizes) -> Callable[[], None]:
    batch, inputs, hidden, classes = sizes.mlp
    nn = lib.nn
    model = nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(),
                          nn.Linear(hidden, classes)).to(device)
    rng = np.random.default_rng(0)
    return classifier_step(lib, model, lib.optim.Adam(model.parameters(), lr=1e-3),
                           rng.standard_normal((batch, inputs), dtype=np.float32),
                           rng.integers(0, classes, batch), device)


def lenet_step(lib: Any, device: str, sizes: Sizes) -> Callable[[], None]:
    from benchmarks.run import lenet

    model = lenet(lib.nn).to(device)
    rng = np.random.default_rng(1)
    batch = sizes.lenet_batch
    return classifier_step(lib, model, lib.optim.SGD(model.parameters(), lr=0.01,
                                                     momentum=0.9),
                           rng.standard_normal((batch, 1, 28, 28), dtype=np.float32),
                           rng.integers(0, 10, batch), device)


def lstm_step(lib: Any, device: str, sizes: Sizes) -> Callable[[], None]:
    from benchmarks.rnn import char_model

    batch, length, vocab, embed, hidden = sizes.lstm
    model = char_model(lib, vocab, embed, hidden).to(device)
    flat = lib.nn.Flatten(0, 1)  # logits (N, L, V) → (N·L, V) for the cross-entropy
    rng = np.random.default_rng(2)
    ids = rng.integers(0, vocab, (batch, length + 1))
    return classifier_step(lib, lib.nn.Sequential(model, flat),
                           lib.optim.Adam(model.parameters(), lr=2e-3),
                           ids[:, :-1], ids[:, 1:].reshape(-1), device)


def dcgan_step(lib: Any, device: str, sizes: Sizes) -> Callable[[], None]:
    from benchmarks.gan import dcgan_step_fn
    from minidl.course.gan.models import dcgan_discriminator, dcgan_generator

    width = 32 if sizes is NOTEBOOK else 2
    return dcgan_step_fn(lib, dcgan_generator(width=width, nn=lib.nn).to(device),
                         dcgan_discriminator(width=width, nn=lib.nn).to(device),
                         sizes.dcgan_batch, device)


def gpt_step(lib: Any, device: str, sizes: Sizes) -> Callable[[], None]:
    from benchmarks.transformer import gpt_case, gpt_module

    config = dict(sizes.gpt, dropout=0.0, bias=False)
    batch = config.pop("batch")
    rng = np.random.default_rng(4)
    ids = rng.integers(0, config["vocab_size"], (batch, config["block_size"] + 1))
    module = gpt_module("torch" if lib.__name__ == "torch" else "minidl")
    return gpt_case(lib, module, (ids[:, :-1], ids[:, 1:]), None, config, device)[1]


STEPS = {"mlp": ("ch2 MLP step", mlp_step), "lenet": ("ch3 LeNet-5 step", lenet_step),
         "lstm": ("ch4 char LSTM step", lstm_step), "dcgan": ("ch5 DCGAN step", dcgan_step),
         "gpt": ("ch6 GPT step", gpt_step)}


def libraries(device: str) -> list[tuple[str, Any, str, Callable[[], None]]]:
    """(column, library, device, synchronise) for every column that can run here."""
    import minidl

    columns = [("minidl cpu", minidl, "cpu", lambda: None),
               (f"minidl {device}", minidl, device, minidl.cuda.synchronize)]
    try:
        import torch
    except ImportError:
        return columns
    columns.insert(1, ("torch cpu", torch, "cpu", lambda: None))
    if torch.cuda.is_available():
        columns.append((f"torch {device}", torch, device, torch.cuda.synchronize))
    return columns


def measure(models: list[str], device: str, sizes: Sizes, repeats: int
            ) -> tuple[list[str], list[tuple[str, list[float | None]]]]:
    """Seconds per step: one row per model, one column per (library, device)."""
    columns = libraries(device)
    rows = []
    for name in models:
        label, build = STEPS[name]
        times: list[float | None] = []
        for _, lib, dev, sync in columns:
            lib.manual_seed(0)
            step = build(lib, dev, sizes)

            def synced(step: Callable[[], None] = step, sync: Callable[[], None] = sync) -> None:
                step()
                sync()

            times.append(median_time(synced, repeats, warmup=1))
        rows.append((label, times))
    return [c[0] for c in columns], rows


def table(columns: list[str], rows: list[tuple[str, list[float | None]]], device: str,
          gpu_name: str) -> str:
    """A Markdown table: ms per step per column, minidl / torch on each device where both
    ran, and minidl's speed-up on ``device`` over its CPU time."""
    pairs = [(columns.index(f"minidl {d}"), columns.index(f"torch {d}"), d)
             for d in ("cpu", device) if f"torch {d}" in columns]
    head = ("| model | " + " | ".join(f"{c} ms" for c in columns)
            + "".join(f" | minidl / torch {d}" for *_, d in pairs)
            + f" | minidl {device} vs cpu |")
    lines = [f"GPU: {gpu_name}", "", head, "|---" * (len(columns) + len(pairs) + 2) + "|"]
    for label, times in rows:
        cells = " | ".join(f"{t * 1e3:.2f}" if t is not None else "–" for t in times)
        ratios = "".join(f" | {times[ours] / times[theirs]:.2f}×" for ours, theirs, _ in pairs)
        speedup = times[0] / times[columns.index(f"minidl {device}")]
        lines.append(f"| {label} | {cells}{ratios} | {speedup:.2f}× |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.device",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda", choices=["cuda"])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--tiny", action="store_true",
                        help="toy sizes (for the CUDA simulator: checks the code, not speed)")
    parser.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    args = parser.parse_args(argv)
    import minidl

    if not minidl.cuda.is_available():
        text = ("No CUDA device here (minidl.cuda.is_available() is False): nothing to "
                "measure. On a GPU machine: pip install -e .[cuda], then run this again.")
        print(text)
        return text
    simulated = minidl.cuda.get_device_name() == "numba CUDA simulator"
    if simulated and not args.tiny:
        sys.exit("The CUDA simulator runs every GPU thread as a Python thread: its times say "
                 "nothing about a GPU. Use --tiny to check that the code runs.")
    sizes = TINY if args.tiny else NOTEBOOK
    load_before = os.getloadavg()[0]
    columns, rows = measure(args.models, args.device, sizes, args.repeats)
    text = table(columns, rows, args.device, minidl.cuda.get_device_name())
    text += f"\n\nCommand: python -m benchmarks.device {' '.join(argv or sys.argv[1:])}; " \
            f"load before: {load_before:.1f}"
    print(text)
    if args.write and not simulated:
        from benchmarks.run import write_results

        write_results(text, marker="device")
    return text


if __name__ == "__main__":
    main()
