"""The game, small enough to watch: a GAN learning a ring of 8 Gaussians in 2-D.

Real data: 8 Gaussian blobs (std ``STD``) evenly spaced on a circle of radius 2. G maps
z ~ N(0, I₄) to a point through a small MLP; D maps a point to a logit. Everything is
small enough to train for a thousand steps in seconds and to draw D(x) over the plane.

*Modes covered* counts the blobs that receive at least 2 % of the samples within 3 std of
their centre; the share of samples that lie within 3 std of *some* centre measures quality.

The remedy for mode collapse shown in the chapter is the minibatch standard deviation
(:class:`ToyDiscriminator`): D sees how spread out the whole batch is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import minidl
from minidl import nn
from minidl.course.gan.training import GANHistory, gan_step

MODES, RADIUS, STD, Z_DIM = 8, 2.0, 0.05, 4
GRID = np.linspace(-3, 3, 61, dtype=np.float32)  # where D(x) is drawn


def centres(modes: int = MODES, radius: float = RADIUS) -> np.ndarray:
    angle = 2 * np.pi * np.arange(modes) / modes
    return (radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)).astype(np.float32)


def ring_of_gaussians(n: int, rng: np.random.Generator, std: float = STD) -> np.ndarray:
    """n points (n, 2) float32: a random centre each, plus N(0, std² I) noise."""
    c = centres()[rng.integers(0, MODES, n)]
    return (c + std * rng.standard_normal((n, 2))).astype(np.float32)


def toy_generator(hidden: int = 64) -> nn.Sequential:
    return nn.Sequential(nn.Linear(Z_DIM, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                         nn.ReLU(), nn.Linear(hidden, 2))


class ToyDiscriminator(nn.Module):
    """D on 2-D points: (B, 2) → MLP → logits (B, 1).

    With ``minibatch_std=True`` (Karras et al., 2018) D also sees one number about the whole
    batch, the spread s = mean over the 2 coordinates of their standard deviation over the
    batch, as a third input: a collapsed batch (all points alike, s ≈ 0) is then easy to
    tell from a real one, and G's gradient pushes its samples apart.
    """

    def __init__(self, minibatch_std: bool = False, hidden: int = 64) -> None:
        super().__init__()
        self.minibatch_std = minibatch_std
        self.net = nn.Sequential(nn.Linear(2 + minibatch_std, hidden), nn.LeakyReLU(0.2),
                                 nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
                                 nn.Linear(hidden, 1))

    def inputs(self, points: minidl.Tensor) -> minidl.Tensor:
        if not self.minibatch_std:
            return points
        spread = points.std(dim=0).mean().reshape(1, 1).expand(points.shape[0], 1)
        return minidl.cat([points, spread], dim=1)

    def forward(self, points: minidl.Tensor) -> minidl.Tensor:
        return self.net(self.inputs(points))


def mode_stats(samples: np.ndarray, min_share: float = 0.02) -> tuple[int, float]:
    """(modes covered out of 8, share of samples within 3 std of a centre)."""
    d = np.linalg.norm(samples[:, None, :] - centres()[None], axis=2)  # (N, 8)
    near = d.min(axis=1) < 3 * STD
    counts = np.bincount(d.argmin(axis=1)[near], minlength=MODES)
    return int((counts >= min_share * len(samples)).sum()), float(near.mean())


def busiest_mode(samples: np.ndarray) -> int:
    """The index (0–7, counter-clockwise from (2, 0)) of the mode with the most samples
    within 3 std of its centre; −1 when no sample is that close to any."""
    d = np.linalg.norm(samples[:, None, :] - centres()[None], axis=2)
    near = d.min(axis=1) < 3 * STD
    if not near.any():
        return -1
    return int(np.bincount(d.argmin(axis=1)[near], minlength=MODES).argmax())


@dataclass
class ToyRun:
    """What :func:`train_toy` recorded: the history, G's gradient norm per step, and frames
    (step, 500 samples from fixed noise, D(x) on GRID × GRID) for the widget."""

    history: GANHistory = field(default_factory=GANHistory)
    g_grad_norm: list[float] = field(default_factory=list)
    frames: list[tuple[int, np.ndarray, np.ndarray]] = field(default_factory=list)
    G: nn.Module | None = None

    def samples(self, n: int = 1000, seed: int = 99) -> np.ndarray:
        z = np.random.default_rng(seed).standard_normal((n, Z_DIM)).astype(np.float32)
        with minidl.no_grad():
            return self.G(minidl.tensor(z)).numpy()


def _d_grid(D: ToyDiscriminator, spread: float) -> np.ndarray:
    """D(x) at every grid point (for minibatch-std D: as if the batch had ``spread``)."""
    xx, yy = np.meshgrid(GRID, GRID)
    points = np.stack([xx.ravel(), yy.ravel()], axis=1)
    if D.minibatch_std:
        points = np.concatenate([points, np.full((len(points), 1), spread, np.float32)], 1)
    with minidl.no_grad():
        logits = D.net(minidl.tensor(points)).numpy()
    return (1 / (1 + np.exp(-logits))).reshape(xx.shape)


def train_toy(steps: int, *, loss: str = "non_saturating", minibatch_std: bool = False,
              lr: float = 3e-3, lr_d: float | None = None, batch_size: int = 256,
              d_head_start: int = 0, g_only: int = 0, frame_every: int = 0,
              seed: int = 0) -> ToyRun:
    """Train a fresh (G, D) on the ring for ``steps`` alternating steps (Adam, β1 = 0.5).

    ``d_head_start``: D steps on real data vs the untrained G first (to show what a strong
    D does to the minimax loss). ``pack``: PacGAN's packing degree.
    """
    minidl.manual_seed(seed)
    rng = np.random.default_rng(seed)
    G, D = toy_generator(), ToyDiscriminator(minibatch_std)
    opt_g = minidl.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = minidl.optim.Adam(D.parameters(), lr=lr_d or lr, betas=(0.5, 0.999))
    frozen = minidl.optim.SGD(G.parameters(), lr=0.0)  # head start: G does not move
    frozen_d = minidl.optim.SGD(D.parameters(), lr=0.0)
    fixed = minidl.tensor(np.random.default_rng(7).standard_normal((500, Z_DIM),
                                                                   dtype=np.float32))
    run = ToyRun(G=G)

    def batch() -> tuple[minidl.Tensor, minidl.Tensor]:
        z = rng.standard_normal((batch_size, Z_DIM), dtype=np.float32)
        return minidl.tensor(ring_of_gaussians(batch_size, rng)), minidl.tensor(z)

    for _ in range(d_head_start):
        gan_step(G, D, frozen, opt_d, *batch())
    for i in range(steps + g_only + 1):
        if frame_every and i % frame_every == 0:
            with minidl.no_grad():
                points = G(fixed).numpy()
                run.frames.append((i, points, _d_grid(D, float(points.std(0).mean()))))
        if i == steps + g_only:
            break
        d_opt = opt_d if i < steps else frozen_d
        run.history.record(gan_step(G, D, opt_g, d_opt, *batch(), loss=loss))
        run.g_grad_norm.append(float(np.sqrt(sum((p.grad.numpy() ** 2).sum()
                                                 for p in G.parameters()))))
    return run
