"""solver: an offline ARC-AGI solver that writes programs over a DSL, with an enumerator and
a language model, and learns at test time from its own attempts (hindsight experience
replay)."""

__version__ = "0.1.0"
