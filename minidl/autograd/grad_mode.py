"""``no_grad()`` / ``enable_grad()`` / ``set_grad_enabled(mode)`` / ``inference_mode()``:
switch graph recording off and on."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])
_enabled = True


def is_grad_enabled() -> bool:
    """Whether ops currently record the graph for backward."""
    return _enabled


class _GradMode:
    """Context manager and decorator that sets grad mode and restores it after."""

    mode: bool

    def __enter__(self) -> None:
        global _enabled
        self._previous = _enabled
        _enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        global _enabled
        _enabled = self._previous

    def __call__(self, fn: _F) -> _F:
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _Mode(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):  # noqa: N801  (PyTorch's name)
    """Inside ``with no_grad():`` ops build no graph (for evaluation and updates)."""

    mode = False


class enable_grad(_GradMode):  # noqa: N801
    """Turn graph recording back on inside a ``no_grad`` block."""

    mode = True


class _Mode(_GradMode):
    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)


class set_grad_enabled(_GradMode):  # noqa: N801
    """Set grad mode now (``set_grad_enabled(False)``); as a context manager or decorator,
    the previous mode comes back at the end (``with set_grad_enabled(is_train):``)."""

    def __init__(self, mode: bool) -> None:
        global _enabled
        self.mode = bool(mode)
        self._previous = _enabled
        _enabled = self.mode

    def __enter__(self) -> None:
        pass  # already set by the constructor

    def __call__(self, fn: _F) -> _F:
        global _enabled
        _enabled = self._previous  # as a decorator it only applies while fn runs
        return super().__call__(fn)


class inference_mode(_GradMode):  # noqa: N801
    """``no_grad()`` for inference (PyTorch also marks the tensors made inside; minidl has
    no such tensors, so this is exactly ``no_grad()`` when ``mode`` is True)."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = not mode
