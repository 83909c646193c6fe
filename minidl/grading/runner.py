"""Run the autograder in a subprocess and collect a :class:`GradeReport`.

pytest runs in a child process (``python -m pytest tests/exercises -p
minidl.grading.pytest_plugin …``) so that a crash, a hang or a learner's ``sys.exit``
never takes the caller (a terminal, a notebook kernel) down. The plugin writes the
per-exercise results as JSON, which is read back here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import minidl
from minidl.course.exercise import parse_id
from minidl.course.root import check_impl, course_root, default_impl
from minidl.grading.report import GradeReport

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
) -> GradeReport:
    """Grade the selected exercises (all when none) of ``impl`` and return the report.

    Raises ``ValueError`` for a selector it cannot read; everything that goes wrong while
    grading (no pytest, a crash, a hang) is reported in ``report.errors`` instead.
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
    report = _run(impl, root, tests, markers, selection, timeout_per_test, timeout, show_output)
    report.errors.extend(unknown)
    return report


def _run(impl: str, root: Path, tests: Path, markers: list[str], selection: list[str],
         timeout_per_test: float, timeout: float, show_output: bool) -> GradeReport:
    """Run pytest on the selected markers in a subprocess and read its JSON report."""
    files = _test_files(tests, markers)
    if not files:
        return GradeReport(impl, selection, [],
                           [f"no exercise tests match {' '.join(selection)}"])
    with tempfile.TemporaryDirectory(prefix="minidl-grade-") as tmp:
        out = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "pytest", *files,
               "-p", "minidl.grading.pytest_plugin",
               # nbval imports nbformat → jsonschema → a grammar compiled at import (~3 s)
               "-p", "no:nbval",
               "--impl", impl, "--grade-report", str(out), "--strict-markers",
               "--exercise-timeout", str(timeout_per_test), "-p", "no:cacheprovider",
               "-q", "--rootdir", str(root), "-W", "ignore::pytest.PytestAssertRewriteWarning"]
        if markers:
            cmd += ["-m", " or ".join(markers)]
        env = {**os.environ, "MINIDL_COURSE_ROOT": str(root), "MINIDL_IMPL": impl,
               "PYTHONPATH": os.pathsep.join(
                   [str(Path(minidl.__file__).resolve().parents[1]),
                    *filter(None, [os.environ.get("PYTHONPATH")])])}
        try:
            proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return GradeReport(impl, selection, [], [f"the autograder ran over {timeout:g} s "
                                                     "and was stopped"])
        output = proc.stdout + proc.stderr
        if show_output:
            print(output)
        if proc.returncode == 5:  # pytest: no tests collected
            return GradeReport(impl, selection, [],
                               [f"no exercise tests match {' '.join(selection)}"])
        if not out.exists():
            tail = "\n".join(output.strip().splitlines()[-15:])
            return GradeReport(impl, selection, [],
                               [f"the autograder could not run (exit {proc.returncode}):\n{tail}"])
        report = GradeReport.from_dict(json.loads(out.read_text("utf-8")))
    report.selection = selection
    if not report.exercises and not report.errors:
        what = " ".join(selection) or "anything"
        report.errors.append(f"no exercise tests match {what}")
    return report
