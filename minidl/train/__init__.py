"""Training made short: ``fit`` a model, ``evaluate`` and ``predict`` with it.

    from minidl.train import fit, EarlyStopping
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()),
                  (X_train, y_train), epochs=10, val_data=(X_val, y_val),
                  callbacks=[EarlyStopping(patience=3)])
    history.plot()

``minidl.train.keras`` holds the Keras-style facade (``compile``/``fit`` on arrays,
``Dense``) behind ``nn.Sequential.compile``/``.fit``.

Modules: ``loop`` (fit, evaluate, predict), ``history``, ``callbacks``,
``metrics``, ``progress`` (the tqdm bar), ``keras``.
"""

from minidl.train import keras
from minidl.train.callbacks import Callback, EarlyStopping, LearningRateScheduler, ModelCheckpoint
from minidl.train.history import History
from minidl.train.loop import NonFiniteLossError, evaluate, fit, predict
from minidl.train.metrics import accuracy, mae, mse

__all__ = [
    "Callback", "EarlyStopping", "History", "LearningRateScheduler", "ModelCheckpoint",
    "NonFiniteLossError", "accuracy", "evaluate", "fit", "keras", "mae", "mse", "predict",
]
