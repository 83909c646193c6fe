"""CUDA optimizer updates against their CPU twins (two steps, so the state is used)."""

import numpy as np
import pytest
from cuda_twins import compare, to_device, to_host

from minidl.kernels.cpu import optim as cpu
from minidl.kernels.cuda import optim as gpu

RNG = np.random.default_rng(8)
SHAPE = (3, 5)


def _arrays(dtype, count):
    return [RNG.standard_normal(SHAPE).astype(dtype) for _ in range(count)]


def _positive(dtype):
    return RNG.random(SHAPE).astype(dtype) + 0.1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("momentum, nesterov, decay", [(0.0, False, 0.0), (0.9, True, 0.01),
                                                      (0.9, False, 0.0)])
def test_sgd(momentum, nesterov, decay, dtype):
    param, grad, buf = _arrays(dtype, 3)
    for state in (None, buf):  # first step, then with a buffer
        compare(gpu.sgd_update, cpu.sgd_update, param, grad, state, 0.1, momentum, 0.1, decay,
                nesterov)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adagrad_and_adadelta(dtype):
    param, grad = _arrays(dtype, 2)
    compare(gpu.adagrad_update, cpu.adagrad_update, param, grad, _positive(dtype), 3, 0.1,
            0.01, 0.01, 1e-10)
    compare(gpu.adadelta_update, cpu.adadelta_update, param, grad, _positive(dtype),
            _positive(dtype), 1.0, 0.9, 1e-6, 0.01)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("momentum, centered", [(0.0, False), (0.9, True)])
def test_rmsprop(momentum, centered, dtype):
    param, grad = _arrays(dtype, 2)
    buf = _arrays(dtype, 1)[0] if momentum else None
    avg = (0.1 * _arrays(dtype, 1)[0]) if centered else None
    compare(gpu.rmsprop_update, cpu.rmsprop_update, param, grad, _positive(dtype), buf, avg,
            0.01, 0.99, 1e-8, 0.01, momentum, centered)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_and_amsgrad(decoupled, dtype):
    param, grad, m = _arrays(dtype, 3)
    v, v_max = _positive(dtype), _positive(dtype)
    compare(gpu.adam_update, cpu.adam_update, param, grad, m, v, 3, 1e-3, 0.9, 0.999, 1e-8,
            0.01, decoupled)
    compare(gpu.amsgrad_update, cpu.amsgrad_update, param, grad, m, v, v_max, 3, 1e-3, 0.9,
            0.999, 1e-8, 0.01, decoupled)


def test_updates_leave_their_inputs_alone():
    param, grad, m = (to_device(a) for a in _arrays(np.float32, 3))
    before = to_host(param)
    gpu.adam_update(param, grad, m, to_device(_positive(np.float32)), 1, 0.1, 0.9, 0.999, 1e-8,
                    0.0, False)
    np.testing.assert_array_equal(to_host(param), before)
