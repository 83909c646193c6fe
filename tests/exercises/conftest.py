"""The autograder's tests: load minidl's grading plugin unless it is loaded already.

The plugin (minidl/grading/pytest_plugin.py) provides ``--impl``, the ``impl`` fixture,
the ``exN_M``/``chNN`` markers, time limits and per-exercise outcomes. When pytest starts
from a folder above this one, tests/conftest.py must load it (``pytest_plugins``) so that
``--impl`` is known when the command line is parsed.
"""

from __future__ import annotations

import pytest

PLUGIN = "minidl.grading.pytest_plugin"


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    if not pluginmanager.has_plugin(PLUGIN):
        pluginmanager.import_plugin(PLUGIN)
