"""The networks of chapter 5 (all outputs of discriminators are logits, not probabilities).

Images are (N, 1, 28, 28) in [−1, 1] for the GANs (a generator ends in tanh) and in [0, 1]
for the judge (chapter 3's LeNet-5). The DCGAN pair follows Radford, Metz and Chintala
(2016): transposed convolutions to upsample, batch norm in both networks (not on D's input
layer nor G's output), ReLU in G, LeakyReLU(0.2) in D, N(0, 0.02) initial weights; widths
are reduced so that one training step takes a fraction of a second on two CPU cores.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minidl
from minidl import nn
from minidl.tensor import Tensor

Z_DIM = 64          # length of the noise vector z ~ N(0, I)
N_CLASSES = 10


def mlp_generator(z_dim: int = Z_DIM, hidden: int = 256) -> nn.Sequential:
    """z (N, z_dim) → image (N, 1, 28, 28) through one hidden layer."""
    return nn.Sequential(nn.Linear(z_dim, hidden), nn.LeakyReLU(0.2),
                         nn.Linear(hidden, 784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)))


def mlp_discriminator(hidden: int = 256) -> nn.Sequential:
    """image (N, 1, 28, 28) → logit (N, 1)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.LeakyReLU(0.2),
                         nn.Linear(hidden, 1))


def dcgan_generator(z_dim: int = Z_DIM, width: int = 32, extra_inputs: int = 0,
                    nn: Any = nn) -> Any:
    """z (N, z_dim + extra_inputs) → (N, 2w, 7, 7) → (N, w, 14, 14) → image (N, 1, 28, 28).

    Each ConvTranspose2d(k=4, stride=2, padding=1) doubles the height and width:
    (7 − 1)·2 − 2 + 4 = 14. ``nn``: minidl.nn, or torch.nn for the benchmark's twin.
    """
    return nn.Sequential(
        nn.Linear(z_dim + extra_inputs, 2 * width * 7 * 7, bias=False),
        nn.Unflatten(1, (2 * width, 7, 7)), nn.BatchNorm2d(2 * width), nn.ReLU(),
        nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(width), nn.ReLU(),
        nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1), nn.Tanh(),
    )


def dcgan_discriminator(width: int = 32, in_channels: int = 1, nn: Any = nn) -> Any:
    """image (N, in_channels, 28, 28) → (N, w, 14, 14) → (N, 2w, 7, 7) → logit (N, 1).
    ``nn``: minidl.nn, or torch.nn."""
    return nn.Sequential(
        nn.Conv2d(in_channels, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(width, 2 * width, 4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(2 * width * 7 * 7, 1),
    )


def dcgan_init_(model: nn.Module) -> nn.Module:
    """DCGAN's initialisation, in place: conv and linear weights ~ N(0, 0.02), batch-norm
    scales ~ N(1, 0.02), every bias 0. Returns ``model``."""
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(module.weight, 0.0, 0.02)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.normal_(module.weight, 1.0, 0.02)
        if getattr(module, "bias", None) is not None:
            nn.init.zeros_(module.bias)
    return model


def one_hot(labels: Tensor | np.ndarray, n: int = N_CLASSES) -> Tensor:
    """(N,) integer labels (a Tensor or an array) → (N, n) float32 one-hot rows."""
    labels = labels if isinstance(labels, Tensor) else minidl.tensor(np.asarray(labels))
    return minidl.functional.one_hot(labels.long(), n).float()


class ConditionalGenerator(nn.Module):
    """G(z, y): the DCGAN generator fed [z, one_hot(y)] (Mirza and Osindero, 2014)."""

    def __init__(self, z_dim: int = Z_DIM, width: int = 32) -> None:
        super().__init__()
        self.net = dcgan_generator(z_dim, width, extra_inputs=N_CLASSES)

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:
        return self.net(minidl.cat([z, one_hot(labels)], dim=1))


class ConditionalDiscriminator(nn.Module):
    """D(x, y): the DCGAN discriminator with the label joined after its first layer, as 10
    planes of 14 × 14 (plane y all ones, the others zero) beside the w feature maps."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        whole = dcgan_discriminator(width)
        whole[2] = nn.Conv2d(width + N_CLASSES, 2 * width, 4, stride=2, padding=1, bias=False)
        self.first, self.rest = whole[:2], whole[2:]

    def forward(self, images: Tensor, labels: Tensor) -> Tensor:
        h = self.first(images)                                            # (N, w, 14, 14)
        planes = one_hot(labels).reshape(-1, N_CLASSES, 1, 1).expand(-1, -1, *h.shape[2:])
        return self.rest(minidl.cat([h, planes], dim=1))


class DigitJudge(nn.Module):
    """Chapter 3's LeNet-5 on [0, 1] images; ``features`` is its 84-d penultimate layer."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU())
        self.head = nn.Linear(84, N_CLASSES)

    def features(self, images: Tensor) -> Tensor:
        return self.body(images)

    def forward(self, images: Tensor) -> Tensor:
        return self.head(self.body(images))
