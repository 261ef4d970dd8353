"""The embedded model's tokenizer: word level and exact.

Every DSL name, ``(img, ``, ``, ``, the indent and the prompt's words are one token each,
every digit is one token, and any other printable character is a token of its own, so
decoding gives back the text byte for byte. A ``v2`` run's tokenizer also has every DSL v2
primitive name, ``img = ``, ``(img)``, ``True``, ``False`` and the string arguments of v2
programs (quoted) as one token each; a run saves its own tokenizer, so the shipped model's
vocabulary never changes.

``tokenizers`` and ``transformers`` are imported by the functions that use them, so
``import solver.lm.base`` stays light.
"""

from __future__ import annotations

import os
import re

from solver import dsl
from solver.lm.base.config import TASKS

SPECIAL = ["<pad>", "<eos>", "<unk>"]
WORDS = ["draw_horizontal_line", "draw_vertical_line", "draw_rectangle", "draw_pixel",
         "draw_line", "flood_fill", "create_img", "(img, ", ", ", "    ", "def", "task",
         "img", "return", "shape", "bg", "input", "output", "np"]
CHARS = ["\n", "\t"] + [chr(c) for c in range(32, 127)]
# v2 runs only (appended after the drawings' vocabulary): the v2 primitive names (from
# solver.dsl.V2_PRIMITIVES when the run starts), these, and the string arguments quoted
V2_WORDS = ["img = ", "(img)", "True", "False"]
V2_STRINGS = ["largest", "smallest", "single", "not_single", "unique_color", "touches_border",
              "inner", "has_hole", "no_hole", "rectangle", "not_rectangle", "unique_shape",
              "common_shape", "most_colors", "tallest", "widest", "symmetric", "asymmetric",
              "top", "bottom", "left", "right", "up", "down", "h", "v", "hv", "diag", "all",
              "lr", "ud", "tb", "both", "rot", "sep", "fg", "bg", "color", "majority", "box",
              "x", "cross", "size", "size_rank", "size_rank_asc", "shape_count", "width",
              "border", "holes", "first", "last", "toward", "squares", "and", "or", "xor",
              "nor", "diff", "rdiff", "most_fg", "least_fg"]


def task_words(tasks: str = "drawings") -> list[str]:
    """The multi-character tokens of a run on ``tasks`` (beyond the single characters)."""
    if tasks not in TASKS:
        raise ValueError(f"unknown task stream {tasks!r}; choose one of {', '.join(TASKS)}")
    if tasks == "drawings":
        return list(WORDS)
    names = sorted(dsl.V2_PRIMITIVES)
    quoted = [f"'{w}'" for w in V2_STRINGS]
    return list(dict.fromkeys(WORDS + V2_WORDS + names + quoted))


def build_tokenizer(directory: str | os.PathLike | None = None, tasks: str = "drawings",
                    max_length: int = 2048):
    """The embedded model's word-level tokenizer (a ``PreTrainedTokenizerFast``) for a run
    on ``tasks`` (``drawings``: the shipped model's vocabulary); saved to ``directory`` when
    given."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

    all_words = task_words(tasks)
    vocab: dict[str, int] = {}
    for t in SPECIAL + all_words + CHARS:
        vocab.setdefault(t, len(vocab))
    words = sorted(all_words, key=len, reverse=True)
    pattern = "|".join(re.escape(w) for w in words) + r"|[\s\S]"
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(pattern), behavior="isolated")
    tok.decoder = decoders.Fuse()
    fast = _wrap(tok, max_length)
    if directory is not None:
        fast.save_pretrained(str(directory))
    return fast


def _wrap(tok, max_length: int = 2048):
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>",
                                   unk_token="<unk>", clean_up_tokenization_spaces=False,
                                   model_max_length=max_length)


def tokenizer_from_json(text: str):
    """A tokenizer from :func:`tokenizer_json`'s text (what worker processes encode with)."""
    from tokenizers import Tokenizer

    return _wrap(Tokenizer.from_str(text))


def tokenizer_json(tokenizer) -> str:
    return tokenizer.backend_tokenizer.to_str()
