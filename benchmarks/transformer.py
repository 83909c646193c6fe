"""Transformers, minidl vs PyTorch CPU: ``python -m benchmarks.transformer [--write]``.

Three checks, each framework from the same initial weights, with the same thread count
(BLAS, Numba and PyTorch's intra-op pool):

* **GPT step**: one AdamW training step (forward, cross-entropy, backward, update) of the
  GPT of ``minidl/zoo/gpt.py`` in nanoGPT's CPU configuration (4 layers, 4 heads, 128 dims,
  context 64, vocabulary 103, no dropout) on a batch of 12 random windows. PyTorch runs the
  very same model file with its three import lines pointing at ``torch``.
* **MultiheadAttention(128, 4)**: forward and backward of self-attention on (12, 64, 128)
  with a causal mask.
* **Same loss curve**: both GPTs trained ``--curve-steps`` steps (default 200) on the same
  batches; the check passes when every loss of the last 10 % of steps is within 1 % of
  PyTorch's.

Times are the fastest of 3 block medians of ``--repeats`` calls after warm-up, each
framework's calls back to back (see benchmarks.timing). Target: minidl ≤ 1.5× PyTorch.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numba
import numpy as np
from threadpoolctl import threadpool_limits

import minidl
import minidl.zoo
from benchmarks.run import header_lines, write_results
from benchmarks.timing import median_time
from minidl.zoo.charlm import load_char_data

GPT_FILE = Path(minidl.zoo.__file__).with_name("gpt.py")
MINIDL_IMPORTS = (
    "import minidl as torch\nfrom minidl import nn\nfrom minidl.nn import functional as F\n"
)
TORCH_IMPORTS = "import torch\nfrom torch import nn\nfrom torch.nn import functional as F\n"


def gpt_module(framework: str) -> ModuleType:
    """minidl/zoo/gpt.py, the nanoGPT-style model file, with ``torch`` bound to ``framework``
    ("minidl" or "torch"): only its three import lines change."""
    source = GPT_FILE.read_text(encoding="utf-8")
    if MINIDL_IMPORTS not in source:
        raise RuntimeError(f"{GPT_FILE}: the import lines to swap are not there")
    if framework == "torch":
        source = source.replace(MINIDL_IMPORTS, TORCH_IMPORTS)
    elif framework != "minidl":
        raise ValueError(f"gpt_module: framework must be 'minidl' or 'torch', got {framework!r}")
    name = f"_gpt_on_{framework}"
    module = ModuleType(name)
    module.__file__ = str(GPT_FILE)
    sys.modules[name] = module  # dataclasses look their module up
    exec(compile(source, str(GPT_FILE), "exec"), module.__dict__)
    return module


def loss_curves(config: dict, xs, ys, learning_rate: float = 1e-3,  # noqa: ANN001
                weight_decay: float = 0.1) -> tuple[list[float], list[float]]:
    """Train minidl's and PyTorch's GPT (the same file) from the same initial weights on the
    same batches ``xs``/``ys`` (steps, B, T) with AdamW; returns both loss curves."""
    import torch

    curves = []
    minidl.manual_seed(0)
    mgpt = gpt_module("minidl")
    ours = mgpt.GPT(mgpt.GPTConfig(**config))
    tgpt = gpt_module("torch")
    theirs = tgpt.GPT(tgpt.GPTConfig(**config))
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    for lib, model in ((minidl, ours), (torch, theirs)):
        opt = model.configure_optimizers(weight_decay, learning_rate, (0.9, 0.99))
        losses = []
        for x, y in zip(xs, ys, strict=True):
            _, loss = model(lib.tensor(x), lib.tensor(y))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        curves.append(losses)
    return curves[0], curves[1]


GPT_CONFIG = dict(block_size=64, vocab_size=103, n_layer=4, n_head=4, n_embd=128, dropout=0.0,
                  bias=False)
BATCH = 12


def gpt_case(lib, mgpt_or_tgpt: ModuleType, batch: tuple[np.ndarray, np.ndarray],  # noqa: ANN001
             state: dict | None, config: dict = GPT_CONFIG,
             device: str = "cpu") -> tuple[object, Callable[[], None]]:
    """The GPT (``config``) built with ``lib`` on ``device`` and one AdamW step on ``batch``;
    ``state`` (minidl's initial weights as arrays) is loaded into a torch model."""
    model = mgpt_or_tgpt.GPT(mgpt_or_tgpt.GPTConfig(**config))
    if state is not None:
        model.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in state.items()})
    model = model.to(device)
    opt = model.configure_optimizers(0.1, 1e-3, (0.9, 0.99))
    x, y = lib.tensor(batch[0]).to(device), lib.tensor(batch[1]).to(device)

    def step() -> None:
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return model, step


def mha_case(lib, x_data: np.ndarray, state: dict | None) -> tuple[object, Callable[[], None]]:  # noqa: ANN001
    """Causal self-attention forward + backward with ``lib.nn.MultiheadAttention``."""
    length = x_data.shape[1]
    mha = lib.nn.MultiheadAttention(x_data.shape[2], 4, batch_first=True)
    if state is not None:
        mha.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in state.items()})
    x = lib.tensor(x_data, requires_grad=True)
    mask = lib.tensor(np.triu(np.ones((length, length), bool), 1))

    def step() -> None:
        out, _ = mha(x, x, x, attn_mask=mask, need_weights=False, is_causal=True)
        out.sum().backward()

    return mha, step


def measure(threads: int, torch, warmup: int, repeats: int) -> list[tuple[str, float, float]]:  # noqa: ANN001
    """(case, minidl s, torch s) for the GPT step and the attention layer."""
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    windows = rng.integers(0, GPT_CONFIG["vocab_size"], (BATCH, GPT_CONFIG["block_size"] + 1))
    batch = (windows[:, :-1], windows[:, 1:])
    x = rng.standard_normal((BATCH, GPT_CONFIG["block_size"], 128)).astype(np.float32)
    rows = []
    with threadpool_limits(limits=threads):
        for name, build in ((f"GPT training step (4×128, ctx 64, batch {BATCH})",
                             lambda lib, mod, st: gpt_case(lib, mod, batch, st)),
                            ("MultiheadAttention(128, 4) fwd+bwd, causal, (12, 64, 128)",
                             lambda lib, mod, st: mha_case(lib, x, st))):
            minidl.manual_seed(0)
            ours, our_fn = build(minidl, gpt_module("minidl"), None)
            state = {k: v.numpy().copy() for k, v in ours.state_dict().items()}
            _, their_fn = build(torch, gpt_module("torch"), state)
            rows.append((name, median_time(our_fn, repeats, warmup),
                         median_time(their_fn, repeats, warmup)))
    return rows


def curve_check(steps: int, seed: int = 0) -> tuple[float, list[float], list[float]]:
    """Worst relative gap over the last 10 % of steps between minidl's and PyTorch's GPT
    loss curves (same weights, same batches), and both curves."""
    rng = np.random.default_rng(seed)
    data = load_char_data()
    batches = [data.batch(rng, "train", BATCH, GPT_CONFIG["block_size"]) for _ in range(steps)]
    xs, ys = np.stack([b[0] for b in batches]), np.stack([b[1] for b in batches])
    ours, theirs = loss_curves(GPT_CONFIG, xs, ys)
    tail = max(1, steps // 10)
    gap = max(abs(a - b) / b for a, b in zip(ours[-tail:], theirs[-tail:], strict=True))
    return gap, ours, theirs


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.transformer",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--curve-steps", type=int, default=200)
    parser.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    args = parser.parse_args(argv)
    import torch  # the comparison needs it: pip install torch

    load_before = os.getloadavg()
    rows = [(threads, *row) for threads in args.threads
            for row in measure(threads, torch, args.warmup, args.repeats)]
    gap, ours, theirs = curve_check(args.curve_steps) if args.curve_steps else (0.0, [], [])
    machine, command = header_lines("benchmarks.transformer", argv, torch, load_before)
    lines = [
        machine,
        f"{command} Fastest of 3 block medians of {args.repeats} calls, each after {args.warmup} "
        "warm-up; each framework's calls back to back.",
        "",
        "| case (training) | threads | minidl ms | torch ms | minidl / torch | target 1.5× |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for threads, name, our_s, their_s in rows:
        lines.append(f"| {name} | {threads} | {our_s * 1e3:.1f} | {their_s * 1e3:.1f} | "
                     f"{our_s / their_s:.2f}× | {'yes' if our_s <= 1.5 * their_s else 'no'} |")
    if args.curve_steps:
        lines += ["", f"Same loss curve: GPT trained {args.curve_steps} steps on the Python "
                  f"documentation text, same weights and batches: loss {ours[0]:.3f} → "
                  f"{ours[-1]:.3f} (minidl), {theirs[0]:.3f} → {theirs[-1]:.3f} (PyTorch); "
                  f"largest gap over the last 10 % of steps {100 * gap:.2f} % "
                  f"({'within' if gap <= 0.01 else 'OVER'} 1 %)."]
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_results(table, marker="transformer results")
    return table


if __name__ == "__main__":
    main()
