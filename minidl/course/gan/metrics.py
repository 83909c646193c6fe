"""Measuring a generator's samples with a frozen digit classifier (the "judge").

For a set of images (N, 1, 28, 28) in [−1, 1], the judge (a LeNet-5 trained on real
digits, fed [0, 1] images) gives class probabilities p(y | x) and 84-d features f(x):

* **class coverage**: classes predicted for ≥ 2 % of the samples (10 for real digits).
* **Inception-style score** (Salimans et al., 2016, with the judge instead of Inception):
  IS = exp(E_x KL(p(y|x) ‖ p(y))), p(y) the mean of p(y|x) over the samples. It is high
  (≤ 10) when every sample is confidently one class *and* the classes are balanced.
* **Fréchet distance** (FID-style, Heusel et al., 2017): fit Gaussians to the features of
  the samples and of real training digits, d² = ‖μ_r − μ_g‖² + tr(Σ_r + Σ_g − 2(Σ_rΣ_g)^{1/2})
  (the ``frechet_distance`` kernel slot).
* **nearest-neighbour distance** to the training set in pixel space: a generator that
  memorises its training digits has samples much closer to them than new real digits are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import minidl
from minidl import functional as F
from minidl import nn
from minidl.kernels.cpu.stats import frechet_distance

MIN_SHARE = 0.02  # a class counts as covered from this share of the samples on


def judge_outputs(judge: nn.Module, images: np.ndarray, batch_size: int = 500
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities (N, 10), features (N, 84)) of images in [−1, 1], judged in eval mode."""
    judge.eval()
    probs, feats = [], []
    with minidl.no_grad():
        for start in range(0, len(images), batch_size):
            x = minidl.tensor(((images[start:start + batch_size] + 1) / 2).astype(np.float32))
            f = judge.features(x)
            probs.append(F.softmax(judge.head(f), dim=1).numpy())
            feats.append(f.numpy())
    return np.concatenate(probs), np.concatenate(feats)


def class_coverage(probs: np.ndarray, min_share: float = MIN_SHARE) -> int:
    """How many classes are the judge's prediction for at least ``min_share`` of the samples."""
    counts = np.bincount(probs.argmax(axis=1), minlength=probs.shape[1])
    return int((counts >= min_share * len(probs)).sum())


def inception_score(probs: np.ndarray, eps: float = 1e-12) -> float:
    """exp(mean over samples of KL(p(y|x) ‖ p(y))) for probs (N, classes)."""
    marginal = probs.mean(axis=0, keepdims=True)
    kl = (probs * (np.log(probs + eps) - np.log(marginal + eps))).sum(axis=1)
    return float(np.exp(kl.mean()))


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and covariance (D, D) of features (N, D), in float64."""
    f = features.astype(np.float64)
    return f.mean(axis=0), np.cov(f, rowvar=False)


def nearest_distances(images: np.ndarray, reference: np.ndarray, batch_size: int = 500
                      ) -> tuple[np.ndarray, np.ndarray]:
    """For every image, the Euclidean pixel distance to its nearest ``reference`` image and
    that image's index: ((N,), (N,) int)."""
    a = images.reshape(len(images), -1).astype(np.float32)
    b = reference.reshape(len(reference), -1).astype(np.float32)
    b2 = (b * b).sum(axis=1)
    dist, index = [], []
    for start in range(0, len(a), batch_size):
        chunk = a[start:start + batch_size]
        d2 = (chunk * chunk).sum(axis=1)[:, None] - 2 * chunk @ b.T + b2[None, :]
        index.append(d2.argmin(axis=1))
        dist.append(np.sqrt(np.maximum(d2.min(axis=1), 0)))
    return np.concatenate(dist), np.concatenate(index)


@dataclass(frozen=True)
class SampleReport:
    """The four numbers of one row of the chapter's table."""

    coverage: int
    score: float
    frechet: float
    nn_distance: float  # median distance to the nearest training digit

    def row(self, name: str) -> str:
        return (f"{name:<24} {self.coverage:>5}/10 {self.score:>8.2f} {self.frechet:>10.2f} "
                f"{self.nn_distance:>9.2f}")


HEADER = f"{'samples':<24} {'classes':>8} {'score':>8} {'Fréchet':>10} {'NN dist':>9}"


class Evaluator:
    """Scores sets of images against one reference: the judge and the training digits."""

    def __init__(self, judge: nn.Module, train_images: np.ndarray) -> None:
        self.judge = judge
        self.train_images = train_images
        self.reference = gaussian_stats(judge_outputs(judge, train_images)[1])

    def report(self, images: np.ndarray) -> SampleReport:
        probs, feats = judge_outputs(self.judge, images)
        mu, sigma = gaussian_stats(feats)
        return SampleReport(class_coverage(probs), inception_score(probs),
                            frechet_distance(*self.reference, mu, sigma),
                            float(np.median(nearest_distances(images, self.train_images)[0])))
