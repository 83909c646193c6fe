"""The stub generator (python -m minidl.course sync): what it writes and what it never touches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from minidl.course.catalog import CourseSourceError, read_chapter
from minidl.course.sync import sha256, sync

SOLUTION = textwrap.dedent('''\
    """Chapter 9: a toy chapter."""

    from __future__ import annotations

    from minidl.course import exercise


    @exercise("9.1", section="Doubling")
    def double(x: float) -> float:
        """Return 2·x."""
        # BEGIN SOLUTION
        result = x + x
        return result
        # END SOLUTION


    @exercise("9.2", section="Halving things")
    def halve(x: float) -> float:
        """Return x / 2."""
        if x == 0:
            return 0.0
        # BEGIN SOLUTION
        return x * 0.5
        # END SOLUTION
    ''')


@pytest.fixture
def course(tmp_path: Path) -> Path:
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "ch09_toy.py").write_text(SOLUTION)
    return tmp_path


def stub(course: Path) -> str:
    return (course / "exercises" / "ch09_toy.py").read_text()


def kinds(actions) -> dict[str, str]:
    return {a.name: a.kind for a in actions}


def test_stub_replaces_each_region_with_a_named_raise(course):
    sync(course)
    text = stub(course)
    assert "result = x + x" not in text and "x * 0.5" not in text
    assert "BEGIN SOLUTION" not in text
    assert ('def double(x: float) -> float:\n    """Return 2·x."""\n'
            '    raise NotImplementedError(') in text
    assert ('"Exercise 9.2 (halve): see "\n        "notebooks/09_toy.ipynb, section '
            "'Halving things'\"") in text
    assert "    if x == 0:\n        return 0.0\n    raise NotImplementedError(" in text
    namespace: dict = {"__name__": "exercises.ch09_toy"}
    exec(compile(text, "ch09_toy.py", "exec"), namespace)
    with pytest.raises(NotImplementedError, match=r"^Exercise 9\.1 \(double\): see notebooks"):
        namespace["double"](3.0)
    assert namespace["halve"](0) == 0.0  # code outside the region stays


def test_manifest_records_hashes_and_names(course):
    sync(course)
    manifest = json.loads((course / "exercises" / ".manifest.json").read_text())
    assert manifest["files"]["ch09_toy.py"] == sha256(stub(course))
    assert manifest["exercises"] == {"9.1": "double", "9.2": "halve"}
    assert all(a.kind == "unchanged" for a in sync(course))


def test_untouched_stub_is_updated_when_the_solution_changes(course):
    sync(course)
    src = course / "solutions" / "ch09_toy.py"
    src.write_text(SOLUTION.replace('"""Return 2·x."""', '"""Return x doubled."""'))
    assert kinds(sync(course))["ch09_toy.py"] == "updated"
    assert "Return x doubled." in stub(course)
    assert not (course / "exercises" / "ch09_toy.new.py").exists()


def test_edited_stub_is_never_overwritten(course):
    sync(course)
    target = course / "exercises" / "ch09_toy.py"
    mine = stub(course).replace("    raise NotImplementedError(\n        \"Exercise 9.1",
                                "    return x + x\n    raise NotImplementedError(\n        \""
                                "Exercise 9.1", 1)
    target.write_text(mine)
    assert kinds(sync(course))["ch09_toy.py"] == "kept"  # nothing new: kept, no .new.py
    assert not (course / "exercises" / "ch09_toy.new.py").exists()

    src = course / "solutions" / "ch09_toy.py"  # the course changes the line above the edit
    src.write_text(SOLUTION.replace('"""Return 2·x."""', '"""Return x doubled."""'))
    actions = sync(course)
    assert kinds(actions)["ch09_toy.py"] == "conflict"
    assert target.read_text() == mine
    beside = course / "exercises" / "ch09_toy.new.py"
    assert "Return x doubled." in beside.read_text()
    note = next(a for a in actions if a.kind == "conflict").describe()
    assert "exercises/ch09_toy.new.py" in note and "exercise 9.1" in note
    again = kinds(sync(course))  # the learner has not merged yet: reminded, not rewritten
    assert again["ch09_toy.py"] == "conflict"
    assert target.read_text() == mine


def test_new_and_deleted_chapters(course):
    sync(course)
    extra = course / "solutions" / "ch08_more.py"
    extra.write_text(SOLUTION.replace("9.1", "8.1").replace("9.2", "8.2"))
    assert kinds(sync(course))["ch08_more.py"] == "written"
    extra.unlink()
    assert kinds(sync(course))["ch08_more.py"] == "removed"
    assert not (course / "exercises" / "ch08_more.py").exists()

    (course / "solutions" / "ch09_toy.py").unlink()
    (course / "exercises" / "ch09_toy.py").write_text("# my own work\n")
    assert kinds(sync(course))["ch09_toy.py"] == "kept"  # edited: kept although its source left
    assert (course / "exercises" / "ch09_toy.py").read_text() == "# my own work\n"


@pytest.mark.parametrize("broken, where, message", [
    ("# BEGIN SOLUTION\nX = 1\n# END SOLUTION\n", 27, "outside a function"),
    ("def helper():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n", 28,
     "not decorated with @exercise"),
    ("# END SOLUTION\n", 27, "without # BEGIN SOLUTION"),
    ("# BEGIN SOLUTION\n", 27, "never closed"),
])
def test_misplaced_regions_name_file_and_line(course, broken, where, message):
    src = course / "solutions" / "ch09_toy.py"
    src.write_text(SOLUTION + "\n\n" + broken)  # SOLUTION has 24 lines
    with pytest.raises(CourseSourceError, match=rf"ch09_toy\.py:{where}: .*{message}"):
        sync(course)


def test_exercise_without_a_region_is_an_error(course):
    src = course / "solutions" / "ch09_toy.py"
    region = "    # BEGIN SOLUTION\n    return x * 0.5\n    # END SOLUTION\n"
    src.write_text(SOLUTION.replace(region, "    return x * 0.5\n"))
    with pytest.raises(CourseSourceError, match=r"ch09_toy\.py:\d+: exercise 9\.2 \(halve\) "
                                                r"needs exactly one solution region, found 0"):
        read_chapter(src)


def test_exercise_id_must_match_the_chapter(course):
    src = course / "solutions" / "ch09_toy.py"
    src.write_text(SOLUTION.replace('"9.2"', '"3.2"'))
    with pytest.raises(CourseSourceError, match="belongs to chapter 3"):
        read_chapter(src)


def run_cli(course: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MINIDL_COURSE_ROOT", "MINIDL_IMPL")}
    return subprocess.run([sys.executable, "-m", "minidl.course", "sync", "--root", str(course),
                           *args], capture_output=True, text=True, env=env, timeout=120)


def test_cli_check_fails_when_stale_and_passes_when_fresh(course):
    stale = run_cli(course, "--check")
    assert stale.returncode == 1
    assert "would be written" in stale.stdout and "out of date" in stale.stderr
    assert not (course / "exercises").exists()  # --check writes nothing
    assert run_cli(course).returncode == 0
    assert run_cli(course, "--check").returncode == 0
    (course / "exercises" / "ch09_toy.py").write_text(stub(course) + "# edited\n")
    assert run_cli(course, "--check").returncode == 1


def test_cli_reports_a_broken_solution_with_exit_2(course):
    (course / "solutions" / "ch09_toy.py").write_text(SOLUTION + "# BEGIN SOLUTION\n")
    result = run_cli(course)
    assert result.returncode == 2 and "ch09_toy.py:25" in result.stderr
