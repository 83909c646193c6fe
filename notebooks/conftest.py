"""nbval runs of the notebooks: sanitising picked up automatically, and run times.

* ``pytest --nbval-lax notebooks/`` (what an instructor or a CI template types) applies
  ``notebooks/nbval_sanitize.cfg`` with no flag: text that legitimately differs between
  runs (which implementation a demonstration used) is replaced before outputs are compared.
  An explicit ``--nbval-sanitize-with FILE`` still wins.
* At the end, each notebook's run time is printed against the chapter budget.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

SANITIZE = Path(__file__).with_name("nbval_sanitize.cfg")
BUDGET_SECONDS = 180  # DESIGN.md: each chapter in under 3 minutes on 2 CPU cores

_seconds: dict[str, float] = defaultdict(float)


def pytest_configure(config: pytest.Config) -> None:
    if getattr(config.option, "nbval_sanitize_with", "") is None:  # nbval loaded, no flag
        config.option.nbval_sanitize_with = str(SANITIZE)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _seconds[Path(path).name] += report.duration


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _seconds:
        return
    terminalreporter.section("notebook run times")
    for name, seconds in sorted(_seconds.items()):
        verdict = "within" if seconds <= BUDGET_SECONDS else "OVER"
        terminalreporter.write_line(
            f"{name:<28} {seconds:6.1f} s  ({verdict} the {BUDGET_SECONDS} s budget)"
        )
    terminalreporter.write_line(f"{'all notebooks':<28} {sum(_seconds.values()):6.1f} s")
