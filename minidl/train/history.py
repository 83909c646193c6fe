"""``History``: what ``fit`` recorded, one value per epoch for every key.

    history = fit(model, loss_fn, optimizer, train, epochs=10, val_data=val)
    history["val_loss"]          # [0.61, 0.43, ...]  one float per epoch
    history.epoch                # [0, 1, 2, ...]     (0-based, as in Keras)
    print(history)               # a table, one row per epoch
    history.plot()               # loss curves on one axis, accuracy on another

Keys: ``loss`` and each metric (training, averaged over the epoch's batches),
``val_loss`` and ``val_<metric>`` (when there is validation data), ``lr`` (the
learning rate the epoch trained with) and ``time`` (seconds the epoch took).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_NOT_PLOTTED = ("lr", "time")


class History:
    """Per-epoch records: ``.history`` maps each key to a list, ``.epoch`` lists epoch indices."""

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        """Record one epoch's ``logs``; a key first seen late is padded with NaN before."""
        for key, value in logs.items():
            self.history.setdefault(key, [float("nan")] * len(self.epoch)).append(float(value))
        for key, values in self.history.items():
            if key not in logs:
                values.append(float("nan"))
        self.epoch.append(epoch)

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.history:
            raise KeyError(f"History: no key {key!r}; recorded keys are {list(self.history)}")
        return self.history[key]

    def __contains__(self, key: object) -> bool:
        return key in self.history

    def __len__(self) -> int:
        return len(self.epoch)

    def keys(self) -> list[str]:
        return list(self.history)

    def plot(self, metrics: Sequence[str] | None = None, ax: Any = None) -> Any:
        """Plot training curves and return the matplotlib Figure.

        Keys are grouped by their name without ``val_``: ``loss`` and ``val_loss``
        share one axis, ``accuracy`` and ``val_accuracy`` another, and so on.
        ``metrics`` picks the groups (default: every recorded key except ``lr``
        and ``time``). ``ax`` is one Axes or a sequence of Axes, one per group;
        without it a new figure with one panel per group is made. Nothing is
        shown: in Jupyter the figure displays itself, elsewhere call ``savefig``.
        """
        groups = self._groups(metrics)
        if ax is None:
            import matplotlib.pyplot as plt

            fig, axes = plt.subplots(1, len(groups), figsize=(4.5 * len(groups), 3.5),
                                     squeeze=False)
            axes = list(axes[0])
        else:
            axes = list(ax) if isinstance(ax, Sequence) else [ax] * len(groups)
            if len(axes) != len(groups):
                raise ValueError(f"History.plot: {len(groups)} groups {groups} need "
                                 f"{len(groups)} axes, got {len(axes)}")
            fig = axes[0].figure
        epochs = [e + 1 for e in self.epoch]
        for axis, group in zip(axes, groups, strict=True):
            for key in (group, "val_" + group):
                if key in self.history:
                    axis.plot(epochs, self.history[key], marker="o", markersize=3,
                              label="validation" if key.startswith("val_") else "training")
            axis.set_xlabel("epoch")
            axis.set_ylabel(group)
            axis.set_title(group)
            axis.legend()
        return fig

    def _groups(self, metrics: Sequence[str] | None) -> list[str]:
        names = metrics if metrics is not None else [
            k for k in self.history if k not in _NOT_PLOTTED
        ]
        groups: list[str] = []
        for name in names:
            base = name.removeprefix("val_")
            if base not in self.history and "val_" + base not in self.history:
                raise KeyError(f"History.plot: no key {name!r}; recorded: {list(self.history)}")
            if base not in groups:
                groups.append(base)
        if not groups:
            raise ValueError("History.plot: nothing recorded yet; train with fit() first")
        return groups

    def __repr__(self) -> str:
        if not self.epoch:
            return "History(no epochs recorded)"
        keys = list(self.history)
        header = ["epoch", *keys]
        rows = [[str(e + 1)] + [_fmt(k, self.history[k][i]) for k in keys]
                for i, e in enumerate(self.epoch)]
        widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
        lines = ["  ".join(cell.rjust(w) for cell, w in zip(r, widths, strict=True))
                 for r in [header, *rows]]
        return "\n".join(lines)


def _fmt(key: str, value: float) -> str:
    if key == "time":
        return f"{value:.2f}s"
    if key == "lr":
        return f"{value:.3g}"
    return f"{value:.4f}"
