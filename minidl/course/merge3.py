"""A line-based three-way merge (what ``diff3`` and ``git merge-file`` do), for sync.

Given the common ancestor ``base`` and two descendants, ``ours`` (the learner's file) and
``theirs`` (the course's new stub), every stretch of lines is taken from whichever side
changed it. Where both sides changed the same stretch differently, that is a conflict.

The algorithm: diff base against each side (``difflib``), keep the stretches of base that
*both* diffs leave untouched ("sync regions"), and compare the three versions of each
stretch in between: if only one side differs from base, take that side; if both made the
same change, take it once; otherwise it is a conflict.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from difflib import SequenceMatcher

OURS_MARK = "<<<<<<< yours"
SEP_MARK = "======="
THEIRS_MARK = ">>>>>>> course"


@dataclass(frozen=True)
class Conflict:
    """A stretch both sides changed: base lines [base_start, base_end) (0-based) and the
    lines each side has there instead."""

    base_start: int
    base_end: int
    ours: list[str]
    theirs: list[str]


@dataclass
class Merge:
    """The merged lines, with each conflict rendered between git-style markers."""

    lines: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.lines)


def _sync_regions(base: list[str], ours: list[str], theirs: list[str]) -> Iterator[tuple[int, ...]]:
    """(base_start, base_end, ours_start, ours_end, theirs_start, theirs_end) of every stretch
    that neither side changed, in order, ending with an empty one at the ends of all three."""
    a = SequenceMatcher(None, base, ours, autojunk=False).get_matching_blocks()
    b = SequenceMatcher(None, base, theirs, autojunk=False).get_matching_blocks()
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i].a, b[j].a), min(a[i].a + a[i].size, b[j].a + b[j].size)
        if start < end:
            o, t = a[i].b + start - a[i].a, b[j].b + start - b[j].a
            yield start, end, o, o + end - start, t, t + end - start
        if a[i].a + a[i].size < b[j].a + b[j].size:
            i += 1
        else:
            j += 1
    yield len(base), len(base), len(ours), len(ours), len(theirs), len(theirs)


def merge3(base: str, ours: str, theirs: str) -> Merge:
    """Merge the changes base→ours and base→theirs (texts, compared line by line)."""
    b, o, t = (s.splitlines(keepends=True) for s in (base, ours, theirs))
    for lines in (b, o, t):  # a missing final newline must not glue a marker onto code
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
    merged = Merge()
    zb = zo = zt = 0  # ends of the previous sync region
    for sb, eb, so, eo, st, et in _sync_regions(b, o, t):
        old, mine, new = b[zb:sb], o[zo:so], t[zt:st]
        if mine == new or new == old:
            merged.lines += mine
        elif mine == old:
            merged.lines += new
        else:
            merged.conflicts.append(Conflict(zb, sb, mine, new))
            merged.lines += [OURS_MARK + "\n", *mine, SEP_MARK + "\n", *new, THEIRS_MARK + "\n"]
        merged.lines += b[sb:eb]
        zb, zo, zt = eb, eo, et
    return merged
