"""The autograder's pytest plugin.

An exercise test module sets ``CHAPTER = "ch01_perceptron"`` and
``POINTS = {"1.1": 2, …}`` and marks each test with ``@pytest.mark.exercise("1.1")``.
This plugin then

* adds the markers ``ex1_1`` and ``ch01`` to each such test (registered as it goes, so
  ``--strict-markers`` holds), so ``-m ex1_1`` / ``-m ch01`` select them;
* gives each a time limit (pytest-timeout, ``--exercise-timeout`` seconds, 10 by default);
* provides the ``impl`` fixture: the chapter module of ``--impl exercises`` (default, or
  ``$MINIDL_IMPL``) or ``--impl solutions``; it also exports ``MINIDL_IMPL`` so notebooks
  run in the same session (nbval) use the same implementation;
* turns every failure into an outcome: ``not started`` (the learner's NotImplementedError,
  shown without a traceback), ``wrong`` (a failed comparison), ``error`` (the learner's
  code raised; shown briefly), ``timed out``;
* prints a per-exercise table at the end and, with ``--grade-report FILE``, writes it as
  JSON (what ``python -m minidl.grade`` reads).

Load it with ``-p minidl.grading.pytest_plugin`` or from a conftest (tests/exercises/
conftest.py does).
"""

from __future__ import annotations

import functools
import os
import signal
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from minidl.course.exercise import chapter_marker, parse_id
from minidl.course.root import IMPLS, course_root, default_impl, load_chapter
from minidl.course.sync import read_manifest
from minidl.grading.compare import ExerciseMismatch
from minidl.grading.report import (
    ERROR,
    NOT_STARTED,
    PASSED,
    SEVERITY,
    TIMED_OUT,
    WRONG,
    ExerciseResult,
    GradeReport,
    TestOutcome,
)

MAX_NOTE_LINES = 12


class ImplImportError(Exception):
    """The implementation under test could not be imported (a learner's syntax error, …)."""


class NotStarted(BaseException):  # noqa: N818 - it is an outcome, not an error
    """An exercise function raised NotImplementedError (an untouched stub).

    A ``BaseException`` so that Hypothesis stops at once instead of shrinking the example.
    """


class TimedOut(BaseException):  # noqa: N818 - it is an outcome, not an error
    """pytest-timeout stopped an exercise function (its ``Failed``, made uncatchable).

    Hypothesis catches pytest's ``Failed`` and would re-run the endless example, so the
    time-out is re-raised as a ``BaseException`` that it lets through.
    """


class Workbook:
    """The chapter module under test, as the ``impl`` fixture hands it to tests.

    Attributes are the module's; exercise functions are wrapped so that their
    ``NotImplementedError`` becomes :class:`NotStarted`.
    """

    def __init__(self, module: ModuleType) -> None:
        self.module = module

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.module, name)
        if getattr(value, "__exercise__", None) is None:
            return value

        @functools.wraps(value)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return value(*args, **kwargs)
            except NotImplementedError as err:
                raise NotStarted(str(err)) from None
            except pytest.fail.Exception as err:
                if "from pytest-timeout" not in str(err):
                    raise
                raise TimedOut(_learner_frame(err.__traceback__)) from None

        return guarded

    def __repr__(self) -> str:
        return f"<{self.module.__name__}>"


@dataclass
class _Graded:
    exercise: str
    points: float
    outcome: TestOutcome | None = None


@dataclass(eq=False)
class _State:
    impl: str
    timeout: float
    items: dict[str, _Graded] = field(default_factory=dict)
    markers: set[str] = field(default_factory=set)
    selection: list[str] = field(default_factory=list)
    collect_errors: list[str] = field(default_factory=list)
    report: GradeReport | None = None

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A test module that cannot even be imported is an autograder error."""
        if report.failed:
            last = str(report.longrepr).strip().splitlines()[-1]
            self.collect_errors.append(f"cannot collect {report.nodeid}: {last}")


_STATE = pytest.StashKey[_State]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("minidl", "minidl autograder")
    group.addoption("--impl", choices=IMPLS, default=None,
                    help="grade exercises/ (the learner's, default) or solutions/")
    group.addoption("--exercise-timeout", type=float, default=10.0,
                    help="seconds each exercise test may run (default 10)")
    group.addoption("--grade-report", default=None, metavar="FILE",
                    help="write the per-exercise results as JSON to FILE")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "exercise(id): tests course exercise id ('1.2'); adds markers ex1_2, ch01")
    impl = config.getoption("impl") or default_impl()
    os.environ["MINIDL_IMPL"] = impl
    markexpr = config.getoption("markexpr", "") or ""
    state = _State(impl, config.getoption("exercise_timeout"),
                   selection=[markexpr] if markexpr else [])
    config.stash[_STATE] = state
    config.pluginmanager.register(state, "minidl-grading-state")


def _add_marker(item: pytest.Item, state: _State, name: str, about: str) -> None:
    if name not in state.markers:
        item.config.addinivalue_line("markers", f"{name}: {about}")
        state.markers.add(name)
    item.add_marker(name)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = config.stash[_STATE]
    with_timeout = config.pluginmanager.hasplugin("timeout")
    method = "signal" if hasattr(signal, "SIGALRM") else "thread"
    for item in items:
        mark = item.get_closest_marker("exercise")
        if mark is None:
            continue
        ex_id = str(mark.args[0])
        points = getattr(item.module, "POINTS", {})
        if ex_id not in points:
            raise pytest.UsageError(f"{item.nodeid}: exercise {ex_id} has no entry in the "
                                    "module's POINTS dict")
        _add_marker(item, state, "ex" + ex_id.replace(".", "_"), f"tests of exercise {ex_id}")
        chapter = chapter_marker(ex_id)
        _add_marker(item, state, chapter, f"tests of chapter {parse_id(ex_id)[0]}'s exercises")
        if with_timeout and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(state.timeout, method=method))
        state.items[item.nodeid] = _Graded(ex_id, float(points[ex_id]))


@pytest.fixture(scope="module")
def impl(request: pytest.FixtureRequest) -> Workbook:
    """The chapter module under test (the test module's ``CHAPTER``) from --impl."""
    which = request.config.stash[_STATE].impl
    chapter = request.module.CHAPTER
    try:
        return Workbook(load_chapter(chapter, which, reload=False))
    except LookupError:
        raise ImplImportError(f"{which}/{chapter}.py is missing: run "
                              "`python -m minidl.course sync`") from None
    except SyntaxError as err:
        raise ImplImportError(f"{which}/{chapter}.py has a syntax error at line {err.lineno}: "
                              f"{err.msg}\n    {(err.text or '').strip()}") from None
    except Exception as err:
        where = _learner_frame(err.__traceback__)
        raise ImplImportError(f"importing {which}/{chapter}.py raised {type(err).__name__}: "
                              f"{err}{where}") from None


def _leaves(exc: BaseException) -> list[BaseException]:
    group = getattr(exc, "exceptions", None)  # an ExceptionGroup (Hypothesis may raise one)
    if isinstance(group, tuple) and group:
        return [leaf for sub in group for leaf in _leaves(sub)]
    return [exc]


def _learner_frame(tb: Any) -> str:
    """`` (at exercises/ch01_x.py:12: <line>)`` for the deepest frame in exercises/solutions."""
    try:
        root = course_root()
    except FileNotFoundError:
        return ""
    ours = [f for f in traceback.extract_tb(tb)
            if any(Path(f.filename).resolve().is_relative_to(root / d) for d in IMPLS)]
    if not ours:
        return ""
    f = ours[-1]
    rel = Path(f.filename).resolve().relative_to(root)
    return f"\n  at {rel}:{f.lineno}, in {f.name}: {(f.line or '').strip()}"


def _notes(exc: BaseException) -> str:
    notes = "\n".join(getattr(exc, "__notes__", []))
    lines = notes.splitlines()
    if len(lines) > MAX_NOTE_LINES:
        lines = [*lines[:MAX_NOTE_LINES], "  …"]
    return ("\n" + "\n".join(lines)) if lines else ""


def classify(exc: BaseException, timeout: float) -> tuple[str, str]:
    """Map a test's exception to (status, feedback text)."""
    leaves = _leaves(exc)
    if all(isinstance(e, (NotImplementedError, NotStarted)) for e in leaves):
        return NOT_STARTED, str(leaves[0])
    first = leaves[0]
    if isinstance(first, TimedOut) or "from pytest-timeout" in str(first):
        where = str(first) if isinstance(first, TimedOut) else _learner_frame(first.__traceback__)
        return TIMED_OUT, f"stopped after {timeout:g} s: does a loop never end?{where}"
    if isinstance(first, (ExerciseMismatch, ImplImportError)):
        return (WRONG if isinstance(first, ExerciseMismatch) else ERROR), str(first) + _notes(exc)
    if isinstance(first, AssertionError):
        return WRONG, (str(first) or "a check failed") + _notes(exc)
    return ERROR, (f"your code raised {type(first).__name__}: {first}"
                   f"{_learner_frame(first.__traceback__)}{_notes(exc)}")


def _record(graded: _Graded, nodeid: str, status: str, detail: str, duration: float) -> None:
    old = graded.outcome
    if old is None or SEVERITY[status] > SEVERITY[old.status]:
        graded.outcome = TestOutcome(nodeid, graded.exercise, status, detail,
                                     duration + (old.duration if old else 0.0))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> pytest.TestReport | None:
    """Record exercise outcomes; a failure's report is its feedback, without a traceback.

    Building pytest's usual traceback costs ~0.1 s per failure (a second on an untouched
    chapter), so failed exercise tests get their report here; all else goes on as usual.
    """
    state = item.config.stash.get(_STATE, None)
    graded = state.items.get(item.nodeid) if state else None
    excinfo = call.excinfo
    if graded is None or (excinfo is not None and excinfo.errisinstance(
            (pytest.skip.Exception, pytest.xfail.Exception))):
        return None
    if excinfo is None:
        if call.when == "call":
            _record(graded, item.nodeid, PASSED, "", call.duration)
        return None
    status, detail = classify(excinfo.value, state.timeout)
    _record(graded, item.nodeid, status, detail, call.duration)
    sections = [(f"Captured {key} {when}", content)
                for when, key, content in item._report_sections]  # as pytest's own report
    return pytest.TestReport(
        item.nodeid, item.location, dict.fromkeys(item.keywords, 1), "failed",
        f"exercise {graded.exercise}: {status}\n{detail}", call.when, sections,
        call.duration, call.start, call.stop, item.user_properties)


def _names() -> dict[str, str]:
    """Exercise id → function name, from exercises/.manifest.json (written by sync)."""
    try:
        return dict(read_manifest(course_root() / "exercises").get("exercises", {}))
    except (FileNotFoundError, ValueError):
        return {}


def build_report(state: _State) -> GradeReport:
    done = [g for g in state.items.values() if g.outcome is not None]
    names = _names()
    by_id: dict[str, list[_Graded]] = {}
    for g in done:
        by_id.setdefault(g.exercise, []).append(g)
    results = [
        ExerciseResult.from_tests(ex_id, names.get(ex_id, ""), gs[0].points,
                                  [g.outcome for g in gs if g.outcome])
        for ex_id, gs in sorted(by_id.items(), key=lambda kv: parse_id(kv[0]))
    ]
    return GradeReport(state.impl, state.selection, results)


def pytest_sessionfinish(session: pytest.Session) -> None:
    state = session.config.stash.get(_STATE, None)
    if state is None:
        return
    state.report = build_report(state)
    state.report.errors.extend(state.collect_errors)
    path = session.config.getoption("grade_report")
    if path:
        state.report.write_json(path)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None and state.report is not None and state.report.exercises:
        terminalreporter.section("minidl autograder")
        terminalreporter.write_line(state.report.to_text())
