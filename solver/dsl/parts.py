"""DSL v2, split and combine: the parts of a grid between separator lines or its halves,
combined (boolean masks, overlay), selected or summarised.

Pure functions ``prim(img, *args) -> img`` like :mod:`solver.dsl.ops` (same background rule,
``ValueError`` when a primitive cannot apply).
"""

from __future__ import annotations

import numpy as np

from solver.dsl.ops import Img, _arr, bg_of

SPLITS = ("sep", "lr", "tb", "quad", "squares")
COMBINE_OPS = ("and", "or", "xor", "nor", "diff", "rdiff")
SELECT_PARTS = ("most_fg", "least_fg", "most_colors", "least_colors", "unique", "first", "last",
                "symmetric", "asymmetric")




def grid_parts(img: Img, split: str) -> list[np.ndarray]:
    """The parts of a grid: between separator lines ('sep'), left/right or top/bottom halves ('lr', 'tb'), quadrants ('quad'), or the squares of a long grid ('squares')."""
    a = _arr(img)
    h, w = a.shape
    if split == "lr":
        if w % 2:
            return [a[:, :w // 2], a[:, w // 2 + 1:]] if w > 1 else [a]
        return [a[:, :w // 2], a[:, w // 2:]]
    if split == "tb":
        if h % 2:
            return [a[:h // 2], a[h // 2 + 1:]] if h > 1 else [a]
        return [a[:h // 2], a[h // 2:]]
    if split == "quad":
        hh, hw = h // 2, w // 2
        r2, c2 = h - hh, w - hw  # an odd middle row/column is dropped
        return [a[:hh, :hw], a[:hh, c2:], a[r2:, :hw], a[r2:, c2:]]
    if split == "squares":
        if h > w and h % w == 0:
            return [a[i:i + w] for i in range(0, h, w)]
        if w > h and w % h == 0:
            return [a[:, j:j + h] for j in range(0, w, h)]
        raise ValueError("grid_parts: not a row or column of squares")
    if split != "sep":
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    return _separator_spans(a)[2]


def _separator_spans(a: np.ndarray) -> tuple[list, list, list[np.ndarray]]:
    """Row spans, column spans and parts between the full lines of one non-background
    colour (the colour giving equal parts and the most lines wins); failing that, between
    empty (background) lines."""
    h, w = a.shape
    bg = bg_of(a)
    row_color = {r: int(a[r, 0]) for r in range(h) if a[r, 0] != bg and (a[r] == a[r, 0]).all()}
    col_color = {c: int(a[0, c]) for c in range(w) if a[0, c] != bg and (a[:, c] == a[0, c]).all()}
    if not row_color and not col_color:  # no coloured lines: try empty (background) lines
        row_color = {r: bg for r in range(h) if (a[r] == bg).all()}
        col_color = {c: bg for c in range(w) if (a[:, c] == bg).all()}
    best = None
    for color in sorted(set(row_color.values()) | set(col_color.values())):
        rows = {r for r, v in row_color.items() if v == color}
        cols = {c for c, v in col_color.items() if v == color}
        if len(rows) == h or len(cols) == w:
            continue
        rs, cs = _spans(h, rows), _spans(w, cols)
        parts = [a[r0:r1, c0:c1] for r0, r1 in rs for c0, c1 in cs]
        key = (len({p.shape for p in parts}) == 1, len(rows) + len(cols))
        if len(parts) > 1 and (best is None or key > best[0]):
            best = (key, (rs, cs, parts))
    if best is None:
        raise ValueError("grid_parts: no separator lines")
    return best[1]


def part_spans(img: Img) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The row spans and column spans of the parts between separator lines (as
    ``summarize_parts`` and ``fill_parts`` cut them); ``ValueError`` when there are none."""
    rows, cols, _ = _separator_spans(_arr(img))
    return rows, cols


def _spans(n: int, lines: set[int]) -> list[tuple[int, int]]:
    out, start = [], 0
    for i in range(n + 1):
        if i == n or i in lines:
            if i > start:
                out.append((start, i))
            start = i + 1
    return out


def _same_shape_parts(img: Img, split: str) -> tuple[list[np.ndarray], int]:
    a = _arr(img)
    parts = grid_parts(a, split)
    if len(parts) < 2 or len({p.shape for p in parts}) != 1:
        raise ValueError("parts of unequal shapes")
    return parts, bg_of(a)


def combine_parts(img: Img, split: str, op: str, color: int) -> Img:
    """Overlay the parts as foreground masks combined by ``op`` (and, or, xor, nor, diff = first minus the rest, rdiff = last minus the rest); ``color`` where true, background elsewhere."""
    parts, bg = _same_shape_parts(img, split)
    masks = np.stack([p != bg for p in parts])
    count = masks.sum(axis=0)
    if op == "and":
        m = count == len(parts)
    elif op == "or":
        m = count > 0
    elif op == "xor":
        m = count == 1
    elif op == "nor":
        m = count == 0
    elif op == "diff":
        m = masks[0] & ~masks[1:].any(axis=0)
    elif op == "rdiff":
        m = masks[-1] & ~masks[:-1].any(axis=0)
    else:
        raise ValueError(f"combine_parts: op must be one of {COMBINE_OPS}, got {op!r}")
    return np.where(m, color, bg).astype(parts[0].dtype)


def overlay_parts(img: Img, split: str, order: str) -> Img:
    """Stack the parts: foreground of the first part on top ('first') or of the last ('last')."""
    parts, bg = _same_shape_parts(img, split)
    if order not in ("first", "last"):
        raise ValueError(f"overlay_parts: order must be first or last, got {order!r}")
    seq = parts[::-1] if order == "first" else parts
    out = seq[0].copy()
    for p in seq[1:]:
        out[p != bg] = p[p != bg]
    return out


def select_part(img: Img, split: str, which: str) -> Img:
    """One part: most/least foreground cells, most/least colours, the unique one (differs from all others), first, last, or the only (a)symmetric one (under a left-right or up-down mirror)."""
    a = _arr(img)
    parts = grid_parts(a, split)
    bg = bg_of(a)
    if which == "first":
        return parts[0].copy()
    if which == "last":
        return parts[-1].copy()
    if which == "unique":
        keys = [(p.shape, p.tobytes()) for p in parts]
        once = [p for p, k in zip(parts, keys) if keys.count(k) == 1]
        if len(once) != 1:
            masks = [(p.shape, (p != bg).tobytes()) for p in parts]
            once = [p for p, k in zip(parts, masks) if masks.count(k) == 1]
        if len(once) != 1:
            raise ValueError("select_part: no unique part")
        return once[0].copy()
    if which in ("symmetric", "asymmetric"):
        sym = [bool((p == p[:, ::-1]).all() or (p == p[::-1]).all()) for p in parts]
        picked = [p for p, s in zip(parts, sym) if s == (which == "symmetric")]
        if len(picked) != 1:
            raise ValueError(f"select_part: {len(picked)} parts are {which}")
        return picked[0].copy()
    scores = {
        "most_fg": lambda p: int((p != bg).sum()), "least_fg": lambda p: -int((p != bg).sum()),
        "most_colors": lambda p: len(set(np.unique(p).tolist()) - {bg}),
        "least_colors": lambda p: -len(set(np.unique(p).tolist()) - {bg}),
    }
    if which not in scores:
        raise ValueError(f"select_part: which must be one of {SELECT_PARTS}, got {which!r}")
    vals = [scores[which](p) for p in parts]
    best = max(vals)
    if vals.count(best) != 1:
        raise ValueError("select_part: a tie")
    return parts[vals.index(best)].copy()


def summarize_parts(img: Img, mode: str) -> Img:
    """One cell per part between separator lines, kept in their arrangement: the part's most common colour ('majority'), most common foreground colour ('fg', background when none) or number of foreground cells ('count', at most 9)."""
    a = _arr(img)
    rows, cols, _ = _separator_spans(a)
    bg = bg_of(a)
    if mode not in ("majority", "fg", "count"):
        raise ValueError(f"summarize_parts: mode must be majority, fg or count, got {mode!r}")
    out = np.full((len(rows), len(cols)), bg, dtype=a.dtype)
    for i, (r0, r1) in enumerate(rows):
        for j, (c0, c1) in enumerate(cols):
            counts = np.bincount(a[r0:r1, c0:c1].ravel().astype(np.int64), minlength=10)
            if mode == "count":
                out[i, j] = min(9, int(counts.sum() - counts[bg]))
                continue
            if mode == "fg":
                counts[bg] = 0
                if counts.max() == 0:
                    continue
            out[i, j] = int(counts.argmax())
    return out


def fill_parts(img: Img, colors: Img) -> Img:
    """Each part between separator lines filled with the colour ``colors`` has at its place (one cell per part, as ``summarize_parts`` arranges them); the separators stay."""
    a, c = _arr(img), _arr(colors)
    rows, cols, _ = _separator_spans(a)
    if c.shape != (len(rows), len(cols)):
        raise ValueError(f"fill_parts: {len(rows)}x{len(cols)} parts, colours of shape {c.shape}")
    out = a.copy()
    for i, (r0, r1) in enumerate(rows):
        for j, (c0, c1) in enumerate(cols):
            out[r0:r1, c0:c1] = c[i, j]
    return out


def spread_part(img: Img, which: str) -> Img:
    """The part between separator lines that ``which`` picks (as select_part does) copied into every part; the separators stay (parts of one shape only)."""
    a = _arr(img)
    rows, cols, parts = _separator_spans(a)
    if len({p.shape for p in parts}) != 1:
        raise ValueError("spread_part: parts of unequal shapes")
    chosen = select_part(a, "sep", which)
    out = a.copy()
    for r0, r1 in rows:
        for c0, c1 in cols:
            out[r0:r1, c0:c1] = chosen
    return out


def turn_parts(img: Img) -> Img:
    """Each part between separator lines after the first (reading order) filled with the first turned clockwise once more than the part before it; the separators stay (square parts of one shape only)."""
    a = _arr(img)
    rows, cols, parts = _separator_spans(a)
    if len({p.shape for p in parts}) != 1 or parts[0].shape[0] != parts[0].shape[1]:
        raise ValueError("turn_parts: parts must be squares of one shape")
    out = a.copy()
    boxes = [(r0, r1, c0, c1) for r0, r1 in rows for c0, c1 in cols]
    for k, (r0, r1, c0, c1) in enumerate(boxes):
        out[r0:r1, c0:c1] = np.rot90(parts[0], -k)
    return out


def color_by_key(img: Img) -> Img:
    """The largest part between separator lines that has a foreground cell, those cells recoloured by the smallest such part (the key) scaled up to its size: each region of the pattern takes the key's colour at its place."""
    a = _arr(img)
    bg = bg_of(a)
    parts = sorted((p for p in _separator_spans(a)[2] if (p != bg).any()), key=lambda p: p.size)
    if len(parts) < 2:
        raise ValueError("color_by_key: fewer than two parts with a foreground")
    key, pattern = parts[0], parts[-1]
    (kh, kw), (ph, pw) = key.shape, pattern.shape
    if ph % kh or pw % kw or key.size == pattern.size:
        raise ValueError("color_by_key: the pattern is not a multiple of the key")
    scaled = np.repeat(np.repeat(key, ph // kh, axis=0), pw // kw, axis=1)
    return np.where(pattern != bg, scaled, bg).astype(a.dtype)


PART_OPS = (combine_parts, overlay_parts, select_part, summarize_parts, fill_parts, spread_part,
            turn_parts, color_by_key)
