"""Turning what went wrong in a learner's call into one or two lines they can act on.

Used in the learner's process (:mod:`minidl.grading.worker`), where the exception and its
traceback live: where in the learner's file it happened, what the failing call was given
(shapes and dtypes), and a one-line translation of Numba's typing errors.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path
from typing import Any

import numpy as np

from minidl.course.root import IMPLS
from minidl.errors import fmt_shape

_SHAPE_WORDS = ("could not be broadcast", "mismatch in its core dimension", "cannot reshape",
                "not aligned", "shapes", "dimension", "axis")
_NUMBA_LOCATIONS = (re.compile(r'File "([^"]+)", line (\d+):'),
                    re.compile(r"at (\S+\.py) \((\d+)\)"))
# Numba's message → the usual cause, in the learner's words
_NUMBA_CAUSES = [
    (re.compile(r"name '(\w+)' is not defined|Untyped global name '(\w+)'"),
     "`{0}` is not defined in your file, or is not a function Numba can compile: inside "
     "@njit call only @numba.njit functions of your file and the NumPy functions Numba "
     "supports (a function shown in a docstring is only an illustration)"),
    (re.compile(r"reflected list|list\(|Cannot infer the type of variable|Cannot unify"),
     "a Python list, or a variable that changes type, inside @njit: use NumPy arrays of "
     "one dtype (np.zeros, np.empty)"),
    (re.compile(r"Cannot determine Numba type of <class '([\w.]+)'>"),
     "a `{0}` object inside @njit: Numba compiles only numbers, NumPy arrays and tuples"),
    (re.compile(r"No implementation of function Function\((.+?)\) found"),
     "{0} does not accept these argument types inside @njit (check the dtypes and the "
     "number of dimensions)"),
]


def learner_frame(tb: Any, root: Path) -> str:
    """``\\n  at exercises/ch01_x.py:12, in f: <line>`` for the deepest frame of the learner."""
    ours = [f for f in traceback.extract_tb(tb)
            if any(Path(f.filename).resolve().is_relative_to(root / d) for d in IMPLS)]
    if not ours:
        return ""
    f = ours[-1]
    rel = Path(f.filename).resolve().relative_to(root)
    return f"\n  at {rel}:{f.lineno}, in {f.name}: {(f.line or '').strip()}"


def describe_value(value: Any) -> str:
    if isinstance(value, np.ndarray):
        layout = "" if value.flags.c_contiguous else ", non-contiguous"
        return f"array {fmt_shape(value.shape)} {value.dtype}{layout}"
    if isinstance(value, (list, tuple)) and len(value) <= 4:
        inner = ", ".join(describe_value(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if isinstance(value, (int, float, bool, str, np.generic)) or value is None:
        return repr(value) if len(repr(value)) <= 40 else type(value).__name__
    return type(value).__name__


def describe_call(name: str, bound: dict[str, Any]) -> str:
    """``f(x=array (2, 3) float32, axis=1)``: what the failing call was given."""
    return f"{name}(" + ", ".join(f"{k}={describe_value(v)}" for k, v in bound.items()) + ")"


def is_shape_error(err: BaseException) -> bool:
    return isinstance(err, (ValueError, IndexError)) and any(
        word in str(err) for word in _SHAPE_WORDS)


def numba_summary(err: BaseException, root: Path, fn: Any = None) -> str | None:
    """One line for a Numba compile error: the learner's line and the usual cause."""
    if not any(c.__name__ in ("TypingError", "NumbaError") for c in type(err).__mro__):
        return None
    text = str(err)
    lines = [ln.strip() for ln in text.splitlines()
             if ln.strip() and not ln.startswith(("Failed in", "During:"))]
    where = _function_line(fn, root)
    for pattern in _NUMBA_LOCATIONS:
        for path, line in pattern.findall(text):
            full = Path(path) if Path(path).is_absolute() else root / path
            if any(full.resolve().is_relative_to(root / d) for d in IMPLS):
                source = _source_line(full, int(line))
                where = f" at {full.resolve().relative_to(root)}:{line}: {source}"
    problem = f" [Numba: {lines[0]}]" if lines else ""
    for pattern, cause in _NUMBA_CAUSES:
        if match := pattern.search(text):
            name = next((g for g in match.groups() if g), "")
            return f"Numba could not compile your function{where}: {cause.format(name)}{problem}"
    return f"Numba could not compile your function{where}:{problem or ' see its message'}"


def _function_line(fn: Any, root: Path) -> str:
    code = getattr(getattr(fn, "py_func", fn), "__code__", None)
    if code is None:
        return ""
    path = Path(code.co_filename).resolve()
    if not path.is_relative_to(root):
        return ""
    return f" ({fn.__name__}, {path.relative_to(root)}:{code.co_firstlineno})"


def _source_line(path: Path, line: int) -> str:
    try:
        return path.read_text("utf-8").splitlines()[line - 1].strip()
    except (OSError, IndexError, UnicodeDecodeError):
        return ""
