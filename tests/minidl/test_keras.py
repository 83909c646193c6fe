"""minidl.train.keras: compile / fit / evaluate / predict on arrays, Keras loss and layer names.

Loss values are checked against NumPy formulas written here (Keras' clipping at 1e-7);
training is checked by the accuracy it reaches on a real binary task.
"""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl import nn, optim
from minidl.data import make_moons
from minidl.train import History, keras
from minidl.train.keras import Dense

EPS = 1e-7


def test_classic_keras_example_learns_moons():
    """The classic Keras example, verbatim, on make_moons: at least 94% on 300 held-out
    points (measured: 96.0% with this seed, 95.3-96.0% over seeds 0-2)."""
    X, y = make_moons(600, noise=0.15, seed=0)
    X_test, y_test = make_moons(300, noise=0.15, seed=1)
    minidl.manual_seed(0)
    model = nn.Sequential(Dense(64, activation="relu"), Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(X, y, epochs=60, batch_size=32, verbose=0)
    assert isinstance(history, History) and len(history) == 60
    loss, acc = keras.evaluate(model, X_test, y_test)
    assert acc >= 0.94, f"accuracy {acc:.3f} on held-out moons"
    assert history["loss"][-1] < 0.5 * history["loss"][0]


def _probs(rng, n, c):
    z = rng.normal(size=(n, c))
    return np.exp(z) / np.exp(z).sum(1, keepdims=True)


def test_binary_crossentropy_by_hand_and_clipped():
    p = np.array([[0.9], [0.2], [1.0], [0.0]], dtype=np.float64)
    y = np.array([1, 0, 0, 1])  # the last two are saturated and wrong
    q = np.clip(p[:, 0], EPS, 1 - EPS)
    want = -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))
    got = keras.binary_crossentropy(minidl.tensor(p), y)
    assert got.item() == pytest.approx(want, rel=1e-6)
    assert np.isfinite(got.item()) and got.item() > 8.0  # two of four cost -log(1e-7) ≈ 16.1


def test_categorical_and_sparse_crossentropy_by_hand():
    rng = np.random.default_rng(0)
    p, labels = _probs(rng, 5, 4), rng.integers(0, 4, size=5)
    want = -np.mean(np.log(p[np.arange(5), labels]))
    cat = keras.categorical_crossentropy(minidl.tensor(p), np.eye(4)[labels])
    sparse = keras.sparse_categorical_crossentropy(minidl.tensor(p), labels)
    assert cat.item() == pytest.approx(want, rel=1e-6)
    assert sparse.item() == pytest.approx(want, rel=1e-6)
    scaled = keras.categorical_crossentropy(minidl.tensor(3 * p), np.eye(4)[labels])
    assert scaled.item() == pytest.approx(want, rel=1e-6)  # rows renormalised, as in Keras


def test_categorical_crossentropy_gradient():
    rng = np.random.default_rng(1)
    p = minidl.tensor(_probs(rng, 3, 4) * 2.0, requires_grad=True)  # unnormalised rows
    y = np.eye(4)[[0, 3, 1]]
    assert minidl.gradcheck(lambda q: keras.categorical_crossentropy(q, y), p)


def test_mse_and_mae_losses_take_n_targets_for_n_by_1_outputs():
    out = minidl.tensor([[1.0], [3.0]])
    y = np.array([0.0, 1.0])
    assert keras.mean_squared_error(out, y).item() == pytest.approx((1 + 4) / 2)
    assert keras.mean_absolute_error(out, y).item() == pytest.approx((1 + 2) / 2)
    assert keras.LOSSES["mse"] is keras.mean_squared_error
    assert keras.LOSSES["mae"] is keras.mean_absolute_error


def test_sparse_crossentropy_rejects_bad_labels():
    p = minidl.tensor(_probs(np.random.default_rng(0), 2, 3))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        keras.sparse_categorical_crossentropy(p, np.array([0, 3]))
    with pytest.raises(minidl.ShapeError, match="integer labels"):
        keras.sparse_categorical_crossentropy(p, np.array([0.0, 1.0]))


@pytest.mark.parametrize(
    ("name", "cls", "lr"),
    [("sgd", "SGD", 0.01), ("adam", "Adam", 0.001), ("rmsprop", "RMSprop", 0.001),
     ("adagrad", "Adagrad", 0.001), ("adamw", "AdamW", 0.001)],
)
def test_optimizer_names_get_keras_default_learning_rates(name, cls, lr):
    model = nn.Sequential(Dense(3, input_dim=2), Dense(1))  # the second layer is lazy
    keras.compile(model, loss="mse", optimizer=name)
    keras.fit(model, np.zeros((4, 2)), np.zeros(4), verbose=0)
    opt = keras.compiled(model).optimizer
    assert type(opt) is getattr(optim, cls)
    assert opt.param_groups[0]["lr"] == pytest.approx(lr)
    n_params = sum(len(g["params"]) for g in opt.param_groups)
    assert n_params == 4  # both layers' weight and bias, the lazy one included


def test_optimizer_instance_and_class_are_used():
    model = nn.Sequential(Dense(1, input_dim=2))
    sgd = optim.SGD(model.parameters(), lr=0.5)
    keras.compile(model, loss="mse", optimizer=sgd)
    keras.fit(model, np.zeros((4, 2)), np.zeros(4), verbose=0)
    assert keras.compiled(model).optimizer is sgd
    keras.compile(model, loss="mse", optimizer=optim.Adam)
    keras.fit(model, np.zeros((4, 2)), np.zeros(4), verbose=0)
    assert type(keras.compiled(model).optimizer) is optim.Adam


def test_unknown_names_and_uncompiled_models():
    model = nn.Sequential(Dense(1, input_dim=2))
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        keras.compile(model, loss="hinge")
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        keras.compile(model, loss="mse", optimizer="lbfgs")
    with pytest.raises(ValueError, match="unknown metric 'auc'"):
        keras.compile(model, loss="mse", metrics=["auc"])
    with pytest.raises(RuntimeError, match="compile the model first"):
        keras.fit(nn.Sequential(Dense(1, input_dim=2)), np.zeros((2, 2)), np.zeros(2))


def test_validation_split_holds_out_the_last_fraction():
    seen = []

    def spy(output, target):
        seen.append(np.asarray(target.detach().numpy()).copy())
        return 0.0

    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10, dtype=np.float32)
    model = nn.Sequential(Dense(1, input_dim=2))
    keras.compile(model, loss="mse", optimizer="sgd", metrics=[spy])
    h = keras.fit(model, x, y, epochs=1, batch_size=100, validation_split=0.2,
                  shuffle=False, verbose=0)
    train_targets, val_targets = seen
    np.testing.assert_array_equal(train_targets, y[:8])
    np.testing.assert_array_equal(val_targets, y[8:])
    assert "val_loss" in h and "val_spy" in h


def test_validation_data_wins_and_bad_split_is_refused():
    x, y = np.zeros((4, 2)), np.zeros(4)
    model = nn.Sequential(Dense(1, input_dim=2))
    keras.compile(model, loss="mse")
    h = keras.fit(model, x, y, validation_data=(x[:1], y[:1]), validation_split=0.5, verbose=0)
    assert "val_loss" in h
    with pytest.raises(ValueError, match=r"validation_split must lie in \[0, 1\)"):
        keras.fit(model, x, y, validation_split=1.0)


def test_verbose_zero_prints_nothing_and_evaluate_returns_like_keras(capsys):
    x = np.array([[0.0], [1.0]], dtype=np.float32)
    y = np.array([1.0, 3.0], dtype=np.float32)
    model = nn.Sequential(Dense(1, input_dim=1))
    with minidl.no_grad():
        model[0].weight.fill_(2.0)
        model[0].bias.fill_(0.0)  # outputs 0 and 2: errors -1 and -1
    keras.compile(model, loss="mse", optimizer="sgd")
    assert keras.evaluate(model, x, y) == pytest.approx(1.0)
    keras.compile(model, loss="mse", optimizer="sgd", metrics=["mae"])
    assert keras.evaluate(model, x, y) == pytest.approx([1.0, 1.0])
    keras.fit(model, x, y, epochs=2, verbose=0)
    assert capsys.readouterr() == ("", "")


def test_predict_returns_numpy():
    model = nn.Sequential(Dense(1, input_dim=2))
    with minidl.no_grad():
        model[0].weight.copy_(np.array([[1.0, -1.0]]))
        model[0].bias.fill_(0.5)
    out = keras.predict(model, np.array([[3.0, 1.0], [0.0, 2.0], [1.0, 1.0]]), batch_size=2)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    np.testing.assert_allclose(out, [[2.5], [-1.5], [0.5]])


def test_dense_builds_linear_and_activation_modules():
    assert type(Dense(4, input_dim=3)) is nn.Linear
    assert type(Dense(4)) is nn.LazyLinear
    assert type(Dense(4, activation="linear", input_dim=3)) is nn.Linear
    layer = Dense(5, activation="softmax", input_dim=3)
    assert isinstance(layer, nn.Sequential) and isinstance(layer[1], nn.Softmax)
    out = layer(minidl.randn(2, 3))
    assert out.shape == (2, 5)
    np.testing.assert_allclose(out.detach().numpy().sum(1), [1.0, 1.0], rtol=1e-6)
    for name, cls in [("relu", nn.ReLU), ("sigmoid", nn.Sigmoid), ("tanh", nn.Tanh),
                      ("gelu", nn.GELU)]:
        assert isinstance(Dense(2, activation=name, input_dim=2)[1], cls)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        Dense(2, activation="swish")
    with pytest.raises(ValueError, match="units must be an int >= 1"):
        Dense(0)
