"""What travels between the grader and the learner's process, and what may come back.

The grader sends a call's arguments with plain :mod:`pickle` (the learner's process may
read anything the grader writes). What comes back is untrusted: it is read with
:class:`SafeUnpickler`, which builds only data (NumPy arrays and scalars, numbers,
strings, lists, tuples, dicts, sets) and :class:`Opaque` placeholders, and never imports
or calls anything else. So nothing the learner's code returns can run code in the grader.

A function of the test that pickle cannot name (a lambda, a closure) travels as a
:class:`Callback`: calling it in the learner's process runs the test's function in the
grader. Identity survives the round trip. Both sides number the objects of the argument pickle in
the same order (pickle's memo), so when the learner returns one of the objects it was
given (a graph node, an input array), the reply names it by that number and the grader
hands back its own original object.
"""

from __future__ import annotations

import functools
import io
import pickle
import sys
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

PROTOCOL = 5
DEPTH = 100_000  # recursion limit while (un)pickling: a graph of 5000 nodes nests deeply

# (module, name) of everything a reply may build: how NumPy pickles arrays and scalars,
# a few builtins, and the placeholder below
_SAFE = {
    ("numpy._core.numeric", "_frombuffer"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"), ("numpy", "dtype"), ("numpy", "ndarray"),
    ("builtins", "complex"), ("builtins", "bytearray"), ("builtins", "set"),
    ("builtins", "frozenset"), ("builtins", "slice"), ("builtins", "range"),
    ("minidl.grading.wire", "Opaque"),
}
_DATA = (np.generic, np.dtype, complex, bytearray, set, frozenset, slice, range)


@dataclass(frozen=True)
class Opaque:
    """Stands for a returned object that is not plain data (a Tensor, a function, …)."""

    module: str
    qualname: str
    text: str  # its repr, shortened

    @property
    def type_name(self) -> str:
        return self.qualname

    def __repr__(self) -> str:
        return f"<{self.module}.{self.qualname}: {self.text}>"


def opaque(obj: Any) -> Opaque:
    kind = type(obj)
    try:
        text = repr(obj)
    except Exception:  # noqa: BLE001 - a learner's __repr__ may fail
        text = "?"
    return Opaque(kind.__module__, kind.__qualname__, text[:200])


@contextmanager
def _deep() -> Iterator[None]:
    """Let pickle follow deeply nested objects (the learner's code keeps the usual limit)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, DEPTH))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


class Callback:
    """Stands, in the learner's process, for a function of the test (e.g. the f whose
    gradient a learner's numerical-gradient function estimates).

    Calling it asks the grader to run the test's function and waits for the result, so
    test code (a lambda, a closure, minidl's reference) always runs in the grader.
    """

    handler: Callable[[int, tuple, dict], Any] | None = None  # set by the learner's process

    def __init__(self, token: int) -> None:
        self.token = token

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if Callback.handler is None:
            raise RuntimeError("a grader callback was called outside the learner's process")
        return Callback.handler(self.token, args, kwargs)


class _ArgsPickler(pickle.Pickler):
    """The grader's side: functions become :class:`Callback` numbers, the rest is pickled."""

    def __init__(self, buffer: io.BytesIO) -> None:
        super().__init__(buffer, protocol=PROTOCOL)
        self.functions: list[Callable[..., Any]] = []

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, (types.MethodType, functools.partial)) or (
                isinstance(obj, types.FunctionType) and not _importable(obj)):
            self.functions.append(obj)
            return Callback, (len(self.functions) - 1,)
        return NotImplemented


def _importable(fn: types.FunctionType) -> bool:
    """True when pickle can name ``fn`` by module and name (NumPy's helpers, …)."""
    target: Any = sys.modules.get(fn.__module__)
    for part in fn.__qualname__.split("."):
        target = getattr(target, part, None)
    return target is fn


def dump_args(payload: Any) -> tuple[bytes, dict[int, Any], list[Callable[..., Any]]]:
    """Pickle ``payload``; also return its memo (index → the grader's own object) and the
    functions it holds (a :class:`Callback`'s number → the function)."""
    buffer = io.BytesIO()
    pickler = _ArgsPickler(buffer)
    with _deep():
        pickler.dump(payload)
    memo = {index: obj for index, obj in pickler.memo.copy().values()}
    return buffer.getvalue(), memo, pickler.functions


def load_args(data: bytes) -> tuple[Any, dict[int, Any]]:
    """Unpickle what :func:`dump_args` wrote; also return its memo (same numbering)."""
    unpickler = pickle.Unpickler(io.BytesIO(data))
    with _deep():
        payload = unpickler.load()
    return payload, unpickler.memo.copy()


class _ReplyPickler(pickle.Pickler):
    """The learner's side: objects it was given go back by number, the rest as data."""

    def __init__(self, buffer: io.BytesIO, given: dict[int, int]) -> None:
        super().__init__(buffer, protocol=PROTOCOL)
        self.given = given

    def persistent_id(self, obj: Any) -> int | None:
        if isinstance(obj, (str, int, float, bool, bytes)) or obj is None:
            return None
        return self.given.get(id(obj))

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is np.ndarray or isinstance(obj, (*_DATA, Opaque)) or (
                getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)) in _SAFE:
            return NotImplemented
        o = opaque(obj)
        return Opaque, (o.module, o.qualname, o.text)


def dump_reply(reply: Any, received_memo: dict[int, Any]) -> bytes:
    """Pickle the learner's reply, naming objects from the arguments by their number."""
    buffer = io.BytesIO()
    given = {id(obj): index for index, obj in received_memo.items()}
    with _deep():
        _ReplyPickler(buffer, given).dump(reply)
    return buffer.getvalue()


class SafeUnpickler(pickle.Unpickler):
    """Reads a reply: data and :class:`Opaque` only; numbers name the grader's objects."""

    def __init__(self, data: bytes, memo: dict[int, Any]) -> None:
        super().__init__(io.BytesIO(data))
        self.sent = memo

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _SAFE:
            raise pickle.UnpicklingError(f"the learner's process sent {module}.{name}, "
                                         "which the grader does not accept")
        return super().find_class(module, name)

    def persistent_load(self, pid: Any) -> Any:
        if not isinstance(pid, int) or pid not in self.sent:
            raise pickle.UnpicklingError(f"the learner's process named an unknown object {pid!r}")
        return self.sent[pid]


def load_reply(data: bytes, memo: dict[int, Any]) -> Any:
    with _deep():
        return SafeUnpickler(data, memo).load()


PIPE_BYTES = 1 << 20  # a call's arrays usually fit: the writer does not wait for the reader


class Channel:
    """Two one-way pipes (one per direction), each with a large buffer where Linux allows."""

    def __init__(self, reader: Any, writer: Any) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    def pair(cls, ctx: Any) -> tuple[Channel, Channel]:
        down_r, down_w = ctx.Pipe(duplex=False)
        up_r, up_w = ctx.Pipe(duplex=False)
        for conn in (down_w, up_w):
            try:
                import fcntl

                fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
            except (ImportError, AttributeError, OSError):
                pass  # not Linux, or a lower limit: the default buffer works, more slowly
        return cls(up_r, down_w), cls(down_r, up_w)

    def send_bytes(self, data: bytes) -> None:
        self.writer.send_bytes(data)

    def recv_bytes(self) -> bytes:
        return self.reader.recv_bytes()

    def poll(self, timeout: float) -> bool:
        return self.reader.poll(timeout)

    def close(self) -> None:
        self.reader.close()
        self.writer.close()
