"""Synthetic task generators: deterministic, verified, the promised number of objects."""

import json

import numpy as np
import pytest

from solver import dsl
from solver.cli import main
from solver.arc.grids import load_solutions, load_tasks
from solver.dsl import synth
from solver.dsl.synth import FAMILIES, Draw, canonical_order, generate, make_task, prune, render


@pytest.mark.parametrize("family", FAMILIES)
def test_deterministic_and_verified(family):
    a, stats = generate(family, 8, seed=3)
    b, _ = generate(family, 8, seed=3)
    assert [t.program for t in a] == [t.program for t in b]
    assert [t.task for t in a] == [t.task for t in b]
    c, _ = generate(family, 8, seed=4)
    assert [t.program for t in a] != [t.program for t in c]
    assert stats.made == 8
    for t in a:
        pair = t.task.train[0]
        assert pair.output != pair.input
        assert dsl.run_trusted(t.program, pair.input) == pair.output
        assert t.program.startswith("def task(img):\n") and t.program.endswith("return img\n")
        assert t.task.test[0].input == pair.input and t.task.test[0].output == pair.output
        h, w = t.shape
        assert 3 <= h <= 10 and 3 <= w <= 10
        assert all(v == t.bg for row in pair.input for v in row)


def test_task_i_does_not_depend_on_n_tasks():
    few, _ = generate("random", 3, seed=9)
    many, _ = generate("random", 10, seed=9)
    assert [t.program for t in few] == [t.program for t in many[:3]]


def test_random_draw_counts_and_pruning():
    tasks, stats = generate("random", 200, seed=0, draws=5)
    counts = [len(t.draws) for t in tasks]
    assert 1 <= min(counts) and max(counts) <= 5
    for t in tasks[:50]:  # no draw can be removed without changing the output
        assert prune(t.shape, t.bg, t.draws) == t.draws
    assert stats.pruned_draws > 0  # some generated draws were invisible and removed


def test_random_lines_are_legal_angles():
    tasks, _ = generate("random", 300, seed=1)
    lines = [d for t in tasks for d in t.draws if d.fn == "draw_line"]
    assert lines
    for d in lines:
        (r0, c0), (r1, c1) = d.args[0], d.args[1]
        assert r0 == r1 or c0 == c1 or abs(r1 - r0) == abs(c1 - c0)


def test_vertical_lines_family():
    tasks, _ = generate("vertical-lines", 5, seed=0, draws=9)
    for t in tasks:
        out = np.array(t.task.train[0].output)
        assert out.shape[1] == 9 and len(t.draws) == 9
        assert all(len(set(out[:, x])) == 1 for x in range(9))  # one colour per column
        assert len(set(out[0])) == 9  # all nine non-background colours
        assert t.bg not in set(out[0])


@pytest.mark.parametrize("n", [9, 16, 25])
def test_squares_family_non_overlapping(n):
    tasks, _ = generate("squares", 4, seed=0, draws=n)
    for t in tasks:
        assert len(t.draws) == n
        cover = np.zeros(t.shape, int)
        for d in t.draws:
            (r0, c0), (r1, c1), _ = d.args
            assert r1 - r0 == c1 - c0  # squares
            cover[r0:r1 + 1, c0:c1 + 1] += 1
        assert cover.max() == 1


def test_overlapping_squares_family():
    tasks, _ = generate("overlapping-squares", 5, seed=0, draws=6)
    for t in tasks:
        boxes = [d.args for d in t.draws]
        assert len(boxes) == 6
        for i in range(1, 6):
            (r, c), (r2, c2), _ = boxes[i]
            assert any(r <= q1[0] and q0[0] <= r2 and c <= q1[1] and q0[1] <= c2
                       for q0, q1, _ in boxes[:i])


def test_prune_removes_hidden_draw():
    draws = [Draw("draw_pixel", ((0, 0), 3)), Draw("draw_rectangle", ((0, 0), (1, 1), 4))]
    assert prune((2, 2), 0, draws) == draws[1:]
    assert render((2, 2), 0, draws) == ((4, 4), (4, 4))


def test_canonical_order_reading_order_where_free():
    a = Draw("draw_pixel", ((1, 0), 1))  # independent objects: sorted by their first cell
    b = Draw("draw_rectangle", ((0, 2), (1, 3), 2))
    under = Draw("draw_rectangle", ((2, 0), (4, 4), 5))  # covered in part by `over`
    over = Draw("draw_pixel", ((2, 1), 6))
    draws = [a, b, under, over]
    out = canonical_order((5, 5), 0, draws)
    assert render((5, 5), 0, out) == render((5, 5), 0, draws)
    assert out == [b, a, under, over]
    # the cover owns the first cell, yet cannot move before what it covers
    cover = Draw("draw_pixel", ((2, 0), 6))
    assert canonical_order((5, 5), 0, [under, cover]) == [under, cover]
    assert canonical_order((5, 5), 0, [b, a]) == [b, a]  # b's first cell (0, 2) comes first
    assert canonical_order((5, 5), 0, [a, b]) == [b, a]


def test_canonical_order_keeps_every_output():
    for i in range(300):
        rng = np.random.default_rng([11, i])
        st = make_task("random", rng, "t", 5)
        if st is None:
            continue
        out = canonical_order(st.shape, st.bg, st.draws)
        assert sorted(map(repr, out)) == sorted(map(repr, st.draws))
        assert render(st.shape, st.bg, out) == render(st.shape, st.bg, st.draws)
    st = make_task("squares", np.random.default_rng(3), "t", 9, order="canonical")
    firsts = [d.args[0] for d in st.draws]  # non-overlapping squares: top-left corners in order
    assert firsts == sorted(firsts)
    with pytest.raises(ValueError, match="order"):
        make_task("random", np.random.default_rng(0), "t", 2, order="sorted")


def test_linear_draw_weights_favour_many_draws():
    def generated_draws(weights):  # before pruning: the draw count the generator chose
        counts = []
        for i in range(600):
            made = synth._random(np.random.default_rng([5, i]), 5, 3, 10, weights)
            counts.append(len(made[2]))
        return np.bincount(counts, minlength=6)[1:] / len(counts)

    uniform, linear = generated_draws("uniform"), generated_draws("linear")
    assert np.all(np.abs(uniform - 0.2) < 0.06)
    assert np.all(np.abs(linear - np.arange(1, 6) / 15) < 0.06)
    # uniform keeps the stream of earlier runs: the same task as without the argument
    a = make_task("random", np.random.default_rng(9), "t", 5)
    b = make_task("random", np.random.default_rng(9), "t", 5, draw_weights="uniform")
    assert a.program == b.program
    with pytest.raises(ValueError, match="draw_weights"):
        make_task("random", np.random.default_rng(0), "t", 2, draw_weights="square")


def test_bad_settings():
    with pytest.raises(ValueError, match="unknown family"):
        generate("circles", 1, seed=0)
    with pytest.raises(ValueError, match="draws must be >= 1"):
        generate("random", 1, seed=0, draws=0)


def test_synth_cli_writes_loadable_files(tmp_path, capsys):
    out = tmp_path / "sq"
    assert main(["synth", "--family", "squares", "--draws", "9", "--n-tasks", "3",
                 "--seed", "0", "--out", str(out)]) == 0
    assert "wrote 3 squares tasks" in capsys.readouterr().out
    tasks = load_tasks(out / "challenges.json")
    solutions, problems = load_solutions(out / "solutions.json")
    programs = json.loads((out / "programs.json").read_text())
    assert len(tasks.tasks) == 3 and not tasks.problems and not problems
    for tid, task in tasks.tasks.items():
        assert dsl.run_trusted(programs[tid], task.test[0].input) == solutions[tid][0]
    assert main(["check-tasks", str(out / "challenges.json")]) == 0
