"""A minidl model's state_dict loads into the equivalent PyTorch model (strict: same keys,
shapes and layouts), and the two give the same outputs; and back from PyTorch to minidl."""

from __future__ import annotations

import numpy as np
import pytest

import minidl

torch = pytest.importorskip("torch")


def cnn(lib):  # noqa: ANN001
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.BatchNorm2d(6), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(400, 84), nn.Dropout(0.5), nn.ReLU(),
                         nn.Linear(84, 10))


def sequence_model(lib):  # noqa: ANN001
    nn = lib.nn

    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(20, 8)
            self.lstm = nn.LSTM(8, 12, num_layers=2, batch_first=True)
            self.gru = nn.GRU(12, 6, batch_first=True)
            self.head = nn.Linear(6, 5)

        def forward(self, tokens):  # noqa: ANN001, ANN202
            h, _ = self.lstm(self.embed(tokens))
            h, _ = self.gru(h)
            return self.head(h)

    return Tagger()


def to_torch(state):  # noqa: ANN001, ANN201
    return {k: torch.from_numpy(np.array(v.numpy())) for k, v in state.items()}


def trained_a_little(model):  # noqa: ANN001, ANN201
    """A few SGD steps in train mode, so BatchNorm's running statistics are not the defaults."""
    opt = minidl.optim.SGD(model.parameters(), lr=0.05)
    x = minidl.randn(8, 1, 28, 28)
    for _ in range(3):
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()
    return model


def test_a_minidl_cnn_state_dict_runs_in_pytorch_with_the_same_outputs():
    minidl.manual_seed(0)
    ours = trained_a_little(cnn(minidl)).eval()
    theirs = cnn(torch).eval()
    state = ours.state_dict()
    assert list(state) == list(theirs.state_dict())          # same names, same order
    theirs.load_state_dict(to_torch(state), strict=True)
    x = np.random.default_rng(1).standard_normal((4, 1, 28, 28)).astype(np.float32)
    with minidl.no_grad(), torch.no_grad():
        np.testing.assert_allclose(ours(minidl.tensor(x)).numpy(),
                                   theirs(torch.from_numpy(x)).numpy(), rtol=1e-4, atol=1e-5)


def test_recurrent_weights_transfer_in_both_directions():
    minidl.manual_seed(0)
    ours, theirs = sequence_model(minidl), sequence_model(torch)
    theirs.load_state_dict(to_torch(ours.state_dict()), strict=True)
    tokens = np.random.default_rng(2).integers(0, 20, (3, 7))
    with minidl.no_grad(), torch.no_grad():
        want = theirs(torch.from_numpy(tokens)).numpy()
        np.testing.assert_allclose(ours(minidl.tensor(tokens)).numpy(), want, rtol=1e-4,
                                   atol=1e-5)
        back = sequence_model(minidl)
        back.load_state_dict({k: minidl.tensor(v.numpy()) for k, v in
                              theirs.state_dict().items()})
        np.testing.assert_allclose(back(minidl.tensor(tokens)).numpy(), want, rtol=1e-4,
                                   atol=1e-5)
