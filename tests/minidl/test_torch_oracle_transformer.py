"""PyTorch as the oracle for chapter 6's layers (float64, dropout off): layer_norm and
LayerNorm, scaled_dot_product_attention (bool/float/causal masks), MultiheadAttention
(key padding, attention masks, need_weights, average_attn_weights, batch_first both ways,
self- and cross-attention, unbatched), TransformerEncoderLayer / TransformerEncoder
(post- and pre-norm, relu and gelu); weights copied through the state_dict."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl import nn
from minidl.autograd.gradcheck import gradcheck
from minidl.errors import ShapeError
from minidl.functional import layer_norm, scaled_dot_product_attention

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

TOL = 1e-10


def copy_state(ours, theirs):
    """Load ``theirs``' state_dict into ``ours`` (the keys must map 1:1)."""
    state = {k: minidl.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    result = ours.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []


def pair(shape, seed):
    data = np.random.default_rng(seed).normal(size=shape)
    return minidl.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)


def backprop(ours, theirs, seed):
    """Backward of Σ v_k ⊙ out_k (fixed random v_k) for the outputs of both frameworks."""
    rng = np.random.default_rng(seed)
    total_o, total_t = 0, 0
    for o, t in zip(ours, theirs, strict=True):
        v = rng.normal(size=tuple(t.shape))
        total_o = total_o + (o * minidl.tensor(v)).sum()
        total_t = total_t + (t * torch.from_numpy(v)).sum()
    total_o.backward()
    total_t.backward()


def close(ours, theirs, what):
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=TOL, atol=TOL,
                               err_msg=what)


def randomize(module):
    """Random weights everywhere (LayerNorm's γ = 1, β = 0 would hide mistakes)."""
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(-0.5, 0.5)


# -- layer norm ------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, normalized", [((4, 6), 6), ((2, 3, 5), (5,)),
                                               ((2, 3, 4, 5), (4, 5))])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_matches_torch(shape, normalized, affine):
    theirs = torch.nn.LayerNorm(normalized, elementwise_affine=affine).double()
    randomize(theirs)
    ours = nn.LayerNorm(normalized, elementwise_affine=affine, dtype=minidl.float64)
    copy_state(ours, theirs)
    x, xt = pair(shape, 0)
    y, yt = ours(x), theirs(xt)
    close(y, yt, "output")
    backprop([y], [yt], 1)
    close(x.grad, xt.grad, "grad input")
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        close(p.grad, q.grad, f"grad {name}")


def test_layer_norm_without_bias_and_gradcheck():
    theirs = torch.nn.LayerNorm(5, bias=False).double()
    randomize(theirs)
    ours = nn.LayerNorm(5, bias=False, dtype=minidl.float64)
    copy_state(ours, theirs)
    x, xt = pair((3, 5), 2)
    close(ours(x), theirs(xt), "no bias")
    w, b = minidl.randn(5, dtype=minidl.float64, requires_grad=True), \
        minidl.randn(5, dtype=minidl.float64, requires_grad=True)
    assert gradcheck(lambda x, w, b: layer_norm(x, (5,), w, b), x, w, b)


def test_layer_norm_names_bad_shapes():
    with pytest.raises(ShapeError, match=r"layer_norm: expected input \(\*, 4\)"):
        layer_norm(minidl.randn(2, 5), 4)
    with pytest.raises(ShapeError, match="expected weight"):
        layer_norm(minidl.randn(2, 4), 4, minidl.ones(5))


# -- scaled dot-product attention ------------------------------------------------------------
def sdpa_inputs(n=2, h=3, length=5, source=4, e=6, ev=7, seed=0):
    q, qt = pair((n, h, length, e), seed)
    k, kt = pair((n, h, source, e), seed + 1)
    v, vt = pair((n, h, source, ev), seed + 2)
    return (q, k, v), (qt, kt, vt)


@pytest.mark.parametrize("case", ["none", "bool", "float", "causal", "causal_square", "scale"])
def test_sdpa_matches_torch(case):
    source = 5 if case == "causal_square" else 4
    ours, theirs = sdpa_inputs(source=source)
    rng = np.random.default_rng(9)
    kw_o, kw_t = {}, {}
    if case == "bool":
        mask = rng.random((5, source)) < 0.6
        mask[:, 0] = True  # every query sees at least one key
        kw_o["attn_mask"], kw_t["attn_mask"] = minidl.tensor(mask), torch.tensor(mask)
    elif case == "float":
        mask = rng.normal(size=(2, 1, 5, source))
        kw_o["attn_mask"], kw_t["attn_mask"] = minidl.tensor(mask), torch.tensor(mask)
    elif case.startswith("causal"):
        kw_o["is_causal"] = kw_t["is_causal"] = True
    elif case == "scale":
        kw_o["scale"] = kw_t["scale"] = 0.7
    out = scaled_dot_product_attention(*ours, **kw_o)
    out_t = torch.nn.functional.scaled_dot_product_attention(*theirs, **kw_t)
    close(out, out_t, "output")
    backprop([out], [out_t], 3)
    for a, b, name in zip(ours, theirs, "qkv", strict=True):
        close(a.grad, b.grad, f"grad {name}")


def test_sdpa_gradcheck_with_causal_mask():
    (q, k, v), _ = sdpa_inputs(n=1, h=2, length=4, source=4, e=3, ev=2)
    assert gradcheck(lambda q, k, v: scaled_dot_product_attention(q, k, v, is_causal=True),
                     q, k, v)


def test_sdpa_with_dropout_is_random_but_keeps_gradients_flowing():
    (q, k, v), _ = sdpa_inputs()
    minidl.manual_seed(0)
    a = scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    b = scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert not np.allclose(a.data, b.data)
    a.sum().backward()
    assert np.isfinite(q.grad.data).all() and np.abs(v.grad.data).sum() > 0


def test_sdpa_names_bad_input():
    (q, k, v), _ = sdpa_inputs()
    with pytest.raises(ShapeError, match="scaled_dot_product_attention"):
        scaled_dot_product_attention(q, k[..., :3], v)
    with pytest.raises(ValueError, match="not both"):
        scaled_dot_product_attention(q, k, v, attn_mask=minidl.ones(5, 4), is_causal=True)


# -- multi-head attention ------------------------------------------------------------------
def mha_twins(e=8, heads=2, batch_first=True, bias=True):
    theirs = torch.nn.MultiheadAttention(e, heads, bias=bias, batch_first=batch_first).double()
    randomize(theirs)
    ours = nn.MultiheadAttention(e, heads, bias=bias, batch_first=batch_first,
                                 dtype=minidl.float64)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    copy_state(ours, theirs)
    return ours, theirs


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("masks", ["none", "padding", "causal", "both", "float3d"])
@pytest.mark.parametrize("average", [True, False])
def test_mha_self_attention_matches_torch(batch_first, masks, average):
    n, length, e, heads = 3, 5, 8, 2
    ours, theirs = mha_twins(e, heads, batch_first)
    x, xt = pair((n, length, e) if batch_first else (length, n, e), 4)
    kw_o, kw_t = {}, {}
    if masks in ("padding", "both"):
        pad = np.zeros((n, length), bool)
        pad[0, -2:] = pad[2, -1] = True
        kw_o["key_padding_mask"], kw_t["key_padding_mask"] = minidl.tensor(pad), torch.tensor(pad)
    if masks in ("causal", "both"):
        causal = np.triu(np.ones((length, length), bool), 1)
        kw_o["attn_mask"], kw_t["attn_mask"] = minidl.tensor(causal), torch.tensor(causal)
    if masks == "float3d":
        m = np.random.default_rng(5).normal(size=(n * heads, length, length))
        kw_o["attn_mask"], kw_t["attn_mask"] = minidl.tensor(m), torch.tensor(m)
    out, w = ours(x, x, x, average_attn_weights=average, **kw_o)
    out_t, w_t = theirs(xt, xt, xt, average_attn_weights=average, **kw_t)
    close(out, out_t, "output")
    close(w, w_t, "weights")
    backprop([out, w], [out_t, w_t], 6)
    close(x.grad, xt.grad, "grad input")
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        close(p.grad, q.grad, f"grad {name}")


@pytest.mark.parametrize("bias", [True, False])
def test_mha_cross_attention_and_no_weights(bias):
    ours, theirs = mha_twins(bias=bias)
    q, qt = pair((2, 3, 8), 1)
    kv, kvt = pair((2, 6, 8), 2)
    v, vt = pair((2, 6, 8), 3)
    out, w = ours(q, kv, v, need_weights=False)
    out_t, _ = theirs(qt, kvt, vt, need_weights=False)
    assert w is None
    close(out, out_t, "cross-attention output")
    backprop([out], [out_t], 7)
    for a, b, name in ((q, qt, "query"), (kv, kvt, "key"), (v, vt, "value")):
        close(a.grad, b.grad, f"grad {name}")


def test_mha_unbatched_and_causal_hint():
    ours, theirs = mha_twins()
    x, xt = pair((5, 8), 8)
    causal = np.triu(np.ones((5, 5), bool), 1)
    out, w = ours(x, x, x, attn_mask=minidl.tensor(causal), is_causal=True)
    out_t, w_t = theirs(xt, xt, xt, attn_mask=torch.tensor(causal))
    close(out, out_t, "unbatched causal output")
    close(w, w_t, "unbatched weights")


def test_mha_gradcheck():
    minidl.manual_seed(0)
    mha = nn.MultiheadAttention(4, 2, batch_first=True, dtype=minidl.float64)
    x = minidl.randn(2, 3, 4, dtype=minidl.float64, requires_grad=True)
    assert gradcheck(lambda x, w: mha(x, x, x)[0], x, mha.in_proj_weight)


def test_mha_names_bad_input():
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    with pytest.raises(ShapeError, match=r"MultiheadAttention\(embed_dim=8"):
        mha(minidl.randn(2, 3, 6), minidl.randn(2, 3, 6), minidl.randn(2, 3, 6))
    with pytest.raises(ShapeError, match="key_padding_mask"):
        x = minidl.randn(2, 3, 8)
        mha(x, x, x, key_padding_mask=minidl.tensor(np.zeros((2, 4), bool)))
    with pytest.raises(ValueError, match="multiple of num_heads"):
        nn.MultiheadAttention(10, 3)


# -- the encoder layer and stack -----------------------------------------------------------
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [True, False])
def test_encoder_layer_matches_torch(norm_first, activation, batch_first):
    kw = dict(dim_feedforward=16, dropout=0.0, activation=activation, batch_first=batch_first,
              norm_first=norm_first)
    theirs = torch.nn.TransformerEncoderLayer(8, 2, **kw).double()
    randomize(theirs)
    ours = nn.TransformerEncoderLayer(8, 2, **kw, dtype=minidl.float64)
    copy_state(ours, theirs)
    x, xt = pair((2, 5, 8) if batch_first else (5, 2, 8), 9)
    pad = np.zeros((2, 5), bool)
    pad[1, -2:] = True
    y = ours(x, src_key_padding_mask=minidl.tensor(pad))
    y_t = theirs(xt, src_key_padding_mask=torch.tensor(pad))
    # torch's fast path leaves padded positions unspecified in eval mode; we train (no fast path)
    close(y, y_t, "output")
    backprop([y], [y_t], 10)
    close(x.grad, xt.grad, "grad input")
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        close(p.grad, q.grad, f"grad {name}")


def test_encoder_stack_with_causal_mask_and_final_norm():
    layer_t = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True,
                                               norm_first=True)
    theirs = torch.nn.TransformerEncoder(layer_t, 3, norm=torch.nn.LayerNorm(8),
                                         enable_nested_tensor=False).double()
    randomize(theirs)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=True)
    ours = nn.TransformerEncoder(layer, 3, norm=nn.LayerNorm(8)).double()
    copy_state(ours, theirs)
    x, xt = pair((2, 6, 8), 11)
    causal = np.triu(np.ones((6, 6), bool), 1)
    y = ours(x, mask=minidl.tensor(causal), is_causal=True)
    y_t = theirs(xt, mask=torch.tensor(causal), is_causal=True)
    close(y, y_t, "stack output")
    backprop([y], [y_t], 12)
    close(x.grad, xt.grad, "grad input")
    assert ours.layers[0].linear1.weight is not ours.layers[1].linear1.weight
