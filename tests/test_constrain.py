"""Constrained decoding: draw_line end columns only at 0/45/90 degrees; the DSL grammar."""

from __future__ import annotations

import re

import pytest
import torch

from solver.lm.constrain import DslGrammar, LegalLines

# a toy vocabulary: one token per digit, multi-digit and spaced numbers, closers, words
VOCAB = [str(d) for d in range(10)] + ["12", " 4", " ", ")", "), ", ")\n", ", ", "(",
                                        "draw_line(img, ", "x", "\n", "    ", "-"]
IDS = {t: i for i, t in enumerate(VOCAB)}


def mask(prefix: str) -> LegalLines:
    m = LegalLines(lambda i: VOCAB[i], len(VOCAB))
    m.reset(1)
    m.lines[0] = prefix
    return m


def allowed(prefix: str) -> set[str] | None:
    ok = mask(prefix).allowed(0)
    return None if ok is None else {VOCAB[i] for i in ok}


def test_end_column_limited_to_legal_angles():
    # from (3, 4) to row 5: columns 4 (vertical), 6 and 2 (diagonals)
    assert allowed("    draw_line(img, (3, 4), (5, ") == {"4", "6", "2"}
    # before the space: spaces, a spaced digit, or the digits themselves
    assert allowed("    draw_line(img, (3, 4), (5,") == {"4", "6", "2", " ", "    ", " 4"}
    assert allowed("    draw_line(img, (3, 4), (5, 6") == {")", "), ", ")\n"}
    # two-digit ends: from (0, 5) to row 7 -> 5, 12 (and -2 is not offered)
    assert allowed("    draw_line(img, (0, 5), (7, ") == {"5", "1", "12"}
    assert allowed("    draw_line(img, (0, 5), (7, 1") == {"2"}


def test_unconstrained_where_any_column_is_legal():
    assert allowed("    draw_line(img, (3, 4), (3, ") is None  # horizontal
    assert allowed("    draw_line(img, (3, 4), (5") is None  # still writing the row
    assert allowed("    draw_rectangle(img, (3, 4), (5, ") is None
    assert allowed("    draw_line(img, (a, 4), (5, ") is None  # not a literal


def test_rows_track_their_own_lines_and_logits_are_masked():
    m = LegalLines(lambda i: VOCAB[i], len(VOCAB))
    m.reset(2)
    for tok in ["    ", "draw_line(img, ", "(", "3", ", ", "4", "), ", "(", "5", ", "]:
        m.advance(0, IDS[tok])
    m.advance(1, IDS["x"])
    logits = torch.zeros(2, len(VOCAB)).expand(2, -1)  # an expanded view, as in the sampler
    out = m.apply(logits, [0, 1], [True, True])
    assert {VOCAB[i] for i in torch.isfinite(out[0]).nonzero()[:, 0].tolist()} == {"4", "6", "2"}
    assert torch.isfinite(out[1]).all()
    assert m.masked == 1
    m.advance(0, IDS["6"])
    m.advance(0, IDS[")\n"])  # a new line starts: nothing to constrain
    assert m.lines[0] == "" and m.allowed(0) is None


@pytest.mark.slow
def test_default_model_samples_only_legal_lines():
    from solver.lm import base
    from solver.dsl import program, synth
    from solver.lm.model import ModelConfig, SampleConfig, load

    torch.set_num_threads(2)
    model = load(ModelConfig())
    made, _ = synth.generate("random", 4, seed=99, draws=5)
    lines = parsed = total = 0
    for i, m in enumerate(made):
        for s in model.sample(model.prompt_for(m.task), SampleConfig(n=32, seed=i)):
            total += 1
            parsed += program.parse_program(s.code) is not None  # the grammar: DSL programs
            for r1, c1, r2, c2 in re.findall(r"draw_line\(img, \((\d+), (\d+)\), \((\d+), (\d+)\)",
                                             s.code):
                dr, dc = abs(int(r2) - int(r1)), abs(int(c2) - int(c1))
                assert dr == 0 or dc == 0 or dr == dc, s.code
                lines += 1
            base.score_program(s.code, m.task)
    assert lines > 0 and model._legal_lines.masked > 0
    assert model.grammar == "dsl" and model._grammar.masked > 0
    assert parsed >= 0.95 * total  # the rest ran out of tokens


# ---------------------------------------------------------------- the DSL grammar

GVOCAB = ["<eos>", *[str(d) for d in range(10)], "draw_rectangle", "draw_vertical_line",
          "draw_pixel", "return", "img", "(img, ", ", ", "(", ")", "\n", "    ", " ", "d", "=",
          ")\n", "print"]
GIDS = {t: i for i, t in enumerate(GVOCAB)}


def grammar_after(tokens: list[str], rows: int = 1) -> DslGrammar:
    g = DslGrammar(lambda i: "" if i == 0 else GVOCAB[i], len(GVOCAB), {0})
    g.reset(rows)
    for tok in tokens:
        g.advance(0, GIDS[tok])
    return g


def grammar_allows(tokens: list[str]) -> set[str]:
    out = grammar_after(tokens).apply(torch.zeros(1, len(GVOCAB)), [0], [True])
    return {GVOCAB[i] for i in torch.isfinite(out[0]).nonzero()[:, 0].tolist()}


def test_grammar_keeps_rows_inside_the_dsl():
    assert grammar_allows([]) == {"    ", " "}  # the indent, whole or a space at a time
    assert grammar_allows(["    "]) == {"draw_rectangle", "draw_vertical_line", "draw_pixel",
                                        "return", "d"}  # a name may be spelled out
    # a number: digits only (not the letter d), at most two, then the separator
    call = ["    ", "draw_rectangle", "(img, ", "("]
    assert grammar_allows(call) == {str(d) for d in range(10)}
    assert grammar_allows(call + ["1"]) == {str(d) for d in range(10)} | {", "}
    assert grammar_allows(call + ["1", "2"]) == {", "}
    # a colour is one digit; the call closes and the line ends ("\n" or ")\n")
    full = call + ["1", ", ", "2", ")", ", ", "(", "3", ", ", "4", ")", ", ", "5"]
    assert grammar_allows(full) == {")", ")\n"}
    assert grammar_allows(full + [")"]) == {"\n"}
    # the argument kinds follow the primitive: an index, not a point
    assert grammar_allows(["    ", "draw_vertical_line", "(img, "]) == {str(d) for d in range(10)}
    # EOS only after return img
    ret = ["    ", "return", " ", "img", "\n"]
    assert grammar_allows(ret[:-1]) == {"\n"}
    assert grammar_allows(ret) == {"<eos>"}


def test_grammar_accepts_every_synthetic_program():
    from transformers import AutoTokenizer

    from solver.dsl import synth
    from solver.lm.model import DEFAULT_MODEL_DIR

    tok = AutoTokenizer.from_pretrained(DEFAULT_MODEL_DIR)
    g = DslGrammar(lambda i: tok.decode([i]), len(tok), {tok.eos_token_id})
    for family in synth.FAMILIES:
        made, _ = synth.generate(family, 5, seed=3, max_side=30 if family == "squares" else 10)
        for m in made:
            g.reset(1)
            ids = tok.encode(m.program.split("\n", 1)[1], add_special_tokens=False)
            for tid in ids + [tok.eos_token_id]:
                out = g.apply(torch.zeros(1, len(tok)), [0], [True])
                assert torch.isfinite(out[0, tid]), (m.program, tok.decode([tid]))
                g.advance(0, tid)


def test_solver_json_grammar_is_checked(tmp_path):
    from solver.lm.model import ModelLoadError, read_solver_json

    (tmp_path / "solver.json").write_text('{"grammar": "dsl"}')
    assert read_solver_json(tmp_path)["grammar"] == "dsl"
    (tmp_path / "solver.json").write_text('{"grammar": "python"}')
    with pytest.raises(ModelLoadError, match="grammar"):
        read_solver_json(tmp_path)
