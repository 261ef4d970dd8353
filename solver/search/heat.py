"""The sampling temperatures of a round: the configured ones times a heat multiplier that
grows while the model's samples have collapsed onto few outputs."""

from __future__ import annotations

from solver.search.config import HerConfig


def round_temperatures(heat: float, config: HerConfig) -> tuple[float, ...]:
    """The temperatures a round samples at: each configured one times ``heat``, capped at
    ``config.max_temperature`` (a configured temperature above the cap stays as it is)."""
    return tuple(min(t * heat, max(t, config.max_temperature)) for t in config.temperatures)


def collapsed(distinct: int, samples: int, config: HerConfig) -> bool:
    """Whether a round collapsed: fewer distinct outputs than ``heat_below`` of its samples
    (a round with no samples counts as collapsed)."""
    return distinct / max(samples, 1) < config.heat_below


def next_heat(heat: float, distinct: int, samples: int, config: HerConfig) -> float:
    """The temperature multiplier of the next round. Learning from its own programs can
    collapse the model onto one of them (256 samples, 1 distinct output, round after
    round); then each round samples hotter, and cools a step once the distinct share is
    back above twice the threshold (a margin, so it does not flip every round)."""
    if collapsed(distinct, samples, config):
        return heat * config.heat_factor
    if distinct / max(samples, 1) >= 2 * config.heat_below and heat > 1.0:
        return max(1.0, heat / config.heat_factor)
    return heat
