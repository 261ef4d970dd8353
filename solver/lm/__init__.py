"""The language model: prompts, constrained decoding, loading (full / 8-bit / 4-bit), the
shared-prefix sampler, adapters, the training loop and base pretraining.

The only layer that may import torch, transformers, peft and bitsandbytes (the layer rule:
docs/DESIGN.md, "The layer rule"); nothing is imported here, so ``import solver.lm`` stays
light until a module of it is used.
"""
