"""The settings of a ``train-base`` run (:class:`BaseConfig`), which of them a resume may
change, the device they name, and the model they shape; and what one call of ``train-base``
does with its run (:class:`BaseCall`)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from solver.arc.settings import setting
from solver.dsl import synth
from solver.lm.config import SCHEDULES
from solver.lm.prompt import ENCODERS

TASKS = ("drawings", "v2")  # the task streams a run can train on
V2_TARGETS = ("program", "sketch")  # what a v2 run's model writes


@dataclass
class BaseCall:
    """What one ``train-base`` call does with its run folder, kept by no run (unlike
    :class:`BaseConfig`): a new run, a resumed one or an exported model's continued, or
    only an export; when the call stops."""
    out: str = setting(help="run folder (checkpoint in OUT/ckpt; what libraries say in "
                            "OUT/library.log)", group="call", metavar="OUT")
    resume: bool = setting(False, "continue the run in OUT", group="call")
    progress: bool = setting(True, "a progress bar", group="call")
    stop_at: int | None = setting(
        None, "end this call at that step (checkpointed; resume continues the schedule)",
        group="call")
    stop_after: str | None = setting(
        None, "end this call after that long (e.g. 8m, 2h; checked between steps, then "
              "checkpointed and evaluated; resume continues the schedule)", group="call",
        metavar="DURATION")
    export: str | None = setting(
        None, "only copy OUT's checkpoint to DIR as a model folder (no optimizer state)",
        group="call", metavar="DIR")
    init: str | None = setting(
        None, "continue the run of an exported model folder (e.g. solver/models/default) in OUT",
        group="call", metavar="DIR")


@dataclass
class BaseConfig:
    steps: int = setting(5000, "optimizer steps (the schedule's length)", group="optimizer")
    batch_tokens: int = setting(2048, "padded tokens per step", group="optimizer")
    lr: float = setting(1e-3, "peak learning rate", group="optimizer")
    warmup_steps: int = setting(100, "linear warmup", group="optimizer")
    restart_at: int = setting(0, "step at which warmup and decay start again (a warm restart on resume)",
                              group="optimizer")
    schedule: str = setting("cosine", "learning-rate schedule after warmup", SCHEDULES,
                            group="optimizer")
    min_lr_ratio: float = setting(0.05, "final lr / peak lr", group="optimizer")
    weight_decay: float = setting(0.01, "AdamW weight decay on matrices", group="optimizer")
    grad_clip: float = setting(1.0, "global gradient-norm clip", group="optimizer")
    hidden: int = setting(256, "model width", group="network")
    layers: int = setting(4, "transformer blocks", group="network")
    heads: int = setting(8, "attention heads", group="network")
    intermediate: int = setting(768, "MLP width", group="network")
    encoder: str = setting("runs", "grid encoder of the prompts (solver.lm.prompt.ENCODERS)", ENCODERS,
                           group="network")
    max_draws: int = setting(5, "random tasks have 1..max_draws draws", group="task stream")
    draw_weights: str = setting("uniform", "draw counts: uniform, or linear (p(k) proportional to k: "
                                           "more many-object tasks)", synth.DRAW_WEIGHTS,
                                group="task stream")
    order: str = setting("canonical", "draw order of the target programs: canonical (reading order) "
                                      "or generated", ("canonical", "generated"),
                         group="task stream")
    min_side: int = setting(3, "smallest grid side", group="task stream")
    max_side: int = setting(10, "largest grid side", group="task stream")
    curriculum_steps: int = setting(1000, "grow sides/draws from the start values to the full range (0: off)",
                                    group="task stream")
    start_max_side: int = setting(5, "largest side at step 0 of the curriculum",
                                  group="task stream")
    start_max_draws: int = setting(2, "most draws at step 0 of the curriculum", group="task stream")
    seed: int = setting(0, "training stream seed (evaluation uses eval_seed: held out)",
                        group="task stream")
    pool_steps: int = setting(8, "examples for this many steps are generated together and length-bucketed",
                              group="task stream")
    eval_every: int = setting(500, "steps between held-out evaluations (0: only at the end)",
                              group="evaluation")
    eval_tasks: int = setting(50, "held-out random tasks per evaluation", group="evaluation")
    eval_seed: int = setting(1_000_003, "seed of the held-out tasks", group="evaluation")
    eval_samples: int = setting(8, "samples per task (pass@k with k = this)", group="evaluation")
    temperature: float = setting(0.5, "sampling temperature of the evaluation", group="evaluation")
    max_new_tokens: int = setting(192, "longest sampled program in the evaluations (tokens)",
                                  group="evaluation")
    solve_max_new_tokens: int = setting(512, "program budget at test time, in solver.json (25 squares "
                                             "take ~430 tokens)", group="checkpoints")
    save_every: int = setting(250, "steps between checkpoints", group="checkpoints")
    keep_steps: tuple[int, ...] = setting((200, 400, 800, 1600, 3200),
                                          "steps whose checkpoints are kept as copies (weaker models)",
                                          group="checkpoints")
    threads: int = setting(2, "torch CPU threads", group="machine")
    device: str = setting("auto", "auto (cuda when there is one) | cpu | cuda | cuda:N",
                          group="machine")
    workers: int = setting(0, "processes generating the task stream ahead of the trainer (0: in-process)",
                           group="machine")
    tasks: str = setting("drawings", "task stream: drawings (solver.dsl.synth, the shipped model's) or "
                                      "v2 (the ARC-like DSL v2 tasks of solver.dsl.gen)", TASKS,
                         group="task stream")
    max_positions: int = setting(2048, "the model's context (tokens); longer examples are dropped "
                                       "(v2) and counted", group="network")
    v2_target: str = setting("program", "v2: what the model learns to write: program (whole "
                                        "programs) or sketch (each line's operation only, the "
                                        "arguments left to the enumerator: the search's guide)",
                             V2_TARGETS, group="task stream")
    v2_families: str = setting("random-v2=4", "v2 family weights, NAME=W,... (families not named "
                                              "weigh 1; W=0 leaves one out)", group="task stream")
    v2_max_side: int = setting(30, "v2: largest grid side", group="task stream")
    v2_start_max_side: int = setting(10, "v2: largest side at step 0 of the curriculum",
                                     group="task stream")
    v2_max_steps: int = setting(3, "v2: most operations of a random-v2 composition",
                                group="task stream")
    v2_start_max_steps: int = setting(1, "v2: most random-v2 operations at step 0 of the curriculum",
                                      group="task stream")

    @classmethod
    def from_dict(cls, d: dict) -> "BaseConfig":
        names = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in names}
        if "keep_steps" in d:
            d["keep_steps"] = tuple(d["keep_steps"])
        return cls(**d)


RESUME_SETTINGS = ("order", "draw_weights", "solve_max_new_tokens", "steps", "eval_every",
                   "save_every", "keep_steps", "threads", "lr", "schedule", "min_lr_ratio",
                   "eval_tasks", "eval_samples", "temperature", "device", "workers",
                   "batch_tokens", "warmup_steps", "restart_at")

MACHINE_SETTINGS = ("device", "workers", "threads")  # set anew by train-base --init


def new_model(config: BaseConfig, tokenizer):
    """A randomly initialised Llama of the configured size for ``tokenizer``."""
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(vocab_size=len(tokenizer), hidden_size=config.hidden,
                      intermediate_size=config.intermediate, num_hidden_layers=config.layers,
                      num_attention_heads=config.heads, num_key_value_heads=config.heads,
                      max_position_embeddings=config.max_positions, rms_norm_eps=1e-5, tie_word_embeddings=True,
                      pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
                      bos_token_id=None)
    return LlamaForCausalLM(cfg)


def resolve_device(name: str) -> str:
    """``auto`` -> ``cuda`` when torch sees a GPU, else ``cpu``; other names as given."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {name!r}: torch sees no CUDA GPU here")
    return name
