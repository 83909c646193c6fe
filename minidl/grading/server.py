"""A warm autograder for one notebook kernel: pytest stays loaded between ``check()`` calls.

Each ``check()`` used to start ``python -m pytest`` afresh: Python, NumPy, Numba, minidl,
pytest and Hypothesis imported, the test module collected and the fork server that learner
processes come from started again, about 3 s before the first test ran. A notebook
checks 6–13 times. :class:`WarmGrader` keeps one such process (``python -m
minidl.grading.server``) for the kernel and sends it one pytest command line per check;
the tests themselves still run as before, and the learner's code still runs in a fresh
process per test module (``isolation.LearnerProcess``), which imports the learner's file
anew, so every edit is graded. Measured: one exercise of chapter 1 took 3.6–4.6 s per
check before, and now 0.3–0.4 s after the first check (all nine of chapter 1: 0.75 s).

The protocol is one JSON line each way: ``{"args", "cwd", "log"}`` in (pytest's output
goes to the file ``log``), then ``{"exit": code}`` out. The server ends when its stdin
closes (the kernel is gone); the client stops it, with its fork server and learner
processes (one process group), when a run is late or interrupted, or when the environment
it was started with or the code it imported (tests, minidl) changed.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import IO


class GraderGone(Exception):
    """The warm grader ended without answering (it crashed or was killed)."""


def code_stamp(root: Path) -> tuple:
    """(path, mtime, size) of the code a warm grader holds imported: the exercise tests, their
    conftest and all of minidl (the reference kernels the tests compare with, the grading
    package, and what its fork server preloads). A change (a ``git pull``) means a fresh
    grader. About 150 ``stat`` calls: well under a millisecond."""
    package = Path(__file__).resolve().parents[1]
    files = [*sorted((root / "tests" / "exercises").glob("*.py")), root / "tests" / "conftest.py",
             *sorted(package.rglob("*.py"))]
    return tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.exists())


class WarmGrader:
    """One long-lived pytest process, started with ``env`` in ``root``."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root, self.env, self.stamp = root, env, code_stamp(root)
        self.stopped = False
        # what the server prints before its first request (an import that failed)
        self.errors = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "minidl.grading.server"], cwd=root, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors,
            text=True, start_new_session=True)  # its own process group: stopped as one

    def usable(self, root: Path, env: dict[str, str]) -> bool:
        """Whether this grader is alive, was started for ``root`` with ``env``, and the code
        it imported has not changed since."""
        return (self.process.poll() is None and (self.root, self.env) == (root, env)
                and self.stamp == code_stamp(root))

    def run(self, args: list[str], log: Path, timeout: float) -> int:
        """Run ``pytest args`` in the grader; its exit code. Raises ``TimeoutExpired`` (the
        grader is then stopped) or :class:`GraderGone`."""
        request = {"args": args, "cwd": str(self.root), "log": str(log)}
        try:
            self.process.stdin.write(json.dumps(request) + "\n")  # type: ignore[union-attr]
            self.process.stdin.flush()  # type: ignore[union-attr]
            ready, _, _ = select.select([self.process.stdout], [], [], timeout)
            if not ready:
                raise subprocess.TimeoutExpired(args, timeout)
            line = self.process.stdout.readline()  # type: ignore[union-attr]
        except BrokenPipeError:  # it had ended before the request went out
            line = ""
        except BaseException:  # late, or interrupted (KeyboardInterrupt)
            self.stop()
            raise
        if not line:
            self.process.wait()
            self.errors.seek(0)
            tail = "\n".join(self.errors.read().strip().splitlines()[-15:])
            self.stop()
            raise GraderGone(f"the grading process ended (exit {self.process.returncode})"
                             + (f":\n{tail}" if tail else ""))
        return int(json.loads(line)["exit"])

    def stop(self) -> None:
        """Stop the grader and every process it started (once: its process group id may
        belong to someone else afterwards)."""
        if self.stopped:
            return
        self.stopped = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.errors):
            with contextlib.suppress(OSError):
                stream.close()  # type: ignore[union-attr]


def _serve(requests: IO[str], replies: IO[str]) -> None:
    """Answer each request line with the exit code of its pytest run."""
    import pytest

    for line in requests:
        request = json.loads(line)
        os.chdir(request["cwd"])
        with open(request["log"], "w", encoding="utf-8") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            try:
                code = int(pytest.main(request["args"]))
            except BaseException:  # noqa: BLE001 - reported in the log, the server goes on
                traceback.print_exc()
                code = -1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
        replies.write(json.dumps({"exit": code}) + "\n")
        replies.flush()


def main() -> None:
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")  # pytest's output goes to the logs
    _serve(sys.stdin, replies)


if __name__ == "__main__":
    main()

