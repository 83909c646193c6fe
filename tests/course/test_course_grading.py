"""The autograder's feedback: comparison messages, outcomes, reports, the CLI and check()."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from minidl.grading import (
    ExerciseMismatch,
    ExerciseResult,
    GradeReport,
    TestOutcome,
    assert_close,
    check,
    marker_for,
    numeric_grad,
)
from minidl.grading.isolation import learner_exception
from minidl.grading.pytest_plugin import NotStarted, TimedOut, classify

ROOT = Path(__file__).resolve().parents[2]


def message(got, expected, **kw) -> str:
    with pytest.raises(ExerciseMismatch) as info:
        assert_close(got, expected, exercise="1.4", case="x of shape (2, 3)", hint="use exp",
                     **kw)
    return str(info.value)


def test_assert_close_names_the_worst_element():
    expected = np.zeros((2, 3))
    got = expected.copy()
    got[1, 2], got[0, 0] = 0.5, 0.01
    text = message(got, expected)
    assert text.startswith("Exercise 1.4 is not right yet\n  case: x of shape (2, 3)\n")
    assert "2 of 6 elements differ; the worst, at index (1, 2): got 0.5, expected 0" in text
    assert "hint: use exp" in text


def test_assert_close_reports_relative_error_shape_and_dtype():
    assert "relative error 0.5" in message(np.array([1.5]), np.array([1.0]))
    assert "wrong shape: expected (2, 3), got (3, 2)" in message(np.ones((3, 2)), np.ones((2, 3)))
    text = message(np.ones(3, np.float64), np.ones(3, np.float32))
    assert "wrong dtype: expected float32, got float64" in text
    assert "returned None" in message(None, np.ones(3))
    assert "got 1, expected 2" in message(np.float64(1.0), np.float64(2.0))


def test_assert_close_accepts_within_tolerance_and_rejects_nan():
    assert_close(np.array([1.0 + 1e-9]), np.array([1.0]), exercise="1.4", case="c")
    assert "got nan" in message(np.array([np.nan]), np.array([1.0]))


def test_assert_close_diagnoses_lists_zero_sign_and_transpose():
    listed = message([1, 0], np.array([1, 0], dtype=np.int64))
    assert "your function returned a list, expected a NumPy array (shape (2,), dtype int64)" \
        in listed and ".astype" not in listed
    zero = message(np.array([0.0, 0.5]), np.zeros(2))
    assert "got 0.5, expected 0 (abs error 0.5; tolerance" in zero
    assert "relative error" not in zero
    flipped = message(np.array([-1.0, 2.0]), np.array([1.0, -2.0]))
    assert "the sign is flipped" in flipped
    a = np.arange(6.0).reshape(2, 3)
    assert "the transpose of the expected one" in message(a.T, a)
    square = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert "the transpose of the expected one" in message(square.T, square)
    assert "sign" not in message(np.array([1.0, 3.0]), np.array([1.0, 2.0]))


def test_hypothesis_examples_are_shown_by_argument_names():
    err = ExerciseMismatch("1.1", "c", "bad")
    err.add_note("Falsifying example: test_predict_random(\n    impl=<exercises.ch01_perceptron>,"
                 "\n    n=1,\n    d=2,\n    data=data(...),\n    transposed=False,\n)")
    err.add_note("Draw 1: array([[0., 1.]])")
    detail = classify(err, 10)[1]
    assert "failing input: n=1, d=2, transposed=False\nDraw 1: array([[0., 1.]])" in detail
    assert "impl" not in detail and "Falsifying" not in detail


def test_numeric_grad_matches_a_known_derivative():
    x = np.array([[0.5, -1.0], [2.0, 0.0]])
    grad = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert np.allclose(numeric_grad(np.sin, x, grad), grad * np.cos(x), atol=1e-8)


def test_outcomes_are_classified():
    assert classify(NotImplementedError("Exercise 1.2 (f): see …"), 10) == (
        "not started", "Exercise 1.2 (f): see …")
    assert classify(NotStarted("Exercise 1.2 (f): see …"), 10)[0] == "not started"
    assert classify(TimedOut(""), 3)[1].startswith("stopped after 3 s")
    assert classify(ExerciseMismatch("1.2", "c", "bad"), 10)[0] == "wrong"
    err = learner_exception({"type": "ZeroDivisionError", "bases": ["ZeroDivisionError"],
                             "message": "division by zero", "where": "", "diagnosis": None,
                             "call": "f(x=array (2,) float64)"})
    assert isinstance(err, ZeroDivisionError)
    status, detail = classify(err, 10, "test_f")
    assert (status, detail) == ("error", "your code raised ZeroDivisionError: division by zero"
                                "\n  the failing call (test_f): f(x=array (2,) float64)")
    status, detail = classify(ZeroDivisionError("division by zero"), 10)  # the test's own code
    assert status == "error" and detail.startswith("checking your result raised")


def report() -> GradeReport:
    tests = [TestOutcome("t::a", "1.1", "passed"), TestOutcome("t::b", "1.2", "wrong", "bad")]
    return GradeReport("exercises", ["ch01"], [
        ExerciseResult.from_tests("1.1", "predict", 2, tests[:1]),
        ExerciseResult.from_tests("1.2", "update", 3, tests[1:]),
    ])


def test_report_renders_text_html_json_and_junit(tmp_path):
    r = report()
    assert (r.points, r.total, r.passed) == (2, 5, False)
    text = repr(r)
    assert "1 of 2 exercises passed, 2 / 5 points" in text
    assert "1.2       update    wrong   0 / 3" in text and "1.2 update: wrong\n  bad" in text
    assert "<table>" in r._repr_html_() and "#fce8e6" in r._repr_html_()
    r.write_json(tmp_path / "r.json")
    assert GradeReport.from_dict(json.loads((tmp_path / "r.json").read_text())).to_dict() == \
        r.to_dict()
    r.write_junit(tmp_path / "r.xml")
    suite = ET.parse(tmp_path / "r.xml").getroot().find("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    failure = suite.findall("testcase")[1].find("failure")
    assert failure.get("type") == "wrong" and failure.text == "bad"


@pytest.mark.parametrize("selector, marker", [
    ("ch01", "ch01"), ("1", "ch01"), ("ch12", "ch12"), ("1.2", "ex1_2"), ("ex1_2", "ex1_2"),
    ("2.10", "ex2_10"),
])
def test_selectors(selector, marker):
    assert marker_for(selector) == marker


def test_bad_selector_is_refused():
    with pytest.raises(ValueError, match="cannot read 'x1'"):
        marker_for("x1")


# ---- end to end on a learner's workbook with mistakes ------------------------------------

WRONG = {
    "perceptron_predict": "return (X @ w + b > 0).astype(np.int64)",  # > instead of ≥
    "train_perceptron": "while True:\n        pass",  # never returns
    "sigmoid_forward": "return 1 / (1 + np.exp(-x))",  # overflows at -1000
    "relu_forward": "return np.maximum(x, 0)",  # right
    "relu_backward": "return grad * undefined_name",  # raises NameError
}


def make_learner(root: Path, bodies: dict[str, str], header: str = "",
                 chapter: str = "ch01_perceptron") -> Path:
    """A course root whose exercises/<chapter> has ``bodies`` in place of those stubs."""
    shutil.copytree(ROOT / "exercises", root / "exercises",
                    ignore=shutil.ignore_patterns("__pycache__", "*.new.py"))
    (root / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "conftest.py", root / "tests")
    shutil.copytree(ROOT / "tests" / "exercises", root / "tests" / "exercises",
                    ignore=shutil.ignore_patterns("__pycache__"))
    path = root / "exercises" / f"{chapter}.py"
    text = path.read_text()
    for name, body in bodies.items():
        start = text.index("raise NotImplementedError(", text.index(f"def {name}("))
        end = text.index("\n    )\n", start) + len("\n    )\n")
        text = text[:start] + body + "\n" + text[end:]
    anchor = "from minidl.course import exercise\n"
    path.write_text(text.replace(anchor, anchor + header, 1))
    return root


def solution(name: str, chapter: str = "ch01_perceptron") -> str:
    """The reference body of exercise function ``name`` (its solution region)."""
    text = (ROOT / "solutions" / f"{chapter}.py").read_text()
    start = text.index("# BEGIN SOLUTION\n", text.index(f"def {name}(")) + 17
    return text[start:text.index("    # END SOLUTION", start)].strip()


@pytest.fixture(scope="module")
def learner(tmp_path_factory) -> Path:
    """A course root whose exercises/ch01 has a few answers, some wrong."""
    return make_learner(tmp_path_factory.mktemp("learner"), WRONG)


def grade_cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MINIDL_IMPL"}
    return subprocess.run([sys.executable, "-m", "minidl.grade", *args], cwd=root,
                          env={**env, "MINIDL_COURSE_ROOT": str(root)}, capture_output=True,
                          text=True, timeout=300)


def test_grade_cli_reports_each_kind_of_outcome(learner, tmp_path):
    result = grade_cli(learner, "1.1", "1.3", "1.4", "1.8", "1.9", "1.2", "--timeout", "1",
                       "--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "r.xml"))
    assert result.returncode == 1, result.stdout + result.stderr
    statuses = {e["id"]: e["status"]
                for e in json.loads((tmp_path / "r.json").read_text())["exercises"]}
    assert statuses == {"1.1": "wrong", "1.2": "not started", "1.3": "timed out",
                        "1.4": "wrong", "1.8": "passed", "1.9": "error"}
    out = result.stdout
    assert "1 of 6 exercises passed, 1 / 11 points" in out
    assert "at index (0,): got 0, expected 1" in out  # 1.1: z = 0 must give 1
    assert "numerical problem: overflow encountered in exp" in out  # 1.4
    assert "stopped after 1 s" in out and "in train_perceptron: while True:" in out  # 1.3
    assert "your code raised NameError" in out and "exercises/ch01_perceptron.py:" in out
    assert "Traceback" not in out
    assert ET.parse(tmp_path / "r.xml").getroot().find("testsuite").get("tests") == "6"


def test_grade_cli_exit_codes(learner):  # exit 0: see test_course_invariants.py
    missing = grade_cli(learner, "7.7")
    assert missing.returncode == 2 and "no exercise tests match 7.7" in missing.stdout
    assert grade_cli(learner, "nonsense").returncode == 2



def test_a_typo_does_not_stop_the_valid_selection(learner):
    result = grade_cli(learner, "1.8", "9.9")
    assert result.returncode == 2, result.stdout
    assert "1.8       relu_forward  passed  1 / 1" in result.stdout
    assert "! no exercise tests match 9.9" in result.stdout


def test_an_unwritable_report_path_is_refused_before_grading(learner, tmp_path):
    result = grade_cli(learner, "1.8", "--json", str(tmp_path / "no" / "such" / "r.json"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"cannot write the --json report to {tmp_path}/no/such/r.json: No such file or " \
           "directory" in result.stderr
    assert "Autograder" not in result.stdout  # refused before grading


def test_check_never_raises(learner, tmp_path, monkeypatch):
    broken = tmp_path / "broken"
    shutil.copytree(learner, broken)
    path = broken / "exercises" / "ch01_perceptron.py"
    path.write_text(path.read_text().replace("return np.maximum(x, 0)", "return np.maximum(x, 0"))
    monkeypatch.setenv("MINIDL_COURSE_ROOT", str(broken))
    monkeypatch.delenv("MINIDL_IMPL", raising=False)
    result = check("1.8")
    assert not result.passed and result["1.8"].status == "error"
    assert "has a syntax error at line" in result["1.8"].detail
    assert "1.8       relu_forward  error" in repr(result)
    assert "could not grade" in repr(check("no-such-thing"))
    monkeypatch.setenv("MINIDL_COURSE_ROOT", str(tmp_path / "nowhere"))
    assert not check("1.1").passed


# ---- faults: each charged to its own exercise, every other result kept (issue 10) --------

HANG_IN_NUMBA = """
import numba


@numba.njit
def _spin(n):
    i = 1
    while i != 0:
        i = (i * 3 + n) % 1000003 + 1
    return i
"""

FAULTS = {
    "relu_forward": "import os\n    os._exit(1)",
    "sigmoid_forward": "import ctypes\n    return ctypes.string_at(0)",  # segfault
    "sigmoid_backward": "import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)",
    "tanh_forward": "return x + _spin(len(x))",  # never returns, inside compiled code
    "tanh_backward": "import sys\n    sys.exit(3)",
    "perceptron_predict": solution("perceptron_predict"),
    "relu_backward": solution("relu_backward"),
}


def statuses(path: Path) -> dict[str, tuple[str, str]]:
    return {e["id"]: (e["status"], e["detail"])
            for e in json.loads(path.read_text())["exercises"]}


def test_each_fault_is_charged_to_its_own_exercise(tmp_path):
    """Exit, segfault, a kill, a hang in Numba code, sys.exit: all other grades are kept."""
    course = make_learner(tmp_path / "course", FAULTS, header=HANG_IN_NUMBA)
    result = grade_cli(course, "ch01", "--timeout", "3", "--json", str(tmp_path / "r.json"))
    assert result.returncode == 1, result.stdout + result.stderr
    got = statuses(tmp_path / "r.json")
    assert got["1.1"][0] == "passed" and got["1.9"][0] == "passed", result.stdout
    assert got["1.8"] == ("error", "your code ended the process with exit code 1 (os._exit, "
                                   "or a crash in native code)")
    assert got["1.4"][0] == "error" and "segmentation fault" in got["1.4"][1]
    assert got["1.5"][0] == "error" and "killed (SIGKILL)" in got["1.5"][1]
    assert "out of memory" in got["1.5"][1]
    assert got["1.6"][0] == "timed out" and "in compiled code" in got["1.6"][1]
    assert got["1.7"][0] == "error" and "your code called sys.exit(3)" in got["1.7"][1]
    assert got["1.2"][0] == got["1.3"][0] == "not started"
    assert "1 of 9" not in result.stdout and "2 of 9 exercises passed" in result.stdout


def test_a_time_out_stops_the_exercise_and_check_returns_in_time(tmp_path, monkeypatch):
    course = make_learner(tmp_path / "course", {"tanh_forward": "return x + _spin(len(x))"},
                          header=HANG_IN_NUMBA)
    monkeypatch.setenv("MINIDL_COURSE_ROOT", str(course))
    monkeypatch.delenv("MINIDL_IMPL", raising=False)
    started = time.monotonic()
    report = check("1.6", time_limit=2)
    seconds = time.monotonic() - started
    assert report["1.6"].status == "timed out" and not report.errors, repr(report)
    assert len(report["1.6"].tests) == 1  # its other tests were not run after the first
    assert seconds < 60, seconds  # the limit, plus starting pytest and Numba on a busy machine


def test_warm_checks_grade_every_edit_in_one_grader(tmp_path, monkeypatch):
    """check() keeps one pytest process per kernel, and still grades the file as it is now."""
    from minidl.grading import runner

    course = make_learner(tmp_path / "course", {"relu_forward": "return x"})
    monkeypatch.setenv("MINIDL_COURSE_ROOT", str(course))
    monkeypatch.delenv("MINIDL_IMPL", raising=False)
    assert check("1.8")["1.8"].status == "wrong"
    grader = runner._warm.process.pid
    path = course / "exercises" / "ch01_perceptron.py"
    wrong = path.read_text()
    path.write_text(wrong.replace("return x\n", f"{solution('relu_forward')}\n", 1))
    started = time.monotonic()
    assert check("1.8")["1.8"].status == "passed"
    warm_seconds = time.monotonic() - started
    path.write_text(wrong)
    assert check("1.8")["1.8"].status == "wrong"
    assert runner._warm.process.pid == grader  # the same process graded all three
    assert warm_seconds < 20, warm_seconds  # no interpreter or pytest start-up in it
    tests = course / "tests" / "exercises" / "test_ch01_perceptron.py"
    tests.write_text(tests.read_text() + "\n")  # new tests (a git pull): a fresh grader
    assert check("1.8")["1.8"].status == "wrong"
    assert runner._warm.process.pid != grader


def test_a_warm_grader_that_cannot_start_says_why(tmp_path):
    from minidl.grading.server import GraderGone, WarmGrader

    (tmp_path / "pytest.py").write_text("raise ImportError('no pytest in this environment')\n")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    grader = WarmGrader(ROOT, env)
    with pytest.raises(GraderGone, match=r"(?s)ended \(exit 1\).*no pytest in this environment"):
        grader.run(["-q"], tmp_path / "pytest.log", timeout=60)
    grader.stop()  # a second stop does nothing


def group_ends(group: int, within: float) -> bool:
    """Whether process group ``group`` is empty (SIGKILLed processes take a moment to go)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_a_late_warm_grader_is_stopped_with_its_learner_processes(tmp_path, monkeypatch):
    from minidl.grading import runner

    course = make_learner(tmp_path / "course", {"tanh_forward": "return x + _spin(len(x))"},
                          header=HANG_IN_NUMBA)
    monkeypatch.setenv("MINIDL_COURSE_ROOT", str(course))
    monkeypatch.delenv("MINIDL_IMPL", raising=False)
    assert check("1.8")["1.8"].status == "not started"  # starts the grader
    grader = runner._warm.process.pid
    report = check("1.6", time_limit=60, timeout=3)
    assert report.errors == ["the autograder ran over 3 s and was stopped"], repr(report)
    assert group_ends(grader, within=10)  # the grader, its fork server and learner processes
    assert check("1.8")["1.8"].status == "not started"  # a fresh grader takes over
    assert runner._warm.process.pid != grader
    os.killpg(runner._warm.process.pid, signal.SIGKILL)  # it dies between two checks
    assert check("1.8")["1.8"].status == "not started"


def test_sys_exit_at_import_is_named_for_that_chapter_only(tmp_path):
    course = make_learner(tmp_path / "course", {}, header="import sys\nsys.exit('bye')\n")
    result = grade_cli(course, "1.1", "2.1", "--json", str(tmp_path / "r.json"))
    got = statuses(tmp_path / "r.json")
    assert got["2.1"][0] == "not started", result.stdout
    assert got["1.1"][0] == "error"
    assert "importing exercises/ch01_perceptron.py called sys.exit(bye)" in got["1.1"][1]


def test_a_learner_file_cannot_change_its_grade_or_write_in_the_course(tmp_path):
    """Patching the grader from the learner's file (issue 10's exploit) changes nothing."""
    exploit = ("import minidl.grading.pytest_plugin as _p\n"
               "_p._record = lambda g, n, s, d, t: setattr(g, 'outcome', "
               "_p.TestOutcome(n, g.exercise, 'passed', '', t))\n"
               "_p.classify = lambda *a, **k: ('passed', '')\n"
               "open('written_by_learner.txt', 'w').write('x')\n")
    course = make_learner(tmp_path / "course", {}, header=exploit)
    result = grade_cli(course, "ch01", "--json", str(tmp_path / "r.json"))
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["points"] == 0 and result.returncode == 1, result.stdout
    assert {e["status"] for e in report["exercises"]} == {"not started"}
    assert not (course / "written_by_learner.txt").exists()
    assert not list(course.rglob("written_by_learner.txt"))


def test_feedback_names_mutation_printing_shapes_and_hypothesis_inputs(tmp_path):
    bodies = {"perceptron_predict": "return (w @ X + b >= 0).astype(np.int64)",  # shapes
              "relu_forward": "print('debugging relu', x.shape)\n    return x * 2",
              "relu_backward": "grad[x <= 0] = 0\n    return grad"}
    course = make_learner(tmp_path / "course", bodies)
    (course / "exercises" / "ch02_mlp.py").write_text(
        (course / "exercises" / "ch02_mlp.py").read_text().replace(
            'raise NotImplementedError(\n        "Exercise 2.9', 'param -= lr * grad\n'
            '    return param, None\n    raise NotImplementedError(\n        "Exercise 2.9', 1))
    result = grade_cli(course, "1.1", "1.8", "1.9", "2.9", "--json", str(tmp_path / "r.json"))
    got = statuses(tmp_path / "r.json")
    assert got["1.1"][0] == "error", result.stdout
    assert "NumPy could not combine the shapes" in got["1.1"][1]
    assert "the failing call (test_predict_hand_computed): perceptron_predict(X=array " \
           "(4, 2) float64, w=array (2,) float64, b=0.0)" in got["1.1"][1]
    assert "your code printed" in got["1.8"][1] and "debugging relu" in got["1.8"][1]
    assert "python -m minidl.grade 1.8 -v" in got["1.8"][1]
    assert got["1.9"][0] == "wrong" and "modified its input `grad` in place" in got["1.9"][1]
    assert got["2.9"][0] == "wrong" and "modified its input `param` in place" in got["2.9"][1]
    assert "impl=" not in result.stdout and "<exercises." not in result.stdout


def test_numba_errors_become_one_line_naming_the_cause(tmp_path):
    import numba

    from minidl.grading.diagnose import numba_summary

    @numba.njit
    def uses_the_docstring_function(image):
        return correlate2d_python(image)  # noqa: F821 - the learner's mistake

    with pytest.raises(Exception) as info:
        uses_the_docstring_function(np.ones((2, 2)))
    line = numba_summary(info.value, ROOT, uses_the_docstring_function)
    assert line.startswith("Numba could not compile your function (uses_the_docstring_function, "
                           "tests/course/test_course_grading.py:")
    assert "`correlate2d_python` is not defined in your file" in line and "\n" not in line

    body = ("out = []\n    for r in range(image.shape[0]):\n"
            "        out.append([image[r, 0], 1.0])\n    return np.array(out)")
    course = make_learner(tmp_path / "course", {"correlate2d": body}, chapter="ch03_cnn")
    result = grade_cli(course, "3.8", "--json", str(tmp_path / "r.json"))
    status, detail = statuses(tmp_path / "r.json")["3.8"]
    assert status == "error", result.stdout
    assert detail.startswith("Numba could not compile your function (correlate2d, "
                             "exercises/ch03_cnn.py:"), detail
    assert "a Python list" in detail and len(detail.splitlines()) == 1


# ---- instructors: plain nbval, and the CI template (issue 10, item 7) --------------------

def notebook(source: str, stored: str) -> dict:
    cell = {"cell_type": "code", "execution_count": 1, "id": "c1", "metadata": {},
            "source": "# NBVAL_CHECK_OUTPUT\n" + source,
            "outputs": [{"name": "stdout", "output_type": "stream", "text": stored}]}
    return {"cells": [cell], "metadata": {"kernelspec": {
        "display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5}


def test_plain_nbval_picks_up_the_sanitising(tmp_path):
    """`pytest --nbval-lax notebooks/` with no flag: which implementation ran may differ."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for name in ("conftest.py", "nbval_sanitize.cfg"):
        shutil.copy(ROOT / "notebooks" / name, folder / name)
    (folder / "demo.ipynb").write_text(json.dumps(notebook(
        "print('sigmoid_forward: using exercises.ch01_perceptron.sigmoid_forward')",
        "sigmoid_forward: not written yet, so this demo uses the reference solution\n")))
    result = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "notebooks/",
                             "-p", "no:cacheprovider", "-q"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_the_ci_template_runs_the_readme_command_and_uploads_the_report():
    import yaml

    readme = (ROOT / "README.md").read_text()
    command = "python course.py test"
    assert f"\n{command}" in readme
    steps = yaml.safe_load((ROOT / ".github" / "workflows" / "grade.yml").read_text())[
        "jobs"]["grade"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert command in runs
    grade = next(r for r in runs if "-m minidl.grade" in r)
    assert "--json grades.json" in grade and "--junit grades.xml" in grade
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"].split() == ["grades.json", "grades.xml"]
    assert upload["if"] == "${{ !cancelled() }}"  # uploaded whatever the grades are
    assert "docs/exercises.md" in (ROOT / ".github" / "workflows" / "grade.yml").read_text()


# ---- the learner process: what travels there and back -------------------------------------

DEMO_CHAPTER = '''
import numpy as np

from minidl.course import exercise


@exercise("9.1", section="s")
def central_difference(f, x, eps=1e-6):
    return (f(x + eps) - f(x - eps)) / (2 * eps)


@exercise("9.2", section="s")
def first_and_scale(nodes, x, rng):
    x *= 2                      # in place: the test's array must change too
    rng.random()                # the test's generator must advance too
    return nodes[0], [1, 2], np.float32(3)
'''


def test_a_workbook_call_runs_callbacks_and_keeps_identity_and_state(tmp_path):
    from minidl.grading.isolation import Workbook

    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "__init__.py").write_text("")
    (tmp_path / "exercises" / "ch09_demo.py").write_text(DEMO_CHAPTER)
    workbook = Workbook(tmp_path, "exercises", "ch09_demo")
    try:
        # a lambda of the test runs in the grader, called back from the learner's process
        assert abs(workbook.central_difference(lambda t: t ** 3, 2.0) - 12.0) < 1e-4
        node, x, rng = object(), np.ones(3), np.random.default_rng(0)
        expected_next = np.random.default_rng(0)
        expected_next.random()
        first, listed, scalar = workbook.first_and_scale([node], x, rng)
        assert first is node and listed == [1, 2] and scalar == np.float32(3)
        assert x.tolist() == [2.0, 2.0, 2.0]
        assert rng.random() == expected_next.random()
    finally:
        workbook.close()
