"""The embedded model from scratch: tokenizer, model shape, the on-the-fly seeded task
stream with a curriculum, held-out pass@k evaluation, checkpoints, and the ``train-base``
driver (resumable, meant to run in the background for hours on a CPU).

Two task streams (``BaseConfig.tasks``): ``drawings``, the drawing tasks of
:mod:`solver.dsl.synth` (one pair on an empty grid, the shipped model's), and ``v2``, the
ARC-like DSL v2 tasks of :mod:`solver.dsl.gen` (2..5 train pairs, sides up to 30,
programs of ``img = op(img, ...)`` lines), made into examples exactly as the solver
prompts at test time (the ``dsl`` dialect) and evaluated by running the sampled programs
in the sandbox.

One module per job; every name is re-exported here (``from solver.lm.base import X``):

- :mod:`solver.lm.base.tokenizer`: the word-level, exact tokenizer of a run;
- :mod:`solver.lm.base.config`: the settings (:class:`BaseConfig`), which of them a
  resume may change, the device, the model they shape; a call's own (:class:`BaseCall`);
- :mod:`solver.lm.base.streams`: the task streams, their curricula, pools of
  length-bucketed batches, the worker processes that make them ahead;
- :mod:`solver.lm.base.evaluation`: held-out pass@k on drawing and v2 tasks;
- :mod:`solver.lm.base.checkpoints`: atomic checkpoints, loading, export, the run lock;
- :mod:`solver.lm.base.driver`: :func:`train_base`.

Importing the package loads no torch, transformers or tokenizers: the modules import
them in the functions that use them (the command line imports :class:`BaseConfig` at
start).
"""

from solver.lm.base.checkpoints import (MODEL_FILES, export, load_checkpoint, one_trainer,
                                        run_lock, save_checkpoint, solver_json)
from solver.lm.base.config import (MACHINE_SETTINGS, RESUME_SETTINGS, TASKS, BaseCall,
                                   BaseConfig, new_model, resolve_device)
from solver.lm.base.driver import _until, train_base  # noqa: F401 (_until: the tests')
from solver.lm.base.evaluation import (EvalResult, eval_tasks, eval_tasks_v2, evaluate,
                                       evaluate_v2, family_line, run_draws, sample_programs,
                                       score_program, score_programs_v2)
from solver.lm.base.streams import (V2_TRIES, batch_stream, check_stream, curriculum,
                                    curriculum_v2, draw_v2, example, family_weights,
                                    make_pool, new_counts, v2_example, v2_gen_config,
                                    v2_stream)
from solver.lm.base.tokenizer import (CHARS, SPECIAL, V2_STRINGS, V2_WORDS, WORDS,
                                      build_tokenizer, task_words, tokenizer_from_json,
                                      tokenizer_json)

__all__ = [
    # tokenizer
    "SPECIAL", "WORDS", "CHARS", "V2_WORDS", "V2_STRINGS", "task_words", "build_tokenizer",
    "tokenizer_from_json", "tokenizer_json",
    # config
    "TASKS", "BaseCall", "BaseConfig", "RESUME_SETTINGS", "MACHINE_SETTINGS", "new_model",
    "resolve_device",
    # streams
    "curriculum", "curriculum_v2", "example", "check_stream", "family_weights",
    "v2_gen_config", "v2_example", "V2_TRIES", "draw_v2", "v2_stream", "new_counts",
    "make_pool", "batch_stream",
    # evaluation
    "run_draws", "score_program", "sample_programs", "EvalResult", "evaluate", "eval_tasks",
    "eval_tasks_v2", "score_programs_v2", "evaluate_v2", "family_line",
    # checkpoints
    "MODEL_FILES", "solver_json", "save_checkpoint", "load_checkpoint", "export", "run_lock",
    "one_trainer",
    # driver
    "train_base",
]
