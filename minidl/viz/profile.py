"""A profile as a bar chart: where a model's time goes, op by op (see :mod:`minidl.profiler`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from minidl.viz._figure import new_axes

PHASE_COLORS = {"forward": "#1f77b4", "backward": "#ff7f0e", "other": "#7f7f7f"}


def plot_profile(
    events: Sequence[Any],
    sort_by: str = "self_cpu_time_total",
    row_limit: int = 12,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Horizontal bars of ``sort_by`` (ms) for the ``row_limit`` largest events.

    ``events``: ``profile().key_averages()`` (objects with ``key``, ``kind``, ``phase`` and
    the time fields, in µs). Bars are coloured by phase (forward, backward, other); each is
    labelled with its name and kind and annotated with its share of all self time.
    """
    rows = sorted(events, key=lambda e: getattr(e, sort_by), reverse=True)[:row_limit]
    fig, ax = new_axes(ax, figsize=(6.0, 0.3 * max(len(rows), 3) + 1.0))
    self_sum = sum(e.self_cpu_time_total for e in events) or 1.0
    values = np.array([getattr(e, sort_by) for e in rows], dtype=np.float64)
    if sort_by != "count":
        values = values / 1e3  # µs → ms
    y = np.arange(len(rows))[::-1]
    ax.barh(y, values, color=[PHASE_COLORS.get(e.phase, "#7f7f7f") for e in rows])
    ax.set_yticks(y, [f"{e.key} ({e.kind})" for e in rows], fontsize=8)
    for yi, v, e in zip(y, values, rows):
        ax.text(v, yi, f" {100 * e.self_cpu_time_total / self_sum:.0f}%", va="center", fontsize=7)
    unit = "calls" if sort_by == "count" else "ms"
    ax.set_xlabel(f"{sort_by} ({unit}); labels: share of all self time")
    ax.margins(x=0.15)
    handles = [ax.bar(0, 0, color=c, label=p) for p, c in PHASE_COLORS.items()]
    ax.legend(handles=handles, fontsize=8, loc="lower right")
    if title is not None:
        ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return fig
