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


def loss_curves(config: dict, xs, ys, learning_rate: float = 1e-3,  # noqa: ANN001
                weight_decay: float = 0.1) -> tuple[list[float], list[float]]:
    """Train minidl's and PyTorch's GPT (the same file) from the same initial weights on the
    same batches ``xs``/``ys`` (steps, B, T) with AdamW; returns both loss curves."""
    import numpy as np
    import torch

    import minidl

    curves = []
    minidl.manual_seed(0)
    mgpt = gpt_module("minidl")
    ours = mgpt.GPT(mgpt.GPTConfig(**config))
    tgpt = gpt_module("torch")
    theirs = tgpt.GPT(tgpt.GPTConfig(**config))
    theirs.load_state_dict({k: torch.from_numpy(np.array(v.data))
                            for k, v in ours.state_dict().items()})
    for lib, model in ((minidl, ours), (torch, theirs)):
        opt = model.configure_optimizers(weight_decay, learning_rate, (0.9, 0.99))
        losses = []
        for x, y in zip(xs, ys, strict=True):
            _, loss = model(lib.tensor(x), lib.tensor(y))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        curves.append(losses)
    return curves[0], curves[1]
