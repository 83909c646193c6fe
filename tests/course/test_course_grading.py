"""The autograder's feedback: comparison messages, outcomes, reports, the CLI and check()."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
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
    status, detail = classify(ZeroDivisionError("division by zero"), 10)
    assert (status, detail) == ("error", "your code raised ZeroDivisionError: division by zero")


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


@pytest.fixture(scope="module")
def learner(tmp_path_factory) -> Path:
    """A course root whose exercises/ch01 has a few answers, some wrong."""
    root = tmp_path_factory.mktemp("learner")
    shutil.copytree(ROOT / "exercises", root / "exercises",
                    ignore=shutil.ignore_patterns("__pycache__", "*.new.py"))
    (root / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "conftest.py", root / "tests")
    shutil.copytree(ROOT / "tests" / "exercises", root / "tests" / "exercises",
                    ignore=shutil.ignore_patterns("__pycache__"))
    path = root / "exercises" / "ch01_perceptron.py"
    text = path.read_text()
    for name, body in WRONG.items():
        start = text.index("raise NotImplementedError(", text.index(f"def {name}("))
        end = text.index("\n    )\n", start) + len("\n    )\n")
        text = text[:start] + body + "\n" + text[end:]
    path.write_text(text)
    return root


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
