"""The per-epoch progress bar of ``fit``: ``tqdm.auto`` (a widget in Jupyter, text in a
terminal), or a silent stand-in when ``progress=False``."""

from __future__ import annotations

from typing import Any


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
    from tqdm.auto import tqdm

    width = len(str(epochs))
    return tqdm(total=total, desc=f"Epoch {epoch:>{width}}/{epochs}", unit="batch",
                leave=True, dynamic_ncols=True)


def format_logs(logs: dict[str, float]) -> dict[str, str]:
    """Logs as short strings for a bar's postfix (``time`` left out, the bar shows it)."""
    return {k: (f"{v:.3g}" if k == "lr" else f"{v:.4f}") for k, v in logs.items() if k != "time"}
