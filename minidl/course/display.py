"""Showing a report: HTML in a Jupyter notebook, plain text anywhere else."""

from __future__ import annotations

import html
import sys
from collections.abc import Sequence


def in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython with a ZMQ frontend), without importing IPython."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def show(text: str, html_text: str) -> None:
    """Display ``html_text`` in a notebook (``text`` as its plain form); else print ``text``."""
    if in_notebook():
        from IPython.display import display

        display({"text/plain": text, "text/html": html_text}, raw=True)
    else:
        print(text)


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell, two spaces apart."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def html_table(header: Sequence[str], rows: Sequence[Sequence[str]],
               colors: Sequence[str] | None = None) -> str:
    """An HTML table; ``colors`` gives each row a background colour (CSS), or none."""
    head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        style = f" style='background:{colors[i]}'" if colors and colors[i] else ""
        cells = "".join(f"<td style='text-align:left'>{html.escape(str(c))}</td>" for c in row)
        body.append(f"<tr{style}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
