"""The machinery every DSL v2 task family shares: programs as steps, running them,
collecting input/output pairs, and verifying a task before it is emitted.

A program is a tuple of :class:`Step` s, one ``img = op(img, args...)`` line each; an
argument is a literal or a :class:`Reader` (``bg_color(img)``, read from the current image).
A step may also write another image (``p1 = flip_lr(img)``: ``Step("flip_lr", out="p1",
src="img")``) and take one as an argument (:class:`Var`: ``img = layer(img, p1)``), for the
DSL's primitives over two images; the program's result is ``img``.
A family proposes a :class:`Draft`: the ground-truth program, the inputs (train then test)
and the other programs of the family (other parameters). :func:`verify` turns a draft into
a task or names why it was dropped:

- every output is the ground-truth program's, run from its *text* through
  :func:`solver.dsl.run_trusted`;
- no output equals its input, every grid has sides 1..30;
- the family's own visibility check holds on every pair (the operation shows in each);
- no other program of the family fits every train pair yet differs on a test pair
  (the train pairs must pin the program down).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np

from solver import dsl
from solver.arc.grids import Grid, Pair, Task

MAX_SIDE = 30


@dataclass(frozen=True)
class Reader:
    """An argument read from the current image: renders as ``name(img)``."""

    name: str


@dataclass(frozen=True)
class Var:
    """An argument that is another image of the program: renders as its name (``p1``)."""

    name: str


@dataclass(frozen=True)
class Step:
    """One program line: ``out = op(src, *args)``; by default ``img = op(img, *args)``
    (``src`` None reads the image the line writes)."""

    op: str
    args: tuple = ()
    out: str = "img"
    src: str | None = None

    @property
    def reads(self) -> str:
        return self.src or self.out

    def code(self) -> str:
        src = self.reads
        return f"{self.out} = {self.op}({src}{''.join(', ' + _lit(a, src) for a in self.args)})"


Program = tuple[Step, ...]


def plain(program: Program) -> bool:
    """Whether every line is ``img = op(img, ...)`` with no image argument (one image)."""
    return all(s.out == "img" and s.src in (None, "img") and not any(isinstance(a, Var) for a in s.args)
               for s in program)


def _lit(a, src: str = "img") -> str:
    if isinstance(a, Reader):
        return f"{a.name}({src})"
    if isinstance(a, Var):
        return a.name
    if isinstance(a, (bool, np.bool_)):
        return repr(bool(a))
    if isinstance(a, str):
        return repr(a)
    if isinstance(a, tuple):
        inner = ", ".join(_lit(x, src) for x in a)
        return f"({inner},)" if len(a) == 1 else f"({inner})"
    return str(int(a))


def program_text(program: Program) -> str:
    """The program as the DSL's text form: ``def task(img):``, one line a step, ``return img``."""
    body = "".join(f"    {s.code()}\n" for s in program)
    return f"def task(img):\n{body}    return img\n"


def run(program: Program, grid: np.ndarray) -> np.ndarray | None:
    """Run a program of ours by direct calls; None when a step fails or a grid leaves 1..30.
    The result is the image ``img`` holds after the last step."""
    env = {"img": grid}
    try:
        for s in program:
            x = env[s.reads]
            args = [dsl.PRIMITIVES[a.name](x) if isinstance(a, Reader) else
                    env[a.name] if isinstance(a, Var) else a for a in s.args]
            img = np.asarray(dsl.PRIMITIVES[s.op](x, *args))
            if img.ndim != 2 or not (1 <= img.shape[0] <= MAX_SIDE and 1 <= img.shape[1] <= MAX_SIDE):
                return None
            env[s.out] = img
    except Exception:  # noqa: BLE001 - a program that cannot apply does not fit
        return None
    return env["img"]


def as_grid(a: np.ndarray) -> Grid:
    return tuple(tuple(int(v) for v in row) for row in a)


def same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    return a is not None and b is not None and a.shape == b.shape and bool((a == b).all())


# ---------------------------------------------------------------- drafts and verification


Alternatives = Iterable[Program] | Callable[[list[np.ndarray], list[np.ndarray]], Iterable[Program]]
PairCheck = Callable[[np.ndarray, np.ndarray], str | None]
TaskCheck = Callable[[list[np.ndarray], list[np.ndarray], int], str | None]


@dataclass
class Draft:
    """A proposed task: the program, inputs (train first), and the family's other programs.

    ``alternatives`` is a list of programs, or a function of (all inputs, train first; the
    train outputs) that returns them (for parameters fitted on the train pairs, like a
    value->colour table).
    ``check_pair`` says why one pair does not show the operation (None when it does);
    ``check_task`` why the whole task does not (given inputs, outputs and n_train)."""

    program: Program
    inputs: list[np.ndarray]
    n_train: int
    alternatives: Alternatives = ()
    check_pair: PairCheck | None = None
    check_task: TaskCheck | None = None
    max_side: int = MAX_SIDE


@dataclass
class V2Stats:
    """What a generator made and dropped (tasks by reason; pairs redrawn by reason)."""

    made: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    redrawn_pairs: dict[str, int] = field(default_factory=dict)
    pruned_draws: int = 0  # the drawing generators' counter; always 0 here

    def drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1

    def redraw(self, reason: str) -> None:
        self.redrawn_pairs[reason] = self.redrawn_pairs.get(reason, 0) + 1

    def merge(self, other: "V2Stats") -> None:
        self.made += other.made
        for k, v in other.dropped.items():
            self.dropped[k] = self.dropped.get(k, 0) + v
        for k, v in other.redrawn_pairs.items():
            self.redrawn_pairs[k] = self.redrawn_pairs.get(k, 0) + v


class Drop(Exception):
    """A draft cannot become a task; the message is the reason counted in the stats."""


def table_not_shown(seen: Sequence[set], table: Iterable, n_train: int) -> str | None:
    """Why a fitted table does not generalise from the train pairs, or None: ``seen`` holds
    the keys each input shows (train inputs first); every entry of ``table`` must be shown
    by a train input, and every key a test input shows must be one the train inputs show."""
    train = set().union(*seen[:n_train])
    if not set(table) <= train:
        return "a table entry is not shown"
    if not set().union(*seen[n_train:]) <= train:
        return "a test value is not in the train pairs"
    return None


def pair_problem(program: Program, inp: np.ndarray, check: PairCheck | None,
                 max_side: int = MAX_SIDE) -> tuple[np.ndarray | None, str | None]:
    """The program's output on ``inp`` and why the pair is unusable (None when usable)."""
    h, w = inp.shape
    if not (1 <= h <= max_side and 1 <= w <= max_side):
        return None, "input side too large"
    out = run(program, inp)
    if out is None:
        return None, "program fails"
    if max(out.shape) > max_side:
        return None, "output side too large"
    if same(out, inp):
        return out, "output equals input"
    if check is not None:
        why = check(inp, out)
        if why:
            return out, why
    return out, None


def collect(rng: np.random.Generator, program: Program,
            new_input: Callable[[np.random.Generator], np.ndarray | str | None],
            n: int, check: PairCheck | None = None, stats: V2Stats | None = None,
            tries: int = 8, max_side: int = MAX_SIDE) -> list[np.ndarray]:
    """``n`` inputs on which ``program`` works visibly; each redrawn up to ``tries`` times
    (redraws counted by reason; ``new_input`` returns a grid, or a reason or None when it
    could not make one). Raises :class:`Drop` when one cannot be found."""
    inputs: list[np.ndarray] = []
    seen: set[bytes] = set()
    for _ in range(n):
        why = "no input"
        for _ in range(tries):
            inp = new_input(rng)
            if inp is None or isinstance(inp, str):
                why = inp or "input placement failed"
            else:
                key = bytes(inp.shape) + inp.tobytes()
                if key in seen:
                    why = "duplicate input"
                else:
                    _, why = pair_problem(program, inp, check, max_side)
            if why is None:
                seen.add(key)
                inputs.append(inp)
                break
            if stats is not None:
                stats.redraw(why)
        else:
            raise Drop(why)
    return inputs


def verify(draft: Draft) -> tuple[list[np.ndarray], str | None]:
    """The outputs of a draft and why it must be dropped (None when it is a valid task)."""
    outs: list[np.ndarray] = []
    for inp in draft.inputs:
        out, why = pair_problem(draft.program, inp, draft.check_pair, draft.max_side)
        if why:
            return outs, why
        outs.append(out)
    keys = {bytes(i.shape) + i.tobytes() for i in draft.inputs}
    if len(keys) != len(draft.inputs):
        return outs, "duplicate input"
    if draft.check_task is not None:
        why = draft.check_task(draft.inputs, outs, draft.n_train)
        if why:
            return outs, why
    text = program_text(draft.program)
    for inp, out in zip(draft.inputs, outs):  # the text itself, through the trusted runner
        try:
            ok = dsl.run_trusted(text, as_grid(inp)) == as_grid(out)
        except Exception:  # noqa: BLE001
            ok = False
        if not ok:
            return outs, "program text does not reproduce output"
    if ambiguous(draft, outs) is not None:
        return outs, "ambiguous"
    return outs, None


def ambiguous(draft: Draft, outs: Sequence[np.ndarray]) -> Program | None:
    """Another program of the family that fits every train pair but differs on a test pair."""
    k = draft.n_train
    tin, tout = draft.inputs[:k], list(outs[:k])
    alts = draft.alternatives
    if callable(alts):
        alts = alts(draft.inputs, tout)
    cache: dict = {}  # (input index, program prefix) -> image: alternatives share prefixes
    # smallest train input first: most alternatives fail there, and cheaply
    order = sorted(range(k), key=lambda i: tin[i].size)
    for alt in alts:
        if alt == draft.program:
            continue
        if all(same(_run_prefixed(alt, i, draft.inputs[i], cache), tout[i]) for i in order):
            if not all(same(_run_prefixed(alt, i, draft.inputs[i], cache), outs[i])
                       for i in range(k, len(draft.inputs))):
                return alt
    return None


def _run_prefixed(program: Program, idx: int, grid: np.ndarray, cache: dict) -> np.ndarray | None:
    """:func:`run`, reusing the images of program prefixes already run on input ``idx``
    (one-image programs; a program of several images is run whole)."""
    if len(program) == 1 or not plain(program):
        return run(program, grid)
    start, img = 0, grid
    for i in range(len(program) - 1, 0, -1):
        key = (idx, program[:i])
        if key in cache:
            start, img = i, cache[key]
            break
    for i in range(start, len(program)):
        if img is None:
            return None
        img = run(program[i:i + 1], img)
        if i < len(program) - 1:
            cache[(idx, program[:i + 1])] = img
    return img


def to_task(task_id: str, draft: Draft, outs: Sequence[np.ndarray]) -> Task:
    pairs = [Pair(as_grid(i), as_grid(o)) for i, o in zip(draft.inputs, outs)]
    return Task(task_id, tuple(pairs[:draft.n_train]), tuple(pairs[draft.n_train:]))


# ---------------------------------------------------------------- settings and context


@dataclass
class V2Config:
    """Settings of the DSL v2 task generators."""

    min_side: int = 3  # smallest grid side a family draws (grids may be cropped smaller)
    max_side: int = 30  # largest side of any input or output grid
    min_train: int = 2  # fewest train pairs
    max_train: int = 5  # most train pairs
    max_test: int = 2  # most test pairs (at least one)
    max_steps: int = 3  # random-v2: most operations in a program
    pair_tries: int = 8  # redraws of one input before the task is dropped

    def check(self) -> None:
        if not 1 <= self.min_side <= self.max_side <= MAX_SIDE:
            raise ValueError(f"grid sides must satisfy 1 <= min_side <= max_side <= 30, "
                             f"got {self.min_side}..{self.max_side}")
        if not 1 <= self.min_train <= self.max_train:
            raise ValueError(f"train pairs must satisfy 1 <= min_train <= max_train, "
                             f"got {self.min_train}..{self.max_train}")
        if self.max_test < 1 or self.max_steps < 1:
            raise ValueError("max_test and max_steps must be >= 1")


TRAIN_WEIGHTS = {1: 0.02, 2: 0.15, 3: 0.5, 4: 0.25, 5: 0.08}  # ARC-AGI-1 training, roughly


@dataclass
class Ctx:
    """One task being made: its settings, pair counts and the stats to count redraws in."""

    cfg: V2Config
    n_train: int
    n_test: int
    stats: V2Stats

    @property
    def n(self) -> int:
        return self.n_train + self.n_test

    @classmethod
    def draw(cls, rng: np.random.Generator, cfg: V2Config, stats: V2Stats) -> "Ctx":
        ks = list(range(cfg.min_train, cfg.max_train + 1))
        p = np.array([TRAIN_WEIGHTS.get(k, 0.05) for k in ks])
        n_train = int(rng.choice(ks, p=p / p.sum()))
        n_test = 1 if cfg.max_test == 1 or rng.random() < 0.88 else 2
        return cls(cfg, n_train, n_test, stats)

    def hi(self, cap: int = MAX_SIDE) -> int:
        """The largest input side allowed by the settings and ``cap``."""
        return max(self.cfg.min_side, min(self.cfg.max_side, cap))

    def lo(self, floor: int = 1) -> int:
        return min(max(self.cfg.min_side, floor), self.cfg.max_side)

    def collect(self, rng: np.random.Generator, program: Program, new_input,
                check: PairCheck | None = None) -> list[np.ndarray]:
        return collect(rng, program, new_input, self.n, check, self.stats, self.cfg.pair_tries,
                       self.cfg.max_side)

    def draft(self, program: Program, inputs: list[np.ndarray], alternatives: Alternatives = (),
              check_pair: PairCheck | None = None, check_task: TaskCheck | None = None) -> Draft:
        return Draft(program, inputs, self.n_train, alternatives, check_pair, check_task,
                     self.cfg.max_side)
