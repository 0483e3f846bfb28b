"""Health scoring as pure functions over one account's counts (no database). See METRICS.md:
"Overall customer health" and "Engagement health". The recompute gathers the counts set-wise in
SQL (services.health_recompute) and hands each account's row to `score_account`."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from fractions import Fraction

from apps.analytics.models import COMPONENTS, HealthConfig
from apps.surveys.stats import round_half_away


@dataclass
class AccountCounts:
    """What the recompute counted for one account in the windows ending at t."""

    licensed_seats: int = 0
    users: int = 0
    active_users: int = 0  # any interaction in the last 30 days
    advanced_users: int = 0  # used at least K distinct core features in the last 30 days
    rule_hits: dict[str, int | None] = field(
        default_factory=dict
    )  # rule key -> latest satisfying interaction id
    content_views: int = 0  # last 30 days
    content_views_before: int = 0  # the 30 days before those
    trained_users: int = 0  # completed a course or path in the last 12 months
    certified_users: int = 0  # earned a certification in the last 12 months
    support_events: int = 0  # any ticket event in the last 180 days: support data is present
    tickets_opened: int = 0  # last 30 days
    urgent_tickets: int = 0  # of those, severity high or urgent
    nps_responses: int = 0  # latest answer per person, last 12 months
    promoters: int = 0
    detractors: int = 0
    active_seconds: float = 0.0  # last 30 days
    visit_days: int = 0  # distinct active days in the last 30 days


def _share(numerator: int, denominator: int, scale: int = 1) -> float | None:
    """scale x numerator / denominator as the float nearest the exact value (one division of
    integers is correctly rounded, so this equals float(Fraction(...)) without its cost); None
    when the denominator is zero."""
    return None if not denominator else scale * numerator / denominator


def component_scores(counts: AccountCounts, config: HealthConfig) -> dict[str, float | None]:
    """Each component 0-100, or None when the account has no data for it."""
    seats = counts.licensed_seats
    adoption = _share(min(counts.active_users, seats), seats, 100)

    weights = _rule_weights(config)
    total_weight = sum(weights.values())
    passed_weight = sum(weight for key, weight in weights.items() if counts.rule_hits.get(key))
    engagement = None if not total_weight else float(100 * passed_weight / total_weight)

    # The mean of the trained and certified shares, capped at 100.
    proficiency = _share(
        min(2 * counts.users, counts.trained_users + counts.certified_users), counts.users, 50
    )
    # NPS -100..100 mapped onto 0..100: 50 x (NPS/100 + 1) = 50 x (promoters - detractors + n) / n.
    sentiment = _share(counts.promoters - counts.detractors + counts.nps_responses, counts.nps_responses, 50)

    support = None
    if counts.support_events:
        penalty = (
            config.support_ticket_penalty * counts.tickets_opened
            + config.support_urgent_penalty * counts.urgent_tickets
        )
        support = float(max(0, 100 - penalty))

    return {
        "adoption": adoption,
        "engagement": engagement,
        "proficiency": proficiency,
        "sentiment": sentiment,
        "support": support,
    }


@functools.lru_cache(maxsize=64)
def _exact(value: float) -> Fraction:
    return Fraction(str(value))


def _rule_weights(config: HealthConfig) -> dict[str, int | Fraction]:
    """The rules' weights as exact numbers (plain integers when they are whole, which is the
    common case and much cheaper), worked out once per configuration object."""
    cached = config.__dict__.get("_rule_weights")
    if cached is None:
        exact = {rule["key"]: Fraction(str(rule["weight"])) for rule in config.rules}
        cached = {key: int(w) if w.denominator == 1 else w for key, w in exact.items()}
        config.__dict__["_rule_weights"] = cached
    return cached


def _used_weights(scores: dict[str, float | None], weights: dict[str, float]) -> dict[str, float]:
    """The weight of each component that has data and a weight: the ones the score averages."""
    used = {}
    for name in COMPONENTS:
        if scores.get(name) is not None:
            weight = float(weights.get(name, 0))
            if weight:
                used[name] = weight
    return used


def overall(scores: dict[str, float | None], weights: dict[str, float]) -> int | None:
    """sum(weight x score) / sum(weight) over the components that have data and a weight, as a
    whole number (half away from zero); None when no component has data. A component without
    data is left out, never scored as 0 or 100."""
    used = _used_weights(scores, weights)
    total = sum(used.values())
    if not total:
        return None
    value = sum(used[name] * scores[name] for name in used) / total
    if abs(value - math.floor(value) - 0.5) > 1e-6:  # not near a half: the nearest whole is clear
        return round(value)
    exact = {name: Fraction(str(weights[name])) for name in used}
    value = sum(exact[name] * Fraction(scores[name]) for name in used) / sum(exact.values())
    return round_half_away(value)


def component_parts(scores: dict, weights: dict[str, float]) -> dict[str, dict]:
    """Per component, its score, weight and contribution: the points it adds to the overall
    score (the contributions add up to the score before rounding; None for a component left
    out). A snapshot stores the scores only; its configuration version holds the weights."""
    # A snapshot in the earlier layout ({"score", "weight", "contribution"} per component), as a
    # worker still on the previous release may write one while a release is being rolled out.
    scores = {name: part.get("score") if isinstance(part, dict) else part for name, part in scores.items()}
    used = _used_weights(scores, weights)
    total = sum(used.values())
    return {
        name: {
            "score": scores.get(name),
            "weight": float(weights.get(name, 0)),
            "contribution": used[name] * scores[name] / total if name in used else None,
        }
        for name in COMPONENTS
    }


def rule_results(hits: dict | list, config: HealthConfig) -> list[dict]:
    """Each engagement rule of the configuration version, in its order, with whether it was met
    and the latest interaction that met it. A snapshot stores the interactions only (`hits`, by
    rule key); its configuration version holds the labels, weights and windows. No rules for a
    snapshot that recorded none (one not written by the recompute)."""
    if not hits:
        return []
    if isinstance(hits, list):  # the earlier layout, as for component_parts
        hits = {rule["key"]: rule.get("interaction_id") if rule.get("passed") else None for rule in hits}
    return [
        {
            "key": rule["key"],
            "label": rule["label"],
            "weight": rule["weight"],
            "window_days": rule["window_days"],
            "passed": hits.get(rule["key"]) is not None,
            "interaction_id": hits.get(rule["key"]),
        }
        for rule in config.rules
    ]


def engagement_drop(counts: AccountCounts, threshold: float) -> bool:
    """Fewer content views in the last 30 days than in the 30 before, by more than the threshold."""
    before = counts.content_views_before
    if not before:
        return False
    # (before - now) / before > threshold, exactly, in integers: before > 0.
    limit = _exact(threshold)
    return (before - counts.content_views) * limit.denominator > limit.numerator * before


@dataclass
class AccountScore:
    score: int | None
    band: str
    engagement_score: float | None
    rules_met: int
    engaged: bool
    engagement_drop: bool
    components: dict[str, float | None]  # component -> score (None: no data)
    rules: dict[str, int | None]  # rule key -> the latest interaction that met it (None: not met)
    figures: dict


def score_account(counts: AccountCounts, config: HealthConfig) -> AccountScore:
    scores = component_scores(counts, config)
    hits = {rule["key"]: counts.rule_hits.get(rule["key"]) for rule in config.rules}
    rules_met = sum(1 for hit in hits.values() if hit is not None)
    utilisation = _share(counts.active_users, counts.licensed_seats)
    basic = max(0, counts.active_users - counts.advanced_users)
    figures = {
        "licensed_seats": counts.licensed_seats,
        "users": counts.users,
        "active_users": counts.active_users,
        "advanced_users": counts.advanced_users,
        # Basic users are active without being advanced; both as shares of the licensed seats.
        "basic_users": basic,
        "advanced_share": _share(counts.advanced_users, counts.licensed_seats),
        "basic_share": _share(basic, counts.licensed_seats),
        "utilisation": utilisation,
        "overage": utilisation is not None and utilisation > 1,
        "content_views": counts.content_views,
        "content_views_before": counts.content_views_before,
        "trained_users": counts.trained_users,
        "certified_users": counts.certified_users,
        "tickets_opened": counts.tickets_opened,
        "urgent_tickets": counts.urgent_tickets,
        "nps_responses": counts.nps_responses,
        "promoters": counts.promoters,
        "detractors": counts.detractors,
        "active_seconds": counts.active_seconds,
        "visit_days": counts.visit_days,
    }
    score = overall(scores, config.weights)
    return AccountScore(
        score=score,
        band=config.band(score),
        engagement_score=scores["engagement"],
        rules_met=rules_met,
        engaged=rules_met >= config.required_rules,
        engagement_drop=engagement_drop(counts, config.drop_threshold),
        components=scores,
        rules=hits,
        figures=figures,
    )
