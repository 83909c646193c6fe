"""Reading a chapter file without importing it: its exercises and its solution regions.

A chapter file (``solutions/chNN_topic.py`` or its generated stub) is parsed with
:mod:`ast`. An exercise is a function decorated with ``@exercise("N.M", section="…")``;
a solution region is the lines from ``# BEGIN SOLUTION`` to ``# END SOLUTION``
(each marker alone on its line), inside the body of an exercise function.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from minidl.course.exercise import Exercise, parse_id

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"


class CourseSourceError(ValueError):
    """A chapter file breaks the exercise contract; the message starts with ``file:line``."""


@dataclass(frozen=True)
class Region:
    """A solution region: 1-based line numbers of its markers, and the exercise it answers."""

    begin: int
    end: int
    indent: str
    exercise: Exercise


@dataclass(frozen=True)
class Chapter:
    path: Path
    exercises: list[Exercise]
    regions: list[Region]


def _decorator_args(node: ast.FunctionDef, path: Path) -> tuple[str, str] | None:
    for dec in node.decorator_list:
        if not isinstance(dec, ast.Call):
            continue
        func = dec.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name != "exercise":
            continue
        kw = {k.arg: k.value for k in dec.keywords}
        args = [*dec.args, kw.get("section")]
        if len(dec.args) != 1 or not all(
            isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args
        ):
            raise CourseSourceError(
                f"{path}:{dec.lineno}: write @exercise(\"N.M\", section=\"…\") with literal strings"
            )
        return args[0].value, args[1].value  # type: ignore[union-attr]
    return None


def _functions(tree: ast.AST) -> list[ast.FunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def read_chapter(path: Path, text: str | None = None, *, stub: bool = False) -> Chapter:
    """Parse one chapter file; raises :class:`CourseSourceError` naming file:line on misuse.

    A solution file must give every exercise exactly one region; a ``stub`` (a generated
    or learner's file) is read for its exercises only.
    """
    text = path.read_text(encoding="utf-8") if text is None else text
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as err:
        raise CourseSourceError(f"{path}:{err.lineno}: syntax error: {err.msg}") from err
    stem = path.stem.split(".")[0]
    chapter_no = int(stem[2:4]) if stem[2:4].isdigit() else None
    found: dict[ast.AST, Exercise] = {}
    for fn in _functions(tree):
        meta = _decorator_args(fn, path)
        if meta is None:
            continue
        ex_id, section = meta
        try:
            number = parse_id(ex_id)[0]
        except ValueError as err:
            raise CourseSourceError(f"{path}:{fn.lineno}: {err}") from err
        if chapter_no is not None and number != chapter_no:
            raise CourseSourceError(
                f"{path}:{fn.lineno}: exercise {ex_id} belongs to chapter {number}, "
                f"but this file is chapter {chapter_no}"
            )
        found[fn] = Exercise(ex_id, fn.name, section, stem)
    ids = [e.id for e in found.values()]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        raise CourseSourceError(f"{path}: exercise id {dup} is used twice")
    exercises = sorted(found.values(), key=lambda e: parse_id(e.id))
    return Chapter(path, exercises, [] if stub else _regions(path, text, tree, found))


def _regions(
    path: Path, text: str, tree: ast.AST, exercises: dict[ast.AST, Exercise]
) -> list[Region]:
    regions: list[Region] = []
    begin: int | None = None
    for lineno, line in enumerate(text.splitlines(), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if begin is not None:
                raise CourseSourceError(f"{path}:{lineno}: {BEGIN} inside the region opened "
                                        f"at line {begin}")
            begin = lineno
        elif marker == END:
            if begin is None:
                raise CourseSourceError(f"{path}:{lineno}: {END} without {BEGIN}")
            regions.append(_own_region(path, tree, exercises, begin, lineno, line))
            begin = None
    if begin is not None:
        raise CourseSourceError(f"{path}:{begin}: {BEGIN} is never closed by {END}")
    answered = [r.exercise.id for r in regions]
    for fn, ex in exercises.items():
        if answered.count(ex.id) != 1:
            raise CourseSourceError(
                f"{path}:{fn.lineno}: exercise {ex.id} ({ex.name}) needs exactly one solution "
                f"region, found {answered.count(ex.id)}"
            )
    return regions


def _own_region(
    path: Path, tree: ast.AST, exercises: dict[ast.AST, Exercise], begin: int, end: int, line: str
) -> Region:
    enclosing = [
        fn for fn in _functions(tree) if fn.lineno < begin < (fn.end_lineno or 0)
    ]  # END may follow the last statement: comments are not in the syntax tree
    if not enclosing:
        raise CourseSourceError(f"{path}:{begin}: solution region outside a function; "
                                "put it inside the body of an @exercise function")
    innermost = max(enclosing, key=lambda fn: fn.lineno)
    if innermost not in exercises:
        raise CourseSourceError(f"{path}:{begin}: solution region in {innermost.name}(), "
                                "which is not decorated with @exercise(...)")
    indent = line[: len(line) - len(line.lstrip())]
    return Region(begin, end, indent, exercises[innermost])
