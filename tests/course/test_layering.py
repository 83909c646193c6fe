"""minidl's layers import only the layers below them (DESIGN.md, "minidl: layers").

Only module-level imports count: a method may import a higher layer on use (nn.Sequential's
Keras-style ``fit`` delegates to minidl.train), which keeps ``import minidl.nn`` free of it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "minidl"

LAYERS = {
    "errors": 0, "device": 0, "random": 0, "frontend": 0, "cuda": 0,
    "kernels": 1,
    "autograd": 2, "tensor": 2, "ops": 2,
    "functional": 3,
    "nn": 4, "serialization": 4,
    "optim": 5, "data": 5, "train": 5, "utils": 5, "zoo": 5,
    "profiler": 5, "jit": 5, "interpret": 5,
    "course": 6, "grading": 6, "viz": 6, "widgets": 6, "grade": 6,
}


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "minidl" or len(parts) == 1:
        return None
    return LAYERS.get(parts[1])


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def top_level_imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in tree.body:
        if isinstance(node, ast.If):  # `if TYPE_CHECKING:` blocks are annotations only
            continue
        for sub in ast.walk(node) if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) else []:
            if isinstance(sub, ast.ImportFrom) and sub.module and sub.level == 0:
                found.append((sub.lineno, sub.module))
                found.extend((sub.lineno, f"{sub.module}.{a.name}") for a in sub.names)
            elif isinstance(sub, ast.Import):
                found.extend((sub.lineno, a.name) for a in sub.names)
    return found


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__main__.py")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_layer(path):
    name = module_name(path)
    own = layer_of(name)
    if own is None:  # minidl/__init__.py is the umbrella that gathers every layer
        return
    upward = [
        f"line {line}: {target}"
        for line, target in top_level_imports(path)
        if (layer_of(target) or 0) > own
    ]
    assert not upward, f"{name} (layer {own}) imports higher layers: {upward}"


def test_every_package_has_a_layer():
    unknown = {
        p.relative_to(PACKAGE).parts[0].removesuffix(".py")
        for p in PACKAGE.iterdir()
        if (p.is_dir() and (p / "__init__.py").exists())
        or (p.suffix == ".py" and p.stem != "__init__")
    } - set(LAYERS)
    assert not unknown, f"assign these to a layer in LAYERS: {sorted(unknown)}"
