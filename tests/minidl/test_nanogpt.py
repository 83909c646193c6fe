"""nanoGPT-style ``model.py`` (minidl/zoo/gpt.py, written against PyTorch's API) runs with
``import minidl as torch``: it trains, ties its weights, generates with top-k, and follows
PyTorch's loss curve from the same weights and batches (a reduced version of the check in
``python -m benchmarks.transformer``)."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from benchmarks.transformer import gpt_module, loss_curves
from minidl.zoo import gpt

TINY = dict(block_size=16, vocab_size=11, n_layer=2, n_head=2, n_embd=32, dropout=0.0,
            bias=True)


def pattern_batches(steps, batch=8, length=16, vocab=11, seed=0):
    """Counting sequences mod ``vocab`` from random starts: the next token is predictable."""
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, vocab, (steps, batch, 1))
    seq = (starts + np.arange(length + 1)) % vocab
    return seq[..., :-1], seq[..., 1:]


def test_the_model_file_binds_torch_to_minidl():
    assert gpt.torch is minidl and gpt.F is minidl.functional


def test_gpt_trains_and_its_loss_falls():
    minidl.manual_seed(0)
    model = gpt.GPT(gpt.GPTConfig(**TINY))
    opt = model.configure_optimizers(weight_decay=0.1, learning_rate=3e-3, betas=(0.9, 0.99))
    xs, ys = pattern_batches(60)
    losses = []
    for x, y in zip(xs, ys, strict=True):
        _, loss = model(minidl.tensor(x), minidl.tensor(y))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[0] > 2.0  # about ln 11 = 2.4 at the start
    assert np.mean(losses[-5:]) < 0.3 * losses[0], losses[::10]


def test_weight_tying_shares_one_parameter_with_both_gradients():
    minidl.manual_seed(0)
    model = gpt.GPT(gpt.GPTConfig(**TINY))
    assert model.transformer.wte.weight is model.lm_head.weight
    names = [n for n, _ in model.named_parameters()]
    assert "transformer.wte.weight" in names and "lm_head.weight" not in names
    state = model.state_dict()  # PyTorch keeps both keys, pointing at the same data
    assert "lm_head.weight" in state and "transformer.wte.weight" in state
    x, y = pattern_batches(1)
    _, loss = model(minidl.tensor(x[0]), minidl.tensor(y[0]))
    loss.backward()
    # the embedding alone touches only the rows of tokens seen; the head touches every row
    assert np.all(np.abs(model.lm_head.weight.grad.data).sum(1) > 0)


def test_optimizer_groups_decay_matrices_only():
    model = gpt.GPT(gpt.GPTConfig(**TINY))
    opt = model.configure_optimizers(0.1, 1e-3, (0.9, 0.95))
    decay, no_decay = opt.param_groups
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert all(p.dim() >= 2 for p in decay["params"])
    assert all(p.dim() < 2 for p in no_decay["params"])
    assert sum(p.numel() for g in opt.param_groups for p in g["params"]) == \
        model.get_num_params(non_embedding=False)


def test_generate_with_temperature_and_top_k():
    minidl.manual_seed(0)
    model = gpt.GPT(gpt.GPTConfig(**TINY))
    model.eval()
    start = minidl.tensor(np.array([[1, 2, 3]]))
    out = model.generate(start, 20, temperature=0.8, top_k=3)  # runs past block_size: crops
    assert out.shape == (1, 23) and out.dtype == minidl.int64
    assert np.array_equal(out.data[:, :3], start.data)
    assert out.data.min() >= 0 and out.data.max() < TINY["vocab_size"]


def test_same_loss_curve_as_pytorch():
    pytest.importorskip("torch")
    xs, ys = pattern_batches(25, seed=1)
    ours, theirs = loss_curves(TINY, xs, ys, learning_rate=1e-3)
    np.testing.assert_allclose(ours, theirs, rtol=1e-3)
    assert ours[-1] < ours[0]


def test_the_torch_twin_is_the_same_source():
    pytest.importorskip("torch")
    twin = gpt_module("torch")
    import torch

    assert twin.torch is torch and twin.GPT.forward.__code__.co_filename == gpt.__file__
