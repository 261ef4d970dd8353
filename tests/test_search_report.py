"""search.report: typed records, their JSON (the keys the run directory keeps) and the
progress line."""

import json

from solver.search.config import HerConfig
from solver.search.report import RoundRecord, TaskReport

ALWAYS = {"round", "heat", "temperatures", "samples", "valid", "statuses", "status_examples",
          "distinct", "new_outputs", "best_train_acc", "mean_train_acc", "mean_train_acc_all",
          "exact_programs", "accuracies", "tokens", "sample_s", "exec_s", "examples_trained",
          "loss", "train_s", "seconds"}


def test_round_json_has_optional_keys_only_when_set():
    rec = RoundRecord(round=0, heat=1.0, temperatures=(0.5, 1.0), samples=4, valid=3,
                      accuracies=[2 / 3, 1.0, 1.0], sample_s=1.23456,
                      statuses={"ok": 3, "error": 1}, status_examples={"error": "KeyError"})
    d = rec.to_json()
    assert set(d) == ALWAYS and d["loss"] is None
    assert d["accuracies"] == [0.6667, 1.0, 1.0] and d["sample_s"] == 1.235
    assert d["statuses"] == {"ok": 3, "error": 1} and d["status_examples"] == {"error": "KeyError"}
    rec.repaired, rec.repair_best_acc, rec.new_examples = 2, 0.5, 7
    assert set(rec.to_json()) == ALWAYS | {"repaired", "repair_best_acc", "new_examples"}
    json.dumps(rec.to_json())  # JSON-able as it is


def test_task_report_json():
    rep = TaskReport("t1", HerConfig(samples=8), rounds=[RoundRecord(round=0)],
                     attempts=[[((1,),), ((2,),)]], seconds=2.00004)
    d = rep.to_json()
    assert d["task_id"] == "t1" and d["config"]["samples"] == 8 and d["seconds"] == 2.0
    assert d["rounds"][0]["round"] == 0 and "solved_round" not in d and "error" not in d
    rep.solved_round, rep.solved_by, rep.error = 0, "repair", "boom"
    d = rep.to_json()
    assert (d["solved_round"], d["solved_by"], d["error"]) == (0, "repair", "boom")
    assert {"status", "stopped", "attempts", "best_code", "best_train_acc", "candidates",
            "epochs_run"} <= set(d)
    json.dumps(d)


def test_line_shows_failures_and_the_temperatures_used():
    rec = RoundRecord(round=2, heat=25.63, temperatures=(1.5, 1.5, 1.5), samples=256, valid=250,
                      statuses={"ok": 250, "syntax_error": 4, "timeout": 2}, distinct=9,
                      new_outputs=3, best_train_acc=0.5, mean_train_acc=0.25, seconds=3.04)
    line = rec.line()
    assert line.startswith("round 2: valid 250/256 (syntax_error 4, timeout 2) distinct 9")
    assert "(temps 1.50)" in line and "x25" not in line and line.endswith("| 3.0s")
    rec.temperatures = (0.75, 1.125, 1.5)
    assert "(temps 0.75-1.50)" in rec.line()
    cool = RoundRecord(round=0, temperatures=(0.5, 1.0), samples=4, valid=4,
                       statuses={"ok": 4}, examples_trained=6, loss=0.25)
    assert "temps" not in cool.line() and "(" not in cool.line().split("distinct")[0]
    assert "| trained 6 loss 0.250" in cool.line()


def test_line_shows_the_look_for_a_simpler_program():
    rec = RoundRecord(round=3, samples=4, valid=4, best_train_acc=1.0, look=2, seconds=1.0)
    assert rec.line().endswith("| 2 without simpler | 1.0s") and rec.to_json()["look"] == 2
    rec.look = 0
    assert "| simpler found |" in rec.line()
    assert "simpler" not in RoundRecord(round=0).line()  # not in the look
