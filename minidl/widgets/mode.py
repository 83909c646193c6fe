"""Live or static: whether demos render as ipywidgets or as a static figure.

See the package docstring of :mod:`minidl.widgets` for the rule.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Literal

#: Environment variable that forces the mode: ``live`` or ``static``.
MODE_ENV = "MINIDL_WIDGETS"
#: Set by jupyter_server for the kernels it starts (JupyterLab, Notebook); not by nbclient.
FRONTEND_ENV = "JPY_SESSION_NAME"


def widget_mode() -> Literal["live", "static"]:
    """``"live"`` when a Jupyter frontend is attached (or forced), else ``"static"``."""
    forced = os.environ.get(MODE_ENV, "").strip().lower()
    if forced == "live":
        return "live"
    if forced == "static":
        return "static"
    if forced:
        raise ValueError(
            f"{MODE_ENV}: expected 'live' or 'static', got {os.environ[MODE_ENV]!r}"
        )
    if os.environ.get(FRONTEND_ENV) and importlib.util.find_spec("ipywidgets") is not None:
        return "live"
    return "static"
