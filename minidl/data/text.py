"""Text that needs no download, for character-level models (chapter 4).

Both sources ship with every Python installation, so they work offline, always:

* :func:`python_function_names`: the names of the functions defined in the Python standard
  library's own source files (``def make_archive(`` → ``"make_archive"``), a list of about
  2,500 short words, sorted. A character model learns to invent new, plausible ones, the
  way a names list is used to invent names.
* :func:`python_docs`: the English prose of Python's reference documentation (the "help
  topics" that ``help('assert')`` shows, shipped as ``pydoc_data.topics``), about 460,000
  characters: chapter 6's text.
* :func:`zen_of_python`: Tim Peters' *Zen of Python*, the text ``import this`` prints (the
  module stores it ROT13-encoded; it is read from the module's source without importing it,
  so nothing is printed).

:class:`CharVocab` maps characters to integer ids and back::

    words = python_function_names()
    vocab = CharVocab.from_texts(words, specials=".")   # "." ends a word
    ids = vocab.encode("getattr.")                      # int64 array, shape (8,)
    vocab.decode(ids)                                   # "getattr."
"""

from __future__ import annotations

import ast
import codecs
import importlib.util
import re
import sysconfig
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from minidl.errors import ShapeError

_DEF = re.compile(r"^[ \t]*def ([a-z][a-z0-9_]*)\(", re.MULTILINE)


def stdlib_path() -> Path:
    """The folder that holds the Python standard library's ``.py`` files."""
    return Path(sysconfig.get_paths()["stdlib"])


def python_function_names(min_length: int = 3, max_length: int = 16) -> list[str]:
    """Names of the functions defined in the standard library's top-level modules.

    Every ``def name(`` (at any indentation, so methods count too) in ``<stdlib>/*.py`` whose
    name starts with a lowercase letter and uses only ``a-z``, ``0-9`` and ``_``; private
    names (leading underscore) are left out. Only names with ``min_length`` ≤ len ≤
    ``max_length`` are kept.

    Returns:
        The distinct names, sorted alphabetically (about 2,400 for CPython 3.11 with the
        defaults); the list depends on the Python version, not on anything else.
    """
    if not 1 <= min_length <= max_length:
        raise ValueError(f"python_function_names: expected 1 ≤ min_length ≤ max_length, got "
                         f"min_length={min_length}, max_length={max_length}")
    names: set[str] = set()
    for path in sorted(stdlib_path().glob("*.py")):
        names.update(_DEF.findall(path.read_text(encoding="utf-8", errors="replace")))
    return sorted(n for n in names if min_length <= len(n) <= max_length)


def zen_of_python() -> str:
    """The Zen of Python (19 aphorisms, about 850 characters), without printing it.

    Read from the source of the standard library's ``this`` module, where it is the
    ROT13-encoded string ``s``.
    """
    spec = importlib.util.find_spec("this")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("zen_of_python: the standard library's `this` module is missing")
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in tree.body:
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                and any(isinstance(t, ast.Name) and t.id == "s" for t in node.targets)):
            return codecs.decode(node.value.value, "rot13").strip() + "\n"
    raise ValueError(f"zen_of_python: no string `s` in {spec.origin}")


def python_docs() -> str:
    """The help topics of Python's documentation (``pydoc_data.topics``) as one text.

    The topics are joined in the order of their names, separated by a blank line. The text
    is English prose with code examples, about 460,000 characters (CPython 3.11); it is
    part of every Python installation, so it needs no download.
    """
    from pydoc_data.topics import topics

    return "\n\n".join(topics[name].strip() for name in sorted(topics)) + "\n"


class CharVocab:
    """A character vocabulary: ``stoi`` (char → id) and ``itos`` (id → char).

    Ids are assigned in order: the ``specials`` first (e.g. an end-of-word marker), then
    the other characters sorted.
    """

    def __init__(self, chars: Iterable[str]) -> None:
        self.itos: list[str] = list(dict.fromkeys(chars))
        if any(len(c) != 1 for c in self.itos):
            raise ValueError("CharVocab: every entry must be a single character")
        self.stoi: dict[str, int] = {c: i for i, c in enumerate(self.itos)}

    @classmethod
    def from_texts(cls, texts: str | Iterable[str], specials: str = "") -> CharVocab:
        """The vocabulary of ``specials`` followed by every other character in ``texts``."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        seen = set("".join(texts)) - set(specials)
        return cls([*specials, *sorted(seen)])

    def __len__(self) -> int:
        return len(self.itos)

    def __repr__(self) -> str:
        return f"CharVocab({len(self)} characters: {''.join(self.itos)!r})"

    def encode(self, text: str) -> np.ndarray:
        """The ids of the characters of ``text``: int64, shape (len(text),)."""
        unknown = sorted(set(text) - set(self.stoi))
        if unknown:
            raise KeyError(f"CharVocab.encode: characters not in the vocabulary: {unknown}")
        return np.fromiter((self.stoi[c] for c in text), dtype=np.int64, count=len(text))

    def decode(self, ids: Iterable[int] | np.ndarray) -> str:
        """The text for a 1-D sequence of ids."""
        arr = np.asarray(ids)
        if arr.ndim != 1:
            raise ShapeError(f"CharVocab.decode: expected a 1-D sequence of ids, got shape "
                             f"{arr.shape}")
        if arr.size and (arr.min() < 0 or arr.max() >= len(self)):
            raise IndexError(f"CharVocab.decode: ids must lie in [0, {len(self)}), got "
                             f"{int(arr.min())}…{int(arr.max())}")
        return "".join(self.itos[int(i)] for i in arr)


def encode_words(words: Iterable[str], vocab: CharVocab, end: str = ".",
                 length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Next-character training pairs for a word list, padded to one length.

    Each word w becomes the input ``end + w`` and the target ``w + end`` (so the model
    learns to start a word after ``end`` and to finish it with ``end``). Rows are padded on
    the right to ``length`` (default: the longest word + 1); padded targets are −100, the
    ``ignore_index`` of ``cross_entropy``, so they count for nothing.

    Returns:
        ``(inputs, targets)``: int64 arrays of shape (len(words), length).
    """
    words = list(words)
    length = max(len(w) for w in words) + 1 if length is None else length
    inputs = np.full((len(words), length), vocab.stoi[end], dtype=np.int64)
    targets = np.full((len(words), length), -100, dtype=np.int64)
    for row, word in enumerate(words):
        if len(word) + 1 > length:
            raise ValueError(f"encode_words: {word!r} needs length ≥ {len(word) + 1}, "
                             f"got {length}")
        ids = vocab.encode(word + end)
        inputs[row, 1 : len(ids)] = ids[:-1]
        targets[row, : len(ids)] = ids
    return inputs, targets
