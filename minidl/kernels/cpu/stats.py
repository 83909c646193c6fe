"""Statistics of sample sets: the Fréchet distance between two Gaussians.

For N(μ₁, Σ₁) and N(μ₂, Σ₂) the squared Fréchet (2-Wasserstein) distance is

    d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^{1/2})

(Dowson and Landau, 1982). Σ₁Σ₂ is not symmetric, but it is similar to the symmetric
positive semi-definite M = Σ₁^{1/2} Σ₂ Σ₁^{1/2}, so tr (Σ₁Σ₂)^{1/2} = Σᵢ √λᵢ(M): two
symmetric eigen-decompositions instead of a general matrix square root. FID (Heusel et
al., 2017) is this distance between Gaussians fitted to a classifier's features of real
and of generated images.
"""

from __future__ import annotations

import numpy as np

from minidl.kernels.slots import slot


def _psd_sqrt(a: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric PSD matrix (tiny negative eigenvalues → 0)."""
    w, v = np.linalg.eigh(a)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


@slot
def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray,
                     sigma2: np.ndarray) -> float:
    """d² between N(mu1, sigma1) and N(mu2, sigma2) (module docstring), a Python float ≥ 0.

    mu1, mu2: (D,); sigma1, sigma2: (D, D) symmetric positive semi-definite.
    """
    mu1, mu2, sigma1, sigma2 = (np.asarray(a, np.float64) for a in (mu1, mu2, sigma1, sigma2))
    root = _psd_sqrt(sigma1)
    m = root @ sigma2 @ root
    cross = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
    d2 = float(((mu1 - mu2) ** 2).sum() + np.trace(sigma1) + np.trace(sigma2) - 2 * cross)
    return max(d2, 0.0)
