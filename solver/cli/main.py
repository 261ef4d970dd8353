"""Command line: ``solver VERB ...`` (also ``python -m solver``). Verbs parse, call, print.

``main(argv) -> int`` is the only reader of arguments; tests call it directly.
Exit codes: 0 success, 1 the input has problems (listed), 2 the input is unusable.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from solver.arc.grids import TaskFileError


def build_parser() -> argparse.ArgumentParser:
    """The ``solver`` command: each module of :mod:`solver.cli` registers its verbs."""
    from solver.cli import data, lm, report, solve

    parser = argparse.ArgumentParser(prog="solver", description=__doc__.split("\n")[0])
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for module in (data, lm, solve, report):
        module.register(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except TaskFileError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
