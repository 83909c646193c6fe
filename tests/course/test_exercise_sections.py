"""Each stub's "see notebooks/…, section '…'" names a heading that exists in that notebook."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = sorted((ROOT / "solutions").glob("ch[0-9][0-9]_*.py"))


def declared_sections(path: Path) -> list[tuple[str, str]]:
    """(exercise id, section) from every ``@exercise("N.M", section="…")`` in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "exercise":
            section = next(k.value.value for k in node.keywords if k.arg == "section")
            found.append((node.args[0].value, section))
    return found


def notebook_headings(number: str) -> set[str]:
    (notebook,) = (ROOT / "notebooks").glob(f"{number}_*.ipynb")
    cells = json.loads(notebook.read_text())["cells"]
    return {
        line.lstrip("#").strip()
        for cell in cells if cell["cell_type"] == "markdown"
        for line in "".join(cell["source"]).splitlines() if line.startswith("#")
    }


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_every_exercise_points_at_an_existing_heading(path):
    headings = notebook_headings(path.stem[2:4])
    missing = [(ex, s) for ex, s in declared_sections(path) if s not in headings]
    assert not missing, f"sections named in {path.name} but not headings in its notebook: {missing}"
