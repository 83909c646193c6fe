"""The learner's process: imports one chapter of the learner's code and runs its functions.

Started by :class:`minidl.grading.isolation.LearnerProcess` (one per chapter module under
test), in a temporary working directory, with its output captured. It answers one call at
a time: the arguments arrive pickled; the reply carries the result, the arrays and random
generators the call changed in place, what it printed, or what went wrong (the learner's
line, the call's shapes). The grader reads replies with a safe unpickler
(:mod:`minidl.grading.wire`) and decides every verdict itself.
"""

from __future__ import annotations

import inspect
import os
import pickle
import signal
import sys
import tempfile
import traceback
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from minidl.course.gpu import imports_cuda, simulate_unless_gpu
from minidl.course.root import check_impl, load_chapter, resolve_chapter
from minidl.grading import wire
from minidl.grading.diagnose import (
    describe_call,
    is_shape_error,
    learner_frame,
    numba_summary,
)
from minidl.tensor import Tensor

_CURRENT_MEMO: dict[int, Any] = {}
MAX_OUTPUT = 20_000  # characters of printed output sent back per call


class _Alarm(BaseException):
    """The call's time is up (raised by SIGALRM; compiled code delays it until it returns)."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Alarm


def _alarm(seconds: float) -> None:
    """Raise :class:`_Alarm` in ``seconds`` (0: cancel). Without SIGALRM (Windows) the
    grader's kill after the limit is the only stop, and the time-out cannot name the line."""
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.01) if seconds else 0)


class _Output:
    """Everything written to file descriptors 1 and 2 (also by compiled code), per call."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(self.file.fileno(), 1)
        os.dup2(self.file.fileno(), 2)

    def take(self) -> str:
        sys.stdout.flush()
        sys.stderr.flush()
        if os.lseek(self.file.fileno(), 0, os.SEEK_CUR) == 0:
            return ""  # nothing written (the usual case): no reading back
        self.file.seek(0)
        text = self.file.read().decode("utf-8", "replace")
        self.file.seek(0)
        self.file.truncate()
        return text[:MAX_OUTPUT]


def _builtin_bases(err: BaseException) -> list[str]:
    import builtins

    return [c.__name__ for c in type(err).__mro__ if getattr(builtins, c.__name__, None) is c]


def _error(err: BaseException, root: Path, call: str, fn: Any = None) -> dict[str, Any]:
    kind = ("not started" if isinstance(err, NotImplementedError) else
            "timed out" if isinstance(err, _Alarm) else "error")
    message = str(err)
    if isinstance(err, SyntaxError):
        message = f"at line {err.lineno}: {err.msg}\n    {(err.text or '').strip()}"
    diagnosis = numba_summary(err, root, fn)
    if diagnosis is None and is_shape_error(err):
        diagnosis = "NumPy could not combine the shapes of your arrays"
    return {"kind": kind, "type": type(err).__name__, "bases": _builtin_bases(err),
            "message": message, "where": learner_frame(err.__traceback__, root),
            "diagnosis": diagnosis, "call": call}


def _names(fn: Any, args: tuple, kwargs: dict) -> dict[str, Any]:
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
        return dict(bound.arguments)
    except (TypeError, ValueError):
        return {f"arg{i}": a for i, a in enumerate(args)} | kwargs


def _array_names(bound: dict[str, Any]) -> dict[int, str]:
    """id(array) → how the learner knows it: ``param``, ``params[0]``, ``state['m']``."""
    names: dict[int, str] = {}
    for name, value in bound.items():
        if isinstance(value, np.ndarray):
            names[id(value)] = name
        elif isinstance(value, (list, tuple)):
            names.update((id(v), f"{name}[{i}]") for i, v in enumerate(value))
        elif isinstance(value, dict):
            names.update((id(v), f"{name}[{k!r}]") for k, v in value.items())
    return names


def _call(module: Any, root: Path, request: dict[str, Any], args_data: bytes,
          output: _Output) -> bytes:
    """Run one call; the reply names objects from the arguments by their memo number."""
    (args, kwargs), memo = wire.load_args(args_data)
    _CURRENT_MEMO.clear()
    _CURRENT_MEMO.update(memo)  # what a callback's arguments may name by number
    for index in request["readonly"]:
        memo[index].flags.writeable = False
    arrays = {i: (a, a.copy()) for i, a in memo.items() if type(a) is np.ndarray}
    rngs = {i: (g, g.bit_generator.state) for i, g in memo.items()
            if isinstance(g, np.random.Generator)}
    # requires_grad flags (freezing a backbone is an exercise): a bool is no array
    flags = {i: (t, t.requires_grad) for i, t in memo.items() if isinstance(t, Tensor)}
    name = request["name"]
    reply: dict[str, Any] = {"ok": True}
    bound: dict[str, Any] = {}
    fn = None
    _alarm(request["seconds"])
    try:
        fn = getattr(module, name, None)
        if fn is None:
            raise AttributeError(f"{module.__name__.replace('.', '/')}.py has no function "
                                 f"{name!r}: was it renamed or deleted?")
        bound = _names(fn, args, kwargs)
        with np.errstate(**request["errstate"]), warnings.catch_warnings():
            warnings.filters[:] = request["warnings"]
            reply["result"] = fn(*args, **kwargs)
    except BaseException as err:  # noqa: BLE001 - every failure is reported to the grader
        _alarm(0)
        reply = {"ok": False, "error": _error(err, root, describe_call(name, bound), fn)}
    finally:
        _alarm(0)
    names = _array_names(bound)
    reply["mutated"] = [
        # a copy: the array itself would go back by its number, as the grader's own array
        (i, names.get(id(a), "an array inside the arguments"), a.copy()) for i, (a, before) in
        arrays.items() if a.shape != before.shape or not np.array_equal(
            a, before, equal_nan=a.dtype.kind in "fc")]  # NaN only exists in float arrays
    reply["requires_grad"] = [(i, t.requires_grad) for i, (t, before) in flags.items()
                              if t.requires_grad != before]
    reply["rngs"] = [(i, g.bit_generator.state) for i, (g, state) in rngs.items()
                     if g.bit_generator.state != state]
    reply["output"] = output.take()
    try:
        return wire.dump_reply(reply, memo)
    except Exception as err:  # noqa: BLE001 - e.g. a result that pickle cannot write
        return wire.dump_reply({"ok": False, "output": reply["output"], "mutated": [],
                                "rngs": [], "requires_grad": [], "error": {
            **_error(err, root, ""), "type": "ResultNotSent",
            "message": f"your function's result could not be sent back "
                       f"({type(err).__name__}: {err})"}}, {})


def _callback_handler(conn: wire.Channel) -> Any:
    """How a :class:`~minidl.grading.wire.Callback` asks the grader to run a test function."""

    def call(token: int, args: tuple, kwargs: dict) -> Any:
        conn.send_bytes(wire.dump_reply({"callback": token, "args": (args, kwargs)},
                                        _CURRENT_MEMO))
        reply = pickle.loads(conn.recv_bytes())
        if not reply["ok"]:
            raise RuntimeError(f"the test's function raised {reply['type']}: "
                               f"{reply['message']}")
        return reply["result"]

    return call


def _describe_function(module: Any, name: str) -> dict[str, Any]:
    """Facts about a function a test may check (its decorator, the names its code uses)."""
    fn = getattr(module, name)
    code = getattr(getattr(fn, "py_func", fn), "__code__", None)
    return {"type": f"{type(fn).__module__}.{type(fn).__qualname__}",
            "targetoptions": dict(getattr(fn, "targetoptions", {}) or {}),
            "co_names": tuple(code.co_names) if code else ()}


def _prepare_cuda(root: Path, impl: str, chapter: str) -> None:
    """A chapter that writes CUDA kernels runs them on the simulator when there is no GPU
    (chosen before its module imports numba.cuda; other chapters keep numba's default)."""
    path = root / check_impl(impl) / f"{resolve_chapter(chapter, impl, root)}.py"
    if imports_cuda(path.read_text(encoding="utf-8")):
        simulate_unless_gpu()


def serve(conn: wire.Channel, root: str, impl: str, chapter: str, workdir: str,
          import_seconds: float) -> None:
    """The process's main loop: import the chapter, then answer calls until told to stop."""
    os.chdir(workdir)
    if hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, _on_alarm)
    output = _Output()
    course = Path(root)
    _alarm(import_seconds)
    try:
        _prepare_cuda(course, impl, chapter)
        module = load_chapter(chapter, impl, root=course, reload=False)
        _alarm(0)
    except BaseException as err:  # noqa: BLE001 - reported, then the process ends
        _alarm(0)
        conn.send_bytes(wire.dump_reply({"ok": False, "output": output.take(),
                                         "error": _error(err, course, "")}, {}))
        return
    conn.send_bytes(wire.dump_reply({"ok": True, "output": output.take()}, {}))
    wire.Callback.handler = _callback_handler(conn)
    while True:
        try:
            request = pickle.loads(conn.recv_bytes())
        except EOFError:
            return
        if request["op"] == "stop":
            return
        try:
            if request["op"] == "describe":
                data = wire.dump_reply(_describe_function(module, request["name"]), {})
            else:
                data = _call(module, course, request, request["args"], output)
        except Exception:  # noqa: BLE001 - a fault of this machinery, not of the learner
            data = wire.dump_reply({"ok": False, "output": output.take(), "mutated": [],
                                    "rngs": [], "error": {
                "kind": "error", "type": "GraderError", "bases": [], "where": "",
                "diagnosis": None, "call": "",
                "message": "the grader's learner process failed (not your code):\n"
                           + traceback.format_exc()}}, {})
        conn.send_bytes(data)
