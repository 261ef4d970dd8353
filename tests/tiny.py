"""Tiny random models and word-level tokenizers for tests and benchmarks.

``make_tiny_model(folder)`` writes a normal Hugging Face model folder (config, safetensors
weights, tokenizer files) that ``solver.lm.model.load`` reads like any real checkpoint. The
tokenizer is word level: each digit, each run of spaces, each newline, each punctuation
mark and each identifier is one token, and decoding concatenates the pieces, so prompts and
programs round-trip exactly.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Iterable, Iterator

SPECIAL = ["[PAD]", "[UNK]", "[BOS]", "[EOS]"]
PIECE = r"\d|[A-Za-z_]+| +|\n|[^\sA-Za-z_\d]"
WORDS = ("def task img return np input output shape bg x create_img draw_pixel draw_line "
         "draw_horizontal_line draw_vertical_line draw_rectangle flood_fill python color "
         "Write a Python function that turns each into its using the drawing DSL").split()


def tokenizer_vocab(extra_texts: Iterable[str] = ()) -> list[str]:
    vocab = list(SPECIAL) + [str(d) for d in range(10)] + ["\n"] + [" " * k for k in range(1, 13)]
    vocab += list("()[],:=-+*/.<>`'\"#{}!?%&|;@\\^~")
    vocab += WORDS
    for text in extra_texts:
        vocab += re.findall(PIECE, text)
    seen, out = set(), []
    for v in vocab:
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out


def make_tokenizer(extra_texts: Iterable[str] = ()):
    """A ``PreTrainedTokenizerFast`` (word level, digits single tokens, exact round trip)."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {tok: i for i, tok in enumerate(tokenizer_vocab(extra_texts))}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(PIECE), behavior="isolated")
    tok.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]",
                                   bos_token="[BOS]", eos_token="[EOS]",
                                   clean_up_tokenization_spaces=False)


def make_tiny_model(folder, *, hidden: int = 64, layers: int = 2, heads: int = 4,
                    kv_heads: int | None = None,
                    intermediate: int | None = None, max_positions: int = 2048, seed: int = 0,
                    init_std: float = 0.1, solver_json: dict | None = None,
                    extra_texts: Iterable[str] = ()) -> Path:
    """Write a randomly initialised Llama and its tokenizer to ``folder``; return the path.

    ``init_std`` is larger than the usual 0.02 so that logits are peaked and greedy
    decoding is not decided by float rounding between near-equal candidates.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tok = make_tokenizer(extra_texts)
    config = LlamaConfig(
        vocab_size=len(tok), hidden_size=hidden, intermediate_size=intermediate or 2 * hidden,
        num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv_heads or heads,
        max_position_embeddings=max_positions, initializer_range=init_std,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id, tie_word_embeddings=False)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    if solver_json is not None:
        (folder / "solver.json").write_text(json.dumps(solver_json))
    return folder


# ---------------------------------------------------------------- byte-level BPE checkpoints

LLAMA3_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>"
    "\n\n{{ m['content'] }}<|eot_id|>{% endfor %}{% if add_generation_prompt %}"
    "<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}")
QWEN_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
DIGIT_CORPUS = " ".join(f"{i} {i:03d}" for i in range(1000))


def make_bpe_tokenizer(corpus: Iterable[str], *, digits: str = "single", style: str = "qwen",
                       vocab_size: int = 1200):
    """A byte-level BPE ``PreTrainedTokenizerFast`` trained on ``corpus`` (plus digits).

    ``digits``: ``single`` (every digit a token, like Qwen's) or ``grouped`` (runs of 1-3
    digits are pre-tokens that BPE merges, like Llama 3's: "123" is one token).
    ``style``: ``llama3`` or ``qwen`` special tokens and chat template."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    if style == "llama3":
        specials = {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>",
                    "pad_token": "<|finetune_right_pad_id|>"}
        extra = ["<|start_header_id|>", "<|end_header_id|>", "<|end_of_text|>"]
        template = LLAMA3_TEMPLATE
    else:
        specials = {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}
        extra = ["<|im_start|>"]
        template = QWEN_TEMPLATE
    number = r"\p{N}{1,3}" if digits == "grouped" else r"\p{N}"
    # the split rule of Llama 3 / Qwen 2 (newline runs are pieces of their own, so text
    # ending in a newline tokenizes the same alone as joined to what follows)
    pattern = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|" + number
               + r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=1,
                                  special_tokens=[*specials.values(), *extra],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    texts = list(corpus) + [DIGIT_CORPUS] * 4
    tok.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, chat_template=template,
                                   clean_up_tokenization_spaces=False, **specials)


def make_tiny_checkpoint(folder, tokenizer, *, arch: str = "llama", hidden: int = 64,
                         layers: int = 2, heads: int = 4, kv_heads: int = 2,
                         max_positions: int = 4096, seed: int = 0, init_std: float = 0.1,
                         solver_json: dict | None = None, model=None) -> Path:
    """Write a random Llama or Qwen2 (or ``model``, already built) and ``tokenizer`` to
    ``folder`` as a Hugging Face checkpoint; returns the path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if model is None:
        model = make_causal_lm(tokenizer, arch=arch, hidden=hidden, layers=layers, heads=heads,
                               kv_heads=kv_heads, max_positions=max_positions, seed=seed,
                               init_std=init_std)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    if solver_json is not None:
        (folder / "solver.json").write_text(json.dumps(solver_json))
    return folder


def make_causal_lm(tokenizer, *, arch: str = "llama", hidden: int = 64, layers: int = 2,
                   heads: int = 4, kv_heads: int = 2, max_positions: int = 4096, seed: int = 0,
                   init_std: float = 0.1, vocab_size: int | None = None):
    """A randomly initialised Llama or Qwen2 causal LM sized for ``tokenizer``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    cls, cfg_cls = ((LlamaForCausalLM, LlamaConfig) if arch == "llama"
                    else (Qwen2ForCausalLM, Qwen2Config))
    kwargs = {"use_sliding_window": False} if arch == "qwen2" else {}
    config = cfg_cls(
        vocab_size=vocab_size or len(tokenizer), hidden_size=hidden,
        intermediate_size=2 * hidden, num_hidden_layers=layers, num_attention_heads=heads,
        num_key_value_heads=kv_heads, max_position_embeddings=max_positions,
        initializer_range=init_std, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False, **kwargs)
    torch.manual_seed(seed)
    return cls(config)


@contextlib.contextmanager
def torch_threads(n: int = 1) -> Iterator[None]:
    """Run the block with torch on ``n`` threads, then restore the previous count (tiny
    models run fastest on one thread, and far slower on two of a busy machine)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
