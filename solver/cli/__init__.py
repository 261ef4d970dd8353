"""The command line: verbs parse, call and print."""

from solver.cli.main import main  # noqa: F401
