"""Generate the learner's ``exercises/`` from ``solutions/`` (``python -m minidl.course sync``).

For every ``solutions/chNN_topic.py`` the stub ``exercises/chNN_topic.py`` is the same file
with each solution region replaced by ``raise NotImplementedError("Exercise N.M (name): see
notebooks/NN_topic.ipynb, section '…'")`` at the region's indentation.

``exercises/.manifest.json`` records, for every file sync wrote, its SHA-256 and its text
(the *base*). A file whose hash differs from the record was edited by the learner, and sync
never writes over content it did not write itself:

* course unchanged since the recorded version → the learner's file is kept as it is;
* course changed too → a three-way merge (:mod:`minidl.course.merge3`) of the base, the
  learner's file and the new stub. When the two touched different lines (e.g. the learner
  wrote exercise 1.2 and the course changed 1.5's stub) the merged file replaces the
  learner's, whose previous version is kept in ``exercises/.backup/``. When both changed
  the same lines, the learner's file stays untouched and ``chNN_topic.new.py`` gets the
  merge with each conflict marked, and a header saying what to do;
* a ``.new.py`` is rewritten only while it is what sync wrote there (recorded in the
  manifest); one the learner edited is never touched. A conflict counts as resolved once
  the learner changes their file; until they delete the ``.new.py`` sync reminds them of it;
* a chapter whose solution file is gone is removed if untouched, kept if edited.

Everything is checked before anything is written: a file that cannot be read as UTF-8 when
it must be merged, a damaged manifest, a read-only file or folder, or a folder where a file
should be raise :class:`SyncError`, which lists each problem in one line naming the file
and what to do; nothing has been written then. Each write replaces its file atomically.

``check=True`` writes nothing and reports what a sync would do (``--check`` in CI fails
unless ``exercises/`` is byte for byte what a fresh sync would write).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import stat
import time
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from minidl.course.catalog import read_chapter
from minidl.course.exercise import parse_id
from minidl.course.merge3 import OURS_MARK, SEP_MARK, THEIRS_MARK, Merge, merge3
from minidl.serialization import replace_atomically

MANIFEST = ".manifest.json"
BACKUP = ".backup"

HEADER = (
    "# Your workbook, generated from solutions/{name}\n"
    "# by `python -m minidl.course sync`. Replace each `raise NotImplementedError(...)` with\n"
    "# your code; sync keeps your edits when the course changes. Check your work with\n"
    "# check(\"N.M\") in the notebook or `python -m minidl.grade N.M` in a terminal.\n"
)

INIT = '''"""The learner's workbook: one module per chapter, generated from solutions/.

Regenerate with `python -m minidl.course sync` (your edits are kept).
"""
'''

CONFLICT_HEADER = (
    "# NOT MERGED YET. The course changed exercises/{name} while you had edited it, and\n"
    "# you both changed the same lines ({where}). This file is your version with every other\n"
    "# change of the course merged in. At each conflict your lines follow\n"
    f"# '{OURS_MARK}', the course's new lines follow '{SEP_MARK}', up to\n"
    f"# '{THEIRS_MARK}'. Keep what you want, delete the three marker lines and this\n"
    "# header, copy the result over exercises/{name}, delete this file and run sync\n"
    "# again. (Your own file has not been touched.)\n"
)

NO_BASE_HEADER = (
    "# NOT MERGED. The course changed exercises/{name} while you had edited it, and sync\n"
    "# has no record of the version your file started from (its manifest predates that\n"
    "# record), so it cannot merge automatically. This is the course's new version; compare\n"
    "# it with yours (e.g. `diff exercises/{name} exercises/{beside}`), bring the changes\n"
    "# you want into your file, delete this file and run sync again.\n"
)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_stub(path: Path, text: str | None = None) -> str:
    """The stub text for one solution file: every solution region becomes a raise."""
    text = path.read_text(encoding="utf-8") if text is None else text
    chapter = read_chapter(path, text)
    lines = text.splitlines(keepends=True)
    for region in sorted(chapter.regions, key=lambda r: r.begin, reverse=True):
        ind = region.indent
        head, _, tail = region.exercise.stub_message.partition(": see ")
        raise_lines = [
            f"{ind}raise NotImplementedError(\n",
            f'{ind}    "{head}: see "\n',
            f'{ind}    "{tail}"\n',
            f"{ind})\n",
        ]
        lines[region.begin - 1 : region.end] = raise_lines
    return HEADER.format(name=path.name) + "".join(lines)


def expected_files(root: Path) -> dict[str, str]:
    """What ``exercises/`` should hold: file name → text (the manifest excluded)."""
    files = {"__init__.py": INIT}
    for src in sorted((root / "solutions").glob("ch[0-9][0-9]_*.py")):
        files[src.name] = make_stub(src)
    return files


def exercise_names(root: Path) -> dict[str, str]:
    """Exercise id → function name, over every solution file."""
    return {
        e.id: e.name
        for src in sorted((root / "solutions").glob("ch[0-9][0-9]_*.py"))
        for e in read_chapter(src).exercises
    }


@dataclass(frozen=True)
class Action:
    """One thing sync did (or, with ``check``, would do) to a file in exercises/."""

    # "written", "updated", "unchanged", "kept", "merged", "conflict", "new-beside",
    # "removed", "orphan"
    kind: str
    name: str
    note: str = ""

    @property
    def stale(self) -> bool:
        """Whether this action means exercises/ differs from a fresh generation."""
        return self.kind != "unchanged"

    def describe(self) -> str:
        return f"{self.kind:<10} exercises/{self.name}" + (f"  ({self.note})" if self.note else "")


class SyncError(Exception):
    """Sync found files it cannot handle; it wrote nothing. ``problems``: one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class ManifestError(ValueError):
    """``exercises/.manifest.json`` is damaged; the message says what to do."""


# -- the manifest ---------------------------------------------------------------------------


def _damaged(why: str) -> ManifestError:
    return ManifestError(
        f"exercises/{MANIFEST} is damaged ({why}), so sync cannot tell which files you edited. "
        f"Restore it (in a git checkout: `git checkout exercises/{MANIFEST}`) or delete it "
        "(sync then keeps every file that differs from its new stub and writes the new "
        "version beside it)"
    )


def read_manifest(folder: Path) -> dict[str, Any]:
    """``exercises/.manifest.json``: {"files": {name: sha256}, "stubs": {name: text},
    "beside": {name: sha256}, "pending": {name: {"yours": sha256, "base": text}},
    "exercises": {id: name}}; raises :class:`ManifestError`."""
    path = folder / MANIFEST
    if path.is_dir():
        raise ManifestError(f"exercises/{MANIFEST} is a folder, not a file: move it away "
                            "and run sync again")
    if not path.exists():
        return {"files": {}, "stubs": {}, "beside": {}, "pending": {}, "exercises": {}}
    try:
        body = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _damaged(f"not valid JSON: {e}") from None
    except OSError as e:
        raise ManifestError(f"exercises/{MANIFEST} cannot be read ({e.strerror}): make it "
                            "readable and run sync again") from None
    if not isinstance(body, dict):
        raise _damaged(f"expected a JSON object, got {type(body).__name__}")
    for key in ("files", "stubs", "beside", "exercises"):
        body.setdefault(key, {})
        if not isinstance(body[key], dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in body[key].items()
        ):
            raise _damaged(f"{key!r} must map names to strings")
    pending = body.setdefault("pending", {})
    if not isinstance(pending, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("yours"), str)
        and isinstance(v.get("base"), (str, type(None))) for v in pending.values()
    ):
        raise _damaged("'pending' must map names to {\"yours\": hash, \"base\": text}")
    return body


def _manifest_text(plan: _Plan, names: dict[str, str]) -> str:
    body = {
        "about": "What `python -m minidl.course sync` last wrote: each file's SHA-256 and "
                 "text (the base of a three-way merge when the course changes), the .new.py "
                 "files it wrote, open conflicts, and every exercise's function",
        "files": dict(sorted(plan.hashes.items())),
        "exercises": dict(sorted(names.items(), key=lambda kv: parse_id(kv[0]))),
        "beside": dict(sorted(plan.beside.items())),
        "pending": dict(sorted(plan.pending.items())),
        "stubs": dict(sorted(plan.stubs.items())),
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


# -- looking at the files before touching any ---------------------------------------------


@dataclass(frozen=True)
class _File:
    """A file of exercises/ as sync found it."""

    name: str
    exists: bool = False
    text: str | None = None  # None: missing, a folder, unreadable or not UTF-8
    problem: str = ""  # why it cannot be used as text
    read_only: bool = False
    not_utf8: bool = False  # a problem only when its text is needed (to merge into it)

    @property
    def blocked(self) -> bool:
        """A folder or an unreadable file: sync can do nothing with it."""
        return self.text is None and bool(self.problem) and not self.not_utf8

    @property
    def hash(self) -> str | None:
        return None if self.text is None else sha256(self.text)


def _look(folder: Path, name: str) -> _File:
    path, rel = folder / name, f"exercises/{name}"
    if path.is_dir():
        return _File(name, True, None, f"{rel} is a folder where sync keeps a file: move it "
                                       "away (rename it) and run sync again")
    if not path.exists():
        return _File(name)
    read_only = not os.access(path, os.W_OK) or not path.stat().st_mode & stat.S_IWUSR
    try:
        raw = path.read_bytes()
    except OSError as e:
        return _File(name, True, None, f"{rel} cannot be read ({e.strerror}): make it readable "
                                       f"(chmod u+r {rel}) and run sync again", read_only)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        return _File(name, True, None, f"{rel} is not UTF-8 text (byte 0x{raw[e.start]:02x} on "
                                       f"line {line}), so sync cannot merge the course's changes "
                                       "into it: save it as UTF-8 in your editor and run sync "
                                       "again", read_only, not_utf8=True)
    return _File(name, True, text.replace("\r\n", "\n"), "", read_only)


def _exercise_at(text: str, line: int) -> str | None:
    """The id of the exercise whose function (decorators included) holds ``line`` (0-based)
    of a stub, or None outside every exercise."""
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef) and node.decorator_list:
            deco = node.decorator_list[0]
            if (isinstance(deco, ast.Call) and getattr(deco.func, "id", "") == "exercise"
                    and deco.args and isinstance(deco.args[0], ast.Constant)
                    and deco.lineno - 1 <= line < node.end_lineno):
                return str(deco.args[0].value)
    return None


def _describe(ids: set[str | None]) -> str:
    named = sorted((i for i in ids if i), key=parse_id)
    parts = [f"exercise{'s' if len(named) > 1 else ''} {', '.join(named)}"] if named else []
    if None in ids:
        parts.append("code outside the exercises")
    return " and ".join(parts)


def _changed_exercises(base: str, new: str) -> str:
    matcher = SequenceMatcher(None, base.splitlines(), new.splitlines(), autojunk=False)
    return _describe({_exercise_at(base, i1) for tag, i1, _, _, _ in matcher.get_opcodes()
                      if tag != "equal"})


def _compiles(text: str) -> bool:
    try:
        compile(text, "<merge>", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


# -- the plan: decide everything, then write --------------------------------------------------


@dataclass
class _Plan:
    folder: Path
    manifest: dict[str, Any]
    actions: list[Action] = field(default_factory=list)
    writes: dict[str, str] = field(default_factory=dict)  # name → new text
    removals: list[str] = field(default_factory=list)
    backups: dict[str, str] = field(default_factory=dict)  # .backup/… → the learner's text
    problems: list[str] = field(default_factory=list)
    write_problems: list[str] = field(default_factory=list)  # irrelevant to --check
    hashes: dict[str, str] = field(default_factory=dict)
    stubs: dict[str, str] = field(default_factory=dict)
    beside: dict[str, str] = field(default_factory=dict)
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    stamp: str = field(default_factory=lambda: time.strftime("%Y%m%d-%H%M%S"))

    def act(self, kind: str, name: str, note: str = "") -> None:
        self.actions.append(Action(kind, name, note))

    def write(self, f: _File, text: str) -> None:
        if f.read_only:
            self.write_problems.append(
                f"exercises/{f.name} is read-only, and sync must update it: make it writable "
                f"(chmod u+w exercises/{f.name}) and run sync again"
            )
        self.writes[f.name] = text

    def record(self, name: str, text: str) -> None:
        self.hashes[name], self.stubs[name] = sha256(text), text


def _plan_file(plan: _Plan, name: str, new: str) -> None:
    """Decide what happens to one generated file (see the module docstring)."""
    f = _look(plan.folder, name)
    recorded = plan.manifest["files"].get(name)
    base = plan.manifest["stubs"].get(name)
    base = base if base is not None and sha256(base) == recorded else None
    pending = plan.manifest["pending"].get(name)  # an unresolved conflict
    if pending is not None and f.hash != pending["yours"]:
        pending = None  # the learner changed the file since: the conflict is theirs, resolved
    plan.record(name, new)
    if f.blocked:
        plan.problems.append(f.problem)  # a folder or an unreadable file
    elif not f.exists:
        plan.act("written", name, "new file" if recorded is None else "it was missing")
        plan.write(f, new)
    elif f.hash == sha256(new):
        plan.act("unchanged", name)
    elif pending is not None:
        _merge(plan, f, pending["base"], new)  # still open: merged again with the newest stub
    elif f.hash == recorded:
        plan.act("updated", name, "you had not changed it")
        plan.write(f, new)
    elif sha256(new) == recorded:
        plan.act("kept", name, "your edits; nothing new from solutions/")
    elif f.text is None:
        plan.problems.append(f.problem)  # not UTF-8, and the course's change must go in
    else:
        _merge(plan, f, base, new)
    beside = _beside(name)
    b = _look(plan.folder, beside)
    if plan.actions[-1:] and plan.actions[-1].kind != "conflict" and b.exists:
        plan.act("orphan", beside, "a merge copy; delete it when you are done with it")
        if b.hash is not None and b.hash == plan.manifest["beside"].get(beside):
            plan.beside[beside] = b.hash  # still sync's own: a later conflict may rewrite it


def _beside(name: str) -> str:
    return name.removesuffix(".py") + ".new.py"


def _merge(plan: _Plan, f: _File, base: str | None, new: str) -> None:
    """The learner and the course both changed ``f``: merge, or write the conflict beside."""
    assert f.text is not None
    if base is None:
        _conflict(plan, f, base, NO_BASE_HEADER.format(name=f.name, beside=_beside(f.name))
                  + new, "the course changed it too, and sync has no record to merge from")
        return
    merged: Merge = merge3(base, f.text, new)
    if not merged.conflicts and (_compiles(merged.text) or not _compiles(f.text)):
        if merged.text == f.text:
            plan.act("kept", f.name, "your file already has the course's changes")
        else:
            backup = f"{BACKUP}/{f.name.removesuffix('.py')}.{plan.stamp}.py"
            plan.act("merged", f.name, f"your edits kept, the course's changes to "
                                       f"{_changed_exercises(base, new)} added; your previous "
                                       f"version is exercises/{backup}")
            plan.write(f, merged.text)
            plan.backups[backup] = f.text
        return
    where = _describe({_exercise_at(base, c.base_start) for c in merged.conflicts}) or \
        "lines that merge into code Python cannot parse"
    n = len(merged.conflicts) or 1
    _conflict(plan, f, base, CONFLICT_HEADER.format(name=f.name, where=where) + merged.text,
              f"you and the course both changed {where} ({n} conflict{'s' * (n > 1)})")


def _conflict(plan: _Plan, f: _File, base: str | None, text: str, why: str) -> None:
    """Leave the learner's file alone, remember the open conflict, and write the ``.new.py``
    unless the learner has changed the one there."""
    beside = _beside(f.name)
    plan.pending[f.name] = {"yours": f.hash or "", "base": base}
    b = _look(plan.folder, beside)
    if b.blocked:
        plan.problems.append(b.problem)  # a folder or an unreadable file
        return
    if b.exists and b.hash != plan.manifest["beside"].get(beside):
        plan.act("conflict", f.name, f"{why}; your file is untouched. exercises/{beside} holds "
                                     "your edits, so sync did not write the new merge there: "
                                     f"finish merging it into exercises/{f.name}, delete it, "
                                     "and run sync again")
        return
    plan.act("conflict", f.name, f"{why}; your file is untouched: resolve the conflicts marked "
                                 f"in exercises/{beside}, then copy it over exercises/{f.name}")
    plan.beside[beside] = sha256(text)
    if b.hash != sha256(text):
        plan.write(b, text)


def _plan_gone(plan: _Plan, name: str) -> None:
    """A recorded file whose solution file is gone."""
    f = _look(plan.folder, name)
    if not f.exists:
        return
    if f.blocked:
        plan.problems.append(f.problem)
    elif f.hash == plan.manifest["files"][name]:
        plan.act("removed", name, "its solution file is gone")
        plan.removals.append(name)
    else:
        plan.act("kept", name, "its solution file is gone, but you edited it")


def _check_folder(plan: _Plan) -> None:
    folder = plan.folder
    if folder.exists() and not folder.is_dir():
        plan.problems.insert(0, "exercises is a file where sync keeps the folder of your "
                                "workbook: move it away (rename it) and run sync again")
        return
    where = folder if folder.exists() else folder.parent
    mode = where.stat().st_mode if where.exists() else stat.S_IWUSR
    if (plan.writes or plan.removals) and (not os.access(where, os.W_OK)
                                           or not mode & stat.S_IWUSR):
        rel = "exercises" if where == folder else f"{where} (to create exercises/ in it)"
        plan.write_problems.append(f"{rel} is a read-only folder, and sync must write in it: "
                                   f"make it writable (chmod u+w {where}) and run sync again")


def plan_sync(root: Path) -> _Plan:
    """Everything sync would do to ``root/exercises``, decided without writing anything."""
    folder = root / "exercises"
    wanted = expected_files(root)
    try:
        manifest = read_manifest(folder)
    except ManifestError as e:
        raise SyncError([str(e)]) from None
    plan = _Plan(folder, manifest)
    for name, text in wanted.items():
        _plan_file(plan, name, text)
    for name in sorted(set(manifest["files"]) - set(wanted)):
        _plan_gone(plan, name)
    if folder.is_dir():
        unmanaged = {p.name for p in folder.glob("ch*.py")} - set(wanted) - set(manifest["files"])
        for name in sorted(n for n in unmanaged if not n.endswith(".new.py")):
            plan.act("orphan", name, "not generated from solutions/")
    manifest_text = _manifest_text(plan, exercise_names(root))
    current = _look(folder, MANIFEST)
    if current.text != manifest_text:
        plan.act("updated", MANIFEST, "what sync wrote: hashes and texts")
        plan.write(current, manifest_text)  # last: the record follows the files
    _check_folder(plan)
    return plan


def _apply(plan: _Plan) -> None:
    folder = plan.folder
    folder.mkdir(exist_ok=True)
    if plan.backups:
        (folder / BACKUP).mkdir(exist_ok=True)
    for name, text in [*plan.backups.items(), *plan.writes.items()]:
        with replace_atomically(folder / name) as f:
            f.write(text.encode("utf-8"))
    for name in plan.removals:
        (folder / name).unlink()


def sync(root: Path, *, check: bool = False) -> list[Action]:
    """Bring ``root/exercises`` up to date with ``root/solutions`` (see module docstring).

    Raises :class:`SyncError` (having written nothing) when a file needs the learner first.
    """
    plan = plan_sync(root)
    problems = plan.problems + ([] if check else plan.write_problems)
    if problems:
        raise SyncError(problems)
    if not check:
        _apply(plan)
    return plan.actions
