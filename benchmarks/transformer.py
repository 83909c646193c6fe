"""Transformers, minidl vs PyTorch CPU: ``python -m benchmarks.transformer``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import minidl.zoo

GPT_FILE = Path(minidl.zoo.__file__).with_name("gpt.py")
MINIDL_IMPORTS = (
    "import minidl as torch\nfrom minidl import nn\nfrom minidl.nn import functional as F\n"
)
TORCH_IMPORTS = "import torch\nfrom torch import nn\nfrom torch.nn import functional as F\n"


def gpt_module(framework: str) -> ModuleType:
    """minidl/zoo/gpt.py, the nanoGPT-style model file, with ``torch`` bound to ``framework``
    ("minidl" or "torch"): only its three import lines change."""
    source = GPT_FILE.read_text(encoding="utf-8")
    if MINIDL_IMPORTS not in source:
        raise RuntimeError(f"{GPT_FILE}: the import lines to swap are not there")
    if framework == "torch":
        source = source.replace(MINIDL_IMPORTS, TORCH_IMPORTS)
    elif framework != "minidl":
        raise ValueError(f"gpt_module: framework must be 'minidl' or 'torch', got {framework!r}")
    name = f"_gpt_on_{framework}"
    module = ModuleType(name)
    module.__file__ = str(GPT_FILE)
    sys.modules[name] = module  # dataclasses look their module up
    exec(compile(source, str(GPT_FILE), "exec"), module.__dict__)
    return module
