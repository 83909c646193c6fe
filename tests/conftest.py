"""Shared test settings: the autograder plugin, a Hypothesis profile sized for 2 cores."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# The autograder plugin provides --impl (exercises | solutions), the exNN_M/chNN markers and
# per-exercise time limits; loading it here makes `pytest tests --impl solutions` work.
pytest_plugins = ["minidl.grading.pytest_plugin"]

settings.register_profile(
    "minidl",
    max_examples=int(os.environ.get("MINIDL_HYPOTHESIS_EXAMPLES", "20")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.load_profile("minidl")
