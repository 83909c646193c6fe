"""minidl.course.merge3: the three-way merge behind sync, on hand-made and random texts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from minidl.course.merge3 import OURS_MARK, SEP_MARK, THEIRS_MARK, merge3

BASE = "".join(f"line {i}\n" for i in range(12))


def edit(text: str, index: int, new: str) -> str:
    lines = text.splitlines(keepends=True)
    lines[index] = new
    return "".join(lines)


def test_changes_on_different_lines_are_combined():
    ours = edit(BASE, 2, "mine\n")
    theirs = edit(BASE, 9, "course\n")
    merged = merge3(BASE, ours, theirs)
    assert not merged.conflicts
    assert merged.text == edit(ours, 9, "course\n")


def test_insertions_and_deletions_elsewhere_are_combined():
    ours = BASE.replace("line 3\n", "line 3\nextra a\nextra b\n")
    theirs = BASE.replace("line 8\n", "")
    merged = merge3(BASE, ours, theirs)
    assert not merged.conflicts
    assert merged.text == ours.replace("line 8\n", "")


def test_the_same_change_on_both_sides_is_taken_once():
    both = edit(BASE, 5, "same\n")
    merged = merge3(BASE, both, both)
    assert not merged.conflicts and merged.text == both


def test_different_changes_to_one_line_conflict_with_markers():
    merged = merge3(BASE, edit(BASE, 4, "mine\n"), edit(BASE, 4, "course\n"))
    assert len(merged.conflicts) == 1
    conflict = merged.conflicts[0]
    assert (conflict.base_start, conflict.base_end) == (4, 5)
    assert conflict.ours == ["mine\n"] and conflict.theirs == ["course\n"]
    expected = BASE.replace("line 4\n", f"{OURS_MARK}\nmine\n{SEP_MARK}\ncourse\n{THEIRS_MARK}\n")
    assert merged.text == expected


def test_adjacent_changes_conflict_as_diff3_does():
    merged = merge3(BASE, edit(BASE, 4, "mine\n"), edit(BASE, 5, "course\n"))
    assert len(merged.conflicts) == 1


def test_a_missing_final_newline_does_not_glue_a_marker_onto_code():
    merged = merge3("a\nb", "a\nmine", "a\ncourse")
    assert merged.text == f"a\n{OURS_MARK}\nmine\n{SEP_MARK}\ncourse\n{THEIRS_MARK}\n"


lines = st.lists(st.sampled_from(["a\n", "b\n", "c\n", "\n", "def f():\n", "    pass\n"]),
                 max_size=15)


@settings(max_examples=150, deadline=None)
@given(base=lines, ours=lines, theirs=lines)
def test_properties_on_random_texts(base, ours, theirs):
    b, o, t = "".join(base), "".join(ours), "".join(theirs)
    assert merge3(b, o, b).text == o and not merge3(b, o, b).conflicts  # only we changed
    assert merge3(b, b, t).text == t and not merge3(b, b, t).conflicts  # only they changed
    assert merge3(b, o, o).text == o and not merge3(b, o, o).conflicts  # the same change
    merged = merge3(b, o, t)
    if not merged.conflicts:  # a clean merge never contains a marker
        assert OURS_MARK not in merged.text
    else:  # taking our side of every conflict is a text built from base and our lines only
        assert all(set(c.ours) <= set(ours) and set(c.theirs) <= set(theirs)
                   for c in merged.conflicts)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_edits_far_apart_always_merge_to_both(data):
    n = 30
    base = [f"line {i}\n" for i in range(n)]
    i = data.draw(st.integers(0, n // 2 - 3))
    j = data.draw(st.integers(n // 2 + 1, n - 1))
    ours_new = data.draw(st.lists(st.sampled_from(["x\n", "y\n"]), max_size=3))
    theirs_new = data.draw(st.lists(st.sampled_from(["p\n", "q\n"]), max_size=3))
    ours = base[:i] + ours_new + base[i + 1:]
    theirs = base[:j] + theirs_new + base[j + 1:]
    expected = base[:i] + ours_new + base[i + 1:j] + theirs_new + base[j + 1:]
    merged = merge3("".join(base), "".join(ours), "".join(theirs))
    assert not merged.conflicts
    assert merged.text == "".join(expected)
