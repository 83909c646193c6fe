"""Training a GAN: one alternating step, and a loop that records what to watch.

One step (Goodfellow et al., 2014, with the non-saturating generator loss)::

    fake = G(z)
    D step:  L_D = BCE(D(x), 1) + BCE(D(fake.detach()), 0)     update D only
    G step:  L_G = BCE(D(fake), 1)   (= −log D(G(z)))           update G only

``fake.detach()`` is what keeps L_D's gradient out of G; G's gradient flows through the
*updated* D, which is run again on ``fake``. ``loss="minimax"`` uses the original
L_G = −BCE(D(fake), 0) = log(1 − D(G(z))) instead, which saturates when D wins.
A conditional GAN passes the labels to both networks: G(z, y), D(x, y).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import minidl
from minidl import functional as F
from minidl import nn

LOSSES = ("non_saturating", "minimax")


def _bce(logits: minidl.Tensor, target: float) -> minidl.Tensor:
    return F.binary_cross_entropy_with_logits(logits, minidl.full(logits.shape, target))


def gan_step(G: nn.Module, D: nn.Module, opt_g: Any, opt_d: Any, real: minidl.Tensor,
             z: minidl.Tensor, labels: minidl.Tensor | None = None,
             loss: str = "non_saturating") -> dict[str, float]:
    """One D update then one G update on a batch; returns the losses, the mean D(x) and
    the mean D(G(z)) (both as probabilities, measured before D's update)."""
    cond = () if labels is None else (labels,)
    fake = G(z, *cond)
    opt_d.zero_grad()
    real_logits, fake_logits = D(real, *cond), D(fake.detach(), *cond)
    d_loss = _bce(real_logits, 1.0) + _bce(fake_logits, 0.0)
    d_loss.backward()
    opt_d.step()
    opt_g.zero_grad()
    out = D(fake, *cond)
    g_loss = _bce(out, 1.0) if loss == "non_saturating" else -_bce(out, 0.0)
    g_loss.backward()
    opt_g.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item(),
            "d_real": float(F.sigmoid(real_logits).mean().item()),
            "d_fake": float(F.sigmoid(fake_logits).mean().item())}


@dataclass
class GANHistory:
    """Per-step records of :func:`train_gan` and the sample grids from its fixed noise."""

    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    d_real: list[float] = field(default_factory=list)
    d_fake: list[float] = field(default_factory=list)
    snapshots: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (step, images)

    def record(self, values: dict[str, float]) -> None:
        for key, value in values.items():
            getattr(self, key).append(value)


def sample(G: nn.Module, z: np.ndarray, labels: np.ndarray | None = None,
           batch_size: int = 500) -> np.ndarray:
    """G's images for the codes z (N, z_dim) (and labels), in eval mode, as an array."""
    was_training = G.training
    G.eval()
    out = []
    with minidl.no_grad():
        for start in range(0, len(z), batch_size):
            cond = () if labels is None else (minidl.tensor(labels[start:start + batch_size]),)
            out.append(G(minidl.tensor(z[start:start + batch_size]), *cond).numpy())
    G.train(was_training)
    return np.concatenate(out)


def train_gan(G: nn.Module, D: nn.Module, images: np.ndarray, steps: int, *,
              labels: np.ndarray | None = None, batch_size: int = 64, lr: float = 2e-4,
              betas: tuple[float, float] = (0.5, 0.999), z_dim: int = 64, seed: int = 0,
              fixed_z: np.ndarray | None = None, fixed_labels: np.ndarray | None = None,
              snapshot_every: int = 0, loss: str = "non_saturating",
              step: Callable[..., Any] | None = None, history: GANHistory | None = None,
              lr_decay: float = 0.0, progress: bool = False) -> GANHistory:
    """Train G and D for ``steps`` alternating steps on ``images`` (N, 1, 28, 28) in [−1, 1].

    Adam with β1 = 0.5 for both (DCGAN's setting), batches drawn without replacement from
    a seeded shuffle, z ~ N(0, I). ``step`` replaces :func:`gan_step` (same signature, e.g.
    a learner's); every ``snapshot_every`` steps (and after the last) the images G makes
    from ``fixed_z`` are kept. Continue a run by passing its ``history``.
    ``lr_decay`` > 0: both learning rates fall linearly to 0 over that fraction of the
    ``steps`` at the end (lr·min(1, (steps − t) / (lr_decay·steps)) at step t), so the
    game settles instead of ending mid-oscillation.
    """
    from tqdm.auto import tqdm

    if loss not in LOSSES:
        raise ValueError(f"train_gan: loss must be one of {LOSSES}, got {loss!r}")
    step = step or gan_step
    history = history or GANHistory()
    rng = np.random.default_rng(seed)
    opt_g = minidl.optim.Adam(G.parameters(), lr=lr, betas=betas)
    opt_d = minidl.optim.Adam(D.parameters(), lr=lr, betas=betas)
    schedules = [minidl.optim.lr_scheduler.LambdaLR(
        opt, lambda t: min(1.0, (steps - t) / (lr_decay * steps))) for opt in (opt_g, opt_d)
    ] if lr_decay > 0 else []
    G.train()
    D.train()
    order, pos = rng.permutation(len(images)), 0
    done = len(history.d_loss)
    for i in tqdm(range(steps), disable=not progress, leave=False):
        if pos + batch_size > len(images):
            order, pos = rng.permutation(len(images)), 0
        idx = order[pos:pos + batch_size]
        pos += batch_size
        z = minidl.tensor(rng.standard_normal((batch_size, z_dim), dtype=np.float32))
        cond = () if labels is None else (minidl.tensor(labels[idx]),)
        kwargs = {} if loss == "non_saturating" else {"loss": loss}
        history.record(step(G, D, opt_g, opt_d, minidl.tensor(images[idx]), z, *cond, **kwargs))
        for schedule in schedules:
            schedule.step()
        last = i == steps - 1
        if fixed_z is not None and (last or (snapshot_every and (done + i + 1) % snapshot_every
                                             == 0)):
            history.snapshots.append((done + i + 1, sample(G, fixed_z, fixed_labels)))
    return history
