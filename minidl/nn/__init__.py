"""Layer 4: ``Module``, ``Parameter``, layers, losses and ``init``, with PyTorch's names.

``from minidl import nn``; ``nn.functional`` is :mod:`minidl.functional`::

    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    loss = nn.CrossEntropyLoss()(model(images), labels)
"""

from minidl import functional
from minidl.nn import init, utils
from minidl.nn.activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from minidl.nn.batchnorm import BatchNorm1d, BatchNorm2d, Dropout2d
from minidl.nn.container import ModuleDict, ModuleList, Sequential
from minidl.nn.conv import Conv2d, ConvTranspose2d
from minidl.nn.dropout import Dropout
from minidl.nn.embedding import Embedding
from minidl.nn.flatten import Flatten, Unflatten
from minidl.nn.linear import Identity, LazyLinear, Linear
from minidl.nn.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from minidl.nn.module import IncompatibleKeys, Module, StateDictError
from minidl.nn.parameter import Parameter
from minidl.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from minidl.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from minidl.nn.upsample import Upsample

__all__ = [
    "GELU", "GRU", "LSTM", "RNN", "AdaptiveAvgPool2d", "AvgPool2d", "BCELoss",
    "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "Conv2d", "CrossEntropyLoss", "Dropout",
    "Dropout2d", "Embedding", "Flatten", "GRUCell", "Identity", "IncompatibleKeys", "LSTMCell",
    "LazyLinear", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "MaxPool2d", "Module",
    "ModuleDict", "ModuleList", "NLLLoss", "Parameter", "RNNCell", "ReLU", "Sequential",
    "Sigmoid", "Softmax", "StateDictError", "Tanh", "Unflatten", "functional", "init", "utils",
]
__all__ += ["ConvTranspose2d", "Upsample"]

from minidl.nn.attention import MultiheadAttention  # noqa: E402
from minidl.nn.layernorm import LayerNorm  # noqa: E402
from minidl.nn.transformer import TransformerEncoder, TransformerEncoderLayer  # noqa: E402

__all__ += ["LayerNorm", "MultiheadAttention", "TransformerEncoder", "TransformerEncoderLayer"]
