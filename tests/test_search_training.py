"""search.training: batches in order, passes fitted to the time left."""

import random

from solver.search.training import TrainRate, fit_to_time, ordered_batches


def test_ordered_batches_keep_order():
    assert ordered_batches([10, 10, 10, 50, 10], batch_tokens=40, max_rows=8) == [[0, 1, 2], [3], [4]]
    assert ordered_batches([5] * 5, batch_tokens=1000, max_rows=2) == [[0, 1], [2, 3], [4]]
    assert ordered_batches([], 100, 4) == []


def test_fit_to_time():
    rng = random.Random(0)
    tokens = [10] * 10
    assert fit_to_time(tokens, 5.0, TrainRate(), rng) == list(range(10))  # no rate: all
    assert fit_to_time(tokens, None, TrainRate(0.1), rng) == list(range(10))  # no limit: all
    assert fit_to_time(tokens, 100.0, TrainRate(0.1), rng) == list(range(10))  # fits
    keep = fit_to_time(tokens, 4.5, TrainRate(0.1), rng)
    assert len(keep) == 4 and keep == sorted(keep)  # a subset, order kept
    assert fit_to_time(tokens, 0.5, TrainRate(0.1), rng) == []
    assert fit_to_time(tokens, -1.0, TrainRate(0.1), rng) == []


def test_rate_and_pass_stats():
    rate = TrainRate()
    rate.update(2.0, 0)
    assert rate.s_per_token is None
    rate.update(2.0, 100)
    assert rate.s_per_token == 0.02
