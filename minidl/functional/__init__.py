"""Layer 3: the differentiable functions models call, with PyTorch's names.

``import minidl.functional as F`` (also reachable as ``minidl.nn.functional``)::

    logits = F.linear(F.relu(F.linear(x, w1, b1)), w2, b2)
    loss = F.cross_entropy(logits, labels)
"""

from minidl.functional.activation import (
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    tanh,
)
from minidl.functional.conv import conv2d, conv_transpose2d
from minidl.functional.dropout import dropout
from minidl.functional.linear import linear
from minidl.functional.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
    nll_loss,
)
from minidl.functional.normalization import batch_norm, dropout2d
from minidl.functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from minidl.functional.rnn import gru, gru_cell, lstm, lstm_cell, rnn, rnn_cell
from minidl.functional.sparse import embedding, one_hot
from minidl.functional.upsample import interpolate

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "conv2d", "cross_entropy", "dropout", "dropout2d",
    "embedding", "gelu", "gru", "gru_cell", "leaky_relu", "linear", "log_softmax", "lstm",
    "lstm_cell", "max_pool2d", "mse_loss", "nll_loss", "one_hot", "relu", "rnn", "rnn_cell",
    "sigmoid", "softmax", "tanh",
]
__all__ += ["conv_transpose2d", "interpolate"]

from minidl.functional.attention import scaled_dot_product_attention  # noqa: E402
from minidl.functional.layernorm import layer_norm  # noqa: E402

__all__ += ["layer_norm", "scaled_dot_product_attention"]
