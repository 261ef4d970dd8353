"""Leave-one-out on the train pairs (solver.search.loo): a table entry or a stacked piece
that only one pair needs fails it; programs that fail rank after those that survive."""

from __future__ import annotations

import numpy as np

from solver.search.enumerate import Found, Step
from solver.search.loo import chain_keys, survives, table_keys
from solver.search.stack import Piece, Stack, make_value


def a(rows) -> np.ndarray:
    return np.array(rows, dtype=np.int8)


def test_table_keys_of_each_table_kind():
    g = a([[1, 1, 0, 3], [0, 0, 0, 0], [3, 0, 0, 0]])
    # sizes: the 1-object has 2 cells (it becomes 5), the two 3s one each (3 keeps them 3)
    assert table_keys("recolor_by", ("size", ((2, 5), (1, 3)), 8), g) == {2}
    assert table_keys("map_colors", (((1, 4), (7, 8)),), g) == {1}  # 7 is absent
    stamps = ((3, ((-1,) * 3,) * 3), (9, ((-1,) * 3,) * 3))
    assert table_keys("stamp_around", (stamps,), g) == {3}
    assert table_keys("recolor_by", ("size", ((2, 5), (None, 3)), 8), g) == {2}
    assert table_keys("recolor_by", ("size", ((1, 3), (None, 6)), 8), g) == {None}
    # an entry that gives the default's colour counts as the default
    assert table_keys("recolor_by", ("size", ((2, 6), (None, 6)), 8), g) == {None}
    assert table_keys("stamp_around", (((-1, ((-1,) * 3,) * 3),),), g) == {-1}  # every colour
    assert table_keys("stamp_around", (((1, ((-1,) * 3,) * 3), (3, ((-1,) * 3,) * 3),
                                        (-1, ((-1,) * 3,) * 3)),), g) == {1, 3}  # none other
    assert table_keys("flip_lr", (), g) == set()
    assert chain_keys([Step("flip_lr"), Step("map_colors", (((1, 4),),))], g) == [set(), {1}]


def test_a_table_entry_used_by_one_pair_fails():
    steps = (Step("map_colors", (((1, 4), (2, 5)),)),)
    shared = [a([[1, 2]]), a([[2, 1]]), a([[1, 0]])]
    assert survives(steps, shared) is True
    lonely = [a([[1, 0]]), a([[1, 1]]), a([[2, 0]])]  # only the third pair has a 2
    assert survives(steps, lonely) is False
    assert survives(steps, lonely[:2]) is None  # two pairs: not checked


def test_a_piece_that_fixes_one_pair_only_fails():
    ins = [a([[1, 0, 0]]), a([[0, 1, 0]]), a([[0, 0, 1]])]
    outs = [a([[1, 2, 0]]), a([[0, 1, 2]]), a([[0, 0, 1]])]
    base = make_value((), ins, outs)
    wide = make_value((Step("flip_lr"),), [a([[0, 2, 0]]), a([[0, 0, 2]]), a([[0, 0, 0]])], outs)
    assert survives((), ins, Stack(base, (Piece(wide),)), outs) is True  # fixes pairs 1 and 2
    outs2 = [a([[1, 2, 0]]), a([[0, 1, 0]]), a([[0, 0, 1]])]
    base2 = make_value((), ins, outs2)
    one = make_value((Step("rot180"),), [a([[0, 2, 0]]), a([[0, 0, 0]]), a([[0, 0, 0]])], outs2)
    assert survives((), ins, Stack(base2, (Piece(one),)), outs2) is False


def test_failing_programs_rank_after_surviving_ones():
    common = dict(train_outputs=[], test_outputs=[], families=(), exact=True, accuracy=1.0)
    short_fitted = Found("a", (), depth=1, loo=False, **common)
    longer_general = Found("bb", (), depth=2, loo=True, **common)
    unchecked = Found("c", (), depth=3, loo=None, **common)
    ranked = sorted([short_fitted, longer_general, unchecked], key=Found.rank_key)
    assert [f.code for f in ranked] == ["bb", "c", "a"]
