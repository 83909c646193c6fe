"""Sync when files are not what it expects (issue 10, item 3): it checks everything before
writing anything, and each fault is one line naming the file and what to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from minidl.course.sync import SyncError, sync
from tests.course.test_course_sync import SOLUTION

TOY = "ch09_toy.py"


@pytest.fixture
def course(tmp_path: Path) -> Path:
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / TOY).write_text(SOLUTION)
    (tmp_path / "solutions" / "ch08_more.py").write_text(
        SOLUTION.replace("9.1", "8.1").replace("9.2", "8.2"))
    sync(tmp_path)
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def change_course(course: Path) -> None:
    """A course update touching both chapters (so sync has something to write)."""
    for name in (TOY, "ch08_more.py"):
        src = course / "solutions" / name
        src.write_text(src.read_text().replace('"""Return x / 2."""', '"""Return half of x."""'))


def run_cli(course: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MINIDL_COURSE_ROOT", "MINIDL_IMPL")}
    return subprocess.run([sys.executable, "-m", "minidl.course", "sync", "--root", str(course),
                           *args], capture_output=True, text=True, env=env, timeout=120)


def learner_edit(course: Path, name: str, text: str | bytes) -> None:
    path = course / "exercises" / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)


def assert_one_problem(err: pytest.ExceptionInfo[SyncError], *fragments: str) -> None:
    assert len(err.value.problems) == 1
    line = err.value.problems[0]
    assert "\n" not in line
    for fragment in fragments:
        assert fragment in line, (fragment, line)


def test_non_utf8_learner_file_that_must_be_merged(course):
    mine = ("# Mein Lösungsversuch\n" + (course / "exercises" / TOY).read_text()).encode("latin-1")
    learner_edit(course, TOY, mine)
    change_course(course)
    before = snapshot(course / "exercises")
    with pytest.raises(SyncError) as err:
        sync(course)
    assert_one_problem(err, f"exercises/{TOY}", "not UTF-8", "line 1", "save it as UTF-8")
    assert snapshot(course / "exercises") == before  # checked first: ch08 was not updated


def test_non_utf8_learner_file_with_nothing_new_is_just_kept(course):
    mine = "# Lösung\n".encode("latin-1") + (course / "exercises" / TOY).read_bytes()
    learner_edit(course, TOY, mine)
    assert {a.name: a.kind for a in sync(course)}[TOY] == "kept"
    assert (course / "exercises" / TOY).read_bytes() == mine


@pytest.mark.parametrize("damage", [
    lambda text: text[: len(text) // 2],  # truncated
    lambda text: "",
    lambda text: "[1, 2]",
    lambda text: text.replace('"files": {', '"files": {"x.py": 3, ', 1),
])
def test_damaged_manifest(course, damage):
    manifest = course / "exercises" / ".manifest.json"
    manifest.write_text(damage(manifest.read_text()))
    change_course(course)
    before = snapshot(course / "exercises")
    with pytest.raises(SyncError) as err:
        sync(course)
    assert_one_problem(err, "exercises/.manifest.json is damaged", "git checkout exercises/"
                       ".manifest.json", "or delete it")
    assert snapshot(course / "exercises") == before
    result = run_cli(course)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr and ".manifest.json is damaged" in result.stderr
    assert "sync wrote nothing" in result.stderr


def test_deleting_the_damaged_manifest_is_safe(course):
    learner_edit(course, TOY, (course / "exercises" / TOY).read_text() + "# mine\n")
    mine = (course / "exercises" / TOY).read_text()
    (course / "exercises" / ".manifest.json").unlink()
    change_course(course)
    actions = {a.name: a.kind for a in sync(course)}
    assert actions[TOY] == "conflict" and (course / "exercises" / TOY).read_text() == mine
    assert actions["ch08_more.py"] == "conflict"  # unknown history: never overwritten


def test_read_only_file_that_must_be_updated(course):
    target = course / "exercises" / TOY
    target.chmod(0o444)
    change_course(course)
    before = snapshot(course / "exercises")
    try:
        with pytest.raises(SyncError) as err:
            sync(course)
    finally:
        target.chmod(0o644)
    assert_one_problem(err, f"exercises/{TOY} is read-only", f"chmod u+w exercises/{TOY}")
    assert snapshot(course / "exercises") == before
    assert all(a.kind != "unchanged" for a in sync(course, check=True)  # --check still works
               if a.name in (TOY, "ch08_more.py"))


def test_read_only_folder(course):
    folder = course / "exercises"
    change_course(course)
    before = snapshot(folder)
    folder.chmod(0o555)
    try:
        with pytest.raises(SyncError) as err:
            sync(course)
        result = run_cli(course)
    finally:
        folder.chmod(0o755)
    assert_one_problem(err, "exercises is a read-only folder", "chmod u+w")
    assert snapshot(folder) == before
    assert result.returncode == 3 and "Traceback" not in result.stderr


@pytest.mark.parametrize("name", [TOY, ".manifest.json", "ch09_toy.new.py"])
def test_a_folder_in_place_of_a_file(course, name):
    path = course / "exercises" / name
    if path.exists():
        path.unlink()
    path.mkdir()
    (path / "inside.txt").write_text("x")
    if name == "ch09_toy.new.py":  # only matters when sync must write a conflict there
        learner_edit(course, TOY, (course / "exercises" / TOY).read_text().replace(
            '"""Return x / 2."""', '"""Halve it (my words)."""'))
    change_course(course)
    before = snapshot(course / "exercises")
    with pytest.raises(SyncError) as err:
        sync(course)
    assert_one_problem(err, f"exercises/{name} is a folder", "move it away")
    assert snapshot(course / "exercises") == before


def test_exercises_is_a_file(course, tmp_path):
    other = tmp_path / "elsewhere"
    (course / "exercises").rename(other)
    (course / "exercises").write_text("oops")
    with pytest.raises(SyncError) as err:
        sync(course)
    assert err.value.problems[0].startswith("exercises is a file")
    assert (course / "exercises").read_text() == "oops"


def test_several_faults_are_all_listed_and_nothing_is_written(course):
    (course / "exercises" / TOY).chmod(0o444)
    manifest_dir = course / "exercises" / "ch08_more.py"
    manifest_dir.unlink()
    manifest_dir.mkdir()
    change_course(course)
    before = snapshot(course / "exercises")
    try:
        result = run_cli(course)
    finally:
        (course / "exercises" / TOY).chmod(0o644)
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert result.returncode == 3 and len(lines) == 2
    assert any("ch08_more.py is a folder" in line for line in lines)
    assert any(f"{TOY} is read-only" in line for line in lines)
    assert snapshot(course / "exercises") == before


def test_check_says_what_to_do(course):
    change_course(course)
    stale = run_cli(course, "--check")
    assert stale.returncode == 1
    assert "run `python -m minidl.course sync`" in stale.stderr and "commit exercises/" in \
        stale.stderr
    assert "hold edits" not in stale.stderr
    sync(course)
    learner_edit(course, TOY, (course / "exercises" / TOY).read_text() + "# mine\n")
    edited = run_cli(course, "--check")
    assert edited.returncode == 1 and "would be kept" in edited.stdout
    assert "git checkout exercises/" in edited.stderr and "python -m minidl.grade" in \
        edited.stderr


def test_an_interrupted_sync_recovers_on_the_next_run(course, monkeypatch):
    """Each write is atomic and the manifest comes last: a sync stopped half-way (Ctrl-C,
    disk full) leaves whole files, and the next run finishes the job without conflicts."""
    import minidl.course.sync as sync_module

    mine = (course / "exercises" / TOY).read_text().replace(
        '"""Return 2·x."""', '"""Return 2·x (my note)."""')
    learner_edit(course, TOY, mine)
    change_course(course)  # ch08 will be updated, ch09 merged
    real = sync_module.replace_atomically
    calls = []

    def stop_at_the_third_write(path):
        calls.append(path)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(path)

    monkeypatch.setattr(sync_module, "replace_atomically", stop_at_the_third_write)
    with pytest.raises(KeyboardInterrupt):
        sync(course)
    monkeypatch.setattr(sync_module, "replace_atomically", real)
    assert not list((course / "exercises").glob(".*.tmp"))
    actions = {a.name: a.kind for a in sync(course)}
    assert "conflict" not in actions.values()
    text = (course / "exercises" / TOY).read_text()
    assert "(my note)" in text and "Return half of x." in text
    assert {a.name: a.kind for a in sync(course)}[TOY] == "kept"
