"""``python -m minidl.grade [ch01|ex1_2|1.2 …] [--impl solutions] [--json FILE] [--junit FILE]``.

Grades the selected exercises (all when none are named) in a pytest subprocess and prints
a table (exercise, function, status, points), the total, and feedback for each failing
exercise. ``--json``/``--junit`` also write the report for an LMS.

Exit status: 0 when every selected exercise passed; 1 when any did not (not started,
wrong, error, timed out); 2 when the command line is wrong or the autograder could not
run (no tests found, pytest missing, a crash).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from minidl.course.root import IMPLS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minidl.grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("selectors", nargs="*", metavar="SELECTION",
                        help="chapters (ch01, 1) or exercises (1.2, ex1_2); default: all")
    parser.add_argument("--impl", choices=IMPLS, default=None,
                        help="grade exercises/ (default, or $MINIDL_IMPL) or solutions/")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the report as JSON")
    parser.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                        help="time limit of each test (default 10)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show pytest's output")
    args = parser.parse_args(argv)

    from minidl.grading.runner import grade, marker_for

    try:
        for selector in args.selectors:
            marker_for(selector)
    except ValueError as err:
        parser.error(str(err))
    for option, path in (("--json", args.json), ("--junit", args.junit)):
        if path is not None and (problem := _cannot_write(path)):
            parser.error(f"cannot write the {option} report to {path}: {problem}")
    report = grade(args.selectors, args.impl, timeout_per_test=args.timeout,
                   show_output=args.verbose)
    print(report.to_text())
    try:
        if args.json:
            report.write_json(args.json)
        if args.junit:
            report.write_junit(args.junit)
    except OSError as err:
        print(f"\n! cannot write the report to {err.filename}: {err.strerror}")
        return 2
    if report.errors:
        return 2
    return 0 if report.passed else 1


def _cannot_write(path: Path) -> str:
    """Why ``path`` cannot be written ("" when it can), checked before grading starts."""
    existed = path.exists()
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as err:
        return err.strerror or type(err).__name__
    if not existed:
        path.unlink()
    return ""


if __name__ == "__main__":
    sys.exit(main())
