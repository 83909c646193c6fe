"""Is a Jupyter frontend attached? Live or static: ipywidgets and widget progress bars,
or static figures and text.

The rule (also in the package docstring of :mod:`minidl.widgets`): ``MINIDL_WIDGETS``
(``live`` / ``static``) wins; otherwise ``live`` when a Jupyter server started the kernel
(it sets ``JPY_SESSION_NAME``) and ipywidgets can be imported, ``static`` otherwise (a
terminal, a script, or a notebook executed headless by nbclient / nbval). It sits at the
bottom of the package so that both :mod:`minidl.widgets` and ``fit``'s progress bars
(:mod:`minidl.train`) can ask.
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
