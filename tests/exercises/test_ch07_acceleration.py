"""Autograder for chapter 7: making it fast (7.1–7.3 CPU kernels, 7.4–7.6 CUDA kernels).

Expected values come from NumPy computed here in float64 (``a @ b``, ``np.maximum``,
``np.sum``) and from hand computation; never from the implementation under test (``impl``:
exercises/ by default, ``--impl solutions``). The CUDA kernels run in the learner's process
on a GPU when there is one and on Numba's CUDA simulator otherwise
(:func:`minidl.course.gpu.simulate_unless_gpu`), through the chapter's launchers; the
simulator runs each thread as a Python thread, so the cases are small.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest

from minidl.grading import assert_close, assert_true, assert_unchanged
from minidl.grading.layouts import LAYOUTS, describe, relayout

CHAPTER = "ch07_acceleration"
POINTS = {"7.1": 2, "7.2": 3, "7.3": 2, "7.4": 2, "7.5": 3, "7.6": 3}
HINTS = {
    "7.1": "c[i, :] += a[i, k] * b[k, :] for every k; the outer loop over rows i is the prange",
    "7.2": "loop over blocks of rows i0 and of k0 of size tile, clipped with min(start + tile, "
           "size); inside, the i-k-j loops of 7.1 over whole rows; the row blocks are the prange",
    "7.3": "one loop nest that reads each x element once and writes each y element once",
    "7.4": "a grid-stride loop: start at cuda.grid(1), step by cuda.gridsize(1), up to x.size; "
           "for the channel of flat index f, count how many elements one channel (L) and one "
           "sample (C·L) hold in C order",
    "7.5": "every thread loads one element of each tile (0 past the edge), then syncthreads, "
           "multiply-add along the tile, syncthreads; only in-range threads write C",
    "7.6": "each thread sums its grid-stride elements, stores the sum in shared memory, then "
           "halve the active threads each round with a syncthreads that every thread reaches",
}
# (M, K, N): one element, a row, a column, odd sizes, and one larger than a typical tile
SHAPES = [(1, 1, 1), (1, 7, 1), (5, 1, 3), (3, 4, 5), (17, 9, 31), (70, 65, 66)]


def tolerances(dtype: np.dtype, k: int = 1) -> dict[str, float]:
    if dtype == np.float32:
        return {"rtol": 1e-4, "atol": 1e-5 * max(k, 1) ** 0.5}
    return {"rtol": 1e-10, "atol": 1e-12 * max(k, 1)}


def check_numba_parallel(impl, ex: str, name: str) -> None:
    """The function is an @numba.njit(parallel=True) kernel with a prange loop."""
    fn = impl.describe(name)  # facts from the learner's process
    if numba.config.DISABLE_JIT:
        return  # NUMBA_DISABLE_JIT=1 (debugging): njit returns the plain Python function
    assert_true(fn["targetoptions"].get("parallel"),
                exercise=ex, case="the function object",
                problem=f"{name} is not compiled with @numba.njit(parallel=True)",
                hint="keep the decorator @numba.njit(cache=True, parallel=True)")
    assert_true("prange" in fn["co_names"], exercise=ex,
                case=f"the loops of {name}",
                problem="no loop runs over numba.prange, so nothing runs in parallel",
                hint=HINTS[ex])


def check_shared_memory(impl, ex: str, name: str) -> None:
    """The kernel stages its data in shared memory and waits at barriers: the idea the
    exercise teaches (a plain one-thread-per-output product also gives the right numbers)."""
    names = impl.describe(name)["co_names"]
    assert_true("shared" in names, exercise=ex, case=f"the code of {name}",
                problem="it never allocates cuda.shared.array, so every thread reads global "
                        "memory itself: right numbers, but not the technique of this section",
                hint=HINTS[ex])
    assert_true("syncthreads" in names, exercise=ex, case=f"the code of {name}",
                problem="it never calls cuda.syncthreads(), so a thread may read shared memory "
                        "before the others have written it (the simulator can hide this race; "
                        "a GPU does not)", hint=HINTS[ex])


def matmul_cases(dtype, layout: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    for m, k, n in SHAPES:
        a = relayout(rng.standard_normal((m, k)).astype(dtype), layout)
        b = relayout(rng.standard_normal((k, n)).astype(dtype), layout)
        yield a, b, a.astype(np.float64) @ b.astype(np.float64)


def check_matmul(ex: str, fn, dtype, layout: str, tile: int | None = None) -> None:
    for a, b, want in matmul_cases(dtype, layout):
        before_a, before_b = a.copy(), b.copy()
        case = f"{describe('a', a)} @ {describe('b', b)}" + ("" if tile is None
                                                               else f", tile {tile}")
        got = fn(a, b) if tile is None else fn(a, b, tile)
        assert_close(got, want.astype(dtype), exercise=ex, case=case, hint=HINTS[ex],
                     **tolerances(np.dtype(dtype), a.shape[1]))
        assert_unchanged(before_a, a, exercise=ex, case=case, name="a")
        assert_unchanged(before_b, b, exercise=ex, case=case, name="b")


# ---- 7.1 matmul_parallel -------------------------------------------------------------------

@pytest.mark.exercise("7.1")
@pytest.mark.timeout(120)  # the first call compiles the kernel
def test_matmul_parallel_hand_computed_and_parallel(impl):
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([[5.0, 6.0], [7.0, 8.0]])
    assert_close(impl.matmul_parallel(a, b), np.array([[19.0, 22.0], [43.0, 50.0]]),
                 exercise="7.1", case="[[1, 2], [3, 4]] @ [[5, 6], [7, 8]]", hint=HINTS["7.1"])
    check_numba_parallel(impl, "7.1", "matmul_parallel")


@pytest.mark.exercise("7.1")
@pytest.mark.timeout(180)  # each dtype and layout compiles a new version
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_matmul_parallel_matches_numpy(impl, dtype, layout):
    check_matmul("7.1", impl.matmul_parallel, dtype, layout)


# ---- 7.2 matmul_tiled ----------------------------------------------------------------------

@pytest.mark.exercise("7.2")
@pytest.mark.timeout(120)
def test_matmul_tiled_hand_computed_and_parallel(impl):
    a = np.arange(1.0, 7.0).reshape(2, 3)      # [[1, 2, 3], [4, 5, 6]]
    b = np.arange(1.0, 7.0).reshape(3, 2)      # [[1, 2], [3, 4], [5, 6]]
    want = np.array([[22.0, 28.0], [49.0, 64.0]])
    for tile in (1, 2, 3, 100):
        assert_close(impl.matmul_tiled(a, b, tile), want, exercise="7.2",
                     case=f"[[1, 2, 3], [4, 5, 6]] @ [[1, 2], [3, 4], [5, 6]], tile {tile}",
                     hint=HINTS["7.2"])
    check_numba_parallel(impl, "7.2", "matmul_tiled")


@pytest.mark.exercise("7.2")
@pytest.mark.timeout(180)
@pytest.mark.parametrize("dtype, layout", [(np.float64, "contiguous"),
                                           (np.float32, "contiguous"),
                                           (np.float64, "strided")])
@pytest.mark.parametrize("tile", [1, 4, 16, 64])
def test_matmul_tiled_matches_numpy_for_any_tile(impl, dtype, layout, tile):
    check_matmul("7.2", impl.matmul_tiled, dtype, layout, tile)


# ---- 7.3 bias_relu -------------------------------------------------------------------------

@pytest.mark.exercise("7.3")
@pytest.mark.timeout(120)
def test_bias_relu_hand_computed_and_parallel(impl):
    x = np.array([[[-1.0, 0.5, 2.0], [1.0, -3.0, 0.0]]])   # (1, 2, 3)
    bias = np.array([0.5, -1.0])
    want = np.array([[[0.0, 1.0, 2.5], [0.0, 0.0, 0.0]]])
    assert_close(impl.bias_relu(x, bias), want, exercise="7.3",
                 case="x [[[-1, 0.5, 2], [1, -3, 0]]], bias [0.5, -1]", hint=HINTS["7.3"])
    check_numba_parallel(impl, "7.3", "bias_relu")


@pytest.mark.exercise("7.3")
@pytest.mark.timeout(180)
@pytest.mark.parametrize("dtype, layout", [(np.float32, "contiguous"),
                                           (np.float64, "contiguous"),
                                           (np.float32, "strided")])
def test_bias_relu_matches_numpy(impl, dtype, layout):
    rng = np.random.default_rng(7)
    for shape in [(1, 1, 1), (2, 3, 5), (4, 16, 49), (3, 1, 7)]:
        x = relayout(rng.standard_normal(shape).astype(dtype), layout)
        bias = rng.standard_normal(shape[1]).astype(dtype)
        before = x.copy()
        case = f"{describe('x', x)}, bias ({shape[1]},)"
        got = impl.bias_relu(x, bias)
        want = np.maximum(x.astype(np.float64) + bias.astype(np.float64)[:, None], 0)
        assert_close(got, want.astype(dtype), exercise="7.3", case=case, hint=HINTS["7.3"],
                     **tolerances(np.dtype(dtype)))
        assert_unchanged(before, x, exercise="7.3", case=case, name="x")


# ---- 7.4 bias_relu_kernel (CUDA) -----------------------------------------------------------

GRIDS = [(1, 1), (1, 32), (3, 7), (8, 64)]  # (blocks, threads): fewer, odd, more than elements


@pytest.mark.exercise("7.4")
@pytest.mark.timeout(120)
def test_bias_relu_kernel_hand_computed(impl):
    x = np.array([[[-1.0, 0.5, 2.0], [1.0, -3.0, 0.0]]], np.float32)   # (1, 2, 3)
    bias = np.array([0.5, -1.0], np.float32)
    want = np.array([[[0.0, 1.0, 2.5], [0.0, 0.0, 0.0]]], np.float32)
    assert_close(impl.bias_relu_gpu(x, bias, 1, 4), want, exercise="7.4",
                 case="x [[[-1, 0.5, 2], [1, -3, 0]]], bias [0.5, -1], 1 block of 4 threads",
                 hint=HINTS["7.4"])


@pytest.mark.exercise("7.4")
@pytest.mark.timeout(120)
@pytest.mark.parametrize("blocks, threads", GRIDS)
def test_bias_relu_kernel_any_grid(impl, blocks, threads):
    rng = np.random.default_rng(blocks * 100 + threads)
    for shape, dtype in [((2, 3, 5), np.float32), ((3, 4, 7), np.float64)]:
        x = rng.standard_normal(shape).astype(dtype)
        bias = rng.standard_normal(shape[1]).astype(dtype)
        want = np.maximum(x.astype(np.float64) + bias.astype(np.float64)[:, None], 0)
        assert_close(impl.bias_relu_gpu(x, bias, blocks, threads), want.astype(dtype),
                     exercise="7.4", hint=HINTS["7.4"], **tolerances(np.dtype(dtype)),
                     case=f"{describe('x', x)}, {blocks} blocks of {threads} threads")


# ---- 7.5 matmul_tiled_kernel (CUDA) --------------------------------------------------------

@pytest.mark.exercise("7.5")
@pytest.mark.timeout(120)
def test_matmul_tiled_kernel_hand_computed_with_shared_tiles(impl):
    a = np.arange(1.0, 7.0, dtype=np.float32).reshape(2, 3)
    b = np.arange(1.0, 7.0, dtype=np.float32).reshape(3, 2)
    assert_close(impl.matmul_gpu(a, b), np.array([[22.0, 28.0], [49.0, 64.0]], np.float32),
                 exercise="7.5", case="[[1, 2, 3], [4, 5, 6]] @ [[1, 2], [3, 4], [5, 6]]",
                 hint=HINTS["7.5"])
    check_shared_memory(impl, "7.5", "matmul_tiled_kernel")


@pytest.mark.exercise("7.5")
@pytest.mark.timeout(120)
def test_matmul_tiled_kernel_matches_numpy_across_tile_edges(impl):
    rng = np.random.default_rng(5)
    # one element; inside one tile; exactly one tile; K over two tiles; every edge ragged
    for m, k, n in [(1, 1, 1), (5, 3, 7), (8, 8, 8), (3, 17, 2), (17, 9, 10)]:
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        want = a.astype(np.float64) @ b.astype(np.float64)
        assert_close(impl.matmul_gpu(a, b), want.astype(np.float32), exercise="7.5",
                     case=f"{describe('a', a)} @ {describe('b', b)}", hint=HINTS["7.5"],
                     **tolerances(np.dtype(np.float32), k))


# ---- 7.6 block_sum_kernel (CUDA) -----------------------------------------------------------

def blockwise_sums(x: np.ndarray, blocks: int, block: int) -> np.ndarray:
    """What each block of a grid-stride sum must add up: flat index i belongs to block
    (i mod (blocks · block)) // block."""
    owner = (np.arange(x.size) % (blocks * block)) // block
    return np.array([x.astype(np.float64)[owner == b].sum() for b in range(blocks)])


@pytest.mark.exercise("7.6")
@pytest.mark.timeout(120)
def test_block_sum_kernel_hand_computed_in_shared_memory(impl):
    x = np.arange(1.0, 11.0)   # 1 + 2 + … + 10
    assert_close(impl.block_sums_gpu(x, 1), np.array([55.0]), exercise="7.6",
                 case="x = [1, 2, …, 10], 1 block", hint=HINTS["7.6"])
    check_shared_memory(impl, "7.6", "block_sum_kernel")


@pytest.mark.exercise("7.6")
@pytest.mark.timeout(120)
def test_block_sum_kernel_each_block_sums_its_elements(impl):
    block = 64  # BLOCK, the given threads-per-block constant of the chapter module
    rng = np.random.default_rng(11)
    # fewer elements than threads; one per thread of one block; wrapping around the grid
    for size, blocks in [(5, 2), (block, 1), (3 * block + 5, 2), (200, 3)]:
        x = rng.standard_normal(size)
        assert_close(impl.block_sums_gpu(x, blocks), blockwise_sums(x, blocks, block),
                     exercise="7.6", hint=HINTS["7.6"], rtol=1e-12, atol=1e-12,
                     case=f"{size} elements, {blocks} blocks of {block} threads")
    x32 = rng.standard_normal(300).astype(np.float32)
    assert_close(impl.sum_gpu(x32, 4), x32.astype(np.float64).sum(), exercise="7.6",
                 case="sum_gpu: 300 float32 elements, 4 blocks then 1", hint=HINTS["7.6"],
                 rtol=1e-12, atol=1e-9)
