"""Deterministic seeds mixed from parts (a base seed, a task id, a round, a batch start)."""

from __future__ import annotations

import zlib
from typing import Any


def mix_seed(*parts: Any) -> int:
    """A seed in [0, 2**32) from the parts' text: the same parts give the same seed in every
    process and Python version (unlike ``hash``), different parts unrelated seeds."""
    return zlib.crc32("|".join(str(p) for p in parts).encode())
