"""search.candidates (merge, rank, attempts) and the train score they rank by."""

import pytest
from search_helpers import EMPTY, HALF, RIGHT, TARGET, TASK, WRONG, grid_with

from solver.arc.grids import Pair, Task, train_score
from solver.search.candidates import (Candidate, attempts, merge_candidates, rank,
                                      simplest_exact)


def test_train_score():
    assert train_score([TARGET], TASK) == (1.0, True)
    acc, exact = train_score([grid_with(((0, 0), 3))], TASK)
    assert acc == pytest.approx(8 / 9) and not exact
    assert train_score([((1,),)], TASK) == (0.0, False)  # wrong shape
    two = Task("two", (Pair(EMPTY, TARGET), Pair(EMPTY, EMPTY)), ())
    assert train_score([TARGET, EMPTY], two) == (1.0, True)
    assert train_score([TARGET], two) == (0.5, False)  # a missing output counts as wrong
    assert train_score([TARGET, None], two) == (0.5, False)


def cand(out, code, votes=1, acc=None, exact=None, rnd=0):
    a, e = train_score([out], TASK)
    return Candidate((out, out), code, votes, a if acc is None else acc,
                     e if exact is None else exact, rnd)


def test_rank_order_exact_then_accuracy_then_votes_then_shorter():
    a = cand(grid_with(((0, 0), 1)), "x" * 50, votes=9, acc=0.9, exact=False)
    b = cand(grid_with(((0, 0), 2)), "x" * 90, votes=1, acc=0.5, exact=True)
    c = cand(grid_with(((0, 0), 4)), "x" * 40, votes=3, acc=0.9, exact=False)
    d = cand(grid_with(((0, 0), 5)), "x" * 30, votes=3, acc=0.9, exact=False)
    assert [x.code for x in rank([a, b, c, d])] == [b.code, a.code, d.code, c.code]


def test_simplest_exact_goes_down_only_for_a_simpler_exact_program():
    one = "def task(img):\n    draw_pixel(img, (0, 0), 3)\n    return img\n"
    longer = "def task(img):\n    draw_line(img, (0, 0), (0, 0), 3)\n    return img\n"
    pool = {}
    assert simplest_exact(pool) is None
    merge_candidates(pool, [(longer, (TARGET, EMPTY), 1)], TASK, 0)
    before = simplest_exact(pool)
    assert before is not None
    merge_candidates(pool, [(one, (grid_with(((0, 0), 3)), EMPTY), 1)], TASK, 1)  # not exact
    assert simplest_exact(pool) == before
    merge_candidates(pool, [(one, (TARGET, EMPTY), 1)], TASK, 1)  # same outputs, said simpler
    assert simplest_exact(pool) < before
    assert rank(pool)[0].code == one


def test_attempts_two_distinct_and_fallback():
    pool = {}
    merge_candidates(pool, [(RIGHT, (TARGET, TARGET), 2), (HALF, (grid_with(((0, 0), 3)),) * 2, 5),
                            (WRONG, (grid_with(((2, 2), 5)),) * 2, 9)], TASK, 0)
    got = attempts(TASK, pool)
    assert got == [[TARGET, grid_with(((0, 0), 3))]]
    assert attempts(TASK, {}) == [[EMPTY, EMPTY]]  # deterministic fallback: the test input
    # the same test output from two programs is offered once
    same = {("a",): Candidate((TARGET, TARGET), "a", 1, 1.0, True, 0),
            ("b",): Candidate((grid_with(((0, 1), 1)), TARGET), "b", 1, 0.5, False, 0)}
    assert attempts(TASK, same) == [[TARGET, EMPTY]]


def test_merge_keeps_shortest_and_adds_votes():
    pool = {}
    out = (TARGET, TARGET)
    assert merge_candidates(pool, [(RIGHT + "\n\n", out, 2)], TASK, 0) == [out]
    assert merge_candidates(pool, [(RIGHT, out, 3)], TASK, 1) == []
    assert pool[out].votes == 5 and pool[out].code == RIGHT and pool[out].round == 0
    assert pool[out].exact and pool[out].train_acc == 1.0
