"""Generate the learner's ``exercises/`` from ``solutions/`` (``python -m minidl.course sync``).

For every ``solutions/chNN_topic.py`` the stub ``exercises/chNN_topic.py`` is the same file
with each solution region replaced by ``raise NotImplementedError("Exercise N.M (name): see
notebooks/NN_topic.ipynb, section '…'")`` at the region's indentation. The SHA-256 of every
file written is recorded in ``exercises/.manifest.json``. A file whose hash differs from the
record was edited by the learner and is never overwritten:

* solutions unchanged since the recorded version → the learner's file is kept as it is;
* solutions changed → the new stub goes beside it as ``chNN_topic.new.py`` (merge by hand);
* a chapter whose solution file is gone is removed if untouched, kept if edited.

``--check`` writes nothing and fails unless ``exercises/`` is byte for byte what a fresh
sync would write (CI).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minidl.course.catalog import read_chapter
from minidl.course.exercise import parse_id

MANIFEST = ".manifest.json"

HEADER = (
    "# Your workbook, generated from solutions/{name}\n"
    "# by `python -m minidl.course sync`. Replace each `raise NotImplementedError(...)` with\n"
    "# your code; sync never overwrites a file you changed. Check your work with\n"
    "# check(\"N.M\") in the notebook or `python -m minidl.grade N.M` in a terminal.\n"
)

INIT = '''"""The learner's workbook: one module per chapter, generated from solutions/.

Regenerate with `python -m minidl.course sync` (your edits are never overwritten).
"""
'''


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


@dataclass(frozen=True)
class Action:
    """One thing sync did (or, with ``check``, would do) to a file in exercises/."""

    kind: str  # "written", "updated", "unchanged", "kept", "new-beside", "removed", "orphan"
    name: str
    note: str = ""

    @property
    def stale(self) -> bool:
        """Whether this action means exercises/ differs from a fresh generation."""
        return self.kind != "unchanged"

    def describe(self) -> str:
        return f"{self.kind:<10} exercises/{self.name}" + (f"  ({self.note})" if self.note else "")


def read_manifest(folder: Path) -> dict[str, Any]:
    """``exercises/.manifest.json``: {"files": {name: sha256}, "exercises": {id: name}}."""
    path = folder / MANIFEST
    if not path.exists():
        return {"files": {}, "exercises": {}}
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _manifest_text(hashes: dict[str, str], names: dict[str, str]) -> str:
    body = {
        "about": "SHA-256 of each file as `python -m minidl.course sync` last wrote it, "
                 "and every exercise's function",
        "files": dict(sorted(hashes.items())),
        "exercises": dict(sorted(names.items(), key=lambda kv: parse_id(kv[0]))),
    }
    return json.dumps(body, indent=2) + "\n"


def exercise_names(root: Path) -> dict[str, str]:
    """Exercise id → function name, over every solution file."""
    return {
        e.id: e.name
        for src in sorted((root / "solutions").glob("ch[0-9][0-9]_*.py"))
        for e in read_chapter(src).exercises
    }


def sync(root: Path, *, check: bool = False) -> list[Action]:
    """Bring ``root/exercises`` up to date with ``root/solutions`` (see module docstring)."""
    folder = root / "exercises"
    wanted = expected_files(root)
    recorded = dict(read_manifest(folder).get("files", {}))
    hashes = dict(recorded)
    actions: list[Action] = []

    def write(name: str, text: str) -> None:
        if not check:
            folder.mkdir(exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")

    for name, text in wanted.items():
        target, new_hash = folder / name, sha256(text)
        current = sha256(target.read_text(encoding="utf-8")) if target.exists() else None
        beside = name.removesuffix(".py") + ".new.py"
        if current == new_hash:
            actions.append(Action("unchanged", name))
        elif current is None:
            note = "new file" if name not in recorded else "it was missing"
            actions.append(Action("written", name, note))
            write(name, text)
        elif current == recorded.get(name):
            actions.append(Action("updated", name, "you had not changed it"))
            write(name, text)
        elif new_hash == recorded.get(name):
            actions.append(Action("kept", name, "your edits; nothing new from solutions/"))
        else:
            actions.append(Action("new-beside", name, f"you changed it, so the new version is "
                                  f"exercises/{beside}: merge it by hand"))
            write(beside, text)
        hashes[name] = new_hash
        if (folder / beside).exists() and actions[-1].kind != "new-beside":
            actions.append(Action("orphan", beside, "a new version waiting to be merged; "
                                  "delete it when done"))

    for name in sorted(set(recorded) - set(wanted)):
        target = folder / name
        del hashes[name]
        if not target.exists():
            continue
        if sha256(target.read_text(encoding="utf-8")) == recorded[name]:
            actions.append(Action("removed", name, "its solution file is gone"))
            if not check:
                target.unlink()
        else:
            actions.append(Action("kept", name, "its solution file is gone, but you edited it"))
    unmanaged = {p.name for p in folder.glob("ch*.py")} - set(wanted) - set(recorded)
    actions.extend(
        Action("orphan", name, "not generated from solutions/")
        for name in sorted(unmanaged) if not name.endswith(".new.py")
    )

    manifest = _manifest_text(hashes, exercise_names(root))
    manifest_path = folder / MANIFEST
    if not manifest_path.exists() or manifest_path.read_text(encoding="utf-8") != manifest:
        actions.append(Action("updated", MANIFEST, "hashes of what sync wrote"))
        write(MANIFEST, manifest)
    return actions
