"""The tiled CUDA matmul against the vendor SGEMM (issue 14's target: ≥ 25 % at n = 4096).

    python -m benchmarks.cuda_gemm [--sizes 1024 2048 4096] [--repeats 10]

Times :func:`minidl.kernels.cuda.gemm.gemm` on float32 n × n device matrices, and the
vendor SGEMM (cuBLAS, through PyTorch's CUDA build or CuPy, whichever is installed) on
the same sizes, and prints GFLOP/s (2n³ flop per product) and their ratio. Each time is the
fastest of 3 block medians of ``repeats`` products, each followed by a device
synchronisation, every block after one warm-up product (the first also compiles the
kernel). The first size is checked against NumPy first. Needs a GPU
(``numba.cuda.is_available()``); under the simulator it runs, slowly, for tiny sizes only
(``--sizes 16 --repeats 1``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
from numba import cuda

from benchmarks.timing import median_time
from minidl.kernels.cuda.gemm import gemm


def seconds(fn: Callable[[], object], sync: Callable[[], object], repeats: int) -> float:
    """Seconds per ``fn(); sync()``: :func:`benchmarks.timing.median_time` (the fastest of
    3 block medians, each after one warm-up call)."""
    return median_time(lambda: (fn(), sync()), repeats)


def vendor(n: int) -> tuple[str, Callable[[], object], Callable[[], object]] | None:
    """(name, one n × n float32 product, synchronise) through cuBLAS, or None."""
    try:
        import torch

        if torch.cuda.is_available():
            a = torch.randn(n, n, device="cuda")
            b = torch.randn(n, n, device="cuda")
            return "cuBLAS (PyTorch)", lambda: a @ b, torch.cuda.synchronize
    except ImportError:
        pass
    try:
        import cupy

        a = cupy.random.standard_normal((n, n), dtype=cupy.float32)
        b = cupy.random.standard_normal((n, n), dtype=cupy.float32)
        return "cuBLAS (CuPy)", lambda: a @ b, cupy.cuda.Device().synchronize
    except ImportError:
        return None


def check(n: int) -> None:
    """gemm agrees with NumPy (float64 product) on an n × n float32 product."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
    got = gemm(cuda.to_device(a), cuda.to_device(b)).copy_to_host()
    np.testing.assert_allclose(got, a.astype(np.float64) @ b, rtol=1e-3, atol=1e-3 * np.sqrt(n))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args(argv)
    if not cuda.is_available():
        raise SystemExit("no CUDA device (numba.cuda.is_available() is False)")
    check(args.sizes[0])
    print(f"{'n':>6} {'minidl GFLOP/s':>15} {'vendor GFLOP/s':>15} {'minidl/vendor':>14}  vendor")
    for n in args.sizes:
        rng = np.random.default_rng(n)
        a, b = (cuda.to_device(rng.standard_normal((n, n)).astype(np.float32)) for _ in range(2))
        out = cuda.device_array((n, n), np.float32)
        flop = 2.0 * n**3
        ours = flop / seconds(lambda a=a, b=b, out=out: gemm(a, b, out=out), cuda.synchronize,
                              args.repeats) / 1e9
        ref = vendor(n)
        if ref is None:
            print(f"{n:>6} {ours:>15.1f} {'-':>15} {'-':>14}  (no PyTorch CUDA or CuPy)")
            continue
        name, product, sync = ref
        theirs = flop / seconds(product, sync, args.repeats) / 1e9
        print(f"{n:>6} {ours:>15.1f} {theirs:>15.1f} {ours / theirs:>13.0%}  {name}")


if __name__ == "__main__":
    main()
