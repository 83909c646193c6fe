"""minidl's own CPU parallelism (kernels/cpu/_threads.py, gemm.py): parts of a batch on the
cores with BLAS single-threaded, and results that do not depend on the thread count."""

from __future__ import annotations

import os
import signal
import threading

import numba
import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from minidl.kernels.cpu import _threads, gemm
from minidl.kernels.cpu._threads import batch_parts, cpu_threads, run_parts
from minidl.kernels.cpu.conv import conv2d_backward, conv2d_forward
from minidl.kernels.cpu.conv_transpose import conv_transpose2d_backward, conv_transpose2d_forward

two_threads = pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2,
                                 reason="needs Numba's pool to have 2 threads")


def blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


@pytest.fixture
def threads_2():
    before = numba.get_num_threads()
    numba.set_num_threads(2)
    with threadpool_limits(limits=2, user_api="blas"):
        yield
    numba.set_num_threads(before)


@pytest.mark.parametrize("machine_parts", [2, 4, 8])
@pytest.mark.parametrize("n, per_part, min_images", [
    (64, 64, 21), (64, 8, 1), (7, 100, 1), (1, 1, 1), (5, 2, 1), (100, 30, 40), (3, 100, 50),
    (64, 64, 1), (10, 1, 1)])
def test_batch_parts_cover_the_batch_in_equal_shares(n, per_part, min_images, machine_parts,
                                                     monkeypatch):
    monkeypatch.setattr(_threads, "PARTS", machine_parts)
    parts = batch_parts(n, per_part, min_images)
    sizes = [m for _, m in parts]
    assert [start for start, _ in parts] == list(np.cumsum([0] + sizes)[:-1])
    assert sum(sizes) == n and min(sizes) >= 1
    assert max(sizes) <= per_part                     # the memory budget holds
    assert max(sizes) - min(sizes) <= 1               # an even split
    if n // min_images >= machine_parts and per_part >= n:
        assert len(parts) == machine_parts            # one part per core when each is large
    if len(parts) not in (1, n):
        assert len(parts) % 2 == 0                    # 2 threads get the same number of parts
    if min_images > n:
        assert len(parts) == 1                        # too small to share


@two_threads
def test_run_parts_uses_the_cores_with_blas_single_threaded(threads_2):
    seen = []

    def part(i):
        seen.append((i, threading.get_ident(), cpu_threads(), blas_threads()))
        np.ones((300, 300), np.float32) @ np.ones((300, 300), np.float32)
        return i * i

    assert run_parts(part, list(range(6))) == [i * i for i in range(6)]
    assert sorted(i for i, *_ in seen) == list(range(6))
    assert len({ident for _, ident, _, _ in seen}) == 2          # two threads ran the parts
    assert all(inside == 1 for _, _, inside, _ in seen)          # no nested parallelism
    assert all(set(blas) == {1} for *_, blas in seen)            # BLAS kept to one thread
    assert set(blas_threads()) == {2} and cpu_threads() == 2     # and given back after


@two_threads
def test_run_parts_raises_the_error_of_a_part_and_restores_blas(threads_2):
    def part(i):
        if i == 3:
            raise ValueError("part 3 failed")
        return i

    with pytest.raises(ValueError, match="part 3 failed"):   # part 3: a pool thread's
        run_parts(part, list(range(4)))
    with pytest.raises(ValueError, match="part 3 failed"):   # the calling thread's own
        run_parts(part, [0, 1, 3, 1])
    assert set(blas_threads()) == {2} and _threads._blas_depth == 0
    assert run_parts(lambda i: -i, [1, 2]) == [-1, -2]   # the pool still works


def test_run_parts_is_a_plain_loop_with_one_thread():
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        idents = run_parts(lambda _: threading.get_ident(), list(range(4)))
    finally:
        numba.set_num_threads(before)
    assert set(idents) == {threading.get_ident()}


@two_threads
def test_single_threaded_blas_nests_and_restores(threads_2):
    with _threads.single_threaded_blas():
        with _threads.single_threaded_blas():
            assert set(blas_threads()) == {1}
        assert set(blas_threads()) == {1}     # the outer block still holds it
    assert set(blas_threads()) == {2} and _threads._blas_depth == 0


@two_threads
def test_a_second_thread_waits_until_the_first_has_restored_blas(threads_2):
    """The thread that lowers BLAS's thread count restores it (OpenBLAS ignores a count set
    from another thread once the main thread has set one), so a second thread's block waits
    for the first one's end."""
    entered, leave = threading.Event(), threading.Event()

    def second():
        with _threads.single_threaded_blas():
            entered.set()
            leave.wait(5)

    with _threads.single_threaded_blas():
        other = threading.Thread(target=second)
        other.start()
        assert not entered.wait(0.2)          # it waits while this thread holds the limit
        assert set(blas_threads()) == {1}
    assert entered.wait(5)                    # and runs once it is given back
    leave.set()
    other.join(5)
    assert set(blas_threads()) == {2} and _threads._blas_depth == 0


@two_threads
def test_matmul_keeps_blas_on_one_core_right_after_parts(threads_2, monkeypatch):
    """A multithreaded BLAS call would leave OpenBLAS's worker spinning on the core the
    next layer's parts need: gemm.matmul runs on one core while parts ran recently."""
    seen = []
    numpy_matmul = np.matmul

    def recording_matmul(a, b, **kwargs):
        seen.append(set(blas_threads()))
        return numpy_matmul(a, b, **kwargs)

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 64, 96)), rng.standard_normal((96, 128))
    monkeypatch.setattr(_threads, "_parts_ended", -1e9)
    monkeypatch.setattr(gemm.np, "matmul", recording_matmul)
    expected = numpy_matmul(a, b)
    np.testing.assert_array_equal(gemm.matmul(a, b), expected)
    run_parts(lambda i: i, [0, 1])
    assert _threads.ran_parts_recently()
    np.testing.assert_array_equal(gemm.matmul(a, b), expected)
    assert seen == [{2}, {1}]


def _layer_results(dtype: type = np.float32) -> list[np.ndarray]:
    """conv2d and conv_transpose2d, forward and every gradient, on layers that run in parts:
    DCGAN's (batch-last columns, two chunks per part), large images (bands of output rows
    in every part) and a 1×1 kernel whose backward reuses each part's forward columns."""
    rng = np.random.default_rng(1)
    a = lambda *shape: rng.standard_normal(shape).astype(dtype)  # noqa: E731
    results = []
    for x, w, stride, padding in [(a(64, 32, 14, 14), a(64, 32, 4, 4), 2, 1),
                                  (a(4, 8, 64, 64), a(16, 8, 3, 3), 1, 1),
                                  (a(16, 128, 14, 14), a(32, 128, 1, 1), 1, 0)]:
        b = a(w.shape[0])
        geometry = (stride, stride), (padding, padding), (1, 1)
        workspace = {}
        y = conv2d_forward(x, w, b, *geometry, workspace=workspace)
        results += [y, *conv2d_backward(a(*y.shape), x, w, *geometry, True,
                                        workspace=workspace)]
    xt, wt, bt = a(64, 64, 7, 7), a(64, 32, 4, 4), a(32)
    results += [conv_transpose2d_forward(xt, wt, bt, (2, 2), (1, 1), (0, 0), (1, 1)),
                *conv_transpose2d_backward(a(64, 32, 14, 14), xt, wt, (2, 2), (1, 1), (1, 1),
                                           True)]
    return results


def test_layers_in_parts_agree_with_one_part(monkeypatch):
    """Every offset of the parts (images, bands, kept columns, summed gradients) checked
    against the same kernels run as one part, in float64."""
    many = _layer_results(np.float64)
    assert _threads.PARTS > 1   # this machine splits (at least 2 parts always)
    monkeypatch.setattr(_threads, "PARTS", 1)
    one = _layer_results(np.float64)
    assert len(many) == len(one) == 16
    for ours, reference in zip(many, one):
        np.testing.assert_allclose(ours, reference, rtol=1e-11, atol=1e-11)


@two_threads
def test_results_do_not_depend_on_the_thread_count():
    """Parts are fixed when minidl loads, never by the thread count in use, so every sum is
    added in the same order: 1 thread and 2 threads give the same bits."""
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        with threadpool_limits(limits=1, user_api="blas"):
            one = _layer_results()
        numba.set_num_threads(2)
        with threadpool_limits(limits=2, user_api="blas"):
            two = _layer_results()
    finally:
        numba.set_num_threads(before)
    assert len(one) == len(two) == 16
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


@two_threads
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_runs_parts_with_a_pool_of_its_own(threads_2):
    """The autograder forks learner processes from a process that may have used the pool:
    the child must not hand parts to threads that do not exist in it (a hang)."""
    run_parts(lambda i: i, [0, 1])   # the parent's pool has a thread now
    pid = os.fork()
    if pid == 0:  # the child: exit code 0 only if the parts ran
        signal.alarm(20)
        os._exit(0 if run_parts(lambda i: 2 * i, [1, 2, 3]) == [2, 4, 6] else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_an_empty_batch_has_no_parts_and_zero_gradients():
    assert batch_parts(0, 8) == []
    x, w = np.zeros((0, 3, 8, 8), np.float32), np.ones((4, 3, 3, 3), np.float32)
    y = conv2d_forward(x, w, None, (1, 1), (1, 1), (1, 1))
    grad_x, grad_w, grad_b = conv2d_backward(y, x, w, (1, 1), (1, 1), (1, 1), True)
    assert y.shape == grad_x.shape[:1] + (4, 8, 8) and grad_x.shape == x.shape
    assert not grad_w.any() and grad_w.shape == w.shape and not grad_b.any()
    wt = np.ones((3, 4, 3, 3), np.float32)
    yt = conv_transpose2d_forward(x, wt, None, (1, 1), (1, 1), (0, 0), (1, 1))
    grad_x, grad_w, grad_b = conv_transpose2d_backward(yt, x, wt, (1, 1), (1, 1), (1, 1), True)
    assert yt.shape == (0, 4, 8, 8) and grad_x.shape == x.shape
    assert not grad_w.any() and grad_w.shape == wt.shape and not grad_b.any()
