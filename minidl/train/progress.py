"""The per-epoch progress bar of ``fit``: a tqdm widget in JupyterLab, text anywhere else
(:func:`minidl.frontend.widget_mode`), or a silent stand-in when ``progress=False``.

Text, not a widget, when no frontend is attached: a notebook executed headless (nbval,
nbconvert) would otherwise store a widget view that no one ever updates, frozen at 0 %,
and its state in the notebook's metadata.
"""

from __future__ import annotations

from typing import Any

from minidl.frontend import widget_mode


class _Silent:
    """Accepts the calls ``fit`` makes on a bar and prints nothing."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, **values: Any) -> None:
        pass

    def close(self) -> None:
        pass


def epoch_bar(epoch: int, epochs: int, total: int | None, enabled: bool) -> Any:
    """A bar for 1-based ``epoch`` of ``epochs`` with ``total`` steps (None if unknown)."""
    if not enabled:
        return _Silent()
    if widget_mode() == "live":
        from tqdm.auto import tqdm
    else:
        from tqdm import tqdm

    width = len(str(epochs))
    return tqdm(total=total, desc=f"Epoch {epoch:>{width}}/{epochs}", unit="batch",
                leave=True, dynamic_ncols=True)


def format_logs(logs: dict[str, float]) -> dict[str, str]:
    """Logs as short strings for a bar's postfix (``time`` left out, the bar shows it)."""
    return {k: (f"{v:.3g}" if k == "lr" else f"{v:.4f}") for k, v in logs.items() if k != "time"}
