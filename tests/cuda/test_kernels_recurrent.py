"""CUDA RNN, LSTM and GRU kernels (cells and sequences) against their CPU twins."""

import numpy as np
import pytest
from cuda_twins import compare

from minidl.kernels.cpu import gru as cpu_gru
from minidl.kernels.cpu import lstm as cpu_lstm
from minidl.kernels.cpu import rnn as cpu_rnn
from minidl.kernels.cuda import gru as gpu_gru
from minidl.kernels.cuda import lstm as gpu_lstm
from minidl.kernels.cuda import rnn as gpu_rnn

RNG = np.random.default_rng(10)
STEPS, N, I, H = 3, 2, 3, 5


def _params(gates, dtype, bias=True):
    w_ih = (RNG.standard_normal((gates * H, I)) * 0.5).astype(dtype)
    w_hh = (RNG.standard_normal((gates * H, H)) * 0.5).astype(dtype)
    b = [RNG.standard_normal(gates * H).astype(dtype) for _ in range(2)] if bias else [None] * 2
    return w_ih, w_hh, *b


def _r(*shape, dtype):
    return RNG.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
def test_lstm(bias, dtype):
    w_ih, w_hh, b_ih, b_hh = _params(4, dtype, bias)
    x, h, c = _r(N, I, dtype=dtype), _r(N, H, dtype=dtype), _r(N, H, dtype=dtype)
    h_new, c_new, gates = compare(gpu_lstm.lstm_cell_forward, cpu_lstm.lstm_cell_forward,
                                  x, h, c, w_ih, w_hh, b_ih, b_hh)
    compare(gpu_lstm.lstm_cell_backward, cpu_lstm.lstm_cell_backward, _r(N, H, dtype=dtype),
            _r(N, H, dtype=dtype), x, h, c, c_new, gates, w_ih, w_hh)
    xs = _r(STEPS, N, I, dtype=dtype)
    out, _, _, cache = compare(gpu_lstm.lstm_forward, cpu_lstm.lstm_forward, xs, h, c, w_ih,
                               w_hh, b_ih, b_hh)
    for needs in (True, False):
        compare(gpu_lstm.lstm_backward, cpu_lstm.lstm_backward, _r(STEPS, N, H, dtype=dtype),
                _r(N, H, dtype=dtype), _r(N, H, dtype=dtype), xs, h, c, out, cache, w_ih,
                w_hh, needs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn(nonlinearity, dtype):
    w_ih, w_hh, b_ih, b_hh = _params(1, dtype)
    x, h = _r(N, I, dtype=dtype), _r(N, H, dtype=dtype)
    h_new = compare(gpu_rnn.rnn_cell_forward, cpu_rnn.rnn_cell_forward, x, h, w_ih, w_hh,
                    b_ih, b_hh, nonlinearity)
    compare(gpu_rnn.rnn_cell_backward, cpu_rnn.rnn_cell_backward, _r(N, H, dtype=dtype), x, h,
            h_new, w_ih, w_hh, nonlinearity)
    xs = _r(STEPS, N, I, dtype=dtype)
    out = compare(gpu_rnn.rnn_forward, cpu_rnn.rnn_forward, xs, h, w_ih, w_hh, b_ih, b_hh,
                  nonlinearity)
    for needs in (True, False):
        compare(gpu_rnn.rnn_backward, cpu_rnn.rnn_backward, _r(STEPS, N, H, dtype=dtype),
                _r(N, H, dtype=dtype), xs, h, out, w_ih, w_hh, nonlinearity, needs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
def test_gru(bias, dtype):
    w_ih, w_hh, b_ih, b_hh = _params(3, dtype, bias)
    x, h = _r(N, I, dtype=dtype), _r(N, H, dtype=dtype)
    _, gates = compare(gpu_gru.gru_cell_forward, cpu_gru.gru_cell_forward, x, h, w_ih, w_hh,
                       b_ih, b_hh)
    compare(gpu_gru.gru_cell_backward, cpu_gru.gru_cell_backward, _r(N, H, dtype=dtype), x, h,
            gates, w_ih, w_hh)
    xs = _r(STEPS, N, I, dtype=dtype)
    out, _, gates = compare(gpu_gru.gru_forward, cpu_gru.gru_forward, xs, h, w_ih, w_hh, b_ih,
                            b_hh)
    for needs in (True, False):
        compare(gpu_gru.gru_backward, cpu_gru.gru_backward, _r(STEPS, N, H, dtype=dtype),
                _r(N, H, dtype=dtype), xs, h, out, gates, w_ih, w_hh, needs)
