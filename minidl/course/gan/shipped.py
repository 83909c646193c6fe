"""The weights chapter 5 loads, and the seeded command that trains them.

    python -m minidl.course.train ch05            # ~1 h on a shared, loaded core (estimated)
    python -m minidl.course.train ch05 --only cgan   # 8.5 min of it (3,000 steps, load 4–7)
    python -m minidl.course.train ch05 --quick --out /tmp/w   # seconds: the CI smoke run

It trains, in this order and each from its own seed, on the 4,000 training digits of the
offline MNIST subset (the same data on every machine): the LeNet digit judge, the MLP GAN,
the DCGAN and the conditional DCGAN. Each goes to ``notebooks/weights/ch05_<name>.npz``:
the state dict under ``model.<key>`` (for a GAN: the generator's), and for a GAN also its
training curves under ``history.<key>`` and the fixed-noise sample grids under
``snapshots.steps`` / ``snapshots.images`` (float16). Loaded with ``allow_pickle=False``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import minidl
from minidl import nn
from minidl.course.gan import models
from minidl.course.gan.training import GANHistory, train_gan
from minidl.data import MNIST

WEIGHTS = Path(__file__).resolve().parents[3] / "notebooks" / "weights"
HISTORY_KEYS = ("d_loss", "g_loss", "d_real", "d_fake")
SNAPSHOT_NOISE = 16          # fixed codes whose images are kept during training


@dataclass(frozen=True)
class Recipe:
    """How one shipped GAN is built and trained (steps: full run, quick: the CI run;
    lr_decay: see :func:`~minidl.course.gan.training.train_gan`)."""

    generator: Callable[[], nn.Module]
    discriminator: Callable[[], nn.Module]
    steps: int
    seed: int
    conditional: bool = False
    dcgan_init: bool = True
    lr_decay: float = 0.0
    quick: int = 3


GANS = {
    "mlp_gan": Recipe(models.mlp_generator, models.mlp_discriminator, 6000, 1,
                      dcgan_init=False),
    "dcgan": Recipe(models.dcgan_generator, models.dcgan_discriminator, 2500, 2),
    "cgan": Recipe(models.ConditionalGenerator, models.ConditionalDiscriminator, 3000, 3,
                   conditional=True, lr_decay=0.5),
}
JUDGE_EPOCHS, JUDGE_SEED = 6, 0


def training_digits() -> tuple[np.ndarray, np.ndarray]:
    """The offline subset's 4,000 training digits as (N, 1, 28, 28) float32 in [0, 1], labels."""
    data = MNIST("train", source="offline", verbose=False)
    return data.data.astype(np.float32)[:, None] / 255, data.targets


def train_judge(images: np.ndarray, labels: np.ndarray, epochs: int = JUDGE_EPOCHS,
                seed: int = JUDGE_SEED) -> models.DigitJudge:
    """LeNet-5 trained with Adam (lr 2e-3, batch 64) on [0, 1] digits, as in chapter 3."""
    from minidl.data import TensorDataset

    minidl.manual_seed(seed)
    judge = models.DigitJudge()
    data = TensorDataset(minidl.tensor(images), minidl.tensor(labels))
    minidl.fit(judge, nn.CrossEntropyLoss(), minidl.optim.Adam(judge.parameters(), lr=2e-3),
               data, epochs=epochs, batch_size=64, seed=seed, progress=False)
    return judge.eval()


def build(name: str, seed: int | None = None) -> tuple[nn.Module, nn.Module]:
    """A fresh (G, D) pair of the shipped GAN ``name``, initialised from its seed."""
    recipe = GANS[name]
    minidl.manual_seed(recipe.seed if seed is None else seed)
    G, D = recipe.generator(), recipe.discriminator()
    if recipe.dcgan_init:
        models.dcgan_init_(G)
        models.dcgan_init_(D)
    return G, D


def snapshot_codes(conditional: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """The fixed noise batch (and labels 0–9, …) whose images are kept during training."""
    z = np.random.default_rng(123).standard_normal((SNAPSHOT_NOISE, models.Z_DIM))
    labels = np.arange(SNAPSHOT_NOISE) % models.N_CLASSES if conditional else None
    return z.astype(np.float32), labels


def train_shipped_gan(name: str, images: np.ndarray, labels: np.ndarray, steps: int
                      ) -> tuple[nn.Module, GANHistory]:
    recipe = GANS[name]
    G, D = build(name)
    z, fixed_labels = snapshot_codes(recipe.conditional)
    history = train_gan(G, D, images * 2 - 1, steps, labels=labels if recipe.conditional
                        else None, seed=recipe.seed, fixed_z=z, fixed_labels=fixed_labels,
                        snapshot_every=max(steps // 10, 1), lr_decay=recipe.lr_decay)
    return G.eval(), history


def save(path: Path, model: nn.Module, history: GANHistory | None = None) -> None:
    arrays = {f"model.{k}": v.numpy() for k, v in model.state_dict().items()}
    if history is not None:
        arrays.update({f"history.{k}": np.asarray(getattr(history, k), np.float32)
                       for k in HISTORY_KEYS})
        arrays["snapshots.steps"] = np.array([s for s, _ in history.snapshots])
        arrays["snapshots.images"] = np.stack([im for _, im in history.snapshots]).astype(
            np.float16)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)


def load(name: str, model: nn.Module, folder: Path = WEIGHTS
         ) -> tuple[nn.Module, dict[str, np.ndarray]]:
    """Load ``ch05_<name>.npz`` into ``model`` (eval mode); returns it and the file's other
    arrays (training history and snapshots) by key."""
    with np.load(folder / f"ch05_{name}.npz", allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    model.load_state_dict({k[6:]: minidl.tensor(v) for k, v in arrays.items()
                           if k.startswith("model.")})
    return model.eval(), {k: v for k, v in arrays.items() if not k.startswith("model.")}


def history_from(arrays: dict[str, np.ndarray]) -> GANHistory:
    """The GANHistory stored in a shipped file (as :func:`load` returns its arrays)."""
    history = GANHistory(**{k: arrays[f"history.{k}"].tolist() for k in HISTORY_KEYS})
    history.snapshots = list(zip(arrays["snapshots.steps"].tolist(),
                                 arrays["snapshots.images"].astype(np.float32)))
    return history


def main(quick: bool = False, out: Path = WEIGHTS, only: list[str] | None = None) -> None:
    images, labels = training_digits()
    names = only or ["judge", *GANS]
    for name in names:
        start = time.perf_counter()
        if name == "judge":
            epochs = 1 if quick else JUDGE_EPOCHS
            n = 256 if quick else len(images)
            save(out / "ch05_judge.npz", train_judge(images[:n], labels[:n], epochs))
        else:
            steps = GANS[name].quick if quick else GANS[name].steps
            G, history = train_shipped_gan(name, images, labels, steps)
            save(out / f"ch05_{name}.npz", G, history)
        size = (out / f"ch05_{name}.npz").stat().st_size
        print(f"ch05_{name}.npz: {size / 1e6:.2f} MB, {time.perf_counter() - start:.0f} s",
              flush=True)
