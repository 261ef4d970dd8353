"""The search's settings: one dataclass, each field with its default and a one-line help."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from solver.arc.settings import setting

ORDERS = ("worst-first", "shuffle", "prioritized")
# HerConfig fields that default to None, meaning "the model dialect's": -> Dialect field
DIALECT_FIELDS = {"temperatures": "temperatures", "top_p": "top_p", "lr": "lr",
                  "lora_r": "lora_r", "lora_alpha": "lora_alpha", "lora_targets": "lora_targets",
                  "lora_rslora": "lora_rslora", "gradient_checkpointing": "gradient_checkpointing"}
# fields that default to None, meaning "on for programs in the drawing DSL" (dsl_constraints)
DSL_ONLY = ("prune", "repair", "simplify")
# fields that default to None, meaning "this many with repair, that many without": the
# learning alone gains from mutated, split and crossed copies (docs/RESULTS.md, "Learning
# alone")
COPIES = {"recolor": (2, 0), "mutate": (0, 2), "split_best": (0, 4), "cross_best": (0, 4)}
RANKINGS = ("description", "votes")
TUNINGS = ("lora", "full")


@dataclass
class HerConfig:
    samples: int = setting(256, "programs sampled per round", group="sampling")
    temperatures: tuple[float, ...] | None = setting(
        None, "sampling temperatures, cycled over the samples (0: greedy); None: the model "
              "dialect's (dsl: 0.5,0.75,1.0; barc, python: 1.0)", group="sampling")
    top_p: float | None = setting(
        None, "nucleus sampling: keep the smallest set of tokens with this much probability; "
              "None: the model dialect's (0.95)", group="sampling")
    heat_below: float = setting(
        0.25, "a round with fewer distinct outputs than this share of its samples makes the "
              "next round hotter (0: never)", group="sampling")
    heat_factor: float = setting(
        1.5, "the temperatures' multiplier grows by this per collapsed round (and shrinks by "
             "it once diversity is back)", group="sampling")
    max_temperature: float = setting(2.0, "no sample hotter than this", group="sampling")
    augment: int = setting(
        0, "augmented prompts per round beside the task's own (a random rigid transform and "
           "colour permutation each, the black background kept): the samples are split among "
           "them, each program runs on inputs augmented as its prompt was and its outputs are "
           "mapped back, and it is taught under that augmentation; needs prune, repair and "
           "simplify off (their defaults then are); 0: off", group="sampling")
    reset_after: int = setting(
        0, "after this many collapsed rounds in a row (fewer distinct outputs than heat_below "
           "of the samples), the task's training starts again from the base model (0: never)",
        group="sampling")
    max_new_tokens: int | None = setting(None, "program length limit in tokens; None: the model's",
                                         group="sampling")
    epochs: int = setting(
        40, "trainings per task at most (rounds = epochs + 1; the task's time share usually "
            "ends it first); 0: sampling only", group="search")
    order: str = setting(
        "worst-first", "training order: worst-first (pixel accuracy), shuffle, or prioritized "
                       "(keep the most accurate, worst first)", ORDERS, group="training")
    max_examples: int = setting(256, "relabeled examples trained per epoch at most",
                                group="training")
    dedupe: bool = setting(
        True, "an output relabeled in an earlier epoch is not trained on again (off: every "
              "epoch trains on all of its round's distinct outputs)", group="training")
    tune: str = setting(
        "lora", "what the task's training changes: lora (an adapter, reset after the task) or "
                "full (every weight, copied back after the task; unquantized models only)",
        TUNINGS, group="training")
    lr: float | None = setting(
        None, "test-time learning rate, constant; None: the model dialect's (dsl: 1e-3; barc, "
              "python: 1e-5)", group="training")
    lora_r: int | None = setting(None, "LoRA rank; None: the model dialect's (16)",
                                 group="training")
    lora_alpha: int | None = setting(
        None, "LoRA alpha; None: the model dialect's (dsl: 32; barc, python: 16)", group="training")
    lora_targets: tuple[str, ...] | None = setting(
        None, "module names the LoRA adapts; None: the model dialect's (dsl: peft's default "
              "for the architecture; barc, python: the attention projections)", group="training")
    lora_rslora: bool | None = setting(
        None, "rank-stabilised LoRA scaling (alpha / sqrt(r)); None: the model dialect's "
              "(on for barc, python)", group="training")
    gradient_checkpointing: bool | None = setting(
        None, "recompute activations in the training backward pass (less memory, slower); "
              "None: the model dialect's (on for barc, python)", group="training")
    batch_tokens: int = setting(4096, "padded tokens per training batch", group="training")
    max_rows: int = setting(2, "examples per optimizer step at most (small: more steps per pass)",
                            group="training", aliases=("--train-rows",))
    prune: bool | None = setting(
        None, "delete lines that change no output before relabeling; None: on for the dsl "
              "dialect (other dialects' answers keep their comments and helpers)", group="training")
    recolor: int | None = setting(
        None, "colour-permuted copies trained after each relabeled example (DSL-form "
              "programs); 0: off; None: 2 with repair, 0 without (mutated copies instead)",
        group="training")
    mutate: int | None = setting(
        None, "copies with one draw moved, reshaped, recoloured or cut in two trained after "
              "each relabeled example (DSL-form programs; before the recoloured copies, "
              "which then recolour them too); 0: off; None: 0 with repair, 2 without",
        group="training")
    split_best: int | None = setting(
        None, "each epoch, the this-many most accurate examples are also copied with one draw "
              "cut in two by a one-cell gap in every way it can be (DSL-form programs), trained "
              "last; 0: off; None: 0 with repair, 4 without", group="training")
    cross_best: int | None = setting(
        None, "each epoch, the this-many most accurate programs found so far are also copied "
              "with one cell painted as another of them paints it, in every way they differ "
              "(DSL-form programs), trained last; 0: off; None: 0 with repair, 4 without",
        group="training")
    mutate_top: float = setting(
        1.0, "share of each epoch's examples, the most accurate first, that get mutated copies "
             "(1: every example)", group="training")
    repair: bool | None = setting(
        None, "each round, hill-climb from the best programs by editing in lines the model "
              "wrote (solver.search.repair); None: on for the dsl dialect (the line pool is "
              "the drawing DSL's)", group="repair")
    repair_starts: int = setting(3, "best distinct programs the repair starts from (plus the empty program)",
                                 group="repair")
    repair_variants: bool = setting(True, "also pool each written line in other colours and moved by one cell",
                                    group="repair")
    repair_seconds: float = setting(10.0, "cap on one round's repair search, in seconds",
                                    group="repair")
    repair_kicks: int = setting(
        2, "best climbs kicked out of their local optimum (0: none; solver.search.repair.escape)",
        group="repair")
    repair_kick_pairs: int = setting(
        6, "when no single line's kick helps, pairs of this many worst lines are kicked (0: off)",
        group="repair")
    repair_trim: bool = setting(
        True, "when no climb or kick is exact, the best ones cut their wrong lines back to "
              "their clean parts (at most 3 pieces a line) and climb on", group="repair")
    stop_when_exact: bool = setting(True, "stop as soon as a program is exact on every train pair",
                                    group="search")
    enumerate: bool = setting(
        True, "search DSL v2 programs with the enumerator before sampling (no model needed)",
        group="enumerator")
    teach_enumerated: bool = setting(
        True, "the first training also relabels the enumerator's programs, exact ones and "
              "near misses, that the model can write", group="training")
    continue_near_misses: int = setting(
        2, "the enumerator's best near misses that the model can write, each given to the "
           "model to continue: a prompt beside the task's own whose answer starts with the "
           "near miss's lines (the samples are split among the prompts); 0: off",
        group="enumerator")
    enumerate_share: float = setting(
        0.5, "share of the task's time the enumerator may use (with a model; alone it takes "
             "up to enumerate_seconds)", group="enumerator")
    enumerate_seconds: float = setting(30.0, "cap on the enumerator's time per task, in seconds",
                                       group="enumerator")
    enumerate_depth: int = setting(3, "longest enumerated program, in lines", group="enumerator")
    guide: bool = setting(
        True, "read each round's programs as sketches (their primitives in order) and fill "
              "the most written ones with the enumerator's fitted arguments "
              "(solver.search.guide)", group="enumerator")
    guide_sketches: int = setting(8, "sketches filled a round", group="enumerator")
    guide_seconds: float = setting(4.0, "cap on one round's sketch filling, in seconds",
                                   group="enumerator")
    simplify: bool | None = setting(
        None, "rewrite train-exact drawing programs to paint only where the paint shows "
              "(solver.search.simplify); None: on for the dsl dialect (the rewrites are "
              "drawing-DSL programs)", group="attempts")
    simplify_seconds: float = setting(1.0, "cap on simplifying one program, in seconds",
                                      group="attempts")
    rank_by: str = setting(
        "description", "order of train-exact programs: description (length, then votes) or "
                       "votes (then code length)", RANKINGS, group="attempts")
    after_exact: float = setting(
        0.2, "share of the time left, once a program is exact, spent looking for a simpler "
             "one before stopping (0: stop at once)", group="attempts")
    after_exact_rounds: int = setting(
        2, "the look for a simpler program also ends after this many rounds in a row that "
           "found no simpler exact one (smaller description length); 0: only after_exact's time",
        group="attempts")
    seed: int = setting(0, "sampling and ordering seed (mixed with the task id and round)",
                        group="search")

    def __post_init__(self) -> None:
        if self.order not in ORDERS:
            raise ValueError(f"order must be one of {', '.join(ORDERS)}, got {self.order!r}")
        if self.samples < 1 or self.epochs < 0 or self.max_examples < 1 \
                or (self.recolor or 0) < 0 or (self.mutate or 0) < 0 or self.reset_after < 0 \
                or (self.split_best or 0) < 0 or (self.cross_best or 0) < 0 \
                or self.augment < 0 or self.continue_near_misses < 0 \
                or self.after_exact_rounds < 0:
            raise ValueError("samples and max_examples must be >= 1, epochs, recolor, "
                             "mutate, split_best, cross_best, reset_after, augment, "
                             "continue_near_misses and after_exact_rounds >= 0")
        if self.temperatures is not None:
            self.temperatures = tuple(float(t) for t in self.temperatures)
            if not self.temperatures or any(t < 0 for t in self.temperatures):
                raise ValueError("temperatures must be a non-empty list of values >= 0")
        if self.lora_targets is not None:
            self.lora_targets = tuple(self.lora_targets)
        if self.tune not in TUNINGS:
            raise ValueError(f"tune must be one of {', '.join(TUNINGS)}, got {self.tune!r}")
        if self.rank_by not in RANKINGS:
            raise ValueError(f"rank_by must be one of {', '.join(RANKINGS)}, got {self.rank_by!r}")
        if not 0 <= self.after_exact < 1 or not 0 < self.enumerate_share <= 1:
            raise ValueError("after_exact must be in [0, 1) and enumerate_share in (0, 1]")
        if not 0 < self.mutate_top <= 1:
            raise ValueError(f"mutate_top must be in (0, 1], got {self.mutate_top}")
        if not 0 <= self.heat_below < 1 or self.heat_factor < 1:
            raise ValueError("heat_below must be in [0, 1) and heat_factor >= 1")

    def for_dialect(self, dialect) -> "HerConfig":
        """A copy with every field left None that a dialect decides filled from ``dialect``
        (a :class:`solver.lm.dialects.Dialect`; prune and repair: on where its programs
        are the drawing DSL's; recolor, mutate, split_best and cross_best: by repair): what
        the user set wins."""
        changes = {name: getattr(dialect, DIALECT_FIELDS[name]) for name in DIALECT_FIELDS
                   if getattr(self, name) is None}
        for name in DSL_ONLY:
            if getattr(self, name) is None:
                changes[name] = bool(dialect.dsl_constraints) and not self.augment
        repair = changes.get("repair", self.repair)
        for name, (with_repair, without) in COPIES.items():
            if getattr(self, name) is None:
                changes[name] = with_repair if repair else without
        out = dataclasses.replace(self, **changes) if changes else self
        if out.augment and (out.prune or out.repair or out.simplify):
            raise ValueError("augment needs prune, repair and simplify off (they edit "
                             "programs in the task's own frame)")
        return out


def dialect_of(model):
    """The model's :class:`solver.lm.dialects.Dialect`; the dsl dialect for a model
    without one (``None``: no model, the enumerator alone)."""
    from solver.lm.dialects import DSL  # pure Python, no model library

    return getattr(model, "dialect", None) or DSL


def for_model(config: HerConfig, model) -> HerConfig:
    """``config`` with what it leaves to the model's dialect filled in."""
    return config.for_dialect(dialect_of(model))
