"""``python -m minidl.course.train CHAPTER [--quick] [--out DIR] [--only NAME ...]``.

Trains, with fixed seeds, the weights a chapter's notebook loads because training them
takes longer than the notebook's time budget. ``--quick`` runs every step of the recipe
for a few iterations only (what CI runs, in seconds); the files then go to ``--out``.
Chapters: ch05 (GANs, :mod:`minidl.course.gan.shipped`).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m minidl.course.train",
                                     description=__doc__.splitlines()[2])
    parser.add_argument("chapter", choices=["ch05"])
    parser.add_argument("--quick", action="store_true", help="a few steps each (CI)")
    parser.add_argument("--out", type=Path, default=None, help="folder for the .npz files")
    parser.add_argument("--only", nargs="+", default=None, help="train only these models")
    args = parser.parse_args(argv)
    from minidl.course.gan import shipped

    shipped.main(quick=args.quick, out=args.out or shipped.WEIGHTS, only=args.only)


if __name__ == "__main__":
    main()
