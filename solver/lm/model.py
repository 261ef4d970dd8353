"""The language model: offline loading, fast batched sampling, per-task LoRA adapters.

Loading reads a local folder only (``local_files_only``; a path that is not an existing
model folder is an error naming it, never a hub lookup). ``quantization`` picks full
weights or bitsandbytes 8-bit/4-bit (both also work on CPU). An optional ``solver.json``
in the folder sets the prompt format and sampling defaults::

    {"prompt": {"encoder": "sparse", "chat": false}, "max_new_tokens": 160, "grammar": "dsl"}

(``grammar``: the model writes only DSL programs, so sampling keeps every row inside the
DSL's grammar, :class:`solver.lm.constrain.DslGrammar`; leave it out for general models.)
``"dialect"`` (and ``"preset"``) pick the prompt and program conventions of the checkpoint
(:mod:`solver.lm.dialects`; docs/CHECKPOINTS.md lists every key). The tokenizer must keep
digits as single tokens only when the dialect's grid encoder writes digits side by side.

Sampling n programs for one prompt (:meth:`Model.sample`):

- the prompt is run through the model once, where plain ``generate`` with
  ``num_return_sequences`` runs it once per row; during decoding every row attends to the
  prompt's keys/values through one shared matrix product (a registered attention function,
  :func:`_shared_prefix_attention`) and keeps only its own generated tokens in a
  preallocated buffer (no per-step concatenation). Models whose attention is not
  pluggable get the prompt's cache copied into every row instead;
- each row has its own temperature (``SampleConfig.temperatures`` is cycled over rows; 0
  means greedy) and nucleus (top-p) filtering, all in one batch;
- a row stops at EOS or when the program ends: the first non-indented line or a closing
  code fence after the body. Finished rows are dropped from the batch as it shrinks;
- on an out-of-memory error the batch size is halved and the batch retried (the smaller
  size is kept for the rest of the model's life);
- seeded: the same (seed, batch size, config) gives the same samples.

Adapters: :meth:`Model.add_adapter` attaches a fresh LoRA (peft) whose parameters are the
only ones with ``requires_grad``; training and sampling go through it;
:meth:`Model.remove_adapter` unloads it and leaves the base weights bit-identical.
"""

from __future__ import annotations

import inspect
import json
import time
import warnings
from contextlib import nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import torch
from transformers.cache_utils import DynamicCache, DynamicLayer

from solver.lm import dialects as dialects_mod
from solver.lm import prompt as prompt_mod
from solver.lm import quiet
from solver.lm.config import DTYPE_NAMES, QUANTIZATIONS, ModelConfig, SampleConfig  # noqa: F401
from solver.lm.constrain import GRAMMARS, DslGrammar, LegalLines
from solver.arc.grids import Task
from solver.lm.prompt import PromptConfig, PromptTooLong
from solver.lm.seeds import mix_seed

DEFAULT_MODEL_DIR = Path(__file__).parents[1] / "models" / "default"
DEFAULT_MAX_NEW_TOKENS = 512
MAX_BATCH = 256
DTYPES = {name: getattr(torch, name) for name in DTYPE_NAMES}  # float32, bfloat16, float16


class ModelLoadError(ValueError):
    """A model folder that cannot be used (missing, not a model, bad solver.json, bad tokenizer)."""


# ---------------------------------------------------------------- results (settings: solver.lm.config)


@dataclass
class Sample:
    text: str  # the completion after the prompt, up to the end of the program
    code: str  # the program: the dialect's extraction of text
    n_tokens: int  # generated tokens (EOS not counted)
    temperature: float
    token_ids: tuple[int, ...] = ()  # the generated tokens (with the one that ended the program)


@dataclass
class SampleStats:
    """What the last :meth:`Model.sample` call did (for logs and tests)."""

    prompt_tokens: int = 0
    generated_tokens: int = 0
    batch_sizes: list[int] = field(default_factory=list)  # per batch actually completed
    oom_retries: int = 0
    cut_rows: int = 0  # rows dropped unfinished at the deadline
    seconds: float = 0.0


# ---------------------------------------------------------------- loading


def _resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for but CUDA is not available")
    return dev


def _resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    if dtype != "auto":
        return DTYPES[dtype]
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def read_solver_json(folder: Path) -> dict:
    """The folder's ``solver.json`` (``{}`` when absent); errors name the file."""
    path = folder / "solver.json"
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"{path}: not readable JSON ({e})") from None
    if not isinstance(data, dict):
        raise ModelLoadError(f"{path}: expected a JSON object")
    try:
        data = dialects_mod.with_preset(data, str(path))
    except ValueError as e:
        raise ModelLoadError(str(e)) from None
    unknown = set(data) - {"prompt", "max_new_tokens", "context_length", "grammar",
                           *dialects_mod.SOLVER_JSON_KEYS}
    if unknown:
        warnings.warn(f"{path}: ignoring unknown keys {sorted(unknown)}", stacklevel=2)
    for key in ("max_new_tokens", "context_length"):
        if key in data and not (isinstance(data[key], int) and data[key] > 0):
            raise ModelLoadError(f"{path}: {key} must be a positive integer, got {data[key]!r}")
    if data.get("grammar") is not None and data["grammar"] not in GRAMMARS:
        raise ModelLoadError(f"{path}: grammar must be one of {', '.join(GRAMMARS)} or null, "
                             f"got {data['grammar']!r}")
    if not isinstance(data.get("prompt", {}), dict):
        raise ModelLoadError(f"{path}: prompt must be an object")
    return data


def load(config: ModelConfig | None = None) -> "Model":
    """Load model and tokenizer from a local folder (never the hub)."""
    config = config or ModelConfig()
    folder = Path(config.path) if config.path is not None else DEFAULT_MODEL_DIR
    if not folder.is_dir():
        hint = (" (the embedded default model is not installed; pass a model folder with --model)"
                if config.path is None else "")
        raise ModelLoadError(f"model folder {folder} does not exist{hint}")
    if not (folder / "config.json").is_file():
        raise ModelLoadError(f"model folder {folder} has no config.json: not a model folder")
    extra = read_solver_json(folder)
    if config.dialect is not None:  # the command line's choice over the folder's
        extra["dialect"] = config.dialect
    try:
        prompt_config = PromptConfig(**extra.get("prompt", {}))
    except (TypeError, ValueError) as e:
        raise ModelLoadError(f"{folder / 'solver.json'}: prompt: {e}") from None
    try:
        dialect = dialects_mod.from_solver_json(
            extra, "--dialect" if config.dialect is not None else str(folder / "solver.json"))
    except ValueError as e:
        raise ModelLoadError(str(e)) from None

    from transformers import AutoModelForCausalLM, AutoTokenizer

    quiet.route_transformers()  # no-op unless this process routes library output to a file
    device = _resolve_device(config.device)
    dtype = _resolve_dtype(config.dtype, device)
    kwargs: dict = {"local_files_only": True, "dtype": dtype}
    if config.quantization != "none":
        from transformers import BitsAndBytesConfig

        if config.quantization == "4bit":
            kwargs["quantization_config"] = BitsAndBytesConfig(
                load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=dtype)
        else:
            kwargs["quantization_config"] = BitsAndBytesConfig(load_in_8bit=True)
            # bitsandbytes logs "MatMul8bitLt: inputs will be cast ..." on every 8-bit matrix
            # product whose input is not fp16 (fp32 on CPU, bf16 on GPUs): harmless, say it once
            quiet.say_once("bitsandbytes.autograd._functions")
        kwargs["device_map"] = {"": str(device)}
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(folder, **kwargs)
    except (OSError, ValueError, KeyError) as e:
        raise ModelLoadError(f"model folder {folder}: cannot load ({type(e).__name__}: {e})") from None
    if config.quantization == "none":
        model.to(device)
    model.eval()
    for mod in model.modules():
        if hasattr(mod, "support_avx512bf16_for_cpu"):
            # bitsandbytes (4-bit, CPU) repacks weights for a faster inference kernel on the
            # first no-grad forward; that kernel has no backward (LoRA training through it
            # silently gets wrong gradients) and state_dict() unpacks again: keep one format
            mod.support_avx512bf16_for_cpu = False
    try:  # only encoders that write digits side by side need one token per digit
        dialect.check_tokenizer(tokenizer, prompt_config)
    except ValueError as e:
        raise ModelLoadError(f"model folder {folder}: {e}") from None
    context = int(extra.get("context_length") or getattr(model.config, "max_position_embeddings", 0)
                  or 2048)
    return Model(model, tokenizer, prompt_config, device, context,
                 int(extra.get("max_new_tokens") or dialect.max_new_tokens
                     or DEFAULT_MAX_NEW_TOKENS), folder, config,
                 grammar=extra.get("grammar"), dialect=dialect)


# ---------------------------------------------------------------- sampling pieces


def samplable(*tiers: torch.Tensor) -> torch.Tensor:
    """The first tier's logits, with every row that has no finite logit left (masks that
    together allow nothing, or NaNs from a diverged adapter) taken from the next tier, and
    a row that is dead in every tier set uniform: sampling never raises on a bad row."""
    def clean(x: torch.Tensor) -> torch.Tensor:  # NaN and +inf count as masked out
        return torch.nan_to_num(x, nan=-torch.inf, posinf=-torch.inf, neginf=-torch.inf)

    out = clean(tiers[0])
    for nxt in tiers[1:]:
        dead = ~torch.isfinite(out).any(dim=-1)
        if not dead.any():
            return out
        out = out.clone()
        out[dead] = clean(nxt[dead])
    dead = ~torch.isfinite(out).any(dim=-1)
    if dead.any():
        out = out.clone()
        out[dead] = 0.0
    return out


class RowTemperatureTopP:
    """Logits processor: row i is divided by its temperature, rows at temperature 0 keep
    only their argmax, then every row keeps its top-p nucleus (others set to -inf).

    Also usable as a transformers ``LogitsProcessor`` (``__call__(input_ids, scores)``).
    """

    def __init__(self, temperatures: torch.Tensor, top_p: float = 1.0):
        self.temperatures = temperatures
        self.top_p = top_p

    def __call__(self, input_ids: torch.Tensor | None, scores: torch.Tensor) -> torch.Tensor:
        scores = scores.float()
        t = self.temperatures.to(scores.device, torch.float32)
        greedy = t <= 0
        out = scores / torch.where(greedy, torch.ones_like(t), t)[:, None]
        if greedy.any():
            top = scores.argmax(dim=-1, keepdim=True)
            only_top = torch.full_like(scores, float("-inf")).scatter(1, top, 0.0)
            out = torch.where(greedy[:, None], only_top, out)
        if self.top_p < 1.0:
            sorted_logits, order = out.sort(dim=-1, descending=True)
            probs = sorted_logits.softmax(dim=-1)
            before = probs.cumsum(dim=-1) - probs  # mass of the strictly better tokens
            drop_sorted = before >= self.top_p  # the first token is always kept
            drop = torch.zeros_like(drop_sorted).scatter(1, order, drop_sorted)
            out = out.masked_fill(drop, float("-inf"))
        return out


def _is_oom(e: BaseException) -> bool:
    if isinstance(e, torch.OutOfMemoryError):
        return True
    msg = str(e).lower()
    return isinstance(e, RuntimeError) and ("out of memory" in msg or "can't allocate memory" in msg)


class _RowsLayer(DynamicLayer):
    """One layer's per-row KV cache in a preallocated buffer; ``keys``/``values`` are views
    of the filled part, so a step writes one slot instead of concatenating the whole cache
    (what ``DynamicLayer`` does).

    With ``shared`` (the prompt's keys/values, batch 1) the buffer holds only the generated
    tokens and attention goes through :func:`_shared_prefix_attention`, which reads the
    prompt's keys once for all rows. Without it (models whose attention is not pluggable),
    the prompt is copied into every row. Positions count the prompt either way."""

    def __init__(self, k: torch.Tensor, v: torch.Tensor, rows: int, capacity: int, shared: bool):
        super().__init__()
        n = k.shape[2]
        self.shared = (k, v) if shared else None
        self._offset = n if shared else 0  # prompt tokens not stored in the buffer
        size = capacity - self._offset
        self._k = k.new_empty((rows, k.shape[1], size, k.shape[3]))
        self._v = v.new_empty((rows, v.shape[1], size, v.shape[3]))
        self._n = 0
        if not shared:
            self._k[:, :, :n] = k
            self._v[:, :, :n] = v
            self._n = n
        self.dtype, self.device = k.dtype, k.device
        self.is_initialized = True
        self._views()

    def _views(self) -> None:
        self.keys = self._k[:, :, :self._n]
        self.values = self._v[:, :, :self._n]

    def update(self, key_states, value_states, *args, **kwargs):
        q = key_states.shape[2]
        self._k[:, :, self._n:self._n + q] = key_states
        self._v[:, :, self._n:self._n + q] = value_states
        self._n += q
        self._views()
        return self.keys, self.values

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        self._k = self._k[indices]
        self._v = self._v[indices]
        self._views()

    def get_seq_length(self) -> int:
        return self._offset + self._n

    def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
        return self._offset + self._n + query_length, 0


def _rows_cache(prefix: list[tuple[torch.Tensor, torch.Tensor]], rows: int, capacity: int,
                shared: bool) -> DynamicCache:
    """A cache for ``rows`` continuations of the prompt, room for ``capacity`` tokens."""
    cache = DynamicCache()
    cache.layer_class_to_replicate = None
    cache.layers = [_RowsLayer(k, v, rows, capacity, shared) for k, v in prefix]
    return cache


_ACTIVE_CACHE: ContextVar = ContextVar("solver_shared_prefix_cache", default=None)
SHARED_PREFIX_ATTENTION = "solver_shared_prefix"


def _shared_prefix_attention(module, query, key, value, attention_mask, dropout: float = 0.0,
                             scaling: float | None = None, **kwargs):
    """Attention over [shared prompt keys] + [each row's own generated keys].

    ``query`` is [B, Hq, q, D]; ``key``/``value`` hold the rows' generated tokens
    [B, Hkv, t, D] (the current ones included, causal among the last q); the prompt's
    keys/values [1, Hkv, P, D] are the same for every row, so their scores are one matrix
    product for all rows instead of B copies. The two parts are joined with one softmax.
    """
    cache = _ACTIVE_CACHE.get()
    pk, pv = cache.layers[module.layer_idx].shared
    b, hq, q, d = query.shape
    hkv, t, p = key.shape[1], key.shape[2], pk.shape[2]
    m = (hq // hkv) * q  # query rows per kv head (grouped-query attention folds heads)
    scale = scaling if scaling is not None else d ** -0.5
    qg = query.reshape(b, hkv, m, d)
    s1 = torch.matmul(qg.transpose(0, 1).reshape(hkv, b * m, d), pk[0].transpose(1, 2))
    s1 = s1.view(hkv, b, m, p).float() * scale
    s2 = (torch.matmul(qg, key.transpose(2, 3)).float() * scale).transpose(0, 1)  # [hkv, b, m, t]
    if q > 1:  # query i (of the last q) sees generated keys up to t - q + i
        i = torch.arange(m, device=query.device) % q
        j = torch.arange(t, device=query.device)
        s2 = s2.masked_fill(j[None, :] > (t - q + i)[:, None], float("-inf"))
    top = torch.maximum(s1.amax(-1), s2.amax(-1)).unsqueeze(-1)
    e1, e2 = torch.exp(s1 - top), torch.exp(s2 - top)
    den = e1.sum(-1, keepdim=True) + e2.sum(-1, keepdim=True)
    o1 = torch.matmul(e1.to(pv.dtype).view(hkv, b * m, p), pv[0]).view(hkv, b, m, d)
    o2 = torch.matmul(e2.to(value.dtype).transpose(0, 1), value).transpose(0, 1)
    out = (o1.float() + o2.float()) / den  # [hkv, b, m, d]
    out = out.permute(1, 0, 2, 3).reshape(b, hq, q, d)
    return out.transpose(1, 2).contiguous().to(query.dtype), None


def cache_argument(model) -> str:
    """The name of the forward argument that takes the KV cache: ``cache`` since
    transformers 5.24 (where ``past_key_values`` is deprecated, to be removed in 5.40),
    ``past_key_values`` before."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    try:
        params = inspect.signature(base.forward).parameters
    except (TypeError, ValueError):
        return "past_key_values"
    return "cache" if "cache" in params else "past_key_values"


def _register_attention() -> None:
    from transformers import AttentionInterface

    AttentionInterface.register(SHARED_PREFIX_ATTENTION, _shared_prefix_attention)


_register_attention()


class _AttentionSwitch:
    """Within the block, the model's attention is :func:`_shared_prefix_attention` over
    ``cache`` (no masks are built for it: there is no padding)."""

    def __init__(self, model, cache):
        self.configs = [c for c in {id(c): c for c in _configs(model)}.values()]
        self.cache = cache

    def __enter__(self):
        self.saved = [c._attn_implementation_internal for c in self.configs]
        for c in self.configs:
            c._attn_implementation_internal = SHARED_PREFIX_ATTENTION
        self.token = _ACTIVE_CACHE.set(self.cache)

    def __exit__(self, *exc):
        _ACTIVE_CACHE.reset(self.token)
        for c, old in zip(self.configs, self.saved):
            c._attn_implementation_internal = old


def _configs(model) -> list:
    """Every config object an attention module reads."""
    out = []
    for mod in model.modules():
        cfg = getattr(mod, "config", None)
        if cfg is not None and hasattr(cfg, "_attn_implementation_internal"):
            out.append(cfg)
    return out


def _supports_shared_prefix(model) -> bool:
    """Attention is pluggable (transformers' AttentionInterface) and not sliding-window."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    cfg = getattr(base, "config", None)
    return (bool(getattr(base, "_supports_attention_backend", False)) and cfg is not None
            and not getattr(cfg, "sliding_window", None)
            and not getattr(cfg, "use_sliding_window", False)
            and all(t == "full_attention" for t in (getattr(cfg, "layer_types", None) or [])))


class _StopTracker:
    """Per-row end-of-program detection from token texts.

    The completion starts at the beginning of a line (the prompt ends with the program's
    head). A row is finished at EOS, or at the first character that is not whitespace at
    the start of a line with no indentation (a new top-level statement, trailing prose or
    a closing fence): the program body is over.
    """

    # line states: 0 = only unindented whitespace-free start, 1 = indented so far, 2 = inside a line
    def __init__(self, tokenizer, eos_ids: set[int]):
        self.tokenizer = tokenizer
        self.eos_ids = eos_ids
        self._text: dict[int, str] = {}
        self._step: dict[tuple[int, int], tuple[int, bool]] = {}
        anchor = tokenizer.encode("a", add_special_tokens=False)
        self._anchor = anchor if len(anchor) == 1 else []
        self._anchor_text = tokenizer.decode(self._anchor) if self._anchor else ""

    def token_text(self, tid: int) -> str:
        text = self._text.get(tid)
        if text is None:
            if self._anchor:
                both = self.tokenizer.decode(self._anchor + [tid])
                text = (both[len(self._anchor_text):] if both.startswith(self._anchor_text)
                        else self.tokenizer.decode([tid]))
            else:
                text = self.tokenizer.decode([tid])
            self._text[tid] = text
        return text

    def advance(self, state: int, tid: int) -> tuple[int, bool]:
        """(new state, finished) after emitting token ``tid`` in ``state`` (cached)."""
        key = (tid, state)
        hit = self._step.get(key)
        if hit is not None:
            return hit
        hit = (state, True) if tid in self.eos_ids else self._scan(state, self.token_text(tid))
        self._step[key] = hit
        return hit

    @staticmethod
    def _scan(state: int, text: str) -> tuple[int, bool]:
        """(new line state, finished) after the characters of ``text``."""
        done = False
        for ch in text:
            if ch == "\n":
                state = 0
            elif ch in " \t":
                if state == 0:
                    state = 1
            elif ch == "\r":
                continue
            else:
                if state == 0:
                    done = True
                    break
                state = 2
        return state, done

    @staticmethod
    def trim(text: str) -> str:
        """The text of a row that ended at an unindented line, without that line."""
        return text[:text.rfind("\n") + 1]


class _FenceStop(_StopTracker):
    """End of program at a closing code fence (three backticks, from any tokens) or EOS:
    the completion is a whole file, so unindented lines do not end it. The state is the
    number of backticks just written (0-2)."""

    @staticmethod
    def _scan(state: int, text: str) -> tuple[int, bool]:
        """(backticks just written, finished) after the characters of ``text``."""
        done = False
        for ch in text:
            state = state + 1 if ch == "`" else 0
            if state == 3:
                done = True
                break
        return state, done

    @staticmethod
    def trim(text: str) -> str:
        """The text of a row that ended at a fence, without the fence."""
        end = text.find("```")
        return text if end < 0 else text[:end]


# ---------------------------------------------------------------- the model


class Model:
    """A loaded checkpoint: ``.model`` (torch module, a peft model while an adapter is
    attached), ``.tokenizer``, ``.prompt_config``, ``.device``, ``.context_length``."""

    def __init__(self, model, tokenizer, prompt_config: PromptConfig, device: torch.device,
                 context_length: int, max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
                 path: Path | None = None, config: ModelConfig | None = None,
                 grammar: str | None = None, dialect: "dialects_mod.Dialect | None" = None):
        self.model = model
        self.dialect = dialect or dialects_mod.DSL  # prompt, stop rule, extraction, entry point
        self._cache_arg = cache_argument(model)  # peft passes it through to the base model
        self.tokenizer = tokenizer
        self.prompt_config = prompt_config
        self.device = device
        self.context_length = context_length
        self.max_new_tokens = max_new_tokens
        self.grammar = grammar  # "dsl": the model writes only DSL programs (constrain.DslGrammar)
        self.path = path
        self.config = config
        self.max_batch = MAX_BATCH  # lowered for good on out-of-memory
        # prompt keys read once for all rows (else copied into every row); see _RowsLayer
        self.shared_prefix_attention = True
        self.last_stats = SampleStats()
        self._base = None  # the model without adapter while one is attached
        self._grad_flags: dict[str, bool] | None = None
        self._saved: dict[str, torch.Tensor] | None = None  # full tuning: the weights before it
        eos = set()
        for src in (getattr(tokenizer, "eos_token_id", None),
                    getattr(getattr(model, "generation_config", None), "eos_token_id", None)):
            if isinstance(src, int):
                eos.add(src)
            elif isinstance(src, (list, tuple)):
                eos.update(int(x) for x in src)
        self.eos_ids = eos
        self._stops = (_FenceStop if self.dialect.stop == "fence" else _StopTracker)(tokenizer, eos)
        self._legal_lines: LegalLines | None = None  # built on first use (scans the vocabulary)
        self._grammar: DslGrammar | None = None  # likewise

    # ------------------------------------------------------------ prompts

    @property
    def uses_chat(self) -> bool:
        return self.dialect.uses_chat(self.tokenizer, self.prompt_config)

    def encode(self, text: str) -> list[int]:
        """Token ids of a prompt (special tokens added unless the chat template did it)."""
        return self.tokenizer.encode(text, add_special_tokens=not self.uses_chat)

    def prompt_for(self, task: Task, max_new_tokens: int | None = None) -> str:
        """The prompt for ``task``; raises :class:`PromptTooLong` (a clean skip reason)
        when prompt plus ``max_new_tokens`` does not fit the model's context."""
        text = self.dialect.prompt(task, self.tokenizer, self.prompt_config)
        new = max_new_tokens or self.max_new_tokens
        n = len(self.encode(text))
        if n + new > self.context_length:
            raise PromptTooLong(task.id, n, new, self.context_length)
        return text

    def example_for(self, task: Task, code: str) -> tuple[str, str]:
        """A training example ``(prompt, target)`` for ``code`` on ``task``, in the model's
        dialect (ValueError for a program the dialect cannot write)."""
        return self.dialect.example(task, code, self.tokenizer, self.prompt_config)

    # ------------------------------------------------------------ sampling

    def sample(self, prompt: str, cfg: SampleConfig | None = None,
               deadline: float | None = None) -> list[Sample]:
        """``cfg.n`` completions of ``prompt`` (rows in order; row i at temperature
        ``temperatures[i % k]``). With ``deadline`` (a ``time.time()``), sampling stops
        there: the rows finished by then are returned, the rest are dropped
        (``last_stats.cut_rows``)."""
        cfg = cfg or SampleConfig()
        t0 = time.perf_counter()
        max_new = cfg.max_new_tokens or self.max_new_tokens
        ids = self.encode(prompt)
        if len(ids) + max_new > self.context_length:
            raise PromptTooLong(None, len(ids), max_new, self.context_length)
        if not cfg.temperatures:
            raise ValueError("SampleConfig.temperatures is empty")
        if not 0.0 < cfg.top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {cfg.top_p}")
        stats = SampleStats(prompt_tokens=len(ids))
        self.last_stats = stats
        temps = [float(cfg.temperatures[i % len(cfg.temperatures)]) for i in range(cfg.n)]
        was_training = self.model.training
        self.model.eval()  # no dropout while sampling (the trainer switches back itself)
        try:
            # no_grad, not inference_mode: tensors a module caches during sampling must stay
            # usable for training afterwards
            with torch.no_grad():
                out = self._sample_rows(ids, temps, cfg, max_new, stats, deadline)
        finally:
            self.model.train(was_training)
        stats.generated_tokens = sum(s.n_tokens for s in out)
        stats.seconds = time.perf_counter() - t0
        return out

    def _sample_rows(self, ids: list[int], temps: list[float], cfg: SampleConfig, max_new: int,
                     stats: SampleStats, deadline: float | None = None) -> list[Sample]:
        prefix, last_logits = self._prefill(ids)
        out: list[Sample] = []
        batch = min(cfg.batch_size or self.max_batch, max(cfg.n, 1))
        start = 0
        while start < cfg.n:
            if deadline is not None and time.time() >= deadline:
                stats.cut_rows += cfg.n - start
                break
            rows = min(batch, cfg.n - start)
            try:
                got = self._decode(prefix, last_logits, temps[start:start + rows], cfg,
                                   max_new, seed=mix_seed(cfg.seed, start), deadline=deadline)
            except Exception as e:  # noqa: BLE001 - only out-of-memory is handled
                if not _is_oom(e) or rows <= 1:
                    raise
                stats.oom_retries += 1
                batch = max(1, rows // 2)
                self.max_batch = min(self.max_batch, batch)
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()
                continue
            stats.cut_rows += rows - len(got)
            out.extend(got)
            stats.batch_sizes.append(rows)
            start += rows
        return out

    def _forward(self, input_ids: torch.Tensor, cache):
        """One decode step for the batch (the seam where tests inject faults)."""
        return self.model(input_ids=input_ids, use_cache=True, **{self._cache_arg: cache})

    def _prefill(self, ids: list[int]):
        """The prompt's keys/values per layer (batch 1) and its next-token logits."""
        cache = DynamicCache()
        x = torch.tensor([ids], dtype=torch.long, device=self.device)
        try:  # logits for the last position only (a long prompt x a big vocabulary is GBs)
            out = self.model(input_ids=x, use_cache=True, logits_to_keep=1,
                             **{self._cache_arg: cache})
        except TypeError:
            cache = DynamicCache()
            out = self.model(input_ids=x, use_cache=True, **{self._cache_arg: cache})
        prefix = [(layer.keys, layer.values) for layer in cache.layers]
        return prefix, out.logits[:, -1, :].float()

    def _decode(self, prefix, last_logits: torch.Tensor, temps: list[float], cfg: SampleConfig,
                max_new: int, seed: int, deadline: float | None = None) -> list[Sample]:
        """One batch: every row continues the shared prompt cache. Rows still unfinished
        at ``deadline`` are dropped."""
        rows = len(temps)
        gen = torch.Generator(device=self.device)
        gen.manual_seed(seed)
        shared = self.shared_prefix_attention and _supports_shared_prefix(self.model)
        cache = _rows_cache(prefix, rows, prefix[0][0].shape[2] + max_new, shared)
        with _AttentionSwitch(self.model, cache) if shared else nullcontext():
            return self._decode_loop(cache, last_logits, temps, cfg, max_new, gen, deadline)

    def _decode_loop(self, cache, last_logits, temps, cfg, max_new, gen,
                     deadline: float | None = None) -> list[Sample]:
        rows = len(temps)
        row_temps = torch.tensor(temps, device=self.device)
        tokens = [[] for _ in range(rows)]
        state = [0] * rows
        ended = [False] * rows  # stopped by an unindented line (not EOS or the budget)
        pos_row = list(range(rows))  # batch position -> row
        live = [True] * rows  # per batch position; finished rows ride along until a shrink
        logits = last_logits.expand(rows, -1)
        dsl = self.dialect.dsl_constraints  # the drawing DSL's constraints fit its programs only
        legal = self._line_mask(rows) if cfg.legal_lines and dsl else None
        grammar = self._grammar_mask(rows) if cfg.grammar and self.grammar and dsl else None
        unfinished: set[int] = set()  # rows still running at the deadline
        for step in range(max_new):
            tiers = [logits]
            if grammar is not None:
                tiers.append(grammar.apply(tiers[-1], pos_row, live))
            if legal is not None:
                tiers.append(legal.apply(tiers[-1], pos_row, live))
            logits = samplable(*reversed(tiers))
            probs = RowTemperatureTopP(row_temps, cfg.top_p)(None, logits).softmax(dim=-1)
            nxt = torch.multinomial(probs, 1, generator=gen)  # [batch, 1]
            n_live = 0
            for pos, tid in enumerate(nxt[:, 0].tolist()):
                if not live[pos]:
                    continue
                row = pos_row[pos]
                if legal is not None:
                    legal.advance(row, tid)
                if grammar is not None:
                    grammar.advance(row, tid)
                if cfg.stop:
                    state[row], done = self._stops.advance(state[row], tid)
                    if done:
                        live[pos] = False
                        if tid not in self.eos_ids:  # EOS is not part of the text
                            tokens[row].append(tid)
                            ended[row] = True
                        continue
                tokens[row].append(tid)
                n_live += 1
            if n_live == 0 or step == max_new - 1:
                break
            if deadline is not None and time.time() >= deadline:
                unfinished = {pos_row[p] for p in range(len(pos_row)) if live[p]}
                break
            if n_live <= 0.75 * len(pos_row):  # drop finished rows from the batch
                keep = [p for p in range(len(pos_row)) if live[p]]
                idx = torch.tensor(keep, device=self.device)
                cache.batch_select_indices(idx)
                row_temps, nxt = row_temps[idx], nxt[idx]
                pos_row = [pos_row[p] for p in keep]
                live = [True] * len(keep)
            logits = self._forward(nxt, cache).logits[:, -1, :].float()
        samples = []
        for row in range(rows):
            if row in unfinished:  # cut by the deadline: an incomplete program
                continue
            text = self.tokenizer.decode(tokens[row], skip_special_tokens=True)
            if cfg.stop and ended[row]:  # drop what ended the program (a line, a fence)
                text = self._stops.trim(text)
            samples.append(Sample(text, self.dialect.extract(text), len(tokens[row]),
                                  temps[row], tuple(tokens[row])))
        return samples

    def _line_mask(self, rows: int) -> LegalLines:
        if self._legal_lines is None:
            self._legal_lines = LegalLines(self._stops.token_text, len(self.tokenizer))
        self._legal_lines.reset(rows)
        return self._legal_lines

    def _grammar_mask(self, rows: int) -> DslGrammar:
        if self._grammar is None:
            self._grammar = DslGrammar(self._stops.token_text, len(self.tokenizer), self.eos_ids)
        self._grammar.reset(rows)
        return self._grammar

    # ------------------------------------------------------------ adapters

    @property
    def has_adapter(self) -> bool:
        """A LoRA is attached, or every weight is being tuned (:meth:`tune_all`)."""
        return self._base is not None or self._saved is not None

    def tune_all(self) -> None:
        """Full fine-tuning, the alternative to a LoRA: every weight requires grad, and
        :meth:`remove_adapter` puts back a copy of the weights taken here (bit-identical).
        Quantized weights cannot be tuned this way (``ValueError``)."""
        if self.has_adapter:
            raise RuntimeError("an adapter is already attached; remove_adapter() first")
        params = dict(self.model.named_parameters())
        # bitsandbytes' 4-bit and 8-bit weights are Parameter subclasses
        if any(type(p) is not torch.nn.Parameter or not p.is_floating_point()
               for p in params.values()):
            raise ValueError("full fine-tuning needs unquantized weights "
                             "(--quantization none), or use the LoRA (--tune lora)")
        self._grad_flags = {n: p.requires_grad for n, p in params.items()}
        self._saved = {n: p.detach().clone() for n, p in params.items()}
        for p in params.values():
            p.requires_grad_(True)
        self.model.eval()

    def add_adapter(self, r: int = 16, alpha: int = 32, dropout: float = 0.0,
                    target_modules: Sequence[str] | str | None = None, seed: int = 0,
                    rslora: bool = False) -> None:
        """Attach a fresh LoRA: only its parameters require grad; ``.model`` becomes the
        peft model (train and sample through it)."""
        from peft import LoraConfig, get_peft_model

        if self.has_adapter:
            raise RuntimeError("an adapter is already attached; remove_adapter() first")
        base = self.model
        self._grad_flags = {n: p.requires_grad for n, p in base.named_parameters()}
        lora = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, bias="none",
                          use_rslora=rslora,
                          target_modules=list(target_modules) if isinstance(
                              target_modules, (list, tuple)) else target_modules,
                          task_type="CAUSAL_LM")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            try:
                peft_model = get_peft_model(base, lora)
            except ValueError:
                if target_modules is not None:
                    raise
                lora.target_modules = "all-linear"  # architectures peft has no default for
                peft_model = get_peft_model(base, lora)
        self._base = base
        self.model = peft_model
        self.model.eval()

    def remove_adapter(self) -> None:
        """Drop the adapter; the base weights are exactly as before it was added (after
        :meth:`tune_all`: the weights copied back)."""
        if self._saved is not None:
            with torch.no_grad():
                for n, p in self.model.named_parameters():
                    p.copy_(self._saved[n])
                    p.grad = None
                    p.requires_grad_(self._grad_flags.get(n, True))
            self._saved = self._grad_flags = None
            self.model.eval()
            return
        if self._base is None:
            return
        base = self.model.unload()
        self.model = base
        self._base = None
        for n, p in base.named_parameters():
            if self._grad_flags is not None and n in self._grad_flags:
                p.requires_grad_(self._grad_flags[n])
        self._grad_flags = None
        base.eval()
