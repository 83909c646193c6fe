"""``python -m minidl.course sync [--check] [--root DIR]``: regenerate exercises/ from solutions/.

Exit status: 0 when done (or, with ``--check``, when exercises/ is up to date); 1 when
``--check`` finds exercises/ out of date; 2 when a solution file breaks the exercise
contract (the message names file:line).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from minidl.course.catalog import CourseSourceError
from minidl.course.root import course_root
from minidl.course.sync import sync


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
    changes = [a for a in actions if a.kind != "unchanged"]
    for action in changes:
        print(("would be " if args.check else "") + action.describe())
    if args.check and changes:
        print(f"exercises/ is out of date with solutions/ in {root}: "
              "run `python -m minidl.course sync`", file=sys.stderr)
        return 1
    if not changes:
        print(f"exercises/ is up to date ({len(actions)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
