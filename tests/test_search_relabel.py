"""search.relabel: hindsight examples, their order for a pass, recoloured, mutated, split and
crossed copies."""

import random

from search_helpers import EMPTY, HALF, RIGHT, TARGET, TASK, WRONG, grid_with, prog

from solver import dsl
from solver.arc.grids import Pair, train_score
from solver.search.candidates import Candidate
from solver.search.relabel import (Relabeled, cross_copies, mutate, order_examples, recolor,
                                   relabel, split_copies)


def cand(out, code):
    acc, exact = train_score([out], TASK)
    return Candidate((out, out), code, 1, acc, exact, 0)


def test_relabel_uses_produced_outputs_and_skips_used():
    used = set()
    half_out = grid_with(((0, 0), 3))
    c1 = cand(half_out, HALF)
    c2 = cand(half_out, HALF + "\n")  # same train outputs: one example, shortest code
    c3 = cand(grid_with(((2, 2), 5)), WRONG)
    ex = relabel(TASK, [c1, c2, c3], used)
    assert len(ex) == 2
    first = next(e for e in ex if e.code == HALF)
    assert first.task.train == (Pair(EMPTY, half_out),)  # hindsight: what the program did
    # the test inputs stay, without outputs (prompts that show them match sampling's)
    assert first.task.test == tuple(Pair(p.input) for p in TASK.test) and TASK.test
    # a later round producing the same outputs adds nothing
    assert relabel(TASK, [cand(half_out, HALF)], used) == []
    assert len(relabel(TASK, [cand(TARGET, RIGHT)], used)) == 1
    # a program that drew nothing teaches nothing
    assert relabel(TASK, [cand(EMPTY, prog("draw_pixel(img, (0, 0), 0)"))], set()) == []


def test_recolor_permutes_grids_and_program_alike():
    from solver.dsl import synth

    made, _ = synth.generate("random", 6, seed=11, draws=5)
    examples = [Relabeled(m.task, m.program, 0.5, (i,)) for i, m in enumerate(made)]
    examples.append(Relabeled(TASK, "def task(img):\n    img[0, 0] = 3\n    return img\n",
                              0.2, ("free",)))  # not the DSL's literal form: kept as is
    out = recolor(examples, 2, random.Random(0))
    assert len(out) == 3 * 6 + 1
    assert [e.key for e in out if e.key] == [e.key for e in examples]  # originals, in order
    copies = [e for e in out if not e.key]
    assert len(copies) == 12 and all("/recolor" in e.task.id for e in copies)
    for i, m in enumerate(made):
        original = out[3 * i]
        assert original is examples[i]
        for copy in out[3 * i + 1:3 * i + 3]:
            pair, orig = copy.task.train[0], m.task.train[0]
            # one permutation maps every cell of input and output
            perm = {}
            for a, b in zip([v for g in (orig.input, orig.output) for row in g for v in row],
                            [v for g in (pair.input, pair.output) for row in g for v in row]):
                assert perm.setdefault(a, b) == b
            assert len(set(perm.values())) == len(perm)
            assert dsl.run_trusted(copy.code, pair.input) == pair.output  # still true
    assert recolor(examples, 0, random.Random(0)) == examples


def test_mutate_changes_one_draw_and_draws_the_outputs_again():
    from solver.dsl import program, synth

    made, _ = synth.generate("random", 8, seed=5, draws=5)
    examples = [Relabeled(m.task, m.program, 0.5, (i,)) for i, m in enumerate(made)]
    free = Relabeled(TASK, "def task(img):\n    img[0, 0] = 3\n    return img\n", 0.2, ("x",))
    out = mutate(examples + [free], 3, random.Random(1))
    assert [e.key for e in out if e.key] == [e.key for e in examples] + [("x",)]
    copies = [e for e in out if not e.key]
    assert len(copies) >= 8 and all("/mutant" in e.task.id for e in copies)
    for copy in copies:
        original = next(e for e in examples if copy.task.id.startswith(e.task.id + "/"))
        before, after = program.parse_program(original.code), program.parse_program(copy.code)
        if len(after) == len(before):
            assert sum(a != b for a, b in zip(before, after)) == 1  # one draw changed
        else:  # or one cut in two: the others kept, in order
            assert len(after) == len(before) + 1
            i = next(i for i, (a, b) in enumerate(zip(before, after)) if a != b)
            assert before[:i] + before[i + 1:] == after[:i] + after[i + 2:]
            cut = before[i]
            assert after[i].fn == after[i + 1].fn == cut.fn
            assert after[i].args[-1] == after[i + 1].args[-1] == cut.args[-1]
        for pair, orig in zip(copy.task.train, original.task.train):
            assert pair.input == orig.input  # same inputs, outputs drawn again
            assert dsl.run_trusted(copy.code, pair.input) == pair.output
        # never the original's outputs, never nothing drawn
        outputs = tuple(p.output for p in copy.task.train)
        assert outputs != tuple(p.output for p in original.task.train)
        assert outputs != tuple(p.input for p in copy.task.train)
    assert mutate(examples, 0, random.Random(0)) == examples


def test_mutate_top_copies_only_the_most_accurate_examples():
    from solver.dsl import synth

    made, _ = synth.generate("random", 8, seed=5, draws=5)
    accs = [0.3, 0.9, 0.5, 0.9, 0.1, 0.7, 0.2, 0.8]
    examples = [Relabeled(m.task, m.program, a, (i,)) for i, (m, a) in enumerate(zip(made, accs))]
    out = mutate(examples, 3, random.Random(1), top=0.25)  # 2 of 8: the two at 0.9
    assert [e.key for e in out if e.key] == [e.key for e in examples]  # all kept, in order
    parents = {e.task.id.rsplit("/", 1)[0] for e in out if not e.key}
    assert parents == {examples[1].task.id, examples[3].task.id}
    # top=1 is every example, as without it
    assert mutate(examples, 2, random.Random(3), top=1.0) == mutate(examples, 2, random.Random(3))
    one = mutate(examples, 2, random.Random(3), top=0.01)  # at least one example
    assert {e.task.id.rsplit("/", 1)[0] for e in one if not e.key} == {examples[1].task.id}


def test_split_cuts_a_rectangle_by_a_one_cell_gap():
    from solver.dsl import program
    from solver.search.relabel import _split

    rect = program.Draw("draw_rectangle", ((1, 1), (5, 2), 7))
    parts = _split(rect, random.Random(0))
    img = dsl.to_img(tuple((0,) * 4 for _ in range(7)))
    for d in parts:
        d.apply(img)
    rows = [r for r in range(1, 6) if not img[r, 1]]
    assert len(parts) == 2 and len(rows) == 1 and 1 < rows[0] < 5  # one row cut, inside
    assert int(img.sum()) == 7 * 2 * 4
    assert _split(program.Draw("draw_pixel", ((0, 0), 3)), random.Random(0)) is None
    assert _split(program.Draw("draw_line", ((0, 0), (2, 2), 3)), random.Random(0)) is None
    assert _split(program.Draw("draw_rectangle", ((0, 0), (1, 1), 3)), random.Random(0)) is None


def mk(acc, code):
    return Relabeled(TASK, code, acc, (code,))


def test_order_examples():
    ex = [mk(0.5, "b"), mk(0.9, "a"), mk(0.1, "c"), mk(0.7, "dd")]
    rng = random.Random(0)
    assert [e.train_acc for e in order_examples(ex, "worst-first", 10, rng)] == [0.1, 0.5, 0.7, 0.9]
    assert [e.train_acc for e in order_examples(ex, "prioritized", 2, rng)] == [0.7, 0.9]
    sub = order_examples(ex, "worst-first", 3, random.Random(1))
    assert len(sub) == 3 and [e.train_acc for e in sub] == sorted(e.train_acc for e in sub)
    s1 = order_examples(ex, "shuffle", 10, random.Random(5))
    s2 = order_examples(ex, "shuffle", 10, random.Random(5))
    assert [e.code for e in s1] == [e.code for e in s2]
    assert sorted(e.code for e in s1) == sorted(e.code for e in ex)
    shuffles = {tuple(e.code for e in order_examples(ex, "shuffle", 10, random.Random(k)))
                for k in range(20)}
    assert len(shuffles) > 1


def test_split_copies_cut_every_draw_of_the_best_in_every_way():
    from solver.arc.grids import Task
    from solver.dsl import program

    blank = tuple((0,) * 8 for _ in range(8))
    task = Task("big", (Pair(blank, blank),), (Pair(blank, None),))
    code = prog("draw_rectangle(img, (0, 0), (3, 2), 4)", "draw_line(img, (5, 0), (5, 3), 2)",
                "draw_pixel(img, (6, 6), 1)")
    best = Relabeled(task, code, 0.9, ("best",))
    worse = Relabeled(task, prog("draw_rectangle(img, (0, 0), (4, 4), 3)"), 0.5, ("worse",))
    copies = split_copies([worse, best], 1)
    # the rectangle: its rows cut at 1 and 2, its columns at 1; the line at columns 1 and 2
    assert len(copies) == 5 and all(c.task.id.startswith("big/split") for c in copies)
    for c in copies:
        draws = program.parse_program(c.code)
        assert len(draws) == 4 and draws[-1] == program.Draw("draw_pixel", ((6, 6), 1))
        for pair in c.task.train:
            assert dsl.run_trusted(c.code, pair.input) == pair.output
    assert len({tuple(p.output for p in c.task.train) for c in copies}) == 5
    assert len(split_copies([worse, best], 2)) == 5 + 6  # 5x5: 3 row cuts, 3 column cuts
    assert split_copies([worse, best], 0) == []


def test_cross_copies_paint_each_cell_where_two_of_the_best_differ():
    from solver.arc.grids import Task
    from solver.dsl import program

    def example(code, acc, inputs=(EMPTY,)):
        task = Task("t", tuple(Pair(i, dsl.run_trusted(code, i)) for i in inputs),
                    (Pair(EMPTY, None),))
        return Relabeled(task, code, acc, ())

    a = example(prog("draw_pixel(img, (0, 0), 3)", "draw_pixel(img, (1, 1), 1)"), 0.9)
    b = example(prog("draw_line(img, (0, 0), (0, 1), 3)", "draw_pixel(img, (1, 1), 4)"), 0.8)
    worst = example(prog("draw_pixel(img, (2, 2), 7)"), 0.1)
    other = example(prog("draw_pixel(img, (2, 0), 6)"), 0.85,
                    inputs=(grid_with(((2, 2), 1)),))  # other inputs: never crossed
    copies = cross_copies([worst, b, a], 2)
    # a takes b's (0, 1) and (1, 1); b takes a's (0, 1) (background) and (1, 1): a draw_pixel
    # added last to the program, the outputs drawn again by our code
    assert [c.task.id for c in copies] == ["t/cross0.1.3", "t/cross1.1.4",
                                           "t/cross0.1.0", "t/cross1.1.1"]
    assert program.parse_program(copies[0].code)[-1] == program.Draw("draw_pixel", ((0, 1), 3))
    for c in copies:
        for pair in c.task.train:
            assert dsl.run_trusted(c.code, pair.input) == pair.output
    assert copies[1].task.train[0].output == grid_with(((0, 0), 3), ((1, 1), 4))
    # an example on other inputs has no partner: the best two are then a and it
    assert cross_copies([worst, b, other, a], 2) == [] and cross_copies([a, b], 0) == []
    # the best three: each crossed with both others, a cell taken once per colour; worst's
    # copy that paints (2, 2) back to the background draws nothing and is not kept
    ids = [c.task.id for c in cross_copies([worst, b, a], 3)]
    assert len(ids) == 5 + 5 + 4 and ids[-4:] == ["t/cross0.0.3", "t/cross1.1.1",
                                                  "t/cross0.1.3", "t/cross1.1.4"]
