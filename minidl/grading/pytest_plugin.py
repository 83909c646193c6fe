"""The autograder's pytest plugin.

An exercise test module sets ``CHAPTER = "ch01_perceptron"`` and
``POINTS = {"1.1": 2, …}`` and marks each test with ``@pytest.mark.exercise("1.1")``.
This plugin then

* adds the markers ``ex1_1`` and ``ch01`` to each such test (registered as it goes, so
  ``--strict-markers`` holds), so ``-m ex1_1`` / ``-m ch01`` select them;
* gives each a time limit (``@pytest.mark.timeout(S)``, else ``--exercise-timeout``
  seconds, 10 by default), enforced on the learner's process; after an exercise's first
  time-out or crash, its remaining tests are skipped;
* provides the ``impl`` fixture: the chapter of ``--impl exercises`` (default, or
  ``$MINIDL_IMPL``) or ``--impl solutions``, as a :class:`~minidl.grading.isolation.Workbook`
  whose functions run in a learner process (this process never imports the chapter); it
  also exports ``MINIDL_IMPL`` so notebooks run in the same session (nbval) use the same
  implementation;
* turns every failure into an outcome: ``not started`` (the learner's NotImplementedError,
  shown without a traceback), ``wrong`` (a failed comparison), ``error`` (the learner's
  code raised, crashed or exited; shown briefly, with the failing call's shapes),
  ``timed out``; the feedback also says when an input was modified in place and what the
  learner's code printed;
* prints a per-exercise table at the end and, with ``--grade-report FILE``, writes it as
  JSON (what ``python -m minidl.grade`` reads).

Load it with ``-p minidl.grading.pytest_plugin`` or from a conftest (tests/exercises/
conftest.py does).
"""

from __future__ import annotations

import os
import re
import signal
from dataclasses import dataclass, field
from typing import Any

import pytest

from minidl.course.exercise import chapter_marker, parse_id
from minidl.course.root import IMPLS, course_root, default_impl, resolve_chapter
from minidl.course.sync import read_manifest
from minidl.grading import isolation
from minidl.grading.compare import ExerciseMismatch
from minidl.grading.isolation import (
    Crashed,
    ImplImportError,
    LearnerException,
    NotStarted,
    TimedOut,
    Workbook,
)
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

__all__ = ["Crashed", "ImplImportError", "NotStarted", "TimedOut", "classify"]

MAX_NOTE_LINES = 12
MAX_PRINTED_LINES = 5
BACKSTOP = 30.0  # pytest-timeout fires this long after a test's own limit (a grader bug)


@dataclass
class _Graded:
    exercise: str
    points: float
    limit: float
    outcome: TestOutcome | None = None


@dataclass(eq=False)
class _State:
    impl: str
    timeout: float
    items: dict[str, _Graded] = field(default_factory=dict)
    markers: set[str] = field(default_factory=set)
    selection: list[str] = field(default_factory=list)
    collect_errors: list[str] = field(default_factory=list)
    stopped: dict[str, str] = field(default_factory=dict)  # exercise → why its tests stop
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
    if config.getoption("impl") or any("exercises" in str(arg) for arg in config.args):
        isolation.warm_up()  # learner processes will be needed: import minidl there now


def _add_marker(item: pytest.Item, state: _State, name: str, about: str) -> None:
    if name not in state.markers:
        item.config.addinivalue_line("markers", f"{name}: {about}")
        state.markers.add(name)
    item.add_marker(name)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Markers, points and each test's time limit (``@pytest.mark.timeout(S)`` or the default).

    The limit is enforced on the learner's process (:mod:`minidl.grading.isolation`);
    pytest-timeout, when installed, only backs it up in case the grader itself hangs.
    """
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
        own = item.get_closest_marker("timeout")
        limit = float(own.args[0]) if own is not None and own.args else state.timeout
        if with_timeout:
            item.add_marker(pytest.mark.timeout(limit + BACKSTOP, method=method), append=False)
        state.items[item.nodeid] = _Graded(ex_id, float(points[ex_id]), limit)


@pytest.fixture(scope="module")
def impl(request: pytest.FixtureRequest) -> Any:
    """The chapter under test (the module's ``CHAPTER``) from --impl, in its own process."""
    which = request.config.stash[_STATE].impl
    chapter = request.module.CHAPTER
    root = course_root()
    try:
        resolve_chapter(chapter, which, root)
    except LookupError:
        raise ImplImportError(f"{which}/{chapter}.py is missing: run "
                              "`python -m minidl.course sync`") from None
    workbook = Workbook(root, which, chapter)
    yield workbook
    workbook.close()


def _graded(item: pytest.Item) -> tuple[_State | None, _Graded | None]:
    state = item.config.stash.get(_STATE, None)
    return state, (state.items.get(item.nodeid) if state else None)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """After a time-out or a crash, an exercise's remaining tests are not run."""
    state, graded = _graded(item)
    if graded is not None:
        if graded.exercise in state.stopped:  # type: ignore[union-attr]
            pytest.skip(f"exercise {graded.exercise} was already stopped "
                        f"({state.stopped[graded.exercise]})")  # type: ignore[union-attr]
        isolation.start_test(graded.limit, graded.exercise)


def _leaves(exc: BaseException) -> list[BaseException]:
    group = getattr(exc, "exceptions", None)  # an ExceptionGroup (Hypothesis may raise one)
    if isinstance(group, tuple) and group:
        return [leaf for sub in group for leaf in _leaves(sub)]
    return [exc]


_EXAMPLE = re.compile(r"^(Falsifying example|Failing test case): \w+\($")
_INTERNAL_ARG = re.compile(r"\b(impl=<[^>]*>|data=data\(\.\.\.\))(,\s*|$)")


def _notes(exc: BaseException) -> str:
    """Hypothesis's notes, its failing example shown by the test's own argument names."""
    lines: list[str] = []
    example: list[str] | None = None
    for line in "\n".join(getattr(exc, "__notes__", [])).splitlines():
        if example is not None:
            if line.strip() == ")":
                args = _INTERNAL_ARG.sub("", " ".join(example)).strip().rstrip(",")
                lines.append(f"failing input: {args}" if args else "failing input: (drawn "
                             "inside the test, see below)")
                example = None
            else:
                example.append(line.strip())
        elif _EXAMPLE.match(line.strip()):
            example = []
        elif not line.startswith(("You can reproduce", "@reproduce_failure")):
            lines.append(line)
    if len(lines) > MAX_NOTE_LINES:
        lines = [*lines[:MAX_NOTE_LINES], "  …"]
    return ("\n" + "\n".join(lines)) if lines else ""


def _learner_error(err: LearnerException, test: str) -> str:
    info = err.info
    if info["type"] == "SystemExit":
        text = (f"your code called sys.exit({info['message']}): an exercise returns its "
                "result instead of ending the program")
    elif info["type"] == "MemoryError":
        text = "your code ran out of memory (MemoryError): are the arrays far too large?"
    elif info["diagnosis"] and info["diagnosis"].startswith("Numba"):
        return info["diagnosis"] + info["where"]
    else:
        text = f"your code raised {info['type']}: {info['message']}"
    text += info["where"]
    if info["diagnosis"]:
        text += f"\n  {info['diagnosis']}"
    if info["call"]:
        text += f"\n  the failing call{f' ({test})' if test else ''}: {info['call']}"
    return text


def classify(exc: BaseException, timeout: float, test: str = "") -> tuple[str, str]:
    """Map a test's exception to (status, feedback text)."""
    leaves = _leaves(exc)
    if all(isinstance(e, (NotImplementedError, NotStarted)) for e in leaves):
        return NOT_STARTED, str(leaves[0])
    first = leaves[0]
    if isinstance(first, TimedOut) or "from pytest-timeout" in str(first):
        where = str(first) if isinstance(first, TimedOut) else ""
        return TIMED_OUT, f"stopped after {timeout:g} s: does a loop never end?{where}"
    if isinstance(first, Crashed):
        return ERROR, str(first)
    if isinstance(first, LearnerException):
        return ERROR, _learner_error(first, test) + _notes(exc)
    if isinstance(first, (ExerciseMismatch, ImplImportError)):
        return (WRONG if isinstance(first, ExerciseMismatch) else ERROR), str(first) + _notes(exc)
    if isinstance(first, AssertionError):
        return WRONG, (str(first) or "a check failed") + _notes(exc)
    return ERROR, (f"checking your result raised {type(first).__name__}: {first} (does your "
                   f"function return what its docstring asks for?){_notes(exc)}")


def _with_log(detail: str, exercise: str) -> str:
    """Add what the test's calls left behind: inputs changed in place, printed output."""
    log = isolation.LOG
    if log.mutated and "modified its input" not in detail:
        names = ", ".join(dict.fromkeys(log.mutated))
        detail = (f"your function modified its input {names} in place: exercises return new "
                  f"arrays and leave their inputs as they were\n{detail}")
    printed = "".join(log.printed).splitlines()
    if printed:
        shown = [f"    {line}" for line in printed[:MAX_PRINTED_LINES]]
        more = ["    …"] if len(printed) > MAX_PRINTED_LINES else []
        detail += (f"\n  your code printed {len(printed)} line(s), captured by the grader:\n"
                   + "\n".join([*shown, *more])
                   + f"\n  to see all of it: python -m minidl.grade {exercise} -v")
    return detail


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
    state, graded = _graded(item)
    excinfo = call.excinfo
    if graded is None or state is None or (excinfo is not None and excinfo.errisinstance(
            (pytest.skip.Exception, pytest.xfail.Exception))):
        return None
    if excinfo is None:
        if call.when == "call":
            _record(graded, item.nodeid, PASSED, "", call.duration)
        return None
    status, detail = classify(excinfo.value, graded.limit, item.name)
    if status != NOT_STARTED:
        detail = _with_log(detail, graded.exercise)
    if status == TIMED_OUT or any(isinstance(e, Crashed) for e in _leaves(excinfo.value)):
        state.stopped[graded.exercise] = f"{status} in {item.name}"
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
