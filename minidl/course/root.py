"""Finding the course repository and importing its chapter modules.

The course root is the directory that holds ``exercises/`` and ``solutions/`` (and
``tests/exercises/``, the autograder). It is, in this order:

1. ``$MINIDL_COURSE_ROOT`` when set;
2. the nearest directory at or above the current one with ``exercises/`` or ``solutions/``;
3. the parent of the installed ``minidl`` package (an editable install of the repo).

Which implementation is used, ``exercises`` (the learner's) or ``solutions`` (the
reference), defaults to ``$MINIDL_IMPL`` and else ``exercises``; the autograder's
``--impl solutions`` sets that variable so notebooks run by nbval in the same session
use the solutions too.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

IMPLS = ("exercises", "solutions")


def _looks_like_root(path: Path) -> bool:
    return (path / "exercises").is_dir() or (path / "solutions").is_dir()


def course_root() -> Path:
    """The course repository's root directory (see the module docstring for the search)."""
    env = os.environ.get("MINIDL_COURSE_ROOT")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if _looks_like_root(candidate):
            return candidate
    installed = Path(__file__).resolve().parents[2]
    if _looks_like_root(installed):
        return installed
    raise FileNotFoundError(
        "cannot find the course: no exercises/ or solutions/ folder here or above "
        f"{here}; run from inside the course repository or set MINIDL_COURSE_ROOT"
    )


def default_impl() -> str:
    """``$MINIDL_IMPL`` ("exercises" or "solutions"), else "exercises"."""
    return check_impl(os.environ.get("MINIDL_IMPL") or "exercises")


def check_impl(impl: str) -> str:
    if impl not in IMPLS:
        raise ValueError(f"impl must be one of {IMPLS}, got {impl!r}")
    return impl


def chapter_names(impl: str, root: Path | None = None) -> list[str]:
    """The chapter modules of ``impl`` in the course, sorted: ["ch01_perceptron", …]."""
    folder = (root or course_root()) / check_impl(impl)
    return sorted(p.stem for p in folder.glob("ch[0-9][0-9]_*.py") if ".new" not in p.suffixes)


def resolve_chapter(chapter: str | int, impl: str, root: Path | None = None) -> str:
    """"ch01", "1", 1 or "ch01_perceptron" → "ch01_perceptron" (a module of ``impl``)."""
    text = str(chapter)
    prefix = f"ch{int(text):02d}_" if text.isdigit() else text
    names = chapter_names(impl, root)
    matches = [n for n in names if n == prefix or n.startswith(prefix.rstrip("_") + "_")]
    if len(matches) != 1:
        raise LookupError(f"no single chapter {chapter!r} in {impl}/ (chapters: {names})")
    return matches[0]


def _put_root_on_path(root: Path, impl: str) -> None:
    """Make ``import <impl>`` find ``root/<impl>``, forgetting a package from elsewhere."""
    entry = str(root)
    if entry in sys.path:
        sys.path.remove(entry)
    sys.path.insert(0, entry)
    loaded = sys.modules.get(impl)
    where = getattr(loaded, "__file__", None)
    if loaded is not None and (where is None or Path(where).resolve().parent != root / impl):
        for name in [n for n in sys.modules if n == impl or n.startswith(impl + ".")]:
            del sys.modules[name]
    importlib.invalidate_caches()


def load_chapter(
    chapter: str | int, impl: str | None = None, *, root: Path | None = None, reload: bool = True
) -> ModuleType:
    """Import (by default re-import, so edits are picked up) a chapter module.

    ``load_chapter("ch01")`` is ``exercises.ch01_perceptron`` (or ``solutions.…`` when
    ``impl="solutions"`` or ``$MINIDL_IMPL=solutions``).
    """
    impl = check_impl(impl or default_impl())
    root = (root or course_root()).resolve()
    stem = resolve_chapter(chapter, impl, root)
    name = f"{impl}.{stem}"
    _put_root_on_path(root, impl)
    # an edit within the same second and of the same size would look unchanged to the
    # bytecode cache, so the cached .pyc of the learner's file is always dropped
    Path(importlib.util.cache_from_source(str(root / impl / f"{stem}.py"))).unlink(
        missing_ok=True)
    module = sys.modules.get(name)
    if module is not None and reload:
        return importlib.reload(module)
    return importlib.import_module(name)
