"""solver.lm.prompt: grid encoders (round trips), prompts, targets, code extraction, digit
tokens."""

from __future__ import annotations

import numpy as np
import pytest

import tiny
from solver.lm import prompt as P
from solver.dsl import synth
from solver.arc.grids import Pair, Task


def decode_dense(text: str):
    lines = text.split("\n")
    h, w = map(int, lines[0].removeprefix("shape ").split("x"))
    rows = []
    for r, line in enumerate(lines[1:]):
        num, digits = line.split(" ")
        assert int(num) == r and len(digits) == w
        rows.append(tuple(int(d) for d in digits))
    assert len(rows) == h
    return tuple(rows)


def decode_sparse(text: str):
    lines = text.split("\n")
    head = lines[0].split(" ")
    assert head[0] == "shape" and head[2] == "bg"
    h, w = map(int, head[1].split("x"))
    bg = int(head[3])
    grid = [[bg] * w for _ in range(h)]
    for line in lines[1:]:
        r, c, v = map(int, line.split(" "))
        assert v != bg
        grid[r][c] = v
    return tuple(tuple(row) for row in grid)


def random_grids(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    out = [((0,),), ((7,),), tuple(tuple([3] * 30) for _ in range(30))]
    for _ in range(n):
        h, w = rng.integers(1, 31, size=2)
        k = rng.integers(1, 11)
        g = rng.integers(0, k, size=(h, w))
        out.append(tuple(tuple(int(v) for v in row) for row in g))
    return out


@pytest.mark.parametrize("name,decode", [("dense", decode_dense), ("sparse", decode_sparse)])
def test_encoders_round_trip(name, decode):
    for g in random_grids(60):
        assert decode(P.ENCODERS[name](g)) == g


def test_dense_is_the_notes_format():
    assert P.encode_dense(((1, 2, 3), (4, 5, 6))) == "shape 2x3\n0 123\n1 456"
    assert P.encode_dense(tuple((r % 10,) for r in range(12))).split("\n")[-1] == "11 1"


def test_sparse_lists_cells_off_the_most_common_colour():
    assert P.encode_sparse(((5, 5, 0), (5, 2, 5))) == "shape 2x3 bg 5\n0 2 0\n1 1 2"
    assert P.encode_sparse(((1, 2), (2, 1))) == "shape 2x2 bg 1\n0 1 2\n1 0 2"  # tie: smaller


def test_unknown_encoder_is_refused():
    with pytest.raises(ValueError, match="unknown grid encoder 'hex'"):
        P.PromptConfig(encoder="hex")


TASK = Task("t1", (Pair(((0, 0), (0, 1)), ((2, 0), (0, 1))), Pair(((3,),), ((3,),))),
            (Pair(((0,),)),))


def test_plain_prompt_layout():
    text = P.build_prompt(TASK, P.PromptConfig(encoder="dense"))
    assert text == ("input 0\nshape 2x2\n0 00\n1 01\noutput 0\nshape 2x2\n0 20\n1 01\n"
                    "input 1\nshape 1x1\n0 3\noutput 1\nshape 1x1\n0 3\n"
                    "def task(img):\n")
    assert "input 0\nshape 2x2 bg 0\n1 1 1\n" in P.build_prompt(TASK, P.PromptConfig("sparse"))


def test_chat_template_is_used_when_the_tokenizer_has_one():
    tok = tiny.make_tokenizer()
    assert P.build_prompt(TASK, P.PromptConfig(), tok).startswith("input 0")  # no template
    with pytest.raises(ValueError, match="no chat template"):
        P.build_prompt(TASK, P.PromptConfig(chat=True), tok)
    tok.chat_template = ("{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}{% endfor %}"
                         "{% if add_generation_prompt %}<assistant>{% endif %}")
    text = P.build_prompt(TASK, P.PromptConfig(), tok)
    assert text.startswith("<user>input 0\nshape 2x2")
    assert P.INSTRUCTION in text
    assert text.endswith("<assistant>```python\ndef task(img):\n")
    assert P.build_prompt(TASK, P.PromptConfig(chat=False), tok).startswith("input 0")


def test_target_and_extract_code_round_trip_on_synthetic_programs():
    made, _ = synth.generate("random", 20, 1, 5)
    for m in made:
        target = P.build_target(m.program)
        assert not target.startswith("def")
        assert P.extract_code(target) == m.program
        assert P.extract_code(target + "input 0\nshape 3x3\n") == m.program
        assert P.extract_code(target + "```\nSome words.") == m.program


@pytest.mark.parametrize("completion,code", [
    ("", "def task(img):\n"),
    ("    return img", "def task(img):\n    return img\n"),  # no final newline
    ("    x = 1\n\n    return img\n\n\nprint(1)\n", "def task(img):\n    x = 1\n\n    return img\n"),
    ("\tdraw_pixel(img, (0, 0), 1)\n\treturn img\n", "def task(img):\n\tdraw_pixel(img, (0, 0), 1)\n\treturn img\n"),
    ("    return img\n```\n    indented prose after the fence\n", "def task(img):\n    return img\n"),
    ("    return img  ```", "def task(img):\n    return img\n"),  # fence on the same line
    ("Sure! Here it is", "def task(img):\n"),  # prose at once: empty body
    ("    s = '''\nnot code'''\n", "def task(img):\n    s = '''\n"),  # cut at column 0
])
def test_extract_code_edge_cases(completion, code):
    assert P.extract_code(completion) == code


def test_build_target_refuses_code_without_the_head():
    with pytest.raises(ValueError, match="def task"):
        P.build_target("def solve(img):\n    return img\n")


class _MergingTokenizer:
    """Splits on spaces only: '12' and '0123456789' are single tokens."""

    def __init__(self):
        self.vocab: dict[str, int] = {}

    def encode(self, text, add_special_tokens=False):
        return [self.vocab.setdefault(w, len(self.vocab)) for w in text.split(" ")]

    def decode(self, ids):
        inv = {v: k for k, v in self.vocab.items()}
        return " ".join(inv[i] for i in ids)


def test_check_digit_tokens():
    P.check_digit_tokens(tiny.make_tokenizer())  # word level: every digit its own token
    with pytest.raises(ValueError, match="'0123456789' in '0 0123456789'"):
        P.check_digit_tokens(_MergingTokenizer())


def test_prompt_too_long_message():
    e = P.PromptTooLong("abc", 900, 160, 1024)
    assert isinstance(e, ValueError)
    assert str(e) == "task abc: prompt too long: 900 prompt tokens + 160 new tokens > context 1024"
