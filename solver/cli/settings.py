"""Settings dataclasses become command-line flags one way, for every verb.

Each field of a settings dataclass (declared with :func:`solver.arc.settings.setting`)
becomes one flag of an argparse group:

- the flag is ``--`` + the field name with ``-`` for ``_`` (a verb may add older names or
  a prefix); its help is the field's help, with the default;
- the type comes from the annotation: ``bool`` gives ``--x`` / ``--no-x``; ``tuple[T, ...]``
  a comma-separated list (``--temperatures 0.5,1.0``); ``X | None`` accepts ``none``;
  choices come from the field's metadata;
- the default is the dataclass's own (argparse keeps none of its own: a flag not given is
  absent), so each default is written once, in the dataclass. A verb that needs another
  default for its use says so with ``defaults``; it shows in the help.

:func:`build` makes the dataclass from the parsed arguments, :func:`given` lists the fields
set on the command line.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from typing import Any, Iterable, Mapping, Sequence

NONE_WORDS = ("none", "None")


def dest(cls: type, name: str) -> str:
    """Where argparse keeps field ``name`` of ``cls`` (unique across dataclasses)."""
    return f"{cls.__name__}.{name}"


def _unwrap_optional(tp) -> tuple[Any, bool]:
    """(the type inside ``X | None``, whether None was allowed)."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(args) < len(typing.get_args(tp)):
            return args[0], True
    return tp, False


def _scalar(kind: type, optional: bool):
    """A converter from the command line's text to ``kind`` (``none`` -> None if allowed)."""
    def convert(text: str):
        if optional and text in NONE_WORDS:
            return None
        return kind(text)

    convert.__name__ = kind.__name__ + (" or none" if optional else "")
    return convert


def _comma_list(kind: type, optional: bool):
    def convert(text: str):
        if optional and text in NONE_WORDS:
            return None
        return tuple(kind(x) for x in text.split(",") if x.strip())

    convert.__name__ = f"comma-separated {kind.__name__} list"
    return convert


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def settings_fields(cls: type, only: Iterable[str] | None = None,
                    exclude: Iterable[str] = ()) -> list[dataclasses.Field]:
    """The fields of ``cls`` named in ``only`` (all when None) and not in ``exclude``, in
    declaration order; unknown names are an error (a renamed field must not drop a flag)."""
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = [n for n in list(only or ()) + list(exclude) if n not in names]
    if unknown:
        raise ValueError(f"{cls.__name__} has no field {', '.join(unknown)}")
    keep = set(only) if only is not None else set(names)
    return [f for f in dataclasses.fields(cls) if f.name in keep and f.name not in set(exclude)]


def add_settings(parser: argparse.ArgumentParser, cls: type, title: str | None = None,
                 description: str | None = None, *, only: Iterable[str] | None = None,
                 exclude: Iterable[str] = (), prefix: str = "",
                 flags: Mapping[str, Sequence[str]] | None = None,
                 defaults: Mapping[str, Any] | None = None, group=None):
    """Add the fields of dataclass ``cls`` (those in ``only``, less ``exclude``) to
    ``parser`` as a group titled ``title`` (or to ``group``); returns the group.
    ``prefix`` goes before every flag name (``exec-`` gives ``--exec-timeout-s``);
    ``flags`` gives a field other option strings (the first is shown first);
    ``defaults`` gives a field another default for this verb."""
    flags, defaults = dict(flags or {}), dict(defaults or {})
    if group is None:
        group = parser.add_argument_group(title or cls.__name__, description)
    hints = typing.get_type_hints(cls)
    for f in settings_fields(cls, only, exclude):
        if "help" not in f.metadata:
            raise ValueError(f"{cls.__name__}.{f.name} has no help: declare it with setting()")
        option_strings = list(flags.get(f.name) or ["--" + prefix + f.name.replace("_", "-")])
        default = defaults.get(f.name, f.default)
        kind, optional = _unwrap_optional(hints[f.name])
        optional = optional and not f.metadata.get("none_is_a_value", False)
        help_ = f.metadata["help"].replace("%", "%%")
        if default is not None and not (kind is bool and f.name in defaults):
            # (argparse adds a bool's verb default itself; a None default is explained
            # by the help)
            help_ += f" (default: {_show(default)})".replace("%", "%%")
        kw: dict[str, Any] = {"dest": dest(cls, f.name), "help": help_,
                              "default": defaults[f.name] if f.name in defaults else argparse.SUPPRESS}
        if kind is bool:
            kw["action"] = argparse.BooleanOptionalAction
        elif typing.get_origin(kind) is tuple:
            item = typing.get_args(kind)[0]
            kw.update(type=_comma_list(item, optional), metavar=f"{item.__name__.upper()},...")
        elif kind in (int, float, str):
            metavar = {int: "N", float: "X"}.get(kind, option_strings[0].lstrip("-").upper().replace("-", "_"))
            kw.update(type=_scalar(kind, optional), metavar=metavar)
        else:
            raise TypeError(f"{cls.__name__}.{f.name}: no command-line form for {kind!r}")
        if "choices" in f.metadata:
            kw["choices"] = f.metadata["choices"]
            kw.pop("metavar", None)
        group.add_argument(*option_strings, **kw)
    return group


def given(cls: type, args: argparse.Namespace) -> dict[str, Any]:
    """The fields of ``cls`` set on the command line (or by a verb's ``defaults``)."""
    return {f.name: getattr(args, dest(cls, f.name)) for f in dataclasses.fields(cls)
            if hasattr(args, dest(cls, f.name))}


def build(cls: type, args: argparse.Namespace, **fixed: Any):
    """``cls`` from the parsed arguments: what was given, ``fixed`` over it, the
    dataclass's defaults for the rest."""
    return cls(**{**given(cls, args), **fixed})
