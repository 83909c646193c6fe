"""The tiled CUDA matmul against NumPy's, under the simulator or on a GPU."""

import numpy as np
import pytest
from cuda_twins import to_device, to_host

from minidl.kernels.cuda import gemm as cuda_gemm
from minidl.kernels.cuda.launch import REG, TILE

RNG = np.random.default_rng(0)
EDGE = TILE * REG + 3  # not a multiple of the tile nor of the k-slab


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_gemm_matches_numpy(dtype, trans_a, trans_b):
    n, k, m = EDGE, TILE + 1, 5
    a = RNG.standard_normal((k, n) if trans_a else (n, k)).astype(dtype)
    b = RNG.standard_normal((m, k) if trans_b else (k, m)).astype(dtype)
    want = (a.T if trans_a else a) @ (b.T if trans_b else b)
    got = to_host(cuda_gemm.gemm(*to_device((a, b)), trans_a=trans_a, trans_b=trans_b))
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)


def test_bmm_matches_numpy_and_writes_out():
    a = RNG.standard_normal((3, 5, 7))
    b = RNG.standard_normal((3, 7, 2))
    out = to_device(np.full((3, 5, 2), np.nan))
    result = cuda_gemm.bmm(*to_device((a, b)), out=out)
    assert result is out
    np.testing.assert_allclose(to_host(out), a @ b, rtol=1e-12)


def test_empty_inner_dimension_gives_zeros():
    a, b = np.ones((2, 0), np.float32), np.ones((0, 3), np.float32)
    np.testing.assert_array_equal(to_host(cuda_gemm.gemm(*to_device((a, b)))), np.zeros((2, 3)))


def test_mismatched_shapes_name_the_op():
    a, b = to_device((np.ones((2, 3)), np.ones((4, 5))))
    with pytest.raises(ValueError, match="gemm.*do not match"):
        cuda_gemm.gemm(a, b)
    with pytest.raises(TypeError, match="bmm"):
        cuda_gemm.bmm(to_device(np.ones((1, 2, 3))), to_device(np.ones((1, 3, 2), np.float32)))


def test_gemm_benchmark_runs(capsys, monkeypatch):
    from benchmarks import cuda_gemm

    monkeypatch.setattr(cuda_gemm, "vendor", lambda n: None)  # no GPU: no cuBLAS to time
    cuda_gemm.main(["--sizes", str(EDGE), "--repeats", "1"])  # checks against NumPy first
    assert f"{EDGE:>6}" in capsys.readouterr().out
