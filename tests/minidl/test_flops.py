"""minidl.utils.flops: FLOPs counted by hand for LeNet-5, an LSTM and a matrix product."""

from __future__ import annotations

import minidl
from minidl import nn
from minidl.utils import conv2d_flops, count_flops, linear_flops


def test_lenet_layers_counted_by_hand():
    lenet = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                          nn.Linear(84, 10))
    count = count_flops(lenet, minidl.zeros(2, 1, 28, 28))
    by_op = count.by_op()
    conv = 2 * 6 * 28 * 28 * (2 * 25 + 1) + 2 * 16 * 10 * 10 * (2 * 6 * 25 + 1)
    dense = 2 * (120 * 801 + 84 * 241 + 10 * 169)
    assert by_op["Conv2d"] == conv
    assert by_op["Linear"] == dense
    assert by_op["Reshape"] == 0
    relu, pool = 2 * (6 * 784 + 16 * 100 + 120 + 84), 2 * (6 * 196 + 16 * 25)
    assert count.total == conv + dense + relu + pool


def test_layer_formulas():
    assert linear_flops((32, 10, 64), 8) == 320 * 8 * 129
    assert linear_flops((5, 3), 2, bias=False) == 5 * 2 * 6
    assert conv2d_flops((1, 3, 7, 7), (4, 3, 3, 3), stride=2, padding=1) == 4 * 16 * 55


def test_recurrent_layer_and_matmul():
    lstm = nn.LSTM(32, 128)
    assert count_flops(lstm, minidl.zeros(10, 4, 32)).by_op()["LSTMLayer"] == (
        10 * 4 * 4 * 128 * (2 * (32 + 128) + 2))
    count = count_flops(lambda a, b: a @ b, (minidl.zeros(3, 5, 7), minidl.zeros(7, 2)))
    assert count.total == 2 * 3 * 5 * 7 * 2
