"""``minidl.nn.functional``: the same functions as :mod:`minidl.functional`.

PyTorch programs write ``import torch.nn.functional as F``; this module makes
``import minidl.nn.functional as F`` work too. The functions live in ``minidl/functional/``.
"""

from minidl.functional import *  # noqa: F403
from minidl.functional import __all__  # noqa: F401
