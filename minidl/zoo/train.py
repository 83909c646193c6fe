"""Training loops for the chapter's shipped weights (run by ``python -m minidl.zoo``)."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

import minidl
from minidl import nn
from minidl.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR
from minidl.zoo.charlm import CharData


def warmup_cosine_schedule(optimizer: minidl.optim.Optimizer, warmup_steps: int,
                           max_steps: int, min_ratio: float = 0.1) -> SequentialLR:
    """Linear warm-up to the optimizer's lr over ``warmup_steps`` (≥ 1) steps, then a cosine
    decay to ``min_ratio`` · lr at ``max_steps``, from PyTorch's schedulers. Step s gets the
    factor exercise 6.11 writes in closed form: (s + 1)/warmup_steps while warming up, then
    r + (1 − r)·½(1 + cos(π t)), t = (s − warmup_steps)/(max_steps − warmup_steps) (past
    ``max_steps`` PyTorch's cosine rises again; the training loop stops before)."""
    if warmup_steps < 1:
        raise ValueError(f"warmup_cosine_schedule: warmup_steps must be >= 1, got {warmup_steps}")
    base_lr = optimizer.param_groups[0]["lr"]
    warm = LinearLR(optimizer, start_factor=1 / warmup_steps, end_factor=1.0,
                    total_iters=max(warmup_steps - 1, 1))
    decay = CosineAnnealingLR(optimizer, T_max=max(max_steps - warmup_steps, 1),  # ≥ 1 step
                              eta_min=min_ratio * base_lr)
    return SequentialLR(optimizer, [warm, decay], milestones=[warmup_steps])


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
    schedule = warmup_cosine_schedule(optimizer, warmup, planned)
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
