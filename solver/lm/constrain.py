"""Constrained decoding: legal line angles (any model) and the DSL grammar (models that declare it).

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

from solver.dsl.program import ARG_KINDS  # the programs' signatures (what parse_program accepts)

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


# ---------------------------------------------------------------- the DSL's line grammar

GRAMMARS = ("dsl",)

_D = "\x01"  # any digit, in a state (a character no token text has)
_DIGITS = str.maketrans("0123456789", _D * 10)
_END = "\x00end"  # the state after ``return img``: only EOS may follow


def _dsl_lines() -> set[str]:
    """Every body line of a DSL program with each digit written as ``_D``: numbers of one
    or two digits (grids are at most 30 wide), colours of one."""
    forms = {"i": (_D, _D * 2), "c": (_D,)}
    forms["p"] = tuple(f"({a}, {b})" for a in forms["i"] for b in forms["i"])
    lines = {"    return img\n"}
    for name, kinds in ARG_KINDS.items():
        args = [""]
        for k in kinds:
            args = [f"{a}, {f}" for a in args for f in forms[k]]
        lines.update(f"    {name}(img{a})\n" for a in args)
    return lines


class DslGrammar:
    """A logits mask that keeps each sampled row inside the drawing DSL: body lines
    ``    NAME(img, ARGS)`` with the primitive's own arguments (literal ints, ``(row, col)``
    points), then ``    return img`` and EOS. For models trained only on such programs
    (the embedded model declares ``"grammar": "dsl"`` in its solver.json), so that no
    sample is lost to a syntax error, an unknown name or a call that never closes.

    A row's state is its current line with digits abstracted; the tokens allowed
    in a state are found once (by their text, so any tokenizer works) and kept as a row
    of a boolean matrix, so a step costs one gather for the whole batch."""

    def __init__(self, token_text: Callable[[int], str], vocab_size: int, eos_ids: set[int]):
        self.vocab_size = vocab_size
        self.eos_ids = set(eos_ids)
        lines = _dsl_lines()
        self._full = lines
        self._prefixes = {line[:i] for line in lines for i in range(len(line))}
        texts = [token_text(t) for t in range(vocab_size)]
        self._abstract = ["" if _D in t else t.translate(_DIGITS) for t in texts]  # "": never
        self._ids: dict[str, int] = {}
        self._keys: list[str] = []
        self._rows_allowed: list[torch.Tensor] = []
        self._matrix: torch.Tensor | None = None
        self._next: dict[tuple[int, int], int] = {}
        self.states: list[int] = []
        self.masked = 0

    def _state(self, key: str) -> int:
        sid = self._ids.get(key)
        if sid is None:
            sid = self._ids[key] = len(self._keys)
            self._keys.append(key)
            ok = torch.zeros(self.vocab_size, dtype=torch.bool)
            for tid in range(self.vocab_size):
                ok[tid] = self._step(key, tid) is not None
            if not ok.any():  # a tokenizer that cannot continue here: leave the row alone
                ok[:] = True
            self._rows_allowed.append(ok)
            self._matrix = None
        return sid

    def _step(self, key: str, tid: int) -> str | None:
        """The state after token ``tid`` in state ``key``, or None when it leaves the DSL."""
        if tid in self.eos_ids:
            return key if key == _END else None
        text = self._abstract[tid]
        if not text or key == _END:
            return None
        for ch in text:
            if ch == "\r":
                continue
            key += ch
            if ch == "\n":
                if key not in self._full:
                    return None
                key = _END if key == "    return img\n" else ""
            elif key not in self._prefixes:
                return None
        return key

    def reset(self, rows: int) -> None:
        self.states = [self._state("")] * rows

    def advance(self, row: int, tid: int) -> None:
        sid = self.states[row]
        nxt = self._next.get((sid, tid))
        if nxt is None:
            after = self._step(self._keys[sid], tid)
            nxt = self._state(after) if after is not None else sid  # masked-out: stay put
            self._next[(sid, tid)] = nxt
        self.states[row] = nxt

    def apply(self, logits: torch.Tensor, pos_row: list[int], live: list[bool]) -> torch.Tensor:
        """``logits`` with the tokens that would leave the DSL at -inf, row by row."""
        if self._matrix is None or self._matrix.shape[1] != logits.shape[1]:
            allowed = torch.stack(self._rows_allowed)
            width = logits.shape[1]  # the model's vocabulary may be padded past the tokenizer's
            if allowed.shape[1] < width:
                allowed = torch.cat([allowed, allowed.new_zeros(len(allowed), width - allowed.shape[1])], 1)
            self._matrix = allowed[:, :width].to(logits.device)
        idx = torch.tensor([self.states[row] for row in pos_row], device=logits.device)
        self.masked += sum(live)
        return logits.masked_fill(~self._matrix[idx], float("-inf"))
