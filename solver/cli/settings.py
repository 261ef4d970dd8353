"""Settings dataclasses become command-line flags one way, for every verb.

Each field of a settings dataclass (declared with :func:`solver.arc.settings.setting`)
becomes one flag of an argparse group:

- it sits in the help group the field declares (:data:`solver.arc.settings.GROUPS`, shown
  in that order);
- the flag is the field's declared ``flag``, else ``--`` + the field name with ``-`` for
  ``_``: one name for the field on every verb; older spellings (the declared ``aliases``)
  still parse, hidden from the help; its help is the field's help, with the default;
- the type comes from the annotation: ``bool`` gives ``--x`` / ``--no-x``; ``tuple[T, ...]``
  a comma-separated list (``--temperatures 0.5,1.0``); ``X | None`` accepts ``none``;
  choices come from the field's metadata;
- the default is the dataclass's own (argparse keeps none of its own: a flag not given is
  absent), so each default is written once, in the dataclass. A verb that needs another
  default for its use says so with ``defaults``; it shows in the help. A field declared
  without a default is a required flag.

:func:`build` makes the dataclass from the parsed arguments, :func:`given` lists the fields
set on the command line.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from typing import Any, Iterable, Mapping, Sequence

from solver.arc.settings import GROUPS

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


def settings_group(parser: argparse.ArgumentParser, name: str, description: str | None = None):
    """The argument group of ``parser`` titled ``name``: the one there already, else a new
    one described by ``description`` or, for a declared group, :data:`GROUPS`."""
    for g in parser._action_groups:
        if g.title == name:
            return g
    return parser.add_argument_group(name, description if description is not None
                                     else GROUPS.get(name))


def flag_names(cls: type, f: dataclasses.Field, prefix: str = "",
               flags: Mapping[str, Sequence[str]] | None = None) -> tuple[str, tuple[str, ...]]:
    """(the flag, its hidden aliases) of field ``f`` of ``cls``: ``flags[f.name]`` (the
    first shown, the rest hidden) where given, else the declared ``flag`` (default ``--`` +
    ``prefix`` + the name with ``-`` for ``_``) and ``aliases``."""
    if flags and flags.get(f.name):
        first, *rest = flags[f.name]
        return first, tuple(rest)
    flag = f.metadata.get("flag") or "--" + prefix + f.name.replace("_", "-")
    return flag, tuple(f.metadata.get("aliases", ()))


def add_settings(parser: argparse.ArgumentParser, cls: type, title: str | None = None,
                 description: str | None = None, *, only: Iterable[str] | None = None,
                 exclude: Iterable[str] = (), prefix: str = "",
                 flags: Mapping[str, Sequence[str]] | None = None,
                 defaults: Mapping[str, Any] | None = None, group=None):
    """Add the fields of dataclass ``cls`` (those in ``only``, less ``exclude``) to
    ``parser``, each in the help group it declares (:data:`GROUPS`: a group of that title
    already in ``parser`` is joined, the others are made in :data:`GROUPS`'s order; a field
    without one goes to a group titled ``cls``'s name); returns {title: group}. ``title``
    (with ``description``) or ``group`` puts them all in that one group instead, and returns
    it. Each field gets its declared flag, the same on every verb, and its declared
    ``aliases`` hidden (an alias another option of ``parser`` holds is left out: that verb
    never had it). ``prefix`` goes before the flag of a field that declares none;
    ``flags`` gives a field other option strings (the first shown, the rest hidden);
    ``defaults`` gives a field another default for this verb."""
    flags, defaults = dict(flags or {}), dict(defaults or {})
    fields = settings_fields(cls, only, exclude)
    for f in fields:
        if "help" not in f.metadata:
            raise ValueError(f"{cls.__name__}.{f.name} has no help: declare it with setting()")
    if group is not None or title is not None:
        one = group if group is not None else settings_group(parser, title, description)
        groups = {f.name: one for f in fields}
    else:
        declared = {f.metadata.get("group", cls.__name__) for f in fields}
        made = {name: settings_group(parser, name)
                for name in [n for n in GROUPS if n in declared] + sorted(declared - set(GROUPS))}
        groups = {f.name: made[f.metadata.get("group", cls.__name__)] for f in fields}
    hints = typing.get_type_hints(cls)
    hidden = []
    if group is None and title is None:  # the usage line in the help's order
        order = list(made)
        fields = sorted(fields, key=lambda f: order.index(f.metadata.get("group", cls.__name__)))
    for f in fields:
        flag, aliases = flag_names(cls, f, prefix, flags)
        kw = _argument(cls, f, hints[f.name], flag, defaults)
        groups[f.name].add_argument(flag, **kw)
        shadow = {**kw, "help": argparse.SUPPRESS, "default": argparse.SUPPRESS, "required": False}
        hidden += [(groups[f.name], alias, shadow) for alias in aliases]
    for g, alias, kw in hidden:  # after every shown flag: an alias never takes a flag's place
        try:
            g.add_argument(alias, **kw)
        except argparse.ArgumentError:  # held by another option of this verb
            pass
    if group is not None or title is not None:
        return one
    return {g.title: g for g in made.values()}


def _argument(cls: type, f: dataclasses.Field, hint, flag: str,
              defaults: Mapping[str, Any]) -> dict[str, Any]:
    """add_argument's keywords for field ``f`` of ``cls`` shown as ``flag``."""
    default = defaults.get(f.name, f.default)
    required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING \
        and f.name not in defaults
    kind, optional = _unwrap_optional(hint)
    optional = optional and not f.metadata.get("none_is_a_value", False)
    help_ = f.metadata["help"].replace("%", "%%")
    if default is not None and default is not dataclasses.MISSING \
            and not (kind is bool and f.name in defaults):
        # (argparse adds a bool's verb default itself; a None default is explained by the
        # help)
        help_ += f" (default: {_show(default)})".replace("%", "%%")
    kw: dict[str, Any] = {"dest": dest(cls, f.name), "help": help_,
                          "default": defaults[f.name] if f.name in defaults else argparse.SUPPRESS}
    if required:
        kw["required"] = True
    if kind is bool:
        kw["action"] = argparse.BooleanOptionalAction
    elif typing.get_origin(kind) is tuple:
        item = typing.get_args(kind)[0]
        kw.update(type=_comma_list(item, optional), metavar=f"{item.__name__.upper()},...")
    elif kind in (int, float, str):
        metavar = {int: "N", float: "X"}.get(kind, flag.lstrip("-").upper().replace("-", "_"))
        kw.update(type=_scalar(kind, optional), metavar=metavar)
    else:
        raise TypeError(f"{cls.__name__}.{f.name}: no command-line form for {kind!r}")
    if "metavar" in f.metadata:
        kw["metavar"] = f.metadata["metavar"]
    if "choices" in f.metadata:
        kw["choices"] = f.metadata["choices"]
        kw.pop("metavar", None)
    return kw


def given(cls: type, args: argparse.Namespace) -> dict[str, Any]:
    """The fields of ``cls`` set on the command line (or by a verb's ``defaults``)."""
    return {f.name: getattr(args, dest(cls, f.name)) for f in dataclasses.fields(cls)
            if hasattr(args, dest(cls, f.name))}


def build(cls: type, args: argparse.Namespace, **fixed: Any):
    """``cls`` from the parsed arguments: what was given, ``fixed`` over it, the
    dataclass's defaults for the rest."""
    return cls(**{**given(cls, args), **fixed})
