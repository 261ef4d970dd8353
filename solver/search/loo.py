"""Leave-one-out on the train pairs: would an enumerated program have been found without
one of them?

A program exact on every train pair can still be fitted to them: a colour table with an
entry that only one pair uses, a stacked piece that fixes cells of only one pair. Fitted on
the other pairs, such a program lacks that entry (or that piece) and gets the held-out pair
wrong, so it is no better than a guess on a test input that needs something new. With at
least three train pairs, :func:`survives` checks every pair this way; a program that fails
ranks after the exact programs that survive, so it outranks a simpler one only when that
one fails too.

What is refitted: the tables of ``recolor_by`` and ``recolor_regions_by`` (property to
colour), the values of ``filter_objects``, ``replace_shapes`` (shape to patch), ``classify`` (property to answer), ``map_colors``
``stamp_around`` (per-colour patterns) and ``corner_rays`` (colour to diagonal), and the
pieces of a stack. Literal arguments
(colours, factors, selectors) are read off every pair alike and are not refitted.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from solver import dsl
from solver.dsl import classify as cl
from solver.dsl import objects as ob
from solver.dsl import regions as rg
from solver.dsl import shapes as sh
from solver.search.enumerate_args import Reader

MIN_PAIRS = 3  # below this, leaving a pair out leaves too little to fit on


def _keys_changing(mapping: tuple, parts: list, prop_name: str) -> set:
    """The entries of a property table that recolour one of ``parts`` (None: its default,
    which also stands for an entry that gives the default's colour: refitted without that
    entry, the table still gives it)."""
    table, default = ob.table_of(mapping)
    keys = set()
    for part in parts:
        value = ob.prop(part, prop_name, parts)
        colour = table.get(value, default)
        key = value if value in table and colour != default else None
        if colour is not None and colour != part.color:
            keys.add(key)
    return keys


def table_keys(name: str, args: tuple, grid: np.ndarray) -> set:
    """The entries of a fitted table that a step uses on ``grid`` (the grid it is applied
    to) to change something; empty for a step without a table."""
    if name == "recolor_by":
        prop_name, mapping, conn = args
        objs = ob.find_objects(grid, conn, False)
        return _keys_changing(mapping, objs, prop_name)
    if name == "filter_objects":
        prop_name, values, keep, conn = args
        objs = ob.find_objects(grid, conn, False)
        return {v for o in objs if (v := ob.prop(o, prop_name, objs)) in set(values)}
    if name == "recolor_regions_by":
        prop_name, mapping, enclosed = args
        return _keys_changing(mapping, rg.background_regions(grid, enclosed), prop_name)
    if name == "replace_shapes":
        table, conn = args
        keys = {mask for mask, _ in table}
        return {m for o in ob.find_objects(grid, conn, False) if (m := sh.shape_mask(o)) in keys}
    if name == "classify":
        return {cl.class_key(grid, args[0])}
    if name == "corner_rays":
        listed = {color for color, _ in args[0]}
        return {o.color for o in ob.find_objects(grid, 8, False) if o.color in listed}
    if name == "map_colors":
        present = set(np.unique(grid).tolist())
        return {src for src, dst in args[0] if src in present and src != dst}
    if name == "stamp_around":
        present = set(np.unique(grid).tolist()) - {dsl.ops.bg_of(grid)}
        listed = {color for color, _ in args[0]}
        return ({color for color in listed if color in present}
                | ({dsl.ops.ANY} if dsl.ops.ANY in listed and present - listed else set()))
    return set()


def chain_keys(steps: Sequence, grid: np.ndarray) -> list[set]:
    """For each step of a chain run on ``grid``, the table entries it uses (see
    :func:`table_keys`); shorter when a step fails."""
    out, cur = [], grid
    for step in steps:
        args = [dsl.PRIMITIVES[a.name](cur) if isinstance(a, Reader) else a for a in step.args]
        out.append(table_keys(step.name, tuple(args), cur))
        try:
            cur = np.asarray(dsl.PRIMITIVES[step.name](cur, *args))
        except Exception:  # noqa: BLE001 - a step that fails here uses nothing further
            break
    return out


def _each_used_twice(per_pair: list[list[set]]) -> bool:
    """Whether every entry any pair uses is also used by another pair (step by step)."""
    n_steps = max((len(k) for k in per_pair), default=0)
    for s in range(n_steps):
        sets = [k[s] if s < len(k) else set() for k in per_pair]
        for j, used in enumerate(sets):
            others = set().union(*(x for i, x in enumerate(sets) if i != j))
            if used - others:
                return False
    return True


def survives(steps: Sequence, inputs: Sequence[np.ndarray], stack=None,
             outputs: Sequence[np.ndarray] | None = None) -> bool | None:
    """Whether the program (a chain of ``steps``, or a ``stack`` of
    :mod:`solver.search.stack`) survives leave-one-out on train ``inputs``; None with fewer
    than :data:`MIN_PAIRS` pairs (not checked). A stack also needs ``outputs``: each piece
    must fix cells of the base on at least two pairs."""
    if len(inputs) < MIN_PAIRS:
        return None
    chains = [steps] if stack is None else [stack.base.steps, *(p.steps for p in stack.pieces)]
    for chain in chains:
        if not _each_used_twice([chain_keys(chain, g) for g in inputs]):
            return False
    if stack is not None:
        for piece in stack.pieces:
            fixes = 0
            for base, top, out, grid in zip(stack.base.grids, piece.grids, outputs, inputs):
                lays = top != dsl.ops.bg_of(top)
                if piece.delta:
                    lays &= top != grid
                fixes += bool(((base != out) & (top == out) & lays).any())
            if fixes < 2:
                return False
    return True
