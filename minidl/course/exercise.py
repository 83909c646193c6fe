"""The ``@exercise`` decorator: marks a function as a course exercise.

    @exercise("1.2", section="The perceptron learning rule")
    def perceptron_update(w, b, x, y, lr): ...

It only attaches metadata (``fn.__exercise__``, an :class:`Exercise`); the function itself
is returned unchanged, so calling it costs nothing extra. The generator
(``python -m minidl.course sync``) reads the same metadata statically from the source.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_ID = re.compile(r"^([1-9][0-9]?)\.([1-9][0-9]?)$")


@dataclass(frozen=True)
class Exercise:
    """One exercise: its id ("1.2"), function name, notebook section and chapter module."""

    id: str
    name: str
    section: str
    chapter: str  # module stem, e.g. "ch01_perceptron"

    @property
    def marker(self) -> str:
        """The pytest marker of this exercise: "1.2" → "ex1_2"."""
        return "ex" + self.id.replace(".", "_")

    @property
    def chapter_marker(self) -> str:
        """The pytest marker of its chapter: "1.2" → "ch01"."""
        return chapter_marker(self.id)

    @property
    def notebook(self) -> str:
        """The notebook that teaches it: "ch01_perceptron" → "notebooks/01_perceptron.ipynb"."""
        return f"notebooks/{self.chapter.removeprefix('ch')}.ipynb"

    @property
    def stub_message(self) -> str:
        """What the stub's ``NotImplementedError`` says (also how a stub is recognised)."""
        return (
            f"Exercise {self.id} ({self.name}): see {self.notebook}, section '{self.section}'"
        )


def parse_id(exercise_id: str) -> tuple[int, int]:
    """"1.2" → (1, 2); raises ValueError for anything else."""
    match = _ID.match(exercise_id)
    if match is None:
        raise ValueError(f"exercise id must look like '1.2' (chapter.number), got {exercise_id!r}")
    return int(match.group(1)), int(match.group(2))


def chapter_marker(exercise_id: str) -> str:
    """"1.2" → "ch01"."""
    return f"ch{parse_id(exercise_id)[0]:02d}"


def exercise(exercise_id: str, *, section: str) -> Callable[[F], F]:
    """Mark a function as exercise ``exercise_id`` taught in notebook section ``section``."""
    parse_id(exercise_id)

    def mark(fn: F) -> F:
        chapter = (fn.__module__ or "").rpartition(".")[2]
        fn.__exercise__ = Exercise(exercise_id, fn.__name__, section, chapter)  # type: ignore[attr-defined]
        return fn

    return mark


def is_stub(fn: Callable[..., Any]) -> bool:
    """True while ``fn`` still contains the generated ``raise NotImplementedError(...)``.

    Decided statically: the stub's message is a constant of the function's code, so a
    function that still holds it (even in a branch) is not finished.
    """
    info: Exercise | None = getattr(fn, "__exercise__", None)
    code = getattr(getattr(fn, "py_func", fn), "__code__", None)  # Numba: its Python code
    if info is None or code is None:
        return False
    return info.stub_message in code.co_consts
