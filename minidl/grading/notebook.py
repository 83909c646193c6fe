"""``check("1.2")``: grade from a notebook cell, never raising.

    from minidl.grading import check
    check("1.2")        # or check("ch01"), check("1.1", "1.2")

The returned :class:`~minidl.grading.report.GradeReport` renders as an HTML table in
Jupyter (make ``check(...)`` the cell's last line) and as a text table in its ``repr``.
"""

from __future__ import annotations

from minidl.grading.report import GradeReport


def check(*selectors: str, impl: str | None = None, time_limit: float = 10.0,
          timeout: float = 300.0) -> GradeReport:
    """Grade the selected exercises (all when none) and return the report; never raises.

    Each test of an exercise may run ``time_limit`` seconds; after an exercise's first
    time-out its other tests are not run, so a loop that never ends (also inside compiled
    Numba code) costs about ``time_limit`` seconds. ``timeout`` bounds the whole run.

    pytest runs in a process kept for this kernel (``minidl.grading.server``): the first
    check starts it (3–5 s), later ones take 0.3–1 s (measured on chapter 1's exercises).

    Anything that stops grading (a syntax error in your file, pytest missing, a bad
    selector) becomes part of the report instead of an exception, so a notebook runs top
    to bottom even on untouched stubs.
    """
    try:
        from minidl.grading.runner import grade

        return grade(list(selectors), impl, timeout_per_test=time_limit, timeout=timeout,
                     warm=True)
    except Exception as err:  # noqa: BLE001 - the notebook must keep running
        return GradeReport(impl or "exercises", list(selectors), [],
                           [f"could not grade: {type(err).__name__}: {err}"])
