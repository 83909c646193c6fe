"""The grader's side of isolation: the learner's code runs in a process of its own.

The ``impl`` fixture hands exercise tests a :class:`Workbook`. ``impl.relu_forward(x)``
looks like a call of the learner's function, but the function lives in another process
(:mod:`minidl.grading.worker`, one per chapter module, started on first use from a fork
server that has minidl imported). The arguments travel there pickled; only the result (and
the arrays and random generators the call changed in place) comes back, read as data
(:mod:`minidl.grading.wire`). The test, its expected values and the verdict stay in the
grader's process, which never imports the learner's module.

What this protects against, and what not (docs/grading_faults.md has the full table):

* a learner's function that loops forever (also inside compiled Numba code), crashes,
  calls ``os._exit`` / ``sys.exit`` or is killed for memory: its process is stopped or
  has died, the test is charged with what happened, and a fresh process serves the
  next test;
* a learner's file that patches the grader: it runs where the grader is not, so the
  patch changes nothing the grader sees;
* it is **not** a security sandbox: the learner's process runs as the same user, with the
  same files and network, so a determined attacker can still edit the test files or the
  report on disk. Instructors who grade untrusted submissions run the grader in a
  container from a clean copy of ``tests/``.
"""

from __future__ import annotations

import functools
import multiprocessing
import multiprocessing.forkserver
import shutil
import signal
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from minidl.course.routing import register_all_slots
from minidl.grading import wire
from minidl.grading.compare import ExerciseMismatch
from minidl.kernels.slots import slots

GRACE = 2.0  # seconds the grader waits beyond the limit before it kills the process
DEFAULT_LIMIT = 10.0


class NotStarted(BaseException):  # noqa: N818 - it is an outcome, not an error
    """An exercise function raised NotImplementedError (an untouched stub).

    A ``BaseException`` so that Hypothesis stops at once instead of shrinking the example.
    """


class TimedOut(BaseException):  # noqa: N818 - it is an outcome, not an error
    """The learner's call ran over the test's time limit and was stopped.

    A ``BaseException`` so that Hypothesis does not run the endless example again.
    """


class Crashed(BaseException):  # noqa: N818 - it is an outcome, not an error
    """The learner's process ended during a call (exit, crash, killed for memory)."""


class ImplImportError(Exception):
    """The implementation under test could not be imported (a learner's syntax error, …)."""


class LearnerException(Exception):
    """An exception raised by the learner's code, rebuilt in the grader.

    Its class is named like the learner's and derives from the same built-in exception
    (``ValueError``, ``RecursionError``, …), so a test's ``except ValueError`` works.
    ``info`` holds what the learner's process found out: ``where`` (the learner's line),
    ``diagnosis`` (one line for a Numba or NumPy shape error) and ``call`` (the arguments'
    shapes and dtypes).
    """

    info: dict[str, Any]


@dataclass
class CallLog:
    """What the current test's calls left behind, for its feedback."""

    exercise: str = "?"
    printed: list[str] = field(default_factory=list)
    mutated: list[str] = field(default_factory=list)


LOG = CallLog()
_deadline: float | None = None
_classes: dict[tuple[str, str], type[LearnerException]] = {}


def start_test(limit: float, exercise: str = "?") -> None:
    """A test of ``exercise`` begins: its calls share ``limit`` seconds; its log is empty."""
    global _deadline, LOG
    _deadline = time.monotonic() + limit
    LOG = CallLog(exercise)


@functools.cache
def _kernel_slots() -> frozenset[str]:
    """Names of minidl's kernel slots: exercises that must leave their inputs unchanged."""
    register_all_slots()
    return frozenset(slots())


def _seconds_left() -> float:
    if _deadline is None:
        return DEFAULT_LIMIT
    return max(_deadline - time.monotonic(), 0.05)


def learner_exception(info: dict[str, Any]) -> LearnerException:
    import builtins

    base = next((b for name in info["bases"] if isinstance(b := getattr(builtins, name, None),
                                                           type) and issubclass(b, Exception)),
                Exception)
    key = (info["type"], base.__name__)
    if key not in _classes:
        bases = (LearnerException,) if base is Exception else (base, LearnerException)
        _classes[key] = type(info["type"], bases, {"__module__": "learner"})
    try:
        err = _classes[key](info["message"])
    except TypeError:  # a built-in base with required arguments (UnicodeError, …)
        err = type(info["type"], (LearnerException,), {"__module__": "learner"})(
            info["message"])
    err.info = info
    return err


def _ending(code: int | None) -> str:
    """What an exit code says about how the learner's process ended."""
    if code is None:
        return "stopped answering and was stopped"
    if code >= 0:
        return (f"your code ended the process with exit code {code} (os._exit, or a crash "
                "in native code)")
    sig = signal.Signals(-code)
    if sig == signal.SIGKILL:
        return ("the process running your code was killed (SIGKILL), most likely by the "
                "system because it ran out of memory")
    if sig == signal.SIGSEGV:
        return ("your code crashed the process (segmentation fault): often an index out of "
                "range inside @njit code, where Numba does not check bounds")
    return f"the process running your code was ended by signal {sig.name}"


def warm_up() -> Any:
    """Start the fork server that learner processes come from (it imports minidl once).

    Its imports run in the background, so calling this early (the pytest plugin does, at
    start-up) overlaps them with the grader's own start-up.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")  # Windows: each process imports minidl
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["minidl.grading.worker"])
    multiprocessing.forkserver.ensure_running()
    return ctx


class LearnerProcess:
    """One chapter module of the learner's code, imported in its own process."""

    def __init__(self, root: Path, impl: str, chapter: str) -> None:
        self.root, self.impl, self.chapter = root, impl, chapter
        self.process: Any = None
        self.conn: Any = None
        self.workdir: str | None = None
        self.import_error: ImplImportError | None = None

    @property
    def path(self) -> str:
        return f"{self.impl}/{self.chapter}.py"

    def _start(self) -> None:
        from minidl.grading import worker

        ctx = warm_up()
        self.workdir = tempfile.mkdtemp(prefix="minidl-learner-")
        self.conn, child = wire.Channel.pair(ctx)
        limit = _seconds_left()
        self.process = ctx.Process(target=worker.serve, daemon=True, name="minidl-learner",
                                   args=(child, str(self.root), self.impl, self.chapter,
                                         self.workdir, limit))
        self.process.start()
        child.close()
        try:
            reply = self._receive(limit, {})
        except (TimedOut, Crashed) as err:
            self.import_error = ImplImportError(f"importing {self.path} {_import_failure(err)}")
            raise self.import_error from None
        if reply.get("output"):
            LOG.printed.append(reply["output"])
        if not reply["ok"]:
            self.close()
            self.import_error = ImplImportError(_import_message(self.path, reply["error"]))
            raise self.import_error

    def _receive(self, limit: float, memo: dict[int, Any],
                 functions: list[Any] | None = None) -> Any:
        """The next reply, read as data; the process is stopped if it is late or dies.

        Meanwhile the learner's code may call the test's ``functions`` (callbacks).
        """
        deadline = time.monotonic() + limit
        functions = functions or []
        try:
            if not self.conn.poll(limit + GRACE):
                self.close()
                raise TimedOut(f"\n  it was still running after {limit:.3g} s (in compiled "
                               "code, where it cannot be interrupted), so its process was "
                               "stopped")
            reply = wire.load_reply(self.conn.recv_bytes(), memo)
            while isinstance(reply, dict) and "callback" in reply:  # the learner called f
                self.conn.send_bytes(_run_callback(functions, reply))
                if not self.conn.poll(max(deadline - time.monotonic(), 0) + GRACE):
                    raise TimedOut("")  # handled below like a reply that never came
                reply = wire.load_reply(self.conn.recv_bytes(), memo)
            return reply
        except (EOFError, OSError):
            self.process.join(5)
            code = self.process.exitcode
            self.close()
            raise Crashed(_ending(code)) from None
        except BaseException:
            self.close()  # e.g. pytest-timeout fired while waiting: the reply is lost
            raise

    def call(self, name: str, args: tuple, kwargs: dict[str, Any]) -> Any:
        if self.import_error is not None:
            raise self.import_error
        if self.process is None:
            self._start()
        limit = _seconds_left()
        data, memo, functions = wire.dump_args((args, kwargs))
        readonly = [i for i, a in memo.items()
                    if type(a) is np.ndarray and not a.flags.writeable]
        # the caller's floating-point and warning settings hold in the learner's process
        self.conn.send_bytes(wire.pickle.dumps(
            {"op": "call", "name": name, "seconds": limit, "readonly": readonly, "args": data,
             "errstate": np.geterr(), "warnings": list(warnings.filters)}))
        reply = self._receive(limit, memo, functions)
        if reply["output"]:
            sys.stdout.write(reply["output"])  # pytest captures it: shown with `grade -v`
            LOG.printed.append(reply["output"])
        for index, what, array in reply["mutated"]:
            if memo[index].shape == array.shape:
                np.copyto(memo[index], array)
            LOG.mutated.append(f"`{what}`")
        if reply["mutated"] and name in _kernel_slots():
            names = ", ".join(f"`{what}`" for _, what, _ in reply["mutated"])
            raise ExerciseMismatch(
                LOG.exercise, f"a call of {name}", f"your function modified its input {names} "
                "in place", f"{name} is a kernel: it returns new arrays and leaves its inputs "
                "as they were (compute a new array instead of assigning into an input)")
        for index, flag in reply.get("requires_grad", ()):
            memo[index].requires_grad_(flag)
        for index, state in reply["rngs"]:
            memo[index].bit_generator.state = state
        if reply["ok"]:
            return reply["result"]
        raise _failure(reply["error"])

    def describe(self, name: str) -> dict[str, Any]:
        if self.import_error is not None:
            raise self.import_error
        if self.process is None:
            self._start()
        self.conn.send_bytes(wire.pickle.dumps({"op": "describe", "name": name}))
        return self._receive(_seconds_left(), {})

    def close(self) -> None:
        if self.process is not None:
            if self.process.is_alive():
                self.process.kill()
            self.process.join(5)
            self.conn.close()
            self.process = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


def _run_callback(functions: list[Any], request: dict[str, Any]) -> bytes:
    """Run the test's function for the learner's process; its result (or error) goes back."""
    args, kwargs = request["args"]
    try:
        return wire.pickle.dumps({"ok": True, "result": functions[request["callback"]](
            *args, **kwargs)}, protocol=wire.PROTOCOL)
    except Exception as err:  # noqa: BLE001 - the learner's code sees the test's error
        return wire.pickle.dumps({"ok": False, "type": type(err).__name__,
                                  "message": str(err)})


def _failure(error: dict[str, Any]) -> BaseException:
    if error["kind"] == "not started":
        return NotStarted(error["message"])
    if error["kind"] == "timed out":
        return TimedOut(error["where"])
    return learner_exception(error)


def _import_failure(err: BaseException) -> str:
    if isinstance(err, TimedOut):
        return "did not finish in time: does code at the top level of the file loop forever?"
    return f"ended the process: {err}"


def _import_message(path: str, error: dict[str, Any]) -> str:
    if error["type"] == "SyntaxError":
        return f"{path} has a syntax error {error['message']}"
    if error["kind"] == "timed out":
        return (f"importing {path} did not finish in time: does code at the top level of "
                f"the file loop forever?{error['where']}")
    if error["type"] == "SystemExit":
        return (f"importing {path} called sys.exit({error['message']}): remove that call "
                f"from the top level of the file{error['where']}")
    return (f"importing {path} raised {error['type']}: {error['message']}{error['where']}")


class RemoteFunction:
    """A learner's function, called in the learner's process."""

    def __init__(self, process: LearnerProcess, name: str) -> None:
        self.process, self.__name__ = process, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.process.call(self.__name__, args, kwargs)

    def __repr__(self) -> str:
        return f"<{self.process.impl}.{self.process.chapter}.{self.__name__}>"


class Workbook:
    """The chapter module under test, as the ``impl`` fixture hands it to tests.

    ``impl.name(...)`` calls the learner's function ``name`` in the learner's process;
    ``impl.describe("name")`` returns facts about it that a test may check (``type``,
    ``targetoptions`` of a Numba function, ``co_names``: the names its code uses).
    """

    def __init__(self, root: Path, impl: str, chapter: str) -> None:
        self.process = LearnerProcess(root, impl, chapter)

    def __getattr__(self, name: str) -> RemoteFunction:
        if name.startswith("_"):  # e.g. _repr_pretty_, which Hypothesis looks for
            raise AttributeError(name)
        return RemoteFunction(self.process, name)

    def describe(self, name: str) -> dict[str, Any]:
        return self.process.describe(name)

    def close(self) -> None:
        self.process.close()

    def __repr__(self) -> str:
        return f"<{self.process.impl}.{self.process.chapter}>"
