"""Where the time goes: a profiler for minidl's ops and kernels, shaped like ``torch.profiler``.

::

    with minidl.profiler.profile() as prof:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))
    prof.plot()                                     # a bar chart (minidl.viz.plot_profile)

Three kinds of events are recorded, each timed with ``time.perf_counter_ns``:

* **ops**: every ``Function.forward`` (named after the Function: ``Conv2d``) and every
  ``backward`` the engine runs (named after its node: ``Conv2dBackward``);
* **kernels**: every call of a kernel slot (``conv2d_forward``, ``max_pool2d_backward``, …),
  which usually runs *inside* an op;
* **ranges**: blocks you name with :func:`record_function` (``"optimizer.step"``).

Events nest. An event's *total* time runs from its start to its end; its *self* time is
the total minus the totals of the events directly inside it, so the self times of all
events add up to the profiled time spent inside events, with nothing counted twice.
Every event belongs to a *phase*: ``forward`` or ``backward`` for ops, the enclosing
op's phase for kernels and ranges, ``other`` outside any op (an optimizer's kernels).

When no profile is recording, the cost is one ``is None`` test per op and per kernel
call: the hooks are module globals in :mod:`minidl.autograd.function` and
:mod:`minidl.kernels.slots`, set only inside ``with profile():``.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from minidl.autograd import function as _function

# the module, not the function ``minidl.kernels.slots`` that its package re-exports
_slots = importlib.import_module("minidl.kernels.slots")

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SORT_KEYS = ("self_cpu_time_total", "cpu_time_total", "cpu_time", "self_cpu_time", "count")


@dataclass
class FunctionEventAvg:
    """All calls of one event name in one phase. Times in microseconds, like torch's."""

    key: str
    kind: str  # "op", "kernel" or "range"
    phase: str  # "forward", "backward" or "other"
    count: int = 0
    cpu_time_total: float = 0.0
    self_cpu_time_total: float = 0.0

    @property
    def cpu_time(self) -> float:
        """Average total time per call (µs)."""
        return self.cpu_time_total / max(self.count, 1)

    @property
    def self_cpu_time(self) -> float:
        """Average self time per call (µs)."""
        return self.self_cpu_time_total / max(self.count, 1)


class EventList(list):
    """A list of :class:`FunctionEventAvg` that prints itself as a table."""

    def sorted_by(self, sort_by: str = "self_cpu_time_total") -> EventList:
        if sort_by not in SORT_KEYS:
            raise ValueError(f"profiler: sort_by must be one of {', '.join(SORT_KEYS)}, "
                             f"got {sort_by!r}")
        return EventList(sorted(self, key=lambda e: getattr(e, sort_by), reverse=True))

    def table(self, sort_by: str = "self_cpu_time_total", row_limit: int = 20) -> str:
        """A text table, largest ``sort_by`` first, at most ``row_limit`` rows (-1: all)."""
        rows = self.sorted_by(sort_by)
        if row_limit >= 0:
            rows = rows[:row_limit]
        self_sum = sum(e.self_cpu_time_total for e in self) or 1.0
        width = max([len("Name")] + [len(e.key) for e in rows])
        head = (f"{'Name':<{width}}  {'Kind':<6}  {'Phase':<8}  {'Self %':>6}  {'Self':>10}  "
                f"{'Total':>10}  {'Avg total':>10}  {'Calls':>6}")
        lines = [head, "-" * len(head)]
        for e in rows:
            lines.append(
                f"{e.key:<{width}}  {e.kind:<6}  {e.phase:<8}  "
                f"{100 * e.self_cpu_time_total / self_sum:>5.1f}%  "
                f"{_fmt_us(e.self_cpu_time_total):>10}  {_fmt_us(e.cpu_time_total):>10}  "
                f"{_fmt_us(e.cpu_time):>10}  {e.count:>6}")
        lines.append("-" * len(head))
        lines.append(f"Self time total: {_fmt_us(sum(e.self_cpu_time_total for e in self))}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def _fmt_us(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f} s"
    if us >= 1e3:
        return f"{us / 1e3:.3f} ms"
    return f"{us:.1f} µs"


class profile:  # noqa: N801 (torch.profiler.profile's name)
    """Record minidl's ops, kernels and named ranges while the ``with`` block runs.

    ``record_kernels=False`` records ops and ranges only. Profiles do not nest: starting one
    while another records raises ``RuntimeError``.
    """

    def __init__(self, record_kernels: bool = True) -> None:
        self.record_kernels = record_kernels
        self._stats: dict[tuple[str, str], FunctionEventAvg] = {}
        # one frame per open event: [key, kind, phase, start_ns, children_ns]
        self._stack: list[list[Any]] = []

    # -- recording ----------------------------------------------------------------------
    def __enter__(self) -> profile:
        global _active
        if _active is not None:
            raise RuntimeError("profiler: a profile is already recording; profiles do not nest")
        _active = self
        _function.profile_hook = self._op
        if self.record_kernels:
            _slots.profile_hook = self._kernel
        return self

    def __exit__(self, *exc: object) -> None:
        global _active
        _function.profile_hook = None
        _slots.profile_hook = None
        _active = None

    def _op(self, name: str, phase: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        return self._timed(name, "op", phase, fn, args, kw)

    def _kernel(self, name: str, _phase: None, fn: Callable[..., Any], *args: Any,
                **kw: Any) -> Any:
        return self._timed(name, "kernel", None, fn, args, kw)

    def _timed(self, name: str, kind: str, phase: str | None, fn: Callable[..., Any],
               args: tuple, kw: dict) -> Any:
        self._push(name, kind, phase)
        try:
            return fn(*args, **kw)
        finally:
            self._pop()

    def _push(self, name: str, kind: str, phase: str | None) -> None:
        if phase is None:
            phase = self._stack[-1][2] if self._stack else "other"
        self._stack.append([name, kind, phase, time.perf_counter_ns(), 0])

    def _pop(self) -> None:
        end = time.perf_counter_ns()
        name, kind, phase, start, children = self._stack.pop()
        total = end - start
        if self._stack:
            self._stack[-1][4] += total
        entry = self._stats.get((name, phase))
        if entry is None:
            entry = self._stats[(name, phase)] = FunctionEventAvg(name, kind, phase)
        entry.count += 1
        entry.cpu_time_total += total / 1e3
        entry.self_cpu_time_total += (total - children) / 1e3

    # -- results ------------------------------------------------------------------------
    def key_averages(self) -> EventList:
        """One :class:`FunctionEventAvg` per (name, phase), in order of first appearance."""
        return EventList(self._stats.values())

    def table(self, sort_by: str = "self_cpu_time_total", row_limit: int = 20) -> str:
        return self.key_averages().table(sort_by=sort_by, row_limit=row_limit)

    def plot(self, sort_by: str = "self_cpu_time_total", row_limit: int = 12,
             **kwargs: Any) -> Figure:
        """A bar chart of the top ``row_limit`` events (:func:`minidl.viz.plot_profile`)."""
        from minidl.viz.profile import plot_profile

        return plot_profile(self.key_averages(), sort_by=sort_by, row_limit=row_limit, **kwargs)


_active: profile | None = None


@contextmanager
def record_function(name: str) -> Iterator[None]:
    """Time the ``with`` block as an event called ``name`` (no cost when nothing records)."""
    prof = _active
    if prof is None:
        yield
        return
    prof._push(name, "range", None)
    try:
        yield
    finally:
        prof._pop()
