"""The search's settings: one dataclass, each field with its default and a one-line help."""

from __future__ import annotations

from dataclasses import dataclass

ORDERS = ("worst-first", "shuffle", "prioritized")


@dataclass
class HerConfig:
    samples: int = 256  # programs sampled per round
    temperatures: tuple[float, ...] = (0.5, 0.75, 1.0)  # cycled over the samples (per-sample temperature)
    top_p: float = 0.95  # nucleus sampling
    heat_below: float = 0.25  # a round with fewer distinct outputs than this share of its samples makes the next round hotter (0: never)
    heat_factor: float = 1.5  # the temperatures' multiplier grows by this per collapsed round (and shrinks by it once diversity is back)
    max_temperature: float = 2.0  # no sample hotter than this
    max_new_tokens: int | None = None  # None: the model's default
    epochs: int = 40  # at most this many trainings (rounds = epochs + 1; the task's time share usually ends it first); 0: sampling only
    order: str = "worst-first"  # training order: worst-first (pixel accuracy) | shuffle | prioritized (keep the most accurate, worst first)
    max_examples: int = 256  # relabeled examples trained per epoch at most
    lr: float = 1e-3  # LoRA learning rate, constant (see docs/RESULTS.md for what was tried)
    lora_r: int = 16  # LoRA rank
    lora_alpha: int = 32  # LoRA alpha
    batch_tokens: int = 4096  # padded tokens per training batch
    max_rows: int = 2  # examples per optimizer step at most (small: more steps per pass)
    prune: bool = True  # delete lines that change no output before relabeling
    recolor: int = 2  # colour-permuted copies trained after each relabeled example (DSL-form programs); 0: off
    repair: bool = True  # each round, hill-climb from the best programs by editing in lines the model wrote (solver.repair)
    repair_starts: int = 3  # best distinct programs the repair starts from (plus the empty program)
    repair_variants: bool = True  # also pool each written line in other colours and moved by one cell
    repair_seconds: float = 10.0  # cap on one round's repair search
    repair_kicks: int = 2  # best climbs kicked out of their local optimum (0: none; solver.repair.escape)
    stop_when_exact: bool = True  # stop as soon as a program is exact on every train pair
    seed: int = 0  # sampling and ordering seed (mixed with the task id and round)

    def __post_init__(self) -> None:
        if self.order not in ORDERS:
            raise ValueError(f"order must be one of {', '.join(ORDERS)}, got {self.order!r}")
        if self.samples < 1 or self.epochs < 0 or self.max_examples < 1 or self.recolor < 0:
            raise ValueError("samples and max_examples must be >= 1, epochs and recolor >= 0")
        self.temperatures = tuple(float(t) for t in self.temperatures)
        if not self.temperatures or any(t < 0 for t in self.temperatures):
            raise ValueError("temperatures must be a non-empty list of values >= 0")
        if not 0 <= self.heat_below < 1 or self.heat_factor < 1:
            raise ValueError("heat_below must be in [0, 1) and heat_factor >= 1")
