"""Run the autograder in a subprocess and collect a :class:`GradeReport`.

pytest runs in a child process (``python -m pytest tests/exercises -p
minidl.grading.pytest_plugin …``) so that a crash, a hang or a learner's ``sys.exit``
never takes the caller (a terminal, a notebook kernel) down. The plugin writes the
per-exercise results as JSON, which is read back here. ``warm=True`` (what ``check()``
uses) sends the same command line to a pytest process kept for the caller instead
(:mod:`minidl.grading.server`), which saves starting one per check.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import minidl
from minidl.course.exercise import parse_id
from minidl.course.root import check_impl, course_root, default_impl
from minidl.grading.report import GradeReport
from minidl.grading.server import GraderGone, WarmGrader

_CHAPTER = re.compile(r"^(?:ch)?0*([1-9][0-9]?)$")
_MARKER = re.compile(r"^ex([1-9][0-9]?)_([1-9][0-9]?)$")


def marker_for(selector: str) -> str:
    """"ch01", "1", "ex1_2", "1.2" → the pytest marker ("ch01" or "ex1_2")."""
    text = selector.strip().lower()
    if match := _MARKER.match(text):
        text = f"{match.group(1)}.{match.group(2)}"
    if match := _CHAPTER.match(text):
        return f"ch{int(match.group(1)):02d}"
    try:
        parse_id(text)
    except ValueError:
        raise ValueError(f"cannot read {selector!r}: use a chapter (ch01, 1), an exercise "
                         "(1.2, ex1_2), or nothing for all") from None
    return "ex" + text.replace(".", "_")


_EXERCISE_MARK = re.compile(r"""mark\.exercise\(["'](\d+\.\d+)["']\)""")


def known_markers(tests: Path) -> set[str]:
    """Every ``exN_M`` and ``chNN`` marker the exercise tests define (read as text)."""
    ids = {i for f in tests.glob("test_ch[0-9][0-9]_*.py")
           for i in _EXERCISE_MARK.findall(f.read_text("utf-8"))}
    return {"ex" + i.replace(".", "_") for i in ids} | {f"ch{parse_id(i)[0]:02d}" for i in ids}


def _test_files(tests: Path, markers: list[str]) -> list[str]:
    """The selected chapters' test modules (collecting the others costs seconds); [] if none."""
    if not markers:
        return [str(tests)]
    chapters = {int(re.match(r"^(?:ch|ex)(\d+)", m).group(1)) for m in markers}  # type: ignore[union-attr]
    return sorted({str(f) for c in chapters for f in tests.glob(f"test_ch{c:02d}_*.py")})


def grade(
    selectors: list[str] | tuple[str, ...] = (),
    impl: str | None = None,
    *,
    root: Path | None = None,
    timeout_per_test: float = 10.0,
    timeout: float = 600.0,
    show_output: bool = False,
    warm: bool = False,
) -> GradeReport:
    """Grade the selected exercises (all when none) of ``impl`` and return the report.

    ``warm``: run pytest in this process's warm grader (POSIX only; a fresh process
    otherwise). Raises ``ValueError`` for a selector it cannot read; everything that goes
    wrong while grading (no pytest, a crash, a hang) is reported in ``report.errors``
    instead.
    """
    impl = check_impl(impl or default_impl())
    root = (root or course_root()).resolve()
    tests = root / "tests" / "exercises"
    selection = list(selectors)
    if not tests.is_dir():
        return GradeReport(impl, selection, [], [f"no autograder tests in {tests}"])
    # one mistyped id must not stop the others from being graded
    known = known_markers(tests)
    markers = [marker_for(s) for s in selectors if marker_for(s) in known]
    unknown = [f"no exercise tests match {s}" for s in selectors if marker_for(s) not in known]
    if unknown and not markers:
        return GradeReport(impl, selection, [], unknown)
    report = _run(impl, root, tests, markers, selection, timeout_per_test, timeout, show_output,
                  warm and os.name == "posix")
    report.errors.extend(unknown)
    return report


_warm: WarmGrader | None = None  # this process's warm grader, started on first use
_warm_lock = threading.Lock()  # one request at a time (e.g. check() from two threads)


def _pytest(args: list[str], root: Path, env: dict[str, str], timeout: float, warm: bool,
            log: Path) -> int:
    """Run ``pytest args`` (output into ``log``): in a fresh process, or in the warm grader
    (restarted when it died or ``env`` changed). Its exit code; raises ``TimeoutExpired``."""
    global _warm
    if not warm:
        with open(log, "w", encoding="utf-8") as out:
            return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=root, env=env,
                                  stdout=out, stderr=subprocess.STDOUT, timeout=timeout).returncode
    with _warm_lock:
        if _warm is not None and not _warm.usable(root, env):
            _warm.stop()
            _warm = None
        if _warm is None:
            _warm = WarmGrader(root, env)
        try:
            return _warm.run(args, log, timeout)
        except GraderGone:  # it died (between checks, or during this one): once more afresh
            _warm = WarmGrader(root, env)
            return _warm.run(args, log, timeout)


def _run(impl: str, root: Path, tests: Path, markers: list[str], selection: list[str],
         timeout_per_test: float, timeout: float, show_output: bool, warm: bool) -> GradeReport:
    """Run pytest on the selected markers in a subprocess and read its JSON report."""
    files = _test_files(tests, markers)
    if not files:
        return GradeReport(impl, selection, [],
                           [f"no exercise tests match {' '.join(selection)}"])
    with tempfile.TemporaryDirectory(prefix="minidl-grade-") as tmp:
        out = Path(tmp) / "report.json"
        args = [*files,
                "-p", "minidl.grading.pytest_plugin",
                # nbval imports nbformat → jsonschema → a grammar compiled at import (~3 s)
                "-p", "no:nbval",
                "--impl", impl, "--grade-report", str(out), "--strict-markers",
                "--exercise-timeout", str(timeout_per_test), "-p", "no:cacheprovider",
                "-q", "--rootdir", str(root), "-W", "ignore::pytest.PytestAssertRewriteWarning"]
        if markers:
            args += ["-m", " or ".join(markers)]
        env = {**os.environ, "MINIDL_COURSE_ROOT": str(root), "MINIDL_IMPL": impl,
               "PYTHONPATH": os.pathsep.join(
                   [str(Path(minidl.__file__).resolve().parents[1]),
                    *filter(None, [os.environ.get("PYTHONPATH")])])}
        log = Path(tmp) / "pytest.log"
        try:
            code = _pytest(args, root, env, timeout, warm, log)
        except subprocess.TimeoutExpired:
            return GradeReport(impl, selection, [], [f"the autograder ran over {timeout:g} s "
                                                     "and was stopped"])
        except GraderGone as err:
            return GradeReport(impl, selection, [], [f"the autograder could not run: {err}"])
        output = log.read_text("utf-8", errors="replace")
        if show_output:
            print(output)
        if code == 5:  # pytest: no tests collected
            return GradeReport(impl, selection, [],
                               [f"no exercise tests match {' '.join(selection)}"])
        if not out.exists():
            tail = "\n".join(output.strip().splitlines()[-15:])
            return GradeReport(impl, selection, [],
                               [f"the autograder could not run (exit {code}):\n{tail}"])
        report = GradeReport.from_dict(json.loads(out.read_text("utf-8")))
    report.selection = selection
    if not report.exercises and not report.errors:
        what = " ".join(selection) or "anything"
        report.errors.append(f"no exercise tests match {what}")
    return report
