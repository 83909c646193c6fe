"""Course updates without pain (issue 9, section 5): sync merges a course update into a
learner's edited workbook when the two touched different lines, and writes a .new.py with
the conflicts marked only when both changed the same lines. The scenarios use the real
chapter 1 (its solution file copied into a temporary course)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from minidl.course.catalog import read_chapter
from minidl.course.merge3 import OURS_MARK, SEP_MARK, THEIRS_MARK
from minidl.course.sync import sync

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = "ch01_perceptron.py"
# what a learner writes for exercise 1.2 (the perceptron rule), in the stub's indentation
MY_CODE = (
    "y_hat = 1 if float(x @ w + b) >= 0 else 0  # my code\n"
    "step = lr * (y - y_hat)\n"
    "return w + step * x, float(b + step)\n"
)


@pytest.fixture
def course(tmp_path: Path) -> Path:
    (tmp_path / "solutions").mkdir()
    shutil.copy(ROOT / "solutions" / CHAPTER, tmp_path / "solutions" / CHAPTER)
    sync(tmp_path)
    return tmp_path


def name_of(exercise_id: str) -> str:
    chapter = read_chapter(ROOT / "solutions" / CHAPTER)
    return next(e.name for e in chapter.exercises if e.id == exercise_id)


def implement(stub: str, exercise_id: str, code: str = MY_CODE) -> str:
    """``stub`` with the raise of ``exercise_id`` replaced by ``code`` (as a learner does)."""
    lines = stub.splitlines(keepends=True)
    message = next(i for i, line in enumerate(lines) if f'"Exercise {exercise_id} (' in line)
    start = message - 1
    assert lines[start].strip() == "raise NotImplementedError(" and lines[start + 3].strip() == ")"
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    return "".join(lines[:start] + [indent + c for c in code.splitlines(keepends=True)]
                   + lines[start + 4:])


def edit_docstring(text: str, exercise_id: str, prefix: str) -> str:
    """``text`` with ``prefix`` put at the start of the docstring of ``exercise_id``."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines)
                 if line.startswith(f"def {name_of(exercise_id)}("))
    quote = next(i for i in range(start, len(lines)) if '"""' in lines[i])
    lines[quote] = lines[quote].replace('"""', '"""' + prefix, 1)
    return "".join(lines)


def update_course(course: Path, *changes: tuple[str, str]) -> str:
    """Change the docstrings of the given exercises in solutions/; returns the new stub
    as the generator writes it (read back after a sync into a scratch copy)."""
    src = course / "solutions" / CHAPTER
    text = src.read_text()
    for exercise_id, prefix in changes:
        text = edit_docstring(text, exercise_id, prefix)
    src.write_text(text)
    scratch = course / "scratch"
    (scratch / "solutions").mkdir(parents=True)
    shutil.copy(src, scratch / "solutions" / CHAPTER)
    sync(scratch)
    new_stub = (scratch / "exercises" / CHAPTER).read_text()
    shutil.rmtree(scratch)
    return new_stub


def test_learner_edits_1_2_course_changes_1_5_merged(course):
    target = course / "exercises" / CHAPTER
    mine = implement(target.read_text(), "1.2")
    target.write_text(mine)
    new_stub = update_course(course, ("1.5", "(Updated by the course.) "))

    actions = {a.name: a for a in sync(course)}

    merged = actions[CHAPTER]
    assert merged.kind == "merged"
    assert "exercise 1.5" in merged.note and "exercise 1.2" not in merged.note
    # the merge is the new stub with the learner's code in it: nothing lost, nothing stale
    assert target.read_text() == implement(new_stub, "1.2")
    assert not (course / "exercises" / "ch01_perceptron.new.py").exists()
    backups = list((course / "exercises" / ".backup").iterdir())
    assert [b.read_text() for b in backups] == [mine]
    assert f"exercises/.backup/{backups[0].name}" in merged.note
    namespace: dict = {"__name__": "exercises.ch01_perceptron"}
    exec(compile(target.read_text(), CHAPTER, "exec"), namespace)  # the learner's code runs
    w, b = namespace[name_of("1.2")](np.zeros(2), 0.0, np.array([1.0, 2.0]), 0, 0.5)
    np.testing.assert_array_equal(w, [-0.5, -1.0])
    assert b == -0.5

    after = {a.name: a.kind for a in sync(course)}  # nothing new: the file stays as it is
    assert after[CHAPTER] == "kept" and target.read_text() == implement(new_stub, "1.2")


def test_both_change_1_2_is_a_conflict_and_the_learner_file_is_untouched(course):
    target = course / "exercises" / CHAPTER
    mine = edit_docstring(implement(target.read_text(), "1.2"), "1.2", "MY NOTE. ")
    target.write_text(mine)
    new_stub = update_course(course, ("1.2", "(Clarified.) "), ("1.5", "(Updated.) "))

    actions = {a.name: a for a in sync(course)}

    assert actions[CHAPTER].kind == "conflict"
    assert "exercise 1.2" in actions[CHAPTER].note and "1 conflict" in actions[CHAPTER].note
    assert target.read_text() == mine
    beside = (course / "exercises" / "ch01_perceptron.new.py").read_text()
    assert beside.startswith("# NOT MERGED YET.") and "(exercise 1.2)" in beside
    body = beside[beside.index('"""'):]
    # the conflict: both versions of the docstring line, between markers
    assert body.count(OURS_MARK) == body.count(SEP_MARK) == body.count(THEIRS_MARK) == 1
    ours, theirs = body.split(OURS_MARK)[1].split(THEIRS_MARK)[0].split(SEP_MARK)
    assert '"""MY NOTE. ' in ours and '"""(Clarified.) ' in theirs
    # everything else merged: the learner's code and the course's change to 1.5
    assert "# my code" in body and '"""(Updated.) ' in body
    resolved = beside.replace(beside[:beside.index('"""')], "")  # header gone, then keep
    resolved = resolved.replace(OURS_MARK + "\n", "")             # the learner's side
    resolved = resolved[:resolved.index(SEP_MARK)] + resolved[resolved.index(THEIRS_MARK)
                                                                + len(THEIRS_MARK) + 1:]
    assert '"""MY NOTE. ' in resolved and '"""(Updated.) ' in resolved
    expected = edit_docstring(implement(new_stub, "1.2"), "1.2", "MY NOTE. ").replace(
        '"""MY NOTE. (Clarified.) ', '"""MY NOTE. ')
    assert resolved == expected[expected.index('"""'):]

    again = {a.name: a for a in sync(course)}  # unresolved: still a conflict, file untouched
    assert again[CHAPTER].kind == "conflict" and target.read_text() == mine

    target.write_text(expected)  # the learner resolves (keeping their line) and copies it over
    final = {a.name: a.kind for a in sync(course)}
    assert final[CHAPTER] == "kept" and final["ch01_perceptron.new.py"] == "orphan"
    assert target.read_text() == expected


def test_an_open_conflict_is_merged_again_when_the_course_changes_again(course):
    target = course / "exercises" / CHAPTER
    mine = edit_docstring(target.read_text(), "1.2", "MY NOTE. ")
    target.write_text(mine)
    update_course(course, ("1.2", "(Clarified.) "))
    assert {a.name: a.kind for a in sync(course)}[CHAPTER] == "conflict"
    update_course(course, ("1.5", "(Updated.) "))  # a second update before the learner merged
    assert {a.name: a.kind for a in sync(course)}[CHAPTER] == "conflict"
    beside = (course / "exercises" / "ch01_perceptron.new.py").read_text()
    body = beside[beside.index('"""'):]  # after the header, which names the markers
    assert '"""(Updated.) ' in body and body.count(OURS_MARK) == 1
    assert target.read_text() == mine


def test_a_learner_edited_new_py_is_never_overwritten(course):
    target = course / "exercises" / CHAPTER
    target.write_text(edit_docstring(target.read_text(), "1.2", "MY NOTE. "))
    update_course(course, ("1.2", "(Clarified.) "))
    sync(course)
    beside = course / "exercises" / "ch01_perceptron.new.py"
    half_merged = beside.read_text().replace(OURS_MARK, "# I am merging this")
    beside.write_text(half_merged)

    update_course(course, ("1.2", "(Clarified again.) "))  # the course changes again
    actions = {a.name: a for a in sync(course)}

    assert actions[CHAPTER].kind == "conflict"
    assert "holds your edits" in actions[CHAPTER].note
    assert beside.read_text() == half_merged


def test_old_manifest_without_stubs_falls_back_to_a_new_py(course):
    target = course / "exercises" / CHAPTER
    mine = implement(target.read_text(), "1.2")
    target.write_text(mine)
    manifest_path = course / "exercises" / ".manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["stubs"]  # as written by the sync of an earlier minidl
    manifest_path.write_text(json.dumps(manifest))
    new_stub = update_course(course, ("1.5", "(Updated.) "))

    actions = {a.name: a for a in sync(course)}

    assert actions[CHAPTER].kind == "conflict" and "no record" in actions[CHAPTER].note
    assert target.read_text() == mine
    beside = (course / "exercises" / "ch01_perceptron.new.py").read_text()
    assert beside.startswith("# NOT MERGED.") and beside.endswith(new_stub)


def test_the_readme_git_recipe_for_course_updates(tmp_path):
    """README "Taking course updates": commit, pull, sync keeps the learner's work."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    import subprocess

    def run(cwd: Path, *args: str) -> str:
        env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
               "GIT_COMMITTER_EMAIL": "t@x", "HOME": str(tmp_path), "PATH": os.environ["PATH"]}
        return subprocess.run([git, *args], cwd=cwd, env=env, check=True, capture_output=True,
                              text=True).stdout

    upstream = tmp_path / "course"
    (upstream / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / CHAPTER, upstream / "solutions" / CHAPTER)
    sync(upstream)
    run(upstream, "init", "-q", "-b", "main")
    run(upstream, "add", "-A")
    run(upstream, "commit", "-qm", "course v1")
    learner = tmp_path / "learner"
    run(tmp_path, "clone", "-q", str(upstream), str(learner))

    target = learner / "exercises" / CHAPTER
    mine = implement(target.read_text(), "1.2")
    target.write_text(mine)
    new_stub = update_course(upstream, ("1.5", "(Updated by the course.) "))
    sync(upstream)
    run(upstream, "add", "-A")
    run(upstream, "commit", "-qm", "course v2")

    run(learner, "add", "exercises")
    run(learner, "commit", "-qm", "my work")
    run(learner, "pull", "-q", "--no-rebase", "--no-edit")
    actions = {a.name: a.kind for a in sync(learner)}

    assert actions[CHAPTER] == "kept"
    assert target.read_text() == implement(new_stub, "1.2")
