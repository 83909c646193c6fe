"""``python -m minidl.course sync [--check] [--root DIR]``: regenerate exercises/ from solutions/.

Exit status: 0 when done (or, with ``--check``, when exercises/ is up to date); 1 when
``--check`` finds exercises/ out of date (it says what to do); 2 when a solution file breaks
the exercise contract (the message names file:line); 3 when a file in exercises/ needs
fixing first (one line each: which file and what to do; nothing was written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from minidl.course.catalog import CourseSourceError
from minidl.course.root import course_root
from minidl.course.sync import SyncError, sync

#: kinds of action that a plain sync fixes, and kinds that mean the learner edited files
REGENERATE = ("written", "updated", "removed")
EDITED = ("kept", "merged", "conflict", "orphan")


def check_advice(changes: list, root: Path) -> list[str]:
    """What to do when ``--check`` fails, for the kinds of difference it found."""
    kinds = {a.kind for a in changes}
    advice = [f"exercises/ in {root} is not what sync would write from solutions/."]
    if kinds & set(REGENERATE):
        advice.append("* stubs are out of date: run `python -m minidl.course sync` (it never "
                      "writes over files you edited) and commit exercises/ with solutions/.")
    if kinds & set(EDITED):
        advice.append("* some files hold edits (kept/merged/conflict/orphan above): --check "
                      "is the course repository's CI test, where exercises/ must be the "
                      "untouched stubs. There, restore them (`git checkout exercises/`, or "
                      "`git stash` to keep the edits) and run sync. In your own workbook this "
                      "is expected: check your work with `python -m minidl.grade` instead.")
    return advice


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minidl.course", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser("sync", help="write exercises/ from solutions/")
    cmd.add_argument("--check", action="store_true",
                     help="write nothing; exit 1 if exercises/ is not what sync would write")
    cmd.add_argument("--root", type=Path, default=None,
                     help="the course repository (default: found from the current directory)")
    args = parser.parse_args(argv)
    root = (args.root or course_root()).resolve()
    try:
        actions = sync(root, check=args.check)
    except CourseSourceError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except SyncError as err:
        for problem in err.problems:
            print(f"error: {problem}", file=sys.stderr)
        print("sync wrote nothing; fix the above and run it again", file=sys.stderr)
        return 3
    changes = [a for a in actions if a.kind != "unchanged"]
    for action in changes:
        print(("would be " if args.check else "") + action.describe())
    if args.check and changes:
        print("\n".join(check_advice(changes, root)), file=sys.stderr)
        return 1
    if not changes:
        print(f"exercises/ is up to date ({len(actions)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
