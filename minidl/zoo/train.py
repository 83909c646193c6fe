"""Training loops for the chapter's shipped weights (run by ``python -m minidl.zoo``)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

import minidl
from minidl import nn
from minidl.optim.lr_scheduler import LambdaLR
from minidl.zoo.charlm import CharData


def warmup_cosine(step: int, warmup_steps: int, max_steps: int, min_ratio: float = 0.1) -> float:
    """Learning-rate factor: linear warm-up to 1, cosine decay to ``min_ratio`` at
    ``max_steps`` (exercise 6.11 derives it)."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    if step >= max_steps:
        return float(min_ratio)
    t = (step - warmup_steps) / (max_steps - warmup_steps)
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * t))


def train_char_model(model: nn.Module, data: CharData, optimizer: minidl.optim.Optimizer,
                     steps: int | None = None, seconds: float | None = None,
                     batch_size: int = 12, block_size: int = 64, warmup: int = 50,
                     seed: int = 0, log: Callable[[str], None] | None = None,
                     ) -> tuple[int, float, list[float]]:
    """Train on random windows for ``steps`` steps, or until ``seconds`` have passed, with
    warm-up + cosine (over ``steps``, or the steps estimated to fit the time) and gradient
    clipping at 1. Returns (steps done, seconds, training losses)."""
    rng = np.random.default_rng(seed)
    planned = steps if steps is not None else 10**9
    schedule = LambdaLR(optimizer, lambda s: warmup_cosine(s, warmup, planned))
    losses: list[float] = []
    start = time.perf_counter()
    step = 0
    while (steps is None or step < steps) and \
            (seconds is None or time.perf_counter() - start < seconds):
        x, y = data.batch(rng, "train", batch_size, block_size)
        _, loss = model(minidl.tensor(x), minidl.tensor(y))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
        step += 1
        if log and step % 100 == 0:
            log(f"step {step}: loss {np.mean(losses[-100:]):.3f} "
                f"({time.perf_counter() - start:.0f} s)")
    return step, time.perf_counter() - start, losses
