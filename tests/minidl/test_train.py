"""minidl.train: fit / evaluate / predict, History, callbacks and metrics.

Expected values come from NumPy computed here by hand, from hand-picked numbers, or
from snapshots of the weights taken while training; never from minidl.train itself.
"""

from __future__ import annotations

import math
import os

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl import nn, optim
from minidl.data import DataLoader, TensorDataset
from minidl.serialization import load
from minidl.train import (
    Callback,
    EarlyStopping,
    History,
    LearningRateScheduler,
    ModelCheckpoint,
    NonFiniteLossError,
    accuracy,
    evaluate,
    fit,
    mae,
    mse,
    predict,
)
from minidl.train.metrics import get_metric

matplotlib.use("Agg")


# -- fixtures -------------------------------------------------------------------------


def blobs(n: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two well separated Gaussian blobs in 2-D, labels 0/1 (int64)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.normal(size=(n, 2)).astype(np.float32) * 0.5 + np.where(y[:, None] == 1, 2.0, -2.0)
    return x.astype(np.float32), y.astype(np.int64)


def classifier(seed: int = 0) -> nn.Module:
    minidl.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))


def linear_with(weight: np.ndarray, bias: np.ndarray) -> nn.Linear:
    layer = nn.Linear(weight.shape[1], weight.shape[0])
    with minidl.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
    return layer


def weights(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: np.array(v.detach().numpy(), copy=True) for k, v in model.state_dict().items()}


class Snapshots(Callback):
    """Records a copy of the weights after every epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.states: list[dict[str, np.ndarray]] = []

    def on_epoch_end(self, epoch, logs):
        self.states.append(weights(self.model))


# -- metrics --------------------------------------------------------------------------


def test_accuracy_multiclass_labels_and_one_hot():
    scores = np.array([[2.0, 1.0, 0.0], [0.0, 0.5, 0.1], [0.0, 0.0, 3.0], [1.0, 0.0, 0.0]])
    labels = np.array([0, 1, 1, 2])  # argmax rows: 0, 1, 2, 0 -> 2 of 4 right
    assert accuracy(scores, labels) == 0.5
    assert accuracy(minidl.tensor(scores), np.eye(3)[labels]) == 0.5


def test_accuracy_binary_probabilities_threshold_and_logits():
    probs = np.array([0.9, 0.4, 0.51, 0.2], dtype=np.float32)
    labels = np.array([1, 1, 1, 0])
    assert accuracy(probs, labels) == 0.75                       # 0.4 is below 0.5
    assert accuracy(probs.reshape(4, 1), labels) == 0.75         # (N, 1) outputs
    assert accuracy(probs - 0.5, labels, threshold=0.0) == 0.75  # the same as logits


def test_accuracy_rejects_mismatched_shapes():
    with pytest.raises(minidl.ShapeError, match=r"accuracy: .*\(3, 2\).*got \(2,\)"):
        accuracy(np.zeros((3, 2)), np.zeros(2, dtype=np.int64))
    with pytest.raises(minidl.ShapeError, match="accuracy"):
        accuracy(np.zeros((2, 3, 4)), np.zeros(2))


def test_mse_and_mae_by_hand():
    out = np.array([[1.0], [2.0], [4.0]])
    tgt = np.array([0.0, 2.0, 1.0])  # (N,) target pairs with (N, 1) output
    assert mse(out, tgt) == pytest.approx((1 + 0 + 9) / 3)
    assert mae(out, tgt) == pytest.approx((1 + 0 + 3) / 3)
    with pytest.raises(minidl.ShapeError, match="mse"):
        mse(np.zeros(3), np.zeros(4))


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 9), c=st.integers(2, 5), seed=st.integers(0, 2**16))
def test_accuracy_matches_counting(n, c, seed):
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(c, n)).T  # non-contiguous (n, c)
    labels = rng.integers(0, c, size=n)
    right = sum(int(np.argmax(scores[i]) == labels[i]) for i in range(n))
    assert accuracy(scores, labels) == pytest.approx(right / n)


def test_get_metric_names_and_callables():
    def f1(output, target):
        return 0.0

    assert get_metric("mae")[0] == "mae"
    assert get_metric(f1)[0] == "f1"
    with pytest.raises(ValueError, match="unknown metric 'auc'"):
        get_metric("auc")


# -- fit --------------------------------------------------------------------------------


def test_fit_learns_and_records_history():
    x, y = blobs()
    model = classifier()
    opt = optim.SGD(model.parameters(), lr=0.1)
    h = fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=4, batch_size=16,
            val_data=(x, y), progress=False, seed=0)
    assert isinstance(h, History)
    assert h.epoch == [0, 1, 2, 3]
    assert set(h.keys()) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"}
    assert all(len(v) == 4 for v in h.history.values())
    assert h["lr"] == [pytest.approx(0.1)] * 4
    assert all(t > 0 for t in h["time"])
    assert h["loss"][-1] < h["loss"][0]
    assert h["val_accuracy"][-1] == 1.0  # the blobs are 8 standard deviations apart


def test_fit_val_metrics_equal_numpy_on_final_weights():
    x, y = blobs(40)
    model = nn.Linear(2, 2)
    opt = optim.SGD(model.parameters(), lr=0.05)
    h = fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=2, batch_size=7,
            val_data=(x, y), progress=False)
    w = model.weight.detach().numpy().astype(np.float64)
    b = model.bias.detach().numpy().astype(np.float64)
    logits = x @ w.T + b
    logp = logits - logits.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    assert h["val_loss"][-1] == pytest.approx(-logp[np.arange(40), y].mean(), rel=1e-5)
    assert h["val_accuracy"][-1] == pytest.approx(np.mean(logits.argmax(1) == y))


def test_fit_accepts_dataset_and_dataloader():
    x, y = blobs(32)
    for data in (TensorDataset(x, y), DataLoader(TensorDataset(x, y), batch_size=8)):
        model = classifier()
        h = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), data,
                epochs=1, progress=False)
        assert len(h) == 1 and math.isfinite(h["loss"][0])


def test_progress_false_prints_nothing(capsys):
    x, y = blobs(16)
    model = classifier()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y),
        epochs=2, batch_size=4, val_data=(x, y), progress=False)
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_progress_true_shows_epoch_and_running_loss(capsys):
    x, y = blobs(16)
    model = classifier()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y),
        epochs=2, batch_size=4, progress=True)
    text = "".join(capsys.readouterr())
    assert "Epoch 1/2" in text and "Epoch 2/2" in text and "loss=" in text


def test_nan_loss_names_epoch_and_step():
    x, y = blobs(8)
    calls = []

    def loss_fn(output, target):  # finite for 5 steps, then NaN (4 steps per epoch)
        calls.append(1)
        loss = nn.functional.cross_entropy(output, target)
        return loss * float("nan") if len(calls) == 6 else loss

    model = classifier()
    opt = optim.SGD(model.parameters(), lr=0.25)
    with pytest.raises(NonFiniteLossError, match=r"epoch 2, step 2 \(lr=0\.25\)") as info:
        fit(model, loss_fn, opt, (x, y), epochs=3, batch_size=2, shuffle=False, progress=False)
    assert isinstance(info.value, FloatingPointError)
    assert "loss became nan" in str(info.value) and "smaller learning rate" in str(info.value)


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_diverging_training_is_stopped():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype(np.float32) * 100
    y = rng.normal(size=(32, 1)).astype(np.float32) * 100
    model = nn.Linear(4, 1)
    with pytest.raises(NonFiniteLossError, match=r"at epoch \d+, step \d+"):
        fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=10.0), (x, y),
            epochs=50, batch_size=8, metrics=(), progress=False)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"epochs": 0}, ValueError, "epochs must be an int >= 1, got 0"),
        ({"batch_size": 0}, ValueError, "batch_size must be an int >= 1"),
        ({"metrics": ("auc",)}, ValueError, "unknown metric"),
        ({"callbacks": [object()]}, TypeError, "Callback"),
    ],
)
def test_fit_validates_arguments(kwargs, error, match):
    x, y = blobs(8)
    model = classifier()
    with pytest.raises(error, match=match):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y),
            progress=False, **kwargs)


def test_fit_rejects_wrong_model_optimizer_and_data():
    x, y = blobs(8)
    model, other = classifier(), classifier(1)
    loss = nn.CrossEntropyLoss()
    with pytest.raises(TypeError, match="model must be an nn.Module"):
        fit(lambda t: t, loss, optim.SGD(model.parameters(), lr=0.1), (x, y))
    with pytest.raises(ValueError, match="optimizer holds none of the model's parameters"):
        fit(model, loss, optim.SGD(other.parameters(), lr=0.1), (x, y))
    with pytest.raises(minidl.ShapeError, match=r"X \(8, 2\) and y \(7,\)"):
        fit(model, loss, optim.SGD(model.parameters(), lr=0.1), (x, y[:7]))
    with pytest.raises(TypeError, match="tuple \\(X, y\\)"):
        fit(model, loss, optim.SGD(model.parameters(), lr=0.1), x)


def test_seed_makes_shuffled_runs_repeat():
    x, y = blobs(32)
    runs = []
    for _ in range(2):
        model = classifier(3)
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y),
            epochs=2, batch_size=5, progress=False, seed=7)
        runs.append(weights(model))
    for k in runs[0]:
        np.testing.assert_array_equal(runs[0][k], runs[1][k])


def test_callback_hooks_order_and_stop_from_batch():
    x, y = blobs(16)
    events = []

    class Spy(Callback):
        def on_train_begin(self, logs):
            events.append("train_begin")

        def on_epoch_begin(self, epoch, logs):
            events.append(f"epoch_begin {epoch}")

        def on_batch_end(self, batch, logs):
            events.append(f"batch {batch} size {logs['size']}")
            if sum(e.startswith("batch") for e in events) == 3:
                self.stop_training = True

        def on_epoch_end(self, epoch, logs):
            events.append(f"epoch_end {epoch}")

        def on_train_end(self, logs):
            events.append("train_end")

    model = classifier()
    h = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y),
            epochs=5, batch_size=8, callbacks=[Spy()], progress=False)
    assert events == ["train_begin", "epoch_begin 0", "batch 0 size 8", "batch 1 size 8",
                      "epoch_end 0", "epoch_begin 1", "batch 0 size 8", "epoch_end 1",
                      "train_end"]
    assert len(h) == 2


# -- evaluate / predict -----------------------------------------------------------------


def test_evaluate_weights_batches_by_size():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(10, 3)).astype(np.float32)
    y = rng.normal(size=(10, 1)).astype(np.float32)
    w, b = np.array([[0.5, -1.0, 2.0]]), np.array([0.25])
    model = linear_with(w, b)
    out = x @ w.T + b
    logs = evaluate(model, (x, y), nn.MSELoss(), metrics=("mae",), batch_size=3)
    assert logs == {"loss": pytest.approx(np.mean((out - y) ** 2), rel=1e-5),
                    "mae": pytest.approx(np.mean(np.abs(out - y)), rel=1e-5)}


def test_accuracy_reads_logits_when_loss_takes_logits():
    x = np.zeros((4, 1), dtype=np.float32)
    y = np.ones((4, 1), dtype=np.float32)
    model = linear_with(np.zeros((1, 1)), np.array([0.3]))  # logit 0.3: p = 0.57 -> class 1
    assert evaluate(model, (x, y), nn.BCEWithLogitsLoss())["accuracy"] == 1.0
    assert evaluate(model, (x, y))["accuracy"] == 0.0  # read as a probability 0.3 < 0.5


@pytest.mark.parametrize("training", [True, False])
def test_predict_matches_numpy_and_restores_mode(training):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(7, 3)).astype(np.float32)
    w, b = rng.normal(size=(2, 3)), rng.normal(size=2)
    model = nn.Sequential(linear_with(w, b))
    model.train(training)
    out = predict(model, x, batch_size=3)
    assert isinstance(out, minidl.Tensor) and not out.requires_grad
    np.testing.assert_allclose(out.numpy(), x @ w.T + b, rtol=1e-5, atol=1e-6)
    assert model.training is training and model[0].training is training


def test_predict_on_dataset_and_bad_input():
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    model = linear_with(np.array([[1.0, 1.0]]), np.array([0.0]))
    out = predict(model, TensorDataset(x), batch_size=2)
    np.testing.assert_allclose(out.numpy().ravel(), [1.0, 5.0, 9.0])
    with pytest.raises(minidl.ShapeError, match="predict"):
        predict(model, np.zeros((0, 2), dtype=np.float32))


# -- callbacks -------------------------------------------------------------------------


def test_early_stopping_patience_on_a_given_sequence():
    stop = EarlyStopping(monitor="val_loss", patience=2)
    stop.set_context(None, None)
    stop.restore_best_weights = False
    stop.on_train_begin({})
    for epoch, v in enumerate([1.0, 0.5, 0.6, 0.7, 0.4]):
        stop.on_epoch_end(epoch, {"val_loss": v})
        if stop.stop_training:
            break
    assert (stop.best_epoch, stop.stopped_epoch, stop.best) == (1, 3, 0.5)


def test_early_stopping_min_delta_and_max_mode():
    stop = EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.05)
    stop.set_context(None, None)
    stop.restore_best_weights = False
    stop.on_train_begin({})
    stop.on_epoch_end(0, {"val_accuracy": 0.80})
    stop.on_epoch_end(1, {"val_accuracy": 0.83})  # +0.03 is not an improvement
    assert stop.stop_training and stop.best == 0.80


def test_early_stopping_restores_best_weights():
    x, y = blobs(32)
    model = classifier()
    snaps = Snapshots()
    stop = EarlyStopping(patience=2)
    # validating against flipped labels: the val loss rises as the model learns
    h = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.2), (x, y),
            epochs=30, batch_size=8, val_data=(x, 1 - y), callbacks=[snaps, stop],
            progress=False)
    best = int(np.argmin(h["val_loss"]))
    assert stop.best_epoch == best
    assert stop.stopped_epoch == best + 2 and len(h) == best + 3 < 30
    final = weights(model)
    for k, v in snaps.states[best].items():
        np.testing.assert_array_equal(final[k], v)
    assert not np.array_equal(final["0.weight"], snaps.states[-1]["0.weight"])


def test_early_stopping_needs_the_monitored_key():
    x, y = blobs(8)
    model = classifier()
    with pytest.raises(KeyError, match="pass val_data"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y),
            callbacks=[EarlyStopping()], progress=False)


def test_model_checkpoint_saves_best_only(tmp_path):
    x, y = blobs(32)
    model = classifier()
    snaps = Snapshots()
    path = tmp_path / "ckpt" / "model-{epoch:02d}.npz"
    ckpt = ModelCheckpoint(path, monitor="val_loss", save_best_only=True)
    h = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.2), (x, y),
            epochs=4, batch_size=8, val_data=(x, 1 - y), callbacks=[snaps, ckpt],
            progress=False)
    running_best = np.minimum.accumulate(h["val_loss"])
    improved = [e for e in range(4) if e == 0 or running_best[e] < running_best[e - 1]]
    assert ckpt.saved == [str(tmp_path / "ckpt" / f"model-{e + 1:02d}.npz") for e in improved]
    assert sorted(os.listdir(tmp_path / "ckpt")) == [f"model-{e + 1:02d}.npz" for e in improved]
    loaded = load(ckpt.saved[-1])
    for k, v in snaps.states[improved[-1]].items():
        np.testing.assert_array_equal(np.asarray(loaded[k].detach().numpy()), v)


def test_model_checkpoint_every_epoch(tmp_path):
    x, y = blobs(16)
    model = classifier()
    ckpt = ModelCheckpoint(tmp_path / "e{epoch}-{loss:.2f}.npz", monitor="loss",
                           save_best_only=False)
    h = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y),
            epochs=2, callbacks=[ckpt], progress=False)
    assert [os.path.basename(p) for p in ckpt.saved] == [
        f"e{e + 1}-{h['loss'][e]:.2f}.npz" for e in range(2)
    ]


def test_learning_rate_scheduler_callback_sets_lr():
    x, y = blobs(16)
    model = classifier()
    opt = optim.SGD(model.parameters(), lr=1.0)
    h = fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=3,
            callbacks=[LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5**epoch)],
            progress=False)
    assert h["lr"] == pytest.approx([0.1, 0.05, 0.025])


def test_scheduler_argument_steps_once_per_epoch():
    x, y = blobs(16)
    model = classifier()
    opt = optim.SGD(model.parameters(), lr=0.4)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    h = fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=3, batch_size=4,
            scheduler=sched, progress=False)
    assert h["lr"] == pytest.approx([0.4, 0.2, 0.1])


def test_reduce_lr_on_plateau_gets_val_loss():
    seen = []

    class Recording(optim.lr_scheduler.ReduceLROnPlateau):
        def step(self, metrics):
            seen.append(metrics)
            super().step(metrics)

    x, y = blobs(16)
    model = classifier()
    opt = optim.SGD(model.parameters(), lr=0.1)
    h = fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=3, val_data=(x, y),
            scheduler=Recording(opt), progress=False)
    assert seen == pytest.approx(h["val_loss"])


# -- History ------------------------------------------------------------------------


def test_history_records_table_and_errors():
    h = History()
    h.append(0, {"loss": 0.5, "val_loss": 0.75, "lr": 0.001, "time": 1.5})
    h.append(1, {"loss": 0.25, "lr": 0.001, "time": 1.25})
    assert h["loss"] == [0.5, 0.25] and h.epoch == [0, 1] and len(h) == 2
    assert math.isnan(h["val_loss"][1])
    lines = repr(h).splitlines()
    assert lines[0].split() == ["epoch", "loss", "val_loss", "lr", "time"]
    assert lines[1].split() == ["1", "0.5000", "0.7500", "0.001", "1.50s"]
    assert str(h) == repr(h)
    with pytest.raises(KeyError, match="no key 'accuracy'"):
        h["accuracy"]


def test_history_plot_groups_train_and_val():
    h = History()
    for e, (a, b) in enumerate([(0.9, 1.0), (0.5, 0.7), (0.3, 0.6)]):
        h.append(e, {"loss": a, "accuracy": 1 - a, "val_loss": b, "val_accuracy": 1 - b,
                     "lr": 0.1, "time": 0.1})
    fig = h.plot()
    try:
        loss_ax, acc_ax = fig.axes
        assert loss_ax.get_ylabel() == "loss" and acc_ax.get_ylabel() == "accuracy"
        lines = {ln.get_label(): ln for ln in loss_ax.get_lines()}
        np.testing.assert_allclose(lines["training"].get_ydata(), [0.9, 0.5, 0.3])
        np.testing.assert_allclose(lines["validation"].get_ydata(), [1.0, 0.7, 0.6])
        np.testing.assert_allclose(lines["training"].get_xdata(), [1, 2, 3])
    finally:
        matplotlib.pyplot.close(fig)


def test_history_plot_on_given_axis():
    from matplotlib.figure import Figure

    h = History()
    h.append(0, {"loss": 1.0, "accuracy": 0.5})
    fig = Figure()
    ax = fig.add_subplot()
    assert h.plot(metrics=["loss"], ax=ax) is fig
    assert [ln.get_label() for ln in ax.get_lines()] == ["training"]
    with pytest.raises(KeyError, match="no key 'mae'"):
        h.plot(metrics=["mae"], ax=ax)


@pytest.mark.parametrize("mode, widget", [("live", True), ("static", False)])
def test_progress_bar_is_a_widget_only_with_a_frontend(monkeypatch, mode, widget):
    """Headless notebook runs (nbval) must not store frozen widget bars: text bars there."""
    import tqdm.auto

    from minidl.train.progress import epoch_bar

    class WidgetBar:  # stands in for tqdm.auto's notebook bar
        def __init__(self, **kwargs):
            self.kwargs = kwargs

    monkeypatch.setattr(tqdm.auto, "tqdm", WidgetBar)
    monkeypatch.setenv("MINIDL_WIDGETS", mode)
    bar = epoch_bar(2, 10, total=5, enabled=True)
    assert isinstance(bar, WidgetBar) == widget
    assert (bar.kwargs["desc"] if widget else bar.desc) == "Epoch  2/10"
    if not widget:
        bar.close()
