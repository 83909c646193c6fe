"""Recurrent networks, minidl vs PyTorch CPU: ``python -m benchmarks.rnn [--write]``.

Two cases, each run by both frameworks from the same weights, with the same number of
threads (BLAS, Numba and PyTorch's intra-op pool, set at run time for each count):

* **LSTM step**: forward of ``LSTM(64, 128)`` over a fixed (64, 32, 64) batch (sequence 64,
  batch 32, input 64), a mean-squared loss, backward (BPTT over the 64 steps) and an SGD
  update.
* **char-model epoch**: ``Embedding(V, 32) → LSTM(32, 128, batch_first=True) → Linear(128,
  V)``, cross-entropy and Adam, one epoch over chapter 4's text (the standard library's
  function names, joined by ``"."`` into one character stream, cut into non-overlapping
  windows of 64 characters with next-character targets), shuffled batches of 32 (the
  incomplete last batch is dropped).

Each time is the fastest of 3 block medians of ``--repeats`` calls (LSTM step: steps;
char model: whole epochs), each block after warm-up; each framework's calls run back to
back (see benchmarks.timing for both choices).
The target is a minidl / PyTorch ratio within 2× per training step. ``--write`` puts the
table into benchmarks/README.md. On a shared machine the numbers are noisy: check the
load average printed with them, rerun, and compare ratios rather than absolute times.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

import numpy as np

from benchmarks.run import header_lines, write_results
from benchmarks.timing import median_time

SEQ, BATCH, INPUT, HIDDEN = 64, 32, 64, 128
EMBED = 32


def lstm_case(lib, x_data: np.ndarray) -> tuple[object, Callable[[], None]]:  # noqa: ANN001
    """``LSTM(INPUT, HIDDEN)`` built with ``lib`` (minidl or torch), and one SGD training step
    on ``x_data`` (SEQ, BATCH, INPUT): loss = mean(output²)."""
    model = lib.nn.LSTM(INPUT, HIDDEN)
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    x = lib.tensor(x_data)

    def step() -> None:
        opt.zero_grad()
        out, _ = model(x)
        (out * out).mean().backward()
        opt.step()

    return model, step


def char_windows(length: int = SEQ) -> tuple[np.ndarray, np.ndarray, int]:
    """Chapter 4's text as (windows, length) inputs and next-character targets, and V.

    The function names are joined into one stream ``.name.name….``; window i holds
    characters [i·length, (i+1)·length) and its target the same range shifted by one.
    """
    from minidl.data import CharVocab, python_function_names

    names = python_function_names()
    vocab = CharVocab.from_texts(names, specials=".")
    stream = vocab.encode("." + ".".join(names) + ".")
    n = (len(stream) - 1) // length
    return (stream[: n * length].reshape(n, length),
            stream[1 : n * length + 1].reshape(n, length), len(vocab))


def char_model(lib, vocab_size: int, embed: int = EMBED, hidden: int = HIDDEN):  # noqa: ANN001, ANN201
    """Chapter 4's character model, Embedding → LSTM (batch_first) → Linear, built with
    ``lib`` (minidl or torch): ids (N, L) → logits (N, L, V)."""
    nn = lib.nn

    class CharModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(vocab_size, embed)
            self.lstm = nn.LSTM(embed, hidden, batch_first=True)
            self.head = nn.Linear(hidden, vocab_size)

        def forward(self, ids):  # noqa: ANN001, ANN202
            out, _ = self.lstm(self.embed(ids))
            return self.head(out)

    return CharModel()


def char_case(lib, inputs: np.ndarray, targets: np.ndarray,  # noqa: ANN001
              vocab_size: int) -> tuple[object, Callable[[], None]]:
    """The character model built with ``lib``, and one Adam epoch over the windows."""
    nn = lib.nn
    model = char_model(lib, vocab_size)
    opt = lib.optim.Adam(model.parameters(), lr=1e-2)
    order = np.random.default_rng(0).permutation(len(inputs))
    batches = [(lib.tensor(inputs[idx]), lib.tensor(targets[idx]))
               for idx in order[: len(order) // BATCH * BATCH].reshape(-1, BATCH)]

    def epoch() -> None:
        for x, y in batches:
            opt.zero_grad()
            logits = model(x)
            nn.functional.cross_entropy(logits.reshape(-1, vocab_size), y.reshape(-1)).backward()
            opt.step()

    return model, epoch


def copy_weights(source, target, torch) -> None:  # noqa: ANN001
    """Load minidl module ``source``'s parameters into the torch module ``target``."""
    target.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy())
                            for k, v in source.state_dict().items()})


def measure(threads: int, torch, warmup: int, repeats: int) -> list[tuple[str, float, float]]:  # noqa: ANN001
    """(case, minidl s, torch s) for both cases with ``threads`` threads everywhere."""
    import numba
    from threadpoolctl import threadpool_limits

    import minidl

    numba.set_num_threads(threads)
    torch.set_num_threads(threads)
    rows = []
    inputs, targets, vocab_size = char_windows()
    x = np.random.default_rng(0).standard_normal((SEQ, BATCH, INPUT)).astype(np.float32)
    cases = [(f"LSTM({INPUT}, {HIDDEN}) step, seq {SEQ}, batch {BATCH}",
              lambda lib: lstm_case(lib, x), repeats),
             (f"char model epoch ({len(inputs) // BATCH} steps of {BATCH}×{SEQ}, V={vocab_size})",
              lambda lib: char_case(lib, inputs, targets, vocab_size), max(3, repeats // 3))]
    with threadpool_limits(limits=threads):
        for name, build, n in cases:
            minidl.manual_seed(0)
            ours, our_fn = build(minidl)
            theirs, their_fn = build(torch)
            copy_weights(ours, theirs, torch)
            rows.append((name, median_time(our_fn, n, warmup), median_time(their_fn, n, warmup)))
    return rows


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rnn",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                        help="thread counts to measure (default: 1 2)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=30,
                        help="LSTM steps timed; a third as many char-model epochs (at least 3)")
    parser.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    args = parser.parse_args(argv)
    import torch  # the comparison needs it: pip install torch

    load_before = os.getloadavg()
    rows = [(threads, *row) for threads in args.threads
            for row in measure(threads, torch, args.warmup, args.repeats)]
    machine, command = header_lines("benchmarks.rnn", argv, torch, load_before)
    lines = [
        machine,
        f"{command} Fastest of 3 block medians of {args.repeats} steps / "
        f"{max(3, args.repeats // 3)} "
        f"epochs, each after {args.warmup} warm-up; each framework's calls back to back.",
        "",
        "| case (training) | threads | minidl ms | torch ms | minidl / torch | target 2× |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for threads, name, ours, theirs in rows:
        lines.append(f"| {name} | {threads} | {ours * 1e3:.1f} | {theirs * 1e3:.1f} | "
                     f"{ours / theirs:.2f}× | {'yes' if ours <= 2 * theirs else 'no'} |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_results(table, marker="rnn results")
    return table


if __name__ == "__main__":
    main()
