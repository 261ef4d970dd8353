"""``classify``: the output is one of a few fixed small grids, chosen by a property of the
whole input (its number of colours, of foreground cells, of objects, or its main colour)::

    def task(img):
        img = classify(img, 'main_color', ((1, ((5, 0, 5), (0, 5, 0), (5, 0, 5))),
                                           (2, ((0, 5, 0), (5, 5, 5), (0, 5, 0)))))
        return img

The table's grids are literals of the program; every value the table has is shown by a
train pair, and every test input's value too."""

from __future__ import annotations

import numpy as np

from solver.dsl.classify import CLASS_PROPS, class_key
from solver.dsl.gen import inputs as gi
from solver.dsl.gen.core import Ctx, Draft, Step, as_grid
from solver.dsl.gen.geometry import _choice


def fit_classify(prop: str, inputs, outputs) -> tuple | None:
    """The table ``classify(prop)`` would need on these pairs, or None (one value, two answers)."""
    table: dict[int, tuple] = {}
    for inp, out in zip(inputs, outputs):
        g = as_grid(out)
        if table.setdefault(class_key(inp, prop), g) != g:
            return None
    return tuple(sorted(table.items()))


def classify_alternatives(all_inputs, train_outputs):
    """A table fitted on the train pairs for every property, when it has an answer for
    every test input."""
    k = len(train_outputs)
    for prop in CLASS_PROPS:
        t = fit_classify(prop, all_inputs[:k], train_outputs)
        if t is not None and all(class_key(g, prop) in dict(t) for g in all_inputs[k:]):
            yield (Step("classify", (prop, t)),)


def _answers(rng: np.random.Generator, n: int, bg: int) -> list[tuple] | None:
    """``n`` distinct small answer grids of one shape (1x1 to 3x3): one colour each, or
    patterns of one colour on the background."""
    h, w = (1, 1) if rng.random() < 0.25 else (int(rng.integers(1, 4)), int(rng.integers(2, 4)))
    if rng.random() < 0.5 or h * w == 1:  # one colour each
        cols = gi.palette(rng, bg, n)
        return [as_grid(np.full((h, w), c)) for c in cols] if len(cols) == n else None
    c = int(_choice(rng, gi.colors_for(bg)))
    out: list[tuple] = []
    for _ in range(20):
        m = rng.random((h, w)) < 0.5
        g = as_grid(np.where(m, c, bg))
        if m.any() and not m.all() and g not in out:
            out.append(g)
        if len(out) == n:
            return out
    return None


def classify(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """classify(prop, table): inputs whose number of colours, of foreground cells, of
    objects, or main colour takes 2-3 values, each with its own answer grid."""
    prop = str(_choice(rng, CLASS_PROPS))
    hi = ctx.hi(int(rng.choice([6, 9, 12, 16], p=[0.3, 0.35, 0.2, 0.15])))
    st = gi.make_style(rng, ctx.lo(3), hi, n_colors=(3, 4), n_obj=(1, 4), obj_side=int(rng.integers(1, 4)))
    n_vals = int(rng.integers(2, 4))
    if prop == "n_colors":
        values = sorted(int(v) for v in rng.choice(np.arange(2, 5), size=n_vals, replace=False))
    elif prop == "fg_cells":
        values = sorted(int(v) for v in rng.choice(np.arange(1, 9), size=n_vals, replace=False))
    elif prop == "n_objects":
        values = sorted(int(v) for v in rng.choice(np.arange(1, 6), size=n_vals, replace=False))
    else:
        values = sorted(st.colors[:n_vals])
    values = values[:ctx.n_train]  # every value shown by a train pair
    answers = _answers(rng, len(values), gi.pick_bg(rng, 0.7))
    if answers is None:
        answers = [as_grid(np.full((1, 1), c)) for c in gi.palette(rng, 0, len(values))]
    table = tuple(zip(values, answers))
    train = values + [values[int(rng.integers(0, len(values)))] for _ in range(ctx.n_train - len(values))]
    wanted = [int(train[i]) for i in rng.permutation(len(train))]
    wanted += [values[int(rng.integers(0, len(values)))] for _ in range(ctx.n_test)]
    plan = iter(wanted)  # the value of each input in turn (train, then test)
    state = {"v": None}

    def new_input(rng):
        if state["v"] is None:
            state["v"] = next(plan, values[0])
        v = state["v"]
        h, w = st.shape(rng)
        s = gi.new_scene(h, w, st.bg)
        if prop == "n_colors":
            cols = st.colors[:v - 1]
            for i in range(int(rng.integers(v - 1, v + 3))):
                c = cols[i] if i < len(cols) else int(_choice(rng, cols))
                gi.put(s, rng, gi.random_sprite(rng, st.obj_side, st.obj_side), c, margin=1)
        elif prop == "fg_cells":
            for _ in range(v):
                gi.put(s, rng, np.ones((1, 1), dtype=bool), int(_choice(rng, st.colors)), margin=0)
        elif prop == "n_objects":
            for _ in range(v):
                gi.put(s, rng, gi.random_sprite(rng, st.obj_side, st.obj_side), int(_choice(rng, st.colors)),
                       margin=1)
        else:
            m = gi.random_sprite(rng, st.obj_side + 2, st.obj_side + 2, min_side=2)
            gi.put(s, rng, m, v, margin=1)
            others = [c for c in st.colors if c != v]
            for _ in range(int(rng.integers(0, 3))):
                gi.put(s, rng, np.ones((1, 1), dtype=bool), int(_choice(rng, others)), margin=1)
        g = s.grid
        if not gi.well_formed(g, st.bg) or class_key(g, prop) != v:
            return "input has another value"
        state["v"] = None
        return g

    prog = (Step("classify", (prop, table)),)
    inputs = ctx.collect(rng, prog, new_input)

    def check_task(inputs, outputs, n_train):
        train = {class_key(g, prop) for g in inputs[:n_train]}
        if not set(values) <= train:
            return "a table entry is not shown"
        if any(class_key(g, prop) not in train for g in inputs[n_train:]):
            return "a test value is not in the train pairs"
        return None

    return ctx.draft(prog, inputs, classify_alternatives, check_task=check_task)
