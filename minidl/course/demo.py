"""Demonstrations that run on the learner's code as soon as it exists.

A notebook cell that *uses* an exercise (plots the learner's sigmoid, trains with their
``sgd_update``) must also run before the exercise is written, so that every chapter runs
top to bottom on untouched stubs. :func:`yours_or_reference` gives the learner's function
once it is written and the reference solution until then, and says which it chose.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minidl.course.exercise import is_stub
from minidl.course.root import load_chapter

NOT_WRITTEN = "not written yet, so this demo uses the reference solution"


def yours_or_reference(
    chapter: str | int, name: str, impl: str | None = None, *, via: str | None = None
) -> Callable[..., Any]:
    """The function ``name`` of ``chapter`` from the learner's workbook, or the solution's.

    The workbook (``exercises/``, or ``impl``/``$MINIDL_IMPL``) is re-imported on each call,
    so a function written after the notebook started is picked up. Prints one line:
    ``"<name>: using <module>.<name>"`` or ``"<name>: not written yet, …"``.
    ``via``: return that function of the chosen module instead, e.g. the host launcher
    that runs the CUDA kernel ``name`` (``yours_or_reference("ch07", "matmul_tiled_kernel",
    via="matmul_gpu")``).
    """
    workbook = load_chapter(chapter, impl)
    if is_stub(getattr(workbook, name)):
        print(f"{name}: {NOT_WRITTEN}")
        workbook = load_chapter(chapter, "solutions")
    else:
        print(f"{name}: using {workbook.__name__}.{name}")
    return getattr(workbook, via or name)
