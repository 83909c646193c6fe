"""CI proves the autograder (DESIGN.md, "The exercise contract"), in subprocesses:

1. exercises/ regenerates identically from solutions/ (``sync --check``);
2. no solution line appears in a stub: every non-blank, non-comment line of a solution
   region that the solution file does not also show outside its regions (e.g. as a
   docstring example the learner is given) must be absent from the stub;
3. every exercise test passes with ``--impl solutions``, and every exercise has tests;
4. every exercise test reports "not started" on freshly generated stubs (in a temp copy, so
   neither a learner's edits nor a stale exercises/ can change the verdict).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from minidl.course.catalog import read_chapter
from minidl.course.sync import exercise_names, make_stub

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = sorted((ROOT / "solutions").glob("ch[0-9][0-9]_*.py"))


def run(args: list[str], root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("MINIDL_COURSE_ROOT", "MINIDL_IMPL")}
    return subprocess.run([sys.executable, *args], cwd=root, capture_output=True, text=True,
                          env={**clean, **env}, timeout=300)


def test_exercises_regenerate_identically():
    result = run(["-m", "minidl.course", "sync", "--check", "--root", str(ROOT)], ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def secret_lines(path: Path) -> set[str]:
    """Region lines (stripped) that the solution file shows nowhere outside its regions."""
    lines = path.read_text().splitlines()
    inside: set[int] = set()
    for region in read_chapter(path).regions:
        inside.update(range(region.begin - 1, region.end))
    outside = {lines[i].strip() for i in range(len(lines)) if i not in inside}
    return {
        lines[i].strip() for i in inside
        if lines[i].strip() and not lines[i].strip().startswith("#")
        and lines[i].strip() not in outside
    }


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_no_solution_line_appears_in_its_stub(path):
    stub = {line.strip() for line in make_stub(path).splitlines()}
    leaked = sorted(secret_lines(path) & stub)
    assert not leaked, f"{path.name}: solution lines in the stub: {leaked}"
    assert secret_lines(path), f"{path.name}: no solution line to check"


def grade(root: Path, impl: str, out: Path) -> dict:
    result = run(["-m", "minidl.grade", "--impl", impl, "--json", str(out)], root,
                 MINIDL_COURSE_ROOT=str(root))
    assert out.exists(), result.stdout + result.stderr
    return json.loads(out.read_text()) | {"returncode": result.returncode,
                                          "output": result.stdout}


def test_every_exercise_passes_on_the_solutions(tmp_path):
    report = grade(ROOT, "solutions", tmp_path / "solutions.json")
    assert report["returncode"] == 0 and report["passed"], report["output"]
    graded = {e["id"] for e in report["exercises"]}
    assert graded == set(exercise_names(ROOT)), "exercises without tests (or tests without " \
        f"exercises): {sorted(graded ^ set(exercise_names(ROOT)))}"
    assert all(t["status"] == "passed" for e in report["exercises"] for t in e["tests"])


def test_every_exercise_test_is_not_started_on_fresh_stubs(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "solutions", course / "solutions",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (course / "tests").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "conftest.py", course / "tests" / "conftest.py")
    shutil.copytree(ROOT / "tests" / "exercises", course / "tests" / "exercises",
                    ignore=shutil.ignore_patterns("__pycache__"))
    synced = run(["-m", "minidl.course", "sync", "--root", str(course)], course)
    assert synced.returncode == 0, synced.stderr

    report = grade(course, "exercises", tmp_path / "stubs.json")
    assert report["returncode"] == 1 and not report["errors"], report["output"]
    assert {e["id"] for e in report["exercises"]} == set(exercise_names(ROOT))
    wrong = [(t["nodeid"], t["status"]) for e in report["exercises"] for t in e["tests"]
             if t["status"] != "not started"]
    assert not wrong, f"tests that do not report 'not started' on the stubs: {wrong}"
    for e in report["exercises"]:
        assert e["points"] == 0 and e["detail"].startswith("Exercise "), e
