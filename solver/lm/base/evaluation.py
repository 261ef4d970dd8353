"""Held-out pass@k evaluation of a run: drawing tasks (programs parsed and run here: they
are only draw calls with literal arguments) and v2 tasks (programs sampled by the
solver's own sampler and run in the sandbox).

torch, tqdm and :mod:`solver.lm.model` are imported where used, so ``import
solver.lm.base`` stays light.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np

from solver import dsl
from solver.arc.grids import Task, train_score
from solver.dsl import program, synth
from solver.lm import dialects
from solver.lm.base.config import BaseConfig
from solver.lm.base.streams import draw_v2, family_weights, v2_gen_config
from solver.lm.config import SampleConfig
from solver.lm.prompt import PromptConfig, build_prompt, extract_code, sketch_code


def run_draws(draws: list[program.Draw], grid) -> tuple[tuple[int, ...], ...]:
    img = dsl.to_img(grid)
    for d in draws:
        d.apply(img)
    return tuple(tuple(int(v) for v in row) for row in img)


def score_program(code: str, task: Task) -> dict:
    """Legality (see :func:`solver.dsl.program.parse_program`), pixel accuracy on the train pairs
    and whether every train and test pair is exact; legal programs run in-process (they are
    only draw calls with literal arguments)."""
    draws = program.parse_program(code)
    if draws is None:
        return {"legal": False, "accuracy": 0.0, "solved": False}
    pairs = [*task.train, *[p for p in task.test if p.output is not None]]
    outs = [run_draws(draws, p.input) for p in pairs]
    acc, _ = train_score(outs, task)
    return {"legal": True, "accuracy": acc, "solved": all(o == p.output for o, p in zip(outs, pairs))}


def sample_programs(model, tokenizer, task: Task, encoder: str, n: int, temperature: float,
                    max_new_tokens: int, seed: int) -> list[str]:
    """``n`` programs for ``task``: through :mod:`solver.lm.model`'s shared-prefix sampler when
    it is there, else plain ``generate``."""
    import torch

    prompt = build_prompt(task, PromptConfig(encoder=encoder, chat=False))
    ids = torch.tensor([tokenizer.encode(prompt, add_special_tokens=False)], device=model.device)
    torch.manual_seed(seed)
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=True,
                             temperature=temperature, top_p=1.0, top_k=0, num_return_sequences=n,
                             max_new_tokens=max_new_tokens, eos_token_id=tokenizer.eos_token_id,
                             pad_token_id=tokenizer.pad_token_id)
    texts = tokenizer.batch_decode(out[:, ids.shape[1]:], skip_special_tokens=True)
    return [extract_code(t) for t in texts]


@dataclass
class EvalResult:
    tasks: int = 0
    solved: int = 0  # tasks with at least one exact program among the samples
    samples: int = 0
    legal: int = 0  # samples that parse as legal DSL programs
    mean_accuracy: float = 0.0  # mean over samples of train pixel accuracy
    max_accuracy: float = 0.0  # mean over tasks of the best sample's pixel accuracy
    seconds: float = 0.0
    families: dict = field(default_factory=dict)  # v2: family -> {"tasks": n, "solved": k}
    per_task: list[dict] = field(default_factory=list, repr=False)

    @property
    def pass_at_k(self) -> float:
        return self.solved / self.tasks if self.tasks else 0.0

    @property
    def legal_rate(self) -> float:
        return self.legal / self.samples if self.samples else 0.0

    def summary(self) -> dict:
        d = asdict(self)
        d.pop("per_task")
        if not d["families"]:
            d.pop("families")
        d.update(pass_at_k=round(self.pass_at_k, 4), legal_rate=round(self.legal_rate, 4))
        return d


def evaluate(model, tokenizer, tasks: Sequence[Task], encoder: str, n: int = 8,
             temperature: float = 0.5, max_new_tokens: int = 192, seed: int = 0,
             progress: bool = False) -> EvalResult:
    """pass@n, legality and pixel accuracy of ``n`` samples per task."""
    from tqdm.auto import tqdm

    was_training = model.training
    model.eval()
    t0 = time.perf_counter()
    res = EvalResult()
    for i, task in enumerate(tqdm(tasks, desc="eval", disable=not progress, leave=False)):
        codes = sample_programs(model, tokenizer, task, encoder, n, temperature,
                                max_new_tokens, seed + i)
        scores = [score_program(c, task) for c in codes]
        res.tasks += 1
        res.samples += len(scores)
        res.legal += sum(s["legal"] for s in scores)
        solved = any(s["solved"] for s in scores)
        res.solved += solved
        accs = [s["accuracy"] for s in scores]
        res.mean_accuracy += sum(accs)
        res.max_accuracy += max(accs)
        res.per_task.append({"id": task.id, "solved": solved, "max_accuracy": max(accs),
                             "mean_accuracy": sum(accs) / len(accs),
                             "best": codes[int(np.argmax(accs))]})
    res.mean_accuracy /= max(res.samples, 1)
    res.max_accuracy /= max(res.tasks, 1)
    res.seconds = time.perf_counter() - t0
    model.train(was_training)
    return res


def eval_tasks(config: BaseConfig) -> list[Task]:
    made, _ = synth.generate("random", config.eval_tasks, config.eval_seed, config.max_draws,
                             config.min_side, config.max_side)
    return [m.task for m in made]


# ---------------------------------------------------------------- v2 tasks


def eval_tasks_v2(config: BaseConfig, tokenizer) -> tuple[list, int]:
    """Held-out v2 tasks (``eval_seed``; the full sides and operations, the training
    family weights) whose prompt plus ``max_new_tokens`` fits the context, and how many
    were passed over for not fitting. Each has ``.task``, ``.program`` and ``.family``."""
    from solver.dsl.gen.core import V2Stats

    cfg = v2_gen_config(config, config.v2_max_side, config.v2_max_steps)
    names, probs = family_weights(config.v2_families)
    rng = np.random.default_rng([config.eval_seed, 7])
    out, too_long = [], 0
    for i in range(50 * max(config.eval_tasks, 1)):
        if len(out) >= config.eval_tasks:
            break
        fam = names[int(rng.choice(len(names), p=probs))]
        vt = draw_v2([config.eval_seed, 11, i], fam, f"eval-{fam}-{i}", cfg, V2Stats())
        if vt is None:
            continue
        prompt = dialects.DSL.prompt(vt.task, None, PromptConfig(encoder=config.encoder, chat=False))
        if len(tokenizer.encode(prompt, add_special_tokens=False)) + config.max_new_tokens \
                > config.max_positions:
            too_long += 1
            continue
        out.append(vt)
    return out, too_long


def score_programs_v2(codes: Sequence[str], task: Task, executor) -> list[dict]:
    """Each program run in the sandbox on every train and test input: legal (it ran and
    returned grids), pixel accuracy on the train pairs, solved (every train and test output
    exact)."""
    pairs = [*task.train, *[p for p in task.test if p.output is not None]]
    results = executor.run(list(codes), [p.input for p in pairs])
    scores = []
    for r in results:
        if not r.ok:
            scores.append({"legal": False, "accuracy": 0.0, "solved": False, "status": r.kind})
            continue
        acc, _ = train_score(r.outputs[:len(task.train)], task)
        solved = all(o == p.output for o, p in zip(r.outputs, pairs))
        scores.append({"legal": True, "accuracy": acc, "solved": solved, "status": "ok"})
    return scores


def evaluate_v2(model, tokenizer, tasks: Sequence, config: BaseConfig, executor,
                progress: bool = False) -> EvalResult:
    """pass@``eval_samples`` on v2 tasks: programs sampled by the solver's own sampler
    (:class:`solver.lm.model.Model`, the ``dsl`` dialect's prompt and stop rule) and run in
    the sandbox (``executor``); per-family counts in ``families``."""
    from tqdm.auto import tqdm

    from solver.lm.model import Model

    was_training = model.training
    model.eval()
    m = Model(model, tokenizer, PromptConfig(encoder=config.encoder, chat=False), model.device,
              config.max_positions, config.max_new_tokens)
    t0 = time.perf_counter()
    res = EvalResult()
    for i, vt in enumerate(tqdm(tasks, desc="eval", disable=not progress, leave=False)):
        task = vt.task
        samples = m.sample(m.prompt_for(task, config.max_new_tokens),
                           SampleConfig(n=config.eval_samples, temperatures=(config.temperature,),
                                        top_p=1.0, max_new_tokens=config.max_new_tokens,
                                        seed=config.eval_seed + i))
        codes = [s.code for s in samples]
        scores = score_programs_v2(codes, task, executor)
        if config.v2_target == "sketch":  # right when its operations are the program's, in order
            truth = sketch_code(vt.program).strip()
            for s, code in zip(scores, codes):
                s["solved"] = sketch_code(code).strip() == truth
        solved = any(s["solved"] for s in scores)
        accs = [s["accuracy"] for s in scores]
        res.tasks += 1
        res.samples += len(scores)
        res.legal += sum(s["legal"] for s in scores)
        res.solved += solved
        res.mean_accuracy += sum(accs)
        res.max_accuracy += max(accs)
        fam = res.families.setdefault(vt.family, {"tasks": 0, "solved": 0})
        fam["tasks"] += 1
        fam["solved"] += solved
        res.per_task.append({"id": task.id, "family": vt.family, "solved": solved,
                             "max_accuracy": max(accs), "mean_accuracy": sum(accs) / len(accs),
                             "best": codes[int(np.argmax(accs))], "truth": vt.program})
    res.mean_accuracy /= max(res.samples, 1)
    res.max_accuracy /= max(res.tasks, 1)
    res.seconds = time.perf_counter() - t0
    model.train(was_training)
    return res


def family_line(families: dict) -> str:
    """``rigid 2/3, scale 0/4, ...`` (solved/tasks per family, by name)."""
    return ", ".join(f"{k} {v['solved']}/{v['tasks']}" for k, v in sorted(families.items()))
