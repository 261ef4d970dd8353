"""Tiny random models and word-level tokenizers for tests and benchmarks.

``make_tiny_model(folder)`` writes a normal Hugging Face model folder (config, safetensors
weights, tokenizer files) that ``solver.model.load`` reads like any real checkpoint. The
tokenizer is word level: each digit, each run of spaces, each newline, each punctuation
mark and each identifier is one token, and decoding concatenates the pieces, so prompts and
programs round-trip exactly.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterable

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
