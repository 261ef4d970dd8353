"""The language model's settings, importable without torch (the command line reads them):
loading (:class:`ModelConfig`) and sampling (:class:`SampleConfig`), used by
:mod:`solver.lm.model`. Each field has its default and a one-line help."""

from __future__ import annotations

from dataclasses import dataclass

from solver.arc.settings import setting

QUANTIZATIONS = ("none", "8bit", "4bit")
DTYPE_NAMES = ("float32", "bfloat16", "float16")
SCHEDULES = ("cosine", "constant", "linear")  # learning rate after warmup (solver.lm.train)


@dataclass
class ModelConfig:
    path: str | None = setting(
        None, "local model folder, or none: no model (solve/dry-run: the enumerator alone); "
              "unset: the embedded default model", none_is_a_value=True, group="model",
        flag="--model")
    quantization: str = setting("none", "weights: full, or bitsandbytes 8-bit / 4-bit (works on CPU too)",
                                QUANTIZATIONS, group="model")
    device: str = setting("auto", "auto (cuda:0 when available, else cpu) | cpu | cuda:N",
                          group="model")
    dtype: str = setting("auto", "auto: bf16 on GPUs that support it, fp16 on others, fp32 on CPU",
                         ("auto",) + DTYPE_NAMES, group="model")
    dialect: str | None = setting(
        None, "the checkpoint's prompt and program dialect: dsl, barc or python (replaces "
              "solver.json's \"dialect\"); None: the folder's solver.json, dsl without one",
        group="model")

    def __post_init__(self) -> None:
        if self.quantization not in QUANTIZATIONS:
            raise ValueError(f"quantization must be one of {', '.join(QUANTIZATIONS)}, "
                             f"got {self.quantization!r}")
        if self.dtype != "auto" and self.dtype not in DTYPE_NAMES:
            raise ValueError(f"dtype must be auto or one of {', '.join(DTYPE_NAMES)}, "
                             f"got {self.dtype!r}")


@dataclass
class SampleConfig:
    n: int = setting(256, "programs to sample", group="sampling", flag="-n")
    temperatures: tuple[float, ...] = setting(
        (0.5,), "cycled over rows (row i gets temperatures[i % k]); 0 = greedy", group="sampling")
    top_p: float = setting(0.95, "nucleus sampling: keep the smallest set of tokens with this much probability",
                           group="sampling")
    max_new_tokens: int | None = setting(None, "program length limit in tokens; None: the model's "
                                               "(solver.json, else 512)", group="sampling")
    batch_size: int | None = setting(None, "rows per batch; None: as large as fits (halved on out-of-memory)",
                                     group="sampling")
    seed: int = setting(0, "same seed and batch size give the same samples", group="sampling")
    stop: bool = setting(True, "stop rows at EOS / end of the program; off: always max_new_tokens (benchmarks)",
                         group="sampling")
    legal_lines: bool = setting(True, "draw_line only at 0/45/90 degrees (solver.lm.constrain); off: unconstrained",
                                group="sampling")
    grammar: bool = setting(True, "keep programs in the grammar the model declares (solver.json "
                                  "\"grammar\"), if any", group="sampling")
