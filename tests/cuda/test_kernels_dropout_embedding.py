"""CUDA dropout (counter-based RNG) and embedding against their CPU twins."""

import numpy as np
import pytest
from cuda_twins import compare, to_device, to_host

from minidl.kernels.cpu import dropout as cpu_dropout
from minidl.kernels.cpu import embedding as cpu_emb
from minidl.kernels.cuda import dropout as gpu_dropout
from minidl.kernels.cuda import embedding as gpu_emb

RNG = np.random.default_rng(7)


def _dropout(x, p, seed):
    return to_host(gpu_dropout.dropout_forward(to_device(x), p, np.random.default_rng(seed)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_keep_rate_scale_and_determinism(dtype):
    x = RNG.standard_normal((40, 50)).astype(dtype)
    p = 0.3
    out, mask = _dropout(x, p, seed=11)
    assert out.dtype == mask.dtype == dtype
    kept = mask != 0
    np.testing.assert_allclose(mask[kept], 1 / (1 - p), rtol=1e-6)
    np.testing.assert_array_equal(out, x * mask)
    # 2000 Bernoulli(0.7) draws: the kept count lies within 4 standard deviations
    n = x.size
    assert abs(kept.sum() - 0.7 * n) < 4 * np.sqrt(n * 0.7 * 0.3)
    again, _ = _dropout(x, p, seed=11)
    other, _ = _dropout(x, p, seed=12)
    np.testing.assert_array_equal(again, out)
    assert (other != out).any()


def test_dropout_masks_of_rows_and_halves_are_not_repeated():
    _, mask = _dropout(np.ones((64, 64), np.float32), 0.5, seed=3)
    assert not (mask[:32] == mask[32:]).all()
    assert len({row.tobytes() for row in mask != 0}) == 64


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_dropout_edge_probabilities_match_cpu(p):
    x = RNG.standard_normal((3, 5)).astype(np.float32)
    compare(lambda a, q: gpu_dropout.dropout_forward(a, q, np.random.default_rng(0)),
            lambda a, q: cpu_dropout.dropout_forward(a, q, np.random.default_rng(0)), x, p)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding(padding_idx, dtype):
    weight = RNG.standard_normal((6, 5)).astype(dtype)
    indices = np.array([[0, 2, 2], [5, 2, 1]])  # repeated ids collect several gradients
    grad = RNG.standard_normal((2, 3, 5)).astype(dtype)
    compare(gpu_emb.embedding_forward, cpu_emb.embedding_forward, indices, weight)
    compare(gpu_emb.embedding_backward, cpu_emb.embedding_backward, grad, indices, 6,
            padding_idx)
