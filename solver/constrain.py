"""Constrained decoding: sampled ``draw_line`` calls only at 0, 45 or 90 degrees.

The DSL draws a line between any two points, but every legal program of the drawing tasks
(and of the research note) uses horizontal, vertical or diagonal lines. A small model that
is unsure of a line's end point writes an angle in between; such a sample is wasted. This
logits mask removes that failure at the source: once a row has written
``draw_line(img, (r1, c1), (r2,`` with literal numbers and ``r2 != r1``, the end column
can only be ``c1``, ``c1 + |r2 - r1|`` or ``c1 - |r2 - r1|`` (``r2 == r1`` is a horizontal
line: any column). Tokens are checked by their text, so it works with any tokenizer
(one token per digit, multi-digit tokens, a leading space before the number).

The mask changes nothing else: a row whose line does not have that shape (a variable
argument, another primitive) is left alone.
"""

from __future__ import annotations

import re
from typing import Callable

import torch

# the line so far, up to the end column being written (its digits, maybe empty, last)
_OPEN_END = re.compile(r"draw_line\(\s*img\s*,\s*\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)\s*,"
                       r"\s*\(\s*(-?\d+)\s*,(\s*)(\d*)$")
# a token that can continue an end column: spaces, digits, then maybe ')' and anything
_CANDIDATE = re.compile(r"^( *)(\d*)(\).*)?$", re.DOTALL)


class LegalLines:
    """The mask for one tokenizer (its candidate tokens are found once) and the per-row
    state of the current sampling batch (:meth:`reset` before each batch)."""

    def __init__(self, token_text: Callable[[int], str], vocab_size: int):
        self.token_text = token_text
        self.lines: list[str] = []  # each row's current (last) line
        self.candidates: list[tuple[int, str, str, bool]] = []  # id, spaces, digits, closes
        for tid in range(vocab_size):
            text = token_text(tid)
            m = _CANDIDATE.match(text) if text else None
            if m:
                self.candidates.append((tid, m.group(1), m.group(2), m.group(3) is not None))
        self.masked = 0  # rows x steps where the mask was applied (stats, tests)

    def reset(self, rows: int) -> None:
        self.lines = [""] * rows

    def advance(self, row: int, tid: int) -> None:
        text = self.token_text(tid)
        cut = text.rfind("\n")
        self.lines[row] = text[cut + 1:] if cut >= 0 else self.lines[row] + text

    def allowed(self, row: int) -> list[int] | None:
        """Token ids allowed next for ``row``, or None when it is not writing a line's end
        column (or any column is legal)."""
        line = self.lines[row]
        if "draw_line" not in line:
            return None
        m = _OPEN_END.search(line)
        if m is None:
            return None
        r1, c1, r2 = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if r1 == r2:
            return None
        d = abs(r2 - r1)
        ends = {str(c) for c in (c1, c1 + d, c1 - d) if c >= 0}
        spaced, digits = bool(m.group(4)), m.group(5)
        out = []
        for tid, spaces, more, closes in self.candidates:
            if spaces and (digits or spaced):  # spaces only before the number
                continue
            number = digits + more
            if closes:
                if number in ends:
                    out.append(tid)
            elif more and any(e.startswith(number) for e in ends):
                out.append(tid)
            elif not more and spaces and not number:
                out.append(tid)  # the space after the comma
        return out or None

    def apply(self, logits: torch.Tensor, pos_row: list[int], live: list[bool]) -> torch.Tensor:
        """``logits`` (batch position p is row ``pos_row[p]``) with every token but the
        allowed ones at -inf where a row is writing a line's end column; the same tensor
        when no row is."""
        masks = [(pos, ok) for pos, row in enumerate(pos_row)
                 if live[pos] and (ok := self.allowed(row)) is not None]
        if not masks:
            return logits
        logits = logits.clone()
        for pos, ok in masks:
            idx = torch.tensor(ok, device=logits.device)
            keep = logits[pos, idx]
            logits[pos] = float("-inf")
            logits[pos, idx] = keep
        self.masked += len(masks)
        return logits
