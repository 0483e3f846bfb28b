"""Tests of apps/surveys/stats.py: the METRICS.md worked example and the intervals."""

import pytest

from apps.surveys import stats


def test_metrics_worked_example():
    result = stats.nps([10, 10, 9, 9, 9, 8, 7, 6, 3, 0])
    assert (result.n, result.promoters, result.passives, result.detractors) == (10, 5, 2, 3)
    assert result.score == 20
    assert result.too_few is False


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([10] * 5 + [8] * 2 + [0] * 1, 50),  # 62.5 - 12.5 = 50 exactly
        ([10] * 1 + [8] * 7, 13),  # 12.5 -> 13
        ([0] * 1 + [8] * 7, -13),  # -12.5 -> -13
        ([10] * 1 + [8] * 5, 17),  # 16.67 -> 17
        ([0] * 1 + [8] * 5, -17),
        ([9] * 3 + [8] * 197, 2),  # 1.5 -> 2
        ([6] * 3 + [8] * 197, -2),
    ],
)
def test_rounding_half_away_from_zero(scores, expected):
    assert stats.nps(scores).score == expected


def test_empty_and_too_few():
    empty = stats.nps([])
    assert empty.score is None and empty.n == 0 and empty.too_few
    assert stats.nps([10, 10, 10, 10]).too_few
    assert not stats.nps([10, 10, 10, 10, 10]).too_few
    assert stats.nps_confidence_interval([]) == (None, None)


def test_scores_out_of_range_are_refused():
    with pytest.raises(ValueError):
        stats.nps([11])


def test_confidence_interval_contains_the_score_and_narrows_with_n():
    small = [10, 10, 9, 9, 9, 8, 7, 6, 3, 0]
    low, high = stats.nps_confidence_interval(small)
    assert low < 20 < high
    # var = 0.5 + 0.3 - 0.04 = 0.76; se = sqrt(0.076) = 0.2757; 1.96 * se = 54.0 points
    assert high - 20 == pytest.approx(54.03, abs=0.05)
    low_big, high_big = stats.nps_confidence_interval(small * 100)
    assert low < low_big < 20 < high_big < high
    assert stats.nps_confidence_interval([10] * 10) == (100.0, 100.0)


def test_wilson_interval():
    assert stats.wilson_interval(0, 0) == (None, None)
    low, high = stats.wilson_interval(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-3) and high == pytest.approx(0.7634, abs=1e-3)
    low, high = stats.wilson_interval(0, 20)
    assert low == 0.0 and 0 < high < 0.2
    low, high = stats.wilson_interval(20, 20)
    assert 0.8 < low < 1 and high == 1.0


def test_bootstrap_is_deterministic_and_brackets_the_difference():
    trained = [10, 9, 9, 10, 8, 7, 9, 10, 6, 9] * 3
    untrained = [8, 7, 6, 5, 9, 10, 3, 7, 8, 6] * 3
    first = stats.nps_difference_bootstrap(trained, untrained)
    assert first == stats.nps_difference_bootstrap(trained, untrained)
    diff, low, high = first
    assert diff == pytest.approx(100 * (7 / 10 - 1 / 10) - 100 * (2 / 10 - 4 / 10))
    assert low < diff < high
    assert stats.nps_difference_bootstrap([], untrained) == (None, None, None)


def test_trained_split_shape():
    split = stats.trained_split([10] * 6, [0] * 3)
    assert split["trained"]["nps"] == 100 and split["trained"]["too_few"] is False
    assert split["untrained"]["nps"] == -100 and split["untrained"]["too_few"] is True
    assert split["difference"] == 200 and split["too_few"] is True


def test_bootstrap_of_large_groups_draws_from_counts_and_matches_the_analytic_interval():
    import random as _random

    rng = _random.Random(3)
    a = [rng.choice([10, 9, 8, 7, 3]) for _ in range(20000)]
    b = [rng.choice([10, 8, 7, 5, 2]) for _ in range(20000)]
    diff, low, high = stats.nps_difference_bootstrap(a, b)
    exact = stats.nps(a).exact - stats.nps(b).exact
    assert diff == pytest.approx(exact)
    # The analytic standard error of a difference of two NPS of 20,000 answers each.
    se = (
        sum(
            (r.promoters / r.n + r.detractors / r.n - ((r.promoters - r.detractors) / r.n) ** 2) / r.n
            for r in (stats.nps(a), stats.nps(b))
        )
        ** 0.5
        * 100
    )
    assert low == pytest.approx(exact - 1.96 * se, abs=0.35)
    assert high == pytest.approx(exact + 1.96 * se, abs=0.35)
    assert stats.nps_difference_bootstrap(a, b) == (diff, low, high)  # seeded: reproducible
