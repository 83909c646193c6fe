"""``minidl.use_exercises()``: run minidl on the learner's kernels.

Every exercise whose function name is a kernel slot (``sigmoid_forward``,
``conv2d_forward``, …; see :mod:`minidl.kernels.slots`) is routed to the learner's
function once it is implemented, i.e. no longer holds the stub's
``raise NotImplementedError`` (decided statically, :func:`minidl.course.is_stub`). At call
time the slot still falls back to minidl's reference when the learner's function raises
``NotImplementedError``; any other exception, and any wrong result, goes through to the
caller, so a mistake shows.

    with minidl.use_exercises():        # restores minidl's references on exit
        model.fit(...)

    routing = minidl.use_exercises()    # or: stays on until
    routing.restore()
"""

from __future__ import annotations

import html
import importlib
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType, TracebackType
from typing import Any

from minidl.course.display import html_table, show, text_table
from minidl.course.exercise import Exercise, is_stub
from minidl.course.root import chapter_names, check_impl, course_root, default_impl, load_chapter
from minidl.device import cuda_is_available
from minidl.kernels import cpu as cpu_kernels
from minidl.kernels.slots import set_override, slots


@dataclass(frozen=True)
class Route:
    """Where one slot goes: ``yours`` is True when the learner's function is installed.

    While installed, a call that raises ``NotImplementedError`` still runs the reference
    and counts as a fallback (a function only partly written).
    """

    slot: str
    exercise: Exercise | None
    yours: bool
    note: str


def register_all_slots() -> None:
    """Import every CPU kernel module so that all slots exist before routing."""
    for info in pkgutil.iter_modules(cpu_kernels.__path__):
        importlib.import_module(f"{cpu_kernels.__name__}.{info.name}")


def _exercise_functions(module: ModuleType) -> list[Any]:
    return [
        fn for fn in vars(module).values()
        if getattr(fn, "__exercise__", None) is not None and fn.__module__ == module.__name__
    ]


class ExerciseRouting:
    """The slots routed by one :func:`use_exercises` call; a context manager.

    ``routes`` lists every slot exercise found; ``problems`` the chapters that could not be
    imported. :meth:`restore` puts back what each slot ran before (nesting works).
    """

    def __init__(self, impl: str, routes: list[Route], problems: list[str],
                 previous: dict[str, Any], verbose: bool = False) -> None:
        self.impl = impl
        self.routes = routes
        self.problems = problems
        self._previous = previous
        self._verbose = verbose
        self._counts: dict[str, tuple[int, int]] = {}  # slot → (calls, fallbacks) at restore
        self.active = True

    @property
    def yours(self) -> list[str]:
        """Slots running the learner's code."""
        return [r.slot for r in self.routes if r.yours]

    @property
    def reference(self) -> list[str]:
        """Slot exercises still running minidl's reference."""
        return [r.slot for r in self.routes if not r.yours]

    def restore(self) -> None:
        """Route every slot this call touched back to what it ran before.

        With ``verbose``, the routing table is shown now, with the calls each slot got.
        """
        if self.active:
            self._counts = self._live_counts()
            for name, previous in self._previous.items():
                set_override(name, previous)
            self.active = False
            if self._verbose:
                show(self.table(), self._repr_html_())

    def _live_counts(self) -> dict[str, tuple[int, int]]:
        registry = slots()
        return {r.slot: (registry[r.slot].calls_to_override, registry[r.slot].fallbacks)
                for r in self.routes if r.yours}

    def __enter__(self) -> ExerciseRouting:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.restore()

    def _rows(self) -> list[list[str]]:
        counts = self._live_counts() if self.active else self._counts
        rows = []
        for r in self.routes:
            runs = f"your {self.impl}/ code" if r.yours else f"minidl's reference ({r.note})"
            calls = ""
            if r.slot in counts:
                calls = "{} calls, {} fallbacks".format(*counts[r.slot])
            rows.append([r.exercise.id if r.exercise else "", r.slot, runs, calls])
        return rows

    def summary(self) -> str:
        """One line: how many slots run the learner's code (shown when routing starts)."""
        state = "" if self.active else " (restored: minidl's references run again)"
        yours = f" ({', '.join(self.yours)})" if self.yours else ""
        gpu = ("; on CUDA tensors minidl's CUDA kernels run instead (your functions take NumPy "
               "arrays)" if self.yours and cuda_is_available() else "")
        return (f"use_exercises: {len(self.yours)} slot(s) run your code{yours}, "
                f"{len(self.reference)} minidl's reference{state}{gpu}")

    def table(self) -> str:
        """The routing as a plain-text table, with the calls each of your slots got."""
        lines = [self.summary()]
        if self.routes:
            lines.append(text_table(["exercise", "slot", "runs", "calls"], self._rows()))
        lines.extend(f"! {p}" for p in self.problems)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        colors = ["#e6f4ea" if r.yours else "#f1f3f4" for r in self.routes]
        problems = "".join(f"<p style='color:#b00020'>{html.escape(p)}</p>"
                           for p in self.problems)
        title = html.escape(self.summary())
        table = html_table(["exercise", "slot", "runs", "calls"], self._rows(), colors)
        return f"<p><b>{title}</b></p>{table}{problems}"

    def __repr__(self) -> str:
        return self.table()


def use_exercises(
    chapters: Iterable[str | int] | str | int | None = None,
    verbose: bool = True,
    impl: str | None = None,
) -> ExerciseRouting:
    """Route minidl's kernel slots to the learner's implementations (see module docstring).

    Args:
        chapters: which chapter modules to use ("ch01", 1, "ch01_perceptron", or a list);
            ``None`` means every chapter in ``exercises/``.
        verbose: say how many slots run the learner's code now, and show the routing table
            with the calls each slot got when the block ends (or at ``.restore()``).
        impl: "exercises" (the learner's, default) or "solutions" (for instructors);
            defaults to ``$MINIDL_IMPL``.

    Returns:
        An :class:`ExerciseRouting`: a context manager, or call ``.restore()``.
    """
    impl = check_impl(impl or default_impl())
    root = course_root()
    if chapters is None:
        wanted: list[str | int] = list(chapter_names(impl, root))
    elif isinstance(chapters, (str, int)):
        wanted = [chapters]
    else:
        wanted = list(chapters)
    register_all_slots()
    registry = slots()
    routes: list[Route] = []
    problems: list[str] = []
    previous: dict[str, Any] = {}
    for chapter in wanted:
        try:
            module = load_chapter(chapter, impl, root=root, reload=True)
        except Exception as err:  # a learner's syntax error must not stop the notebook
            problems.append(f"cannot import {impl} chapter {chapter!r} ({type(err).__name__}: "
                            f"{err}); its slots keep minidl's reference")
            continue
        for fn in _exercise_functions(module):
            if fn.__name__ not in registry:
                continue
            stub = is_stub(fn)
            previous.setdefault(fn.__name__, registry[fn.__name__].override)
            set_override(fn.__name__, None if stub else fn)
            routes.append(Route(fn.__name__, fn.__exercise__, not stub, "not started"))
    routing = ExerciseRouting(impl, routes, problems, previous, verbose)
    if verbose:
        problems_text = "".join(f"\n! {p}" for p in problems)
        show(routing.summary() + problems_text,
             f"<p>{html.escape(routing.summary())}</p>" + "".join(
                 f"<p style='color:#b00020'>{html.escape(p)}</p>" for p in problems))
    return routing
