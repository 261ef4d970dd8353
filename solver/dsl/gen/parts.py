"""Families over parts of the grid: split into parts and combine them (boolean masks,
overlay, pick one), and symmetry (make symmetric, complete a masked symmetric pattern)."""

from __future__ import annotations

import numpy as np

from solver.dsl.gen import inputs as gi
from solver.dsl.gen.core import Ctx, Draft, Drop, Step
from solver.dsl.gen.geometry import _choice
from solver.dsl.parts import COMBINE_OPS, SELECT_PARTS, SPLITS, grid_parts
from solver.dsl.symmetry import SYMMETRIES, complete_pattern, complete_symmetry, symmetrize

# ---------------------------------------------------------------- split and combine


def split_alternatives(color: int):
    alts = [(Step("combine_parts", (s, op, color)),) for s in SPLITS for op in COMBINE_OPS]
    alts += [(Step("overlay_parts", (s, o)),) for s in SPLITS for o in ("first", "last")]
    alts += [(Step("select_part", (s, w)),) for s in SPLITS for w in SELECT_PARTS]
    return alts


def _assemble(parts: list[np.ndarray], across: bool, sep: int | None, rows: int = 1) -> np.ndarray:
    """Parts side by side (``across``) or stacked, with 1-cell separator lines of ``sep``;
    ``rows`` > 1 arranges them in a grid of that many rows."""
    ph, pw = parts[0].shape
    if rows > 1:
        cols = len(parts) // rows
        lines = []
        for r in range(rows):
            row = _assemble(parts[r * cols:(r + 1) * cols], True, sep)
            lines.append(row)
            if r < rows - 1:
                lines.append(np.full((1, row.shape[1]), sep, dtype=gi.DTYPE))
        return np.concatenate(lines, axis=0)
    pieces = []
    for i, p in enumerate(parts):
        pieces.append(p)
        if i < len(parts) - 1 and sep is not None:
            pieces.append(np.full((ph, 1) if across else (1, pw), sep, dtype=gi.DTYPE))
    return np.concatenate(pieces, axis=1 if across else 0)


def split_combine(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """A grid made of equal parts (between separator lines, or left/right or top/bottom
    halves): combine their masks (and, or, xor, nor, diff, rdiff) into one colour, overlay
    them, pick one part by a property, or summarise each part as one cell."""
    kind = rng.choice(["combine", "overlay", "select", "summarize"], p=[0.45, 0.15, 0.2, 0.2])
    if kind == "summarize":
        return _summarize(rng, ctx)
    split = str(_choice(rng, SPLITS)) if kind != "select" else "sep"
    bg = gi.pick_bg(rng, 0.85)
    k = 2 if kind != "select" else int(rng.integers(3, 5))
    rows = 2 if kind == "select" and k == 4 and rng.random() < 0.4 else 1
    across = split == "lr" or (split == "sep" and rng.random() < 0.5)
    n_across = (k // rows) if across or rows > 1 else 1
    n_down = rows if rows > 1 else (1 if across else k)
    cap_w = (ctx.cfg.max_side - (n_across - 1)) // n_across
    cap_h = (ctx.cfg.max_side - (n_down - 1)) // n_down
    ph_hi, pw_hi = min(cap_h, 7), min(cap_w, 7)
    if min(ph_hi, pw_hi) < 2:
        raise Drop("grid too small for parts")
    cols = gi.palette(rng, bg, 5)
    sep = cols[0] if split == "sep" or rng.random() < 0.3 else None
    part_colors = cols[1:3] if rng.random() < 0.6 else [cols[1]] * 2
    out_color = cols[3] if rng.random() < 0.7 else part_colors[0]
    fixed = (int(rng.integers(2, ph_hi + 1)), int(rng.integers(2, pw_hi + 1)))
    vary = rng.random() < 0.3
    density = rng.uniform(0.3, 0.6)
    if kind == "combine":
        prog = (Step("combine_parts", (split, str(_choice(rng, COMBINE_OPS)), out_color)),)
    elif kind == "overlay":
        part_colors = cols[1:3]
        prog = (Step("overlay_parts", (split, str(_choice(rng, ("first", "last"))))),)
    else:
        which = str(_choice(rng, SELECT_PARTS))
        prog = (Step("select_part", (split, which)),)

    def new_input(rng):
        ph, pw = (int(rng.integers(2, ph_hi + 1)), int(rng.integers(2, pw_hi + 1))) if vary else fixed
        parts = []
        for i in range(k):
            c = part_colors[i % len(part_colors)]
            ok = [c] if kind != "select" else cols[1:]
            n_col = 1 if kind != "select" else int(rng.integers(1, len(ok) + 1))
            p = gi.pattern(rng, ph, pw, bg, ok[:n_col], density)
            if p is None:
                p = np.full((ph, pw), bg, dtype=gi.DTYPE)
            parts.append(p)
        if kind == "select" and prog[0].args[1] == "unique":  # copies of one part and an odd one
            odd = gi.pattern(rng, ph, pw, bg, cols[1:2], density)
            if odd is None:
                return None
            parts = [parts[0].copy() for _ in range(k)]
            parts[int(rng.integers(0, k))] = odd
        g = _assemble(parts, across, sep, rows)
        if max(g.shape) > ctx.cfg.max_side or not gi.well_formed(g, bg):
            return None
        try:
            got = grid_parts(g, split)
        except ValueError:
            return "parts not found"
        if len(got) != k or any(a.shape != b.shape or (a != b).any() for a, b in zip(got, parts)):
            return "parts not found"
        return g

    def check(inp, out):
        if (out == bg).all() or (out != bg).all():
            return "combined part empty or full"
        return None

    inputs = ctx.collect(rng, prog, new_input, check if kind == "combine" else None)
    return ctx.draft(prog, inputs, split_alternatives(out_color if kind == "combine" else 1))


def _summarize(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """summarize_parts(mode): a grid of parts between separator lines becomes one cell per
    part: its most common colour ('majority') or most common foreground colour ('fg')."""
    mode = "majority" if rng.random() < 0.5 else "fg"
    bg = gi.pick_bg(rng, 0.85)
    cols = gi.palette(rng, bg, 5)
    sep, inner = cols[0], cols[1:]
    ph, pw = int(rng.integers(2, 6)), int(rng.integers(2, 6))
    n_r, n_c = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    if n_r == n_c == 1:
        n_c = 2
    if n_r * (ph + 1) - 1 > ctx.cfg.max_side or n_c * (pw + 1) - 1 > ctx.cfg.max_side:
        raise Drop("grid too small for parts")
    vary = rng.random() < 0.5  # the layout changes from pair to pair

    def new_input(rng):
        r, c = (int(rng.integers(1, 5)), int(rng.integers(1, 5))) if vary else (n_r, n_c)
        if r == c == 1 or r * (ph + 1) - 1 > ctx.cfg.max_side or c * (pw + 1) - 1 > ctx.cfg.max_side:
            return None
        blocks = []
        for _ in range(r * c):
            if mode == "majority":
                main = int(_choice(rng, [bg, *inner]))
                p = np.full((ph, pw), main, dtype=gi.DTYPE)
                stray = rng.random((ph, pw)) < 0.25  # a minority of other colours
                p[stray] = np.array(inner, dtype=gi.DTYPE)[rng.integers(0, len(inner), size=int(stray.sum()))]
            else:
                p = np.full((ph, pw), bg, dtype=gi.DTYPE)
                if rng.random() < 0.8:
                    cells = rng.random((ph, pw)) < rng.uniform(0.1, 0.5)
                    p[cells] = int(_choice(rng, inner))
            blocks.append(p)
        g = _assemble(blocks, True, sep, r) if r > 1 else _assemble(blocks, True, sep)
        if not gi.well_formed(g, bg):
            return None
        try:
            got = grid_parts(g, "sep")
        except ValueError:
            return "parts not found"
        if len(got) != r * c:
            return "parts not found"
        return g

    def check(inp, out):
        return "summary is uniform" if len(np.unique(out)) < 2 else None

    prog = (Step("summarize_parts", (mode,)),)
    alts = split_alternatives(1) + [(Step("summarize_parts", (m,)),) for m in ("majority", "fg")]
    return ctx.draft(prog, ctx.collect(rng, prog, new_input, check), alts, check)


# ---------------------------------------------------------------- symmetry


def _orbit_rep(h: int, w: int, kind: str) -> np.ndarray:
    """For every cell, the smallest flat index of its orbit under the symmetry ``kind``."""
    ii, jj = np.indices((h, w))
    cands = [ii * w + jj]
    if kind in ("lr", "both"):
        cands.append(ii * w + (w - 1 - jj))
    if kind in ("ud", "both"):
        cands.append((h - 1 - ii) * w + jj)
    if kind == "both":
        cands.append((h - 1 - ii) * w + (w - 1 - jj))
    if kind == "diag":
        cands.append(jj * w + ii)
    if kind == "rot":
        n = h
        cands += [jj * w + (n - 1 - ii), (n - 1 - ii) * w + (n - 1 - jj), (n - 1 - jj) * w + ii]
    return np.minimum.reduce(cands)


def sym_pattern(rng: np.random.Generator, h: int, w: int, kind: str, bg: int, colors: list[int],
                density: float) -> np.ndarray | None:
    a = gi.pattern(rng, h, w, bg, colors, density) if density < 1 else \
        np.array(colors, dtype=gi.DTYPE)[rng.integers(0, len(colors), size=(h, w))]
    if a is None:
        return None
    return a.ravel()[_orbit_rep(h, w, kind)].astype(gi.DTYPE)


def _mask_box(rng: np.random.Generator, g: np.ndarray, h: int, w: int, mask_c: int) -> None:
    """Paint ``mask_c``, in place, over a random box of ``g`` (``h`` x ``w``), 2 to a third
    of each side (at least 2) large."""
    bh, bw = int(rng.integers(2, max(2, h // 3) + 1)), int(rng.integers(2, max(2, w // 3) + 1))
    t, l = int(rng.integers(0, h - bh + 1)), int(rng.integers(0, w - bw + 1))
    g[t:t + bh, l:l + bw] = mask_c


def _symmetrize_draft(rng: np.random.Generator, ctx: Ctx, st, sym: str) -> Draft:
    """symmetrize(kind): a symmetric pattern with cells erased to background comes back whole."""
    density = rng.uniform(0.3, 0.6)
    erase = rng.uniform(0.1, 0.4)

    def new_input(rng):
        h, w = st.shape(rng)
        full = sym_pattern(rng, h, w, sym, st.bg, st.colors, density)
        if full is None:
            return None
        g = full.copy()
        if rng.random() < 0.5:  # a block erased
            bh, bw = int(rng.integers(1, h // 2 + 2)), int(rng.integers(1, w // 2 + 2))
            t, l = int(rng.integers(0, h - bh + 1)), int(rng.integers(0, w - bw + 1))
            g[t:t + bh, l:l + bw] = st.bg
        else:
            g[rng.random((h, w)) < erase] = st.bg
        if not gi.well_formed(g, st.bg) or not np.array_equal(symmetrize(g, sym), full):
            return "erased cells not recoverable"
        return g

    prog = (Step("symmetrize", (sym,)),)
    alts = [(Step("symmetrize", (k,)),) for k in SYMMETRIES]
    return ctx.draft(prog, ctx.collect(rng, prog, new_input), alts)


def _pattern_input(st, colors: list[int], mask_c: int):
    """New inputs for complete_pattern: a periodic mosaic (a repeated tile or diagonal
    stripes) with one or two blocks of ``mask_c`` over it."""

    def new_input(rng):
        h, w = st.shape(rng)
        if rng.random() < 0.25:
            p = int(rng.integers(2, 5))
            stripe = np.array(colors, dtype=gi.DTYPE)[rng.integers(0, len(colors), size=p)]
            ii, jj = np.indices((h, w))
            full = stripe[(ii + jj) % p if rng.random() < 0.5 else (ii - jj) % p]
        else:
            py, px = int(rng.integers(1, 5)), int(rng.integers(2, 5))
            if rng.random() < 0.5:
                py, px = px, py
            tile_ = np.array(colors, dtype=gi.DTYPE)[rng.integers(0, len(colors), size=(py, px))]
            full = np.tile(tile_, (h // py + 1, w // px + 1))[:h, :w]
        if len(np.unique(full)) < 2:
            return None
        g = full.copy()
        for _ in range(int(rng.integers(1, 3))):
            _mask_box(rng, g, h, w, mask_c)
        try:
            if not np.array_equal(complete_pattern(g, mask_c), full):
                return "completion differs from the pattern"
        except ValueError:
            return "no repeating pattern found"
        return g

    return new_input


def symmetry(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """symmetrize(kind): a symmetric pattern with cells erased to background comes back
    whole; complete_symmetry(c) / symmetry_patch(c): a symmetric mosaic with a block of
    colour c over it; the output is the mosaic, or what lay under the block;
    complete_pattern(c): the same for a periodic mosaic (a repeated tile or diagonal stripes)."""
    kind = rng.choice(["symmetrize", "complete", "patch", "pattern"], p=[0.35, 0.25, 0.2, 0.2])
    sym = str(_choice(rng, SYMMETRIES if kind == "symmetrize" else ("lr", "ud", "both", "rot", "diag")))
    square = sym in ("diag", "rot")
    hi = ctx.hi(int(rng.choice([8, 12, 16, 22], p=[0.3, 0.35, 0.2, 0.15])))
    lo = 4 if kind == "symmetrize" else 6
    st = gi.make_style(rng, ctx.lo(lo), max(hi, ctx.lo(lo)), n_colors=(2, 5), square=square, p_fixed=0.4)
    if kind == "symmetrize":
        return _symmetrize_draft(rng, ctx, st, sym)

    offset = rng.random() < 0.35
    mask_c = 0 if rng.random() < 0.35 else int(_choice(rng, gi.palette(rng, 0, 1, avoid=st.colors)))
    colors = [c for c in st.colors if c != mask_c] + ([st.bg] if st.bg != mask_c else [])

    def new_input(rng):
        h, w = st.shape(rng)
        if offset and sym in ("lr", "ud", "both"):  # the axis off the centre: a wider
            oy = int(rng.integers(1, 4)) if sym != "lr" else 0  # symmetric pattern, cut
            ox = int(rng.integers(1, 4)) if sym != "ud" else 0
            full = sym_pattern(rng, h + oy, w + ox, sym, st.bg, colors, 1.0)[oy:, ox:]
            full = np.ascontiguousarray(full if rng.random() < 0.5 else full[::-1, ::-1])
        else:
            full = sym_pattern(rng, h, w, sym, st.bg, colors, 1.0)
        g = full.copy()
        _mask_box(rng, g, h, w, mask_c)
        try:
            if not np.array_equal(complete_symmetry(g, mask_c), full):
                return "completion differs from the pattern"
        except ValueError:
            return "no symmetry found"
        return g

    if kind == "pattern":
        new_input = _pattern_input(st, colors, mask_c)  # noqa: F811 - the periodic variant

    op = {"complete": "complete_symmetry", "patch": "symmetry_patch", "pattern": "complete_pattern"}[str(kind)]
    prog = (Step(op, (mask_c,)),)
    alts = [(Step(o, (c,)),) for o in ("complete_symmetry", "symmetry_patch", "complete_pattern")
            for c in range(10)]
    alts += [(Step("symmetrize", (k,)),) for k in SYMMETRIES]
    return ctx.draft(prog, ctx.collect(rng, prog, new_input), alts)
