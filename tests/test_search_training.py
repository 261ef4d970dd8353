"""search.training: batches in order, passes fitted to the time left, the deadline inside
the step loop (a tiny real model)."""

import random
import time

from solver.search.config import HerConfig
from solver.search.training import (Deadline, PassStats, TrainRate, first_step, fit_to_time,
                                    ordered_batches, train_pass)


def test_ordered_batches_keep_order():
    assert ordered_batches([10, 10, 10, 50, 10], batch_tokens=40, max_rows=8) == [[0, 1, 2], [3], [4]]
    assert ordered_batches([5] * 5, batch_tokens=1000, max_rows=2) == [[0, 1], [2, 3], [4]]
    assert ordered_batches([], 100, 4) == []


def test_first_step():
    cfg = HerConfig(batch_tokens=40, max_rows=8)
    assert first_step([([0] * 10, 1)] * 5, cfg) == 4
    assert first_step([([0] * 50, 1), ([0] * 5, 1)], cfg) == 1
    assert first_step([], cfg) == 0


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
    a = PassStats(examples=2, steps=1, tokens=10, first_loss=3.0, last_loss=3.0, mean_loss=3.0)
    b = PassStats(examples=4, steps=3, tokens=30, first_loss=2.0, last_loss=1.0, mean_loss=1.0)
    c = PassStats.combine([a, PassStats(), b])
    assert (c.examples, c.steps, c.tokens, c.first_loss, c.last_loss, c.mean_loss) == \
        (6, 4, 40, 3.0, 1.0, 1.5)
    assert PassStats.combine([]).steps == 0


def test_deadline_stops_before_a_step_that_would_end_late(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    stop = Deadline(until=103.0)
    assert not stop()  # first step: no duration known yet
    now[0] = 101.0
    assert not stop()  # a 1 s step ends at 102
    now[0] = 102.5
    assert stop()  # a 1.5 s step would end at 104


def test_first_pass_on_a_tiny_model_ends_by_its_deadline(tmp_path):
    from tiny import make_tiny_model

    from solver.lm import model as model_mod
    from solver.lm.train import encode_example

    folder = make_tiny_model(tmp_path / "m", hidden=64, layers=2)
    m = model_mod.load(model_mod.ModelConfig(path=str(folder), device="cpu"))
    m.add_adapter(r=4, alpha=8)
    prompt = "def task(img):\n" * 10
    items = [encode_example(m.tokenizer, prompt, f"    draw_pixel(img, ({i % 9}, 1), 3)\n")
             for i in range(400)]
    cfg = HerConfig(max_rows=2)
    train_pass(m, items[:4], cfg, seed=0)  # warm-up: a cold first step is far slower
    t0 = time.time()
    stats = train_pass(m, items[:4], cfg, seed=0)  # no deadline: the whole pass
    step_s = (time.time() - t0) / 2
    assert stats.examples == 4 and stats.steps == 2
    until = time.time() + max(0.3, 5 * step_s)
    stats = train_pass(m, items, cfg, seed=0, until=until)
    assert 0 < stats.examples < len(items)  # cut: 200 steps take far longer
    assert time.time() <= until + step_s * 1.5 + 0.1  # at most about one step late
    m.remove_adapter()
