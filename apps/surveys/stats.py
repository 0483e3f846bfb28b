"""NPS arithmetic as pure functions (no database): the score, its confidence interval, the
bootstrap interval of a difference, and the Wilson interval of a proportion. See METRICS.md."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist

TOO_FEW = 5  # below this many responses a figure is "too few to tell"


@dataclass(frozen=True)
class NpsResult:
    n: int
    promoters: int
    passives: int
    detractors: int
    score: int | None  # whole NPS points, rounded half away from zero; None without responses
    too_few: bool

    @property
    def exact(self) -> float | None:
        """The unrounded NPS, for arithmetic (differences, intervals)."""
        return None if self.n == 0 else 100 * (self.promoters - self.detractors) / self.n


def category(score: int) -> str:
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def round_half_away(value: Fraction | float) -> int:
    """Round to a whole number, halves away from zero (12.5 -> 13, -12.5 -> -13)."""
    value = Fraction(value)
    magnitude = math.floor(abs(value) + Fraction(1, 2))
    return magnitude if value >= 0 else -magnitude


def nps_from_counts(promoters: int, passives: int, detractors: int) -> NpsResult:
    n = promoters + passives + detractors
    score = None if n == 0 else round_half_away(Fraction(100 * (promoters - detractors), n))
    return NpsResult(n, promoters, passives, detractors, score, n < TOO_FEW)


def nps(scores: Iterable[int]) -> NpsResult:
    """NPS = % promoters (9-10) - % detractors (0-6); passives (7-8) count in the denominator."""
    counts = {"promoter": 0, "passive": 0, "detractor": 0}
    for score in scores:
        if not 0 <= score <= 10:
            raise ValueError(f"An NPS score is 0 to 10, not {score!r}.")
        counts[category(score)] += 1
    return nps_from_counts(counts["promoter"], counts["passive"], counts["detractor"])


def _z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + level / 2)


def nps_confidence_interval(scores: Iterable[int], level: float = 0.95) -> tuple[float | None, float | None]:
    """Normal-approximation interval in NPS points: var = p_pro + p_det - (p_pro - p_det)^2."""
    result = nps(scores)
    if result.n == 0:
        return None, None
    p_pro, p_det = result.promoters / result.n, result.detractors / result.n
    variance = p_pro + p_det - (p_pro - p_det) ** 2
    margin = _z(level) * math.sqrt(variance / result.n)
    centre = p_pro - p_det
    return max(-100.0, 100 * (centre - margin)), min(100.0, 100 * (centre + margin))


def wilson_interval(k: int, n: int, level: float = 0.95) -> tuple[float | None, float | None]:
    """Wilson score interval of the proportion k/n, as fractions 0..1; (None, None) when n == 0."""
    if n == 0:
        return None, None
    if not 0 <= k <= n:
        raise ValueError("k must be between 0 and n.")
    z = _z(level)
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if k == 0 else max(0.0, centre - margin)
    high = 1.0 if k == n else min(1.0, centre + margin)
    return low, high


def _signs(scores: Iterable[int]) -> list[int]:
    return [1 if s >= 9 else -1 if s <= 6 else 0 for s in scores]


EXACT_RESAMPLE_LIMIT = 500


def _resampler(signs: list[int], rng: random.Random):
    """A function drawing the mean sign (+1 promoter, 0 passive, -1 detractor) of one bootstrap
    resample of `signs`. Small groups are resampled answer by answer; a large group draws its
    promoter and detractor counts from the multinomial they follow (normal approximation of its
    binomials), so the cost per resample does not grow with the number of answers."""
    n = len(signs)
    if n <= EXACT_RESAMPLE_LIMIT:
        return lambda: sum(rng.choices(signs, k=n)) / n
    p_pro = signs.count(1) / n
    p_det = signs.count(-1) / n

    def binomial(trials: int, p: float) -> int:
        if trials == 0 or p <= 0:
            return 0
        if p >= 1:
            return trials
        value = round(rng.gauss(trials * p, math.sqrt(trials * p * (1 - p))))
        return min(max(value, 0), trials)

    def draw() -> float:
        promoters = binomial(n, p_pro)
        rest = 1 - p_pro
        detractors = binomial(n - promoters, p_det / rest if rest > 0 else 0)
        return (promoters - detractors) / n

    return draw


def nps_difference_bootstrap(
    a: Sequence[int], b: Sequence[int], iterations: int = 2000, seed: int = 12345, level: float = 0.95
) -> tuple[float | None, float | None, float | None]:
    """NPS(a) - NPS(b) in points, with a percentile bootstrap interval. Deterministic for a seed.
    (None, None, None) when either group is empty."""
    sa, sb = _signs(a), _signs(b)
    if not sa or not sb:
        return None, None, None
    diff = 100 * (sum(sa) / len(sa) - sum(sb) / len(sb))
    rng = random.Random(seed)  # noqa: S311  (a reproducible resample, not a secret)
    draw_a, draw_b = _resampler(sa, rng), _resampler(sb, rng)
    diffs = sorted(100 * (draw_a() - draw_b()) for _ in range(iterations))
    tail = (1 - level) / 2
    low = diffs[max(0, math.floor(tail * iterations))]
    high = diffs[min(iterations - 1, math.ceil((1 - tail) * iterations) - 1)]
    return diff, low, high


def group_summary(scores: Sequence[int]) -> dict:
    """n, NPS (rounded), its interval and the too-few flag of one group of respondents."""
    result = nps(scores)
    low, high = nps_confidence_interval(scores)
    return {
        "n": result.n,
        "nps": result.score,
        "promoters": result.promoters,
        "passives": result.passives,
        "detractors": result.detractors,
        "ci_low": low,
        "ci_high": high,
        "too_few": result.too_few,
    }


def trained_split(trained: Sequence[int], untrained: Sequence[int]) -> dict:
    """Trained vs untrained respondents side by side, and the bootstrap interval of the difference
    (trained - untrained). Correlation, not cause: the caller says so."""
    diff, low, high = nps_difference_bootstrap(trained, untrained)
    return {
        "trained": group_summary(trained),
        "untrained": group_summary(untrained),
        "difference": diff,
        "difference_low": low,
        "difference_high": high,
        "too_few": len(trained) < TOO_FEW or len(untrained) < TOO_FEW,
    }
