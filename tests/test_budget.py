import pickle

import pytest

from solver.arc.budget import (Budget, default_reserve_s, default_total_s, format_duration,
                           parse_duration, seconds_until)


@pytest.mark.parametrize("text,seconds", [
    ("12h", 43200), ("30m", 1800), ("90s", 90), ("1h30m", 5400), ("2.5h", 9000),
    ("45", 45), (45, 45), ("1h 2m 3s", 3723), ("1d", 86400), ("0.5m", 30), (" 10S ", 10),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["", "h", "12x", "1h1h", "m30", "0", "-5", "0s", "1h-2m", "abc"])
def test_parse_duration_rejects(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_format_duration_roundtrip():
    assert format_duration(5400) == "1h30m"
    assert format_duration(59.6) == "1m"
    assert format_duration(0) == "0s"
    assert parse_duration(format_duration(3723)) == 3723


def test_default_is_kaggle_less_margin():
    total = default_total_s()
    assert 10 * 3600 < total < 12 * 3600
    b = Budget()
    assert b.total_s == total
    assert 0 < b.reserve_s <= 300
    assert b.work_deadline < b.deadline


def test_reserve_bounds():
    assert default_reserve_s(10) == 2.0
    assert default_reserve_s(43200) == 300.0
    assert Budget(total_s=3, reserve_s=100, start=0).reserve_s == 1.5  # never the whole budget


def test_share_is_time_left_over_tasks_left():
    b = Budget(total_s=1000, reserve_s=100, start=0.0)
    assert b.work_deadline == 900
    assert b.share(tasks_left=9, workers=1, now=0) == pytest.approx(100)
    assert b.share(tasks_left=9, workers=3, now=0) == pytest.approx(300)
    # never more than the time left, even with more workers than tasks
    assert b.share(tasks_left=1, workers=4, now=0) == pytest.approx(900)
    assert b.task_deadline(tasks_left=9, now=0) == pytest.approx(100)


def test_time_saved_flows_to_later_tasks():
    b = Budget(total_s=1000, reserve_s=100, start=0.0)
    first = b.share(tasks_left=3, now=0)  # 300 s each planned
    assert first == pytest.approx(300)
    # the first task finishes after 60 s: the two left split the rest
    assert b.share(tasks_left=2, now=60) == pytest.approx(420)
    # a task that overran leaves less to the ones after it, never a negative share
    assert b.share(tasks_left=2, now=800) == pytest.approx(50)
    assert b.share(tasks_left=2, now=950) == 0.0
    assert b.expired(now=900) and not b.expired(now=899)


def test_cap_per_task():
    b = Budget(total_s=1000, reserve_s=100, max_task_s=50, start=0.0)
    assert b.share(tasks_left=2, now=0) == 50


def test_picklable_and_shared_across_processes():
    b = Budget(total_s=100, start=123.0)
    c = pickle.loads(pickle.dumps(b))
    assert c.deadline == b.deadline == 223.0
    assert c.to_json()["work_deadline"] == b.work_deadline


def test_seconds_until():
    assert seconds_until(None) == float("inf")
    assert seconds_until(10, now=4) == 6
    assert seconds_until(10, now=14) == 0


def test_bad_total():
    with pytest.raises(ValueError):
        Budget(total_s=0)
