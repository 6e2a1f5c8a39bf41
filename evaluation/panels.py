"""The rules of an expert panel, in one home: how experts are drawn, how their totals are aggregated, and when a
candidate is flagged for discussion. No query here.

* **The draw.** The experts eligible for a panel (the pool's active experts of the panel's fields, less those who
  declared a stake in a candidate or work in one) are ordered by their id; ``random.Random(seed).sample`` draws
  ``size`` of them. The seed and the ordered ids are recorded on the panel, so ``replay`` gives the same experts,
  whatever happened to the pool since.
* **Aggregation.** A candidate's panel score is the mean of the submitted experts' totals, or, when the panel says
  so and at least ``TRIM_FROM`` experts have submitted, the mean without one highest and one lowest total
  (去掉一个最高分和一个最低分). With fewer experts the plain mean applies, and the table says so.
* **Disagreement.** A candidate whose highest and lowest totals differ by more than the panel's spread limit is
  flagged for discussion (the General Office talks it over before relying on the panel's score).
"""

from __future__ import annotations

import random
import secrets
from decimal import ROUND_HALF_UP, Decimal

TRIM_FROM = 5
CENT = Decimal("0.01")


def new_seed() -> int:
    """A seed for a new draw (63 bits: it fits a signed 64-bit column)."""
    return secrets.randbits(63)


def draw(*, seed: int, pool: list[int], size: int) -> list[int]:
    """The ids drawn from ``pool`` (already in its recorded order), in the order of the draw."""
    return random.Random(seed).sample(list(pool), size)


def aggregate(totals: list[Decimal], *, trimmed: bool) -> tuple[Decimal | None, bool]:
    """The panel's score of a candidate from the experts' totals, and whether the highest and lowest were dropped."""
    if not totals:
        return None, False
    dropped = trimmed and len(totals) >= TRIM_FROM
    kept = sorted(totals)[1:-1] if dropped else list(totals)
    return (sum(kept, Decimal(0)) / len(kept)).quantize(CENT, rounding=ROUND_HALF_UP), dropped


def spread(totals: list[Decimal]) -> Decimal | None:
    return (max(totals) - min(totals)) if totals else None


def disagrees(totals: list[Decimal], *, limit: Decimal) -> bool:
    """Flagged for discussion: two or more totals whose highest and lowest differ by more than ``limit``."""
    return len(totals) >= 2 and spread(totals) > limit
