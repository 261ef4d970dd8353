"""How settings are declared: every settings dataclass of the package declares each field
with :func:`setting` — its default, a one-line help and its choices where there are — so
that the command line is built from the declarations (``solver.cli.settings``) and no
default or help is written twice."""

from __future__ import annotations

from dataclasses import field
from typing import Any, Iterable


def setting(default: Any, help: str, choices: Iterable | None = None,
            none_is_a_value: bool = False) -> Any:
    """A dataclass field with ``default`` and, in its metadata, ``help`` (one line) and
    ``choices`` (the values allowed, when there is a fixed set). ``none_is_a_value``: the
    word ``none`` on the command line is kept as text, not read as None."""
    meta: dict[str, Any] = {"help": help}
    if none_is_a_value:
        meta["none_is_a_value"] = True
    if choices is not None:
        meta["choices"] = tuple(choices)
    if isinstance(default, (list, dict, set)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)
