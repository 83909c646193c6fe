"""The autograder (course layer): comparison helpers, the runner and its reports.

* :func:`check`: grade from a notebook (HTML report, never raises);
* :func:`grade`: the same from Python, used by ``python -m minidl.grade``;
* :func:`assert_close`, :func:`assert_true`, :func:`assert_unchanged`,
  :func:`numeric_grad`, :func:`reference`: helpers for exercise tests, whose failures
  read as feedback (:class:`ExerciseMismatch`);
* :mod:`minidl.grading.pytest_plugin`: the pytest side (markers, ``--impl``, outcomes).
"""

from minidl.grading.compare import (
    ExerciseMismatch,
    assert_close,
    assert_true,
    assert_unchanged,
    numeric_grad,
    reference,
)
from minidl.grading.notebook import check
from minidl.grading.report import ExerciseResult, GradeReport, TestOutcome
from minidl.grading.runner import grade, marker_for

__all__ = [
    "ExerciseMismatch", "ExerciseResult", "GradeReport", "TestOutcome", "assert_close",
    "assert_true", "assert_unchanged", "check", "grade", "marker_for", "numeric_grad",
    "reference",
]
