"""nn.Module: registration, traversal, modes, dtype casts, state dicts, repr, containers."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import minidl
from minidl import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.scale = nn.Parameter(minidl.ones(4))
        self.register_buffer("count", minidl.zeros(1, dtype=minidl.int64))
        self.register_buffer("cache", minidl.zeros(2), persistent=False)
        self.note = "not registered"

    def forward(self, x):
        return self.fc(x) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Linear(4, 2, bias=False)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.head(self.drop(self.block(x)))


def test_registration_and_names():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["block.scale", "block.fc.weight", "block.fc.bias", "head.weight"]
    assert [n for n, _ in net.named_buffers()] == ["block.count", "block.cache"]
    assert [n for n, _ in net.named_children()] == ["block", "head", "drop"]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.fc", "head", "drop"]
    assert net.head.bias is None and "note" not in dict(net.block.named_parameters())
    assert len(list(net.parameters(recurse=False))) == 0
    assert net.num_parameters() == 4 + 12 + 4 + 8


def test_shared_parameters_are_listed_once():
    a = nn.Linear(2, 2)
    seq = nn.Sequential(a, nn.ReLU(), a)
    assert len(list(seq.parameters())) == 2
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_reassigning_and_deleting():
    m = Block()
    with pytest.raises(TypeError, match=r"cannot assign Tensor as parameter 'scale'"):
        m.scale = minidl.ones(4)
    m.scale = None
    assert [n for n, _ in m.named_parameters(recurse=False)] == []
    m.fc = nn.Linear(3, 5)
    assert m.fc.out_features == 5
    with pytest.raises(TypeError, match="cannot assign ndarray as buffer 'count'"):
        m.count = np.zeros(1)
    del m.fc
    assert "fc" not in dict(m.named_children())
    with pytest.raises(AttributeError, match="'Block' object has no attribute 'fc'"):
        m.fc  # noqa: B018


def test_register_errors():
    m = nn.Module()
    with pytest.raises(TypeError, match="nn.Parameter or None expected"):
        m.register_parameter("w", minidl.ones(2))
    with pytest.raises(KeyError, match="no '.'"):
        m.register_parameter("a.b", nn.Parameter(minidl.ones(2)))
    m.x = 3
    with pytest.raises(KeyError, match="already has an attribute 'x'"):
        m.register_buffer("x", minidl.ones(1))

    class Forgot(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\)"):
        Forgot()
    with pytest.raises(NotImplementedError, match="Module: a Module subclass must define forward"):
        nn.Module()(1)


def test_train_eval_propagate():
    net = Net()
    assert net.training and net.drop.training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="mode must be True or False"):
        net.train("no")


def test_dropout_layer_follows_mode():
    net = nn.Sequential(nn.Dropout(0.9))
    x = minidl.ones(20, 20)
    assert (net(x).numpy() == 0).mean() > 0.5
    net.eval()
    np.testing.assert_array_equal(net(x).numpy(), x.numpy())


def test_zero_grad_and_requires_grad():
    net = Net()
    net(minidl.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.block.requires_grad_(False)
    assert [n for n, p in net.named_parameters() if p.requires_grad] == ["head.weight"]


def test_apply_visits_children_first():
    seen = []
    Net().apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Block", "Linear", "Dropout", "Net"]


def test_to_casts_in_place_and_keeps_identity():
    net = Net()
    params = list(net.parameters())
    assert net.to(minidl.float64) is net
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert net.block.count.dtype == np.int64 and net.block.cache.dtype == np.float64
    net.to("cpu", minidl.float32)
    assert all(p.dtype == np.float32 for p in net.parameters())
    with pytest.raises(minidl.DTypeError, match="only floating-point dtypes"):
        net.to(minidl.int64)
    if not minidl.cuda.is_available():
        with pytest.raises(minidl.DeviceError):
            net.to("cuda")


def test_state_dict_is_detached_and_shares_memory_like_pytorch():
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["block.scale", "block.count", "block.fc.weight", "block.fc.bias",
                        "head.weight"]
    assert not any(v.requires_grad for v in sd.values())
    with minidl.no_grad():
        net.head.weight.fill_(5.0)
    assert np.all(sd["head.weight"].numpy() == 5.0)
    sd["block.fc.bias"].copy_(minidl.full((4,), 2.0))  # loads a value, as in PyTorch
    np.testing.assert_array_equal(net.block.fc.bias.detach().numpy(), [2.0] * 4)


def test_state_dict_round_trip():
    a, b = Net(), Net()
    with minidl.no_grad():
        a.block.count.fill_(7)
    b.load_state_dict(a.state_dict())
    for (na, pa), (nb, pb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert na == nb
        np.testing.assert_array_equal(pa.numpy(), pb.numpy())
    x = minidl.randn(2, 3)
    a.eval(), b.eval()
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())


def test_load_state_dict_reports_every_problem():
    net = Net()
    sd = net.state_dict()
    del sd["block.fc.bias"]
    sd["extra.weight"] = minidl.zeros(1)
    sd["head.weight"] = minidl.zeros(3, 4)
    before = net.block.scale.detach().numpy().copy()
    sd["block.scale"] = minidl.zeros(4)
    with pytest.raises(nn.StateDictError) as info:
        net.load_state_dict(sd)
    text = str(info.value)
    assert "missing keys: block.fc.bias" in text
    assert "unexpected keys: extra.weight" in text
    assert "head.weight: expected (2, 4), got (3, 4)" in text
    np.testing.assert_array_equal(net.block.scale.detach().numpy(), before)  # nothing loaded


def test_load_state_dict_non_strict():
    net = Net()
    sd = net.state_dict()
    del sd["head.weight"]
    sd["bogus"] = minidl.zeros(1)
    sd["block.scale"] = np.full(4, 2.0)  # arrays are accepted too
    keys = net.load_state_dict(sd, strict=False)
    assert keys.missing_keys == ["head.weight"] and keys.unexpected_keys == ["bogus"]
    np.testing.assert_array_equal(net.block.scale.detach().numpy(), [2.0] * 4)
    sd["head.weight"] = minidl.zeros(9)
    with pytest.raises(nn.StateDictError, match=r"head.weight: expected \(2, 4\), got \(9,\)"):
        net.load_state_dict(sd, strict=False)
    with pytest.raises(TypeError, match="expected a mapping"):
        net.load_state_dict([1, 2])


def test_repr_tree_with_counts():
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(),
                          nn.Sequential(nn.Linear(128, 10), nn.Softmax(dim=1)))
    text = repr(model)
    assert text.startswith("Sequential(\n  (0): Flatten(start_dim=1, end_dim=-1)\n")
    assert "  (1): Linear(in_features=784, out_features=128, bias=True)  # 100,480 params\n" in text
    assert "  (2): ReLU()\n" in text
    assert "    (0): Linear(in_features=128, out_features=10, bias=True)  # 1,290 params\n" in text
    assert "    (1): Softmax(dim=1)\n  )  # 1,290 params\n" in text
    assert text.endswith(")  # total: 101,770 params")
    assert repr(nn.Linear(2, 3)) == "Linear(in_features=2, out_features=3, bias=True)"
    assert repr(nn.Parameter(minidl.tensor([1.0]))).startswith("Parameter containing:\ntensor(")


def test_sequential_container_protocol():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b)
    assert len(seq) == 2 and seq[0] is a and seq[-1] is b and list(seq) == [a, b]
    seq.append(c)
    assert seq[2] is c and len(seq) == 3
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    named = nn.Sequential(OrderedDict([("fc", a), ("act", b)]))
    assert named.fc is a and [n for n, _ in named.named_children()] == ["fc", "act"]
    seq[1] = nn.Tanh()
    assert isinstance(seq[1], nn.Tanh)
    with pytest.raises(IndexError, match="index 3 is out of range for 3 modules"):
        seq[3]  # noqa: B018
    x = minidl.randn(4, 2)
    np.testing.assert_allclose(seq(x).detach().numpy(),
                               c(a(x).tanh()).detach().numpy(), rtol=1e-6)


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.ReLU()).extend([nn.Tanh()])
    assert [type(m).__name__ for m in layers] == ["Linear"] * 3 + ["ReLU", "Tanh"]
    assert isinstance(layers[-2:], nn.ModuleList) and len(layers[-2:]) == 2
    d = nn.ModuleDict({"enc": nn.Linear(2, 3), "dec": nn.Linear(3, 2)})
    assert list(d) == ["enc", "dec"] and "enc" in d and d["dec"].out_features == 2
    assert [n for n, _ in d.named_parameters()] == ["enc.weight", "enc.bias", "dec.weight",
                                                    "dec.bias"]
    del d["enc"]
    assert list(d.keys()) == ["dec"]
    with pytest.raises(KeyError, match="ModuleDict has no module 'enc'"):
        d["enc"]  # noqa: B018


def test_keras_facade_delegates_to_train_keras(monkeypatch):
    from minidl.train import keras

    calls = []
    for name in ("compile", "fit", "evaluate", "predict"):
        monkeypatch.setattr(keras, name,
                            lambda *a, _n=name, **k: calls.append((_n, a, k)) or _n)
    model = nn.Sequential(nn.Linear(2, 1))
    assert model.compile("mse", optimizer="sgd") == "compile"
    assert model.fit("X", "Y", epochs=3, verbose=0) == "fit"
    assert model.evaluate("X", "Y") == "evaluate"
    assert model.predict("X", batch_size=8) == "predict"
    assert calls[0] == ("compile", (model, "mse", "sgd", ()), {})
    assert calls[1][1] == (model, "X", "Y") and calls[1][2]["epochs"] == 3
    assert calls[1][2]["verbose"] == 0 and calls[1][2]["batch_size"] == 32
    assert calls[3][2] == {"batch_size": 8}
