"""The command line: verbs parse, call and print.

``main`` builds the ``solver`` command from the verbs of ``data`` (task and submission
files, one program in the sandbox), ``lm`` (sample, train-base), ``solve`` (solve,
dry-run) and ``report``; ``settings`` turns settings dataclasses into flags, ``tables``
prints tables.
"""

from solver.cli.main import main  # noqa: F401
