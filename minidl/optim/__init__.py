"""Optimizers and learning-rate schedules, with PyTorch's names, signatures and defaults.

Each optimizer's update rule is a kernel slot in ``minidl/kernels/cpu/optim.py``
(``sgd_update``, ``adagrad_update``, ``rmsprop_update``, ``adam_update``,
``amsgrad_update``, ``adadelta_update``).
"""

from minidl.optim import lr_scheduler
from minidl.optim.adadelta import Adadelta
from minidl.optim.adagrad import Adagrad
from minidl.optim.adam import Adam, AdamW
from minidl.optim.optimizer import Optimizer
from minidl.optim.rmsprop import RMSprop
from minidl.optim.sgd import SGD

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
