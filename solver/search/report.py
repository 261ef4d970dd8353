"""The task report and its per-round records, typed; ``to_json()`` gives the JSON the run
directory keeps (``solver.run`` reads it back by these keys).

A round records: samples, valid programs (ran, returned a grid for every input), the
samples per sandbox status and one message per failing status, distinct outputs, best /
mean train pixel accuracy (over valid samples, and the per-sample list for the
distribution figure; ``mean_train_acc_all`` counts failed samples as 0), new relabeled
examples, examples trained, loss, and seconds per stage. Rounds with repair add
``repair_pool`` (pooled lines), ``repaired`` and ``repair_best_acc``.

The task report has ``status`` (exact | inexact | skipped | error), ``attempts`` (per test
input, two grids), ``rounds``, ``stopped`` (why the loop ended: exact | epochs | deadline
| prompt), and ``solved_round``, ``solved_s`` (seconds from the task's start) and
``solved_by`` (``enumerator``, ``sample``, ``continued``: a sample that continued one of
the enumerator's near misses, or ``repair``) when a program became exact on every
train pair; ``enumerated``, ``enumerate_s`` and ``enumerate_depth`` when the enumerator ran.
Rounds that simplified exact programs add ``simplified`` and ``simplify_s``. Rounds of the
look for a simpler program after the first exact one add ``look``: the rounds in a row,
that one included, that found no simpler exact program (0: it found one).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

from solver.arc.grids import Grid
from solver.search.config import HerConfig


def _json(obj, rounding: dict[str, int], optional: tuple[str, ...]) -> dict[str, Any]:
    """The dataclass's fields as a dict: ``optional`` ones left out while None, floats in
    ``rounding`` rounded to that many digits."""
    out: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if value is None and f.name in optional:
            continue
        if f.name in rounding and isinstance(value, float):
            value = round(value, rounding[f.name])
        out[f.name] = value
    return out


@dataclass
class RoundRecord:
    round: int
    heat: float = 1.0  # the temperatures' multiplier this round
    temperatures: tuple[float, ...] = ()  # the temperatures sampled at (capped)
    samples: int = 0
    valid: int = 0  # samples that ran and returned a grid for every input
    statuses: dict[str, int] = field(default_factory=dict)  # samples per sandbox status kind
    status_examples: dict[str, str] = field(default_factory=dict)  # one message per failing kind
    distinct: int = 0  # distinct outputs among the samples
    new_outputs: int = 0  # outputs no earlier round produced (samples and repair)
    best_train_acc: float = 0.0
    mean_train_acc: float = 0.0  # over valid samples
    mean_train_acc_all: float = 0.0  # over all samples (failed ones count 0)
    exact_programs: int = 0  # samples exact on every train pair
    accuracies: list[float] = field(default_factory=list)  # per valid sample
    tokens: int = 0  # generated tokens
    augmented: int | None = None  # samples written for augmented prompts (augment on)
    continued: int | None = None  # samples that continued an enumerator's near miss
    sample_s: float = 0.0
    exec_s: float = 0.0  # running, pruning and merging the samples
    examples_trained: int = 0
    loss: float | None = None
    train_s: float = 0.0  # relabeling, tokenizing and training
    seconds: float = 0.0
    # rounds with repair only
    repair_pool: int | None = None
    repair_written: int | None = None
    repaired: int | None = None
    repair_best_acc: float | None = None
    repair_s: float | None = None
    # rounds with the guide only: sketches filled, new outputs they made, seconds
    sketches: int | None = None
    guided: int | None = None
    guide_s: float | None = None
    # rounds whose new exact programs were simplified only
    simplified: int | None = None
    simplify_s: float | None = None
    # rounds that went on to learn only
    new_examples: int | None = None
    enumerated_examples: int | None = None  # of them, the enumerator's programs (round 0)
    cut_for_time: int | None = None  # examples left out to fit the time left
    copies: int | None = None  # of the examples, copies (recoloured, mutated, split, crossed)
    # of the copies, those whose train outputs are the task's own: reported only (nothing
    # the search does reads it), so a run shows whether the answer was among its examples
    copies_exact: int | None = None
    reset: bool | None = None  # the training started again from the base model (reset_after)
    # rounds of the look for a simpler program after the first exact one only: rounds in a
    # row, this one included, that found no simpler exact program (0: this one found one)
    look: int | None = None
    # rounds that trained only
    first_loss: float | None = None
    last_loss: float | None = None
    train_steps: int | None = None
    train_tokens: int | None = None

    OPTIONAL: ClassVar[tuple[str, ...]] = (
        "augmented", "continued", "repair_pool", "repair_written", "repaired", "repair_best_acc", "repair_s",
        "sketches", "guided", "guide_s", "simplified", "simplify_s", "new_examples", "enumerated_examples", "cut_for_time",
        "copies", "copies_exact",
        "reset", "look", "first_loss", "last_loss", "train_steps", "train_tokens")
    ROUNDING: ClassVar[dict[str, int]] = {"heat": 4, "sample_s": 3, "exec_s": 3,
                                          "train_s": 3, "seconds": 3, "repair_s": 3, "guide_s": 3,
                                          "simplify_s": 3}

    def to_json(self) -> dict[str, Any]:
        out = _json(self, self.ROUNDING, self.OPTIONAL)
        out["temperatures"] = [round(t, 4) for t in self.temperatures]
        out["accuracies"] = [round(a, 4) for a in self.accuracies]
        return out

    def line(self) -> str:
        """The round as one progress line."""
        failed = ", ".join(f"{k} {n}" for k, n in self.statuses.items() if k != "ok")
        line = (f"round {self.round}: valid {self.valid}/{self.samples}"
                + (f" ({failed})" if failed else "")
                + f" distinct {self.distinct} (new {self.new_outputs}) best "
                f"{self.best_train_acc:.3f} mean {self.mean_train_acc:.3f}")
        if self.continued:
            line += f" (continued {self.continued})"
        if self.heat > 1.0 and self.temperatures:
            lo, hi = min(self.temperatures), max(self.temperatures)
            line += f" (temps {lo:.2f}" + (f"-{hi:.2f})" if hi > lo else ")")
        if self.repaired:
            line += f" | repaired {self.repaired} best {self.repair_best_acc:.3f}"
        if self.guided:
            line += f" | guided {self.guided} ({self.sketches} sketches)"
        if self.simplified:
            line += f" | simplified {self.simplified}"
        if self.reset:
            line += " | reset"
        if self.look is not None:
            line += " | simpler found" if self.look == 0 else f" | {self.look} without simpler"
        if self.examples_trained:
            line += f" | trained {self.examples_trained} loss {self.loss:.3f}"
            if self.enumerated_examples:
                line += f" ({self.enumerated_examples} enumerated)"
        return line + f" | {self.seconds:.1f}s"


@dataclass
class TaskReport:
    task_id: str
    config: HerConfig
    status: str = "inexact"  # exact | inexact | skipped | error
    stopped: str | None = None  # exact | epochs | deadline | prompt
    rounds: list[RoundRecord] = field(default_factory=list)
    error: str | None = None
    traceback: str | None = None
    solved_round: int | None = None
    solved_s: float | None = None  # seconds from the task's start
    solved_by: str | None = None  # enumerator | sample | continued | repair
    enumerated: int | None = None  # programs the enumerator kept (exact and near misses)
    enumerate_s: float | None = None
    enumerate_depth: int | None = None  # the deepest pass it finished
    attempts: list[list[Grid]] = field(default_factory=list)  # per test input, best first
    best_code: str | None = None
    best_train_acc: float = 0.0
    candidates: int = 0  # distinct behaviours found
    epochs_run: int = 0  # rounds that trained
    seconds: float = 0.0

    OPTIONAL: ClassVar[tuple[str, ...]] = ("error", "traceback", "solved_round", "solved_s",
                                           "solved_by", "enumerated", "enumerate_s",
                                           "enumerate_depth")
    ROUNDING: ClassVar[dict[str, int]] = {"solved_s": 3, "seconds": 3, "enumerate_s": 3}

    def to_json(self) -> dict[str, Any]:
        out = _json(self, self.ROUNDING, self.OPTIONAL)
        out["config"] = asdict(self.config)
        out["rounds"] = [r.to_json() for r in self.rounds]
        return out
