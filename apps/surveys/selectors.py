"""Reads of the surveys app. Results are computed set-wise: a bounded number of aggregate
queries, however many responses a campaign has."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value
from django.db.models.functions import TruncMonth
from django.utils import timezone

from apps.accounts.models import Segment, User
from apps.core.spreadsheet import safe_cell
from apps.interactions.models import Interaction
from apps.learning.kinds import TRAINED_KINDS
from apps.surveys import stats
from apps.surveys.models import Campaign, CampaignStatus, Invitation, Response, SurveyOptOut

TRAINED_WINDOW = timedelta(days=365)  # "the 12 months before" the response
COMMENTS_SHOWN = 200


def campaign_list(*, user: User) -> QuerySet[Campaign]:
    """Every campaign, with invitation and response counts, for CS managers; nothing for others."""
    if not (user.is_authenticated and user.is_cs_manager):
        return Campaign.objects.none()
    return Campaign.objects.annotate(
        invitation_count=Count("invitations", distinct=True),
        response_count=Count("invitations__response", distinct=True),
    ).order_by("-created_at", "-pk")


def pending_prompt(*, user: User) -> Invitation | None:
    """The open, unanswered, undismissed invitation to show in the in-app prompt (newest first)."""
    if not (user.is_authenticated and user.is_customer):
        return None
    return (
        Invitation.objects.filter(
            user=user,
            expires_at__gt=timezone.now(),
            campaign__status=CampaignStatus.ACTIVE,
            dismissed_at__isnull=True,
            response__isnull=True,
        )
        .exclude(Exists(SurveyOptOut.objects.filter(user=OuterRef("user_id"))))
        .select_related("campaign")
        .order_by("-sent_at", "-pk")
        .first()
    )


def campaign_responses(*, campaign: Campaign) -> QuerySet[Response]:
    """The latest response per person (the latest wave they answered), newest first."""
    later = Response.objects.filter(
        invitation__campaign_id=campaign.pk,
        invitation__user_id=OuterRef("invitation__user_id"),
        invitation__wave__gt=OuterRef("invitation__wave"),
    )
    return (
        Response.objects.filter(invitation__campaign_id=campaign.pk)
        .filter(~Exists(later))
        .select_related("invitation", "invitation__user", "invitation__account")
        .order_by("-submitted_at", "-pk")
    )


def _with_trained(responses: QuerySet[Response]) -> QuerySet[Response]:
    """Annotate `trained`: a course or path completed in the 12 months before the response."""
    window_start = ExpressionWrapper(
        OuterRef("submitted_at") - Value(TRAINED_WINDOW), output_field=DateTimeField()
    )
    completed = Interaction.objects.filter(
        user_id=OuterRef("invitation__user_id"),
        kind__in=TRAINED_KINDS,
        occurred_at__lt=OuterRef("submitted_at"),
        occurred_at__gte=window_start,
    )
    return responses.annotate(trained=Exists(completed))


def _histograms(rows, key) -> dict:
    """{group: [scores...]} from rows of (group fields..., score, c)."""
    groups: dict = defaultdict(list)
    for row in rows:
        groups[key(row)].extend([row["score"]] * row["c"])
    return groups


def _summary(scores: list[int]) -> dict:
    return stats.group_summary(scores)


def campaign_trained_split(*, campaign: Campaign) -> dict:
    """NPS of trained vs untrained respondents (latest response per person), one query."""
    rows = (
        _with_trained(campaign_responses(campaign=campaign))
        .order_by()
        .values("trained", "score")
        .annotate(c=Count("pk"))
    )
    groups = _histograms(rows, key=lambda row: bool(row["trained"]))
    return stats.trained_split(groups.get(True, []), groups.get(False, []))


def campaign_results(*, campaign: Campaign) -> dict:
    """Everything the results page shows, from about eight aggregate queries.

    - nps: stats.NpsResult over the latest response per person; n; promoters/passives/detractors;
    - response_rate: responses / invitations sent (None when none were sent), with its Wilson interval;
    - trend: [{month, n, nps, too_few}] by the month responses were submitted (every wave counts);
    - by_segment / by_account: [{..., n, nps, too_few, ...}];
    - trained: stats.trained_split (trained = a course or path completed in the 12 months before);
    - comments: the latest COMMENTS_SHOWN comments, and comments_total.
    """
    latest = campaign_responses(campaign=campaign)
    overall = _histograms(latest.order_by().values("score").annotate(c=Count("pk")), key=lambda row: None)
    scores = overall.get(None, [])
    result = stats.nps(scores)
    low, high = stats.nps_confidence_interval(scores)

    counts = Invitation.objects.filter(campaign_id=campaign.pk).aggregate(
        invited=Count("pk"),
        answered=Count("response"),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        dismissed=Count("pk", filter=Q(dismissed_at__isnull=False)),
    )
    invited, answered = counts["invited"], counts["answered"]
    rate_low, rate_high = stats.wilson_interval(answered, invited)

    all_responses = Response.objects.filter(invitation__campaign_id=campaign.pk)
    months = _histograms(
        all_responses.annotate(month=TruncMonth("submitted_at"))
        .order_by()
        .values("month", "score")
        .annotate(c=Count("pk")),
        key=lambda row: row["month"],
    )
    trend = [{"month": month, **_summary(month_scores)} for month, month_scores in sorted(months.items())]

    segments = _histograms(
        latest.order_by().values("invitation__account__segment", "score").annotate(c=Count("pk")),
        key=lambda row: row["invitation__account__segment"] or "",
    )
    labels = dict(Segment.choices)
    by_segment = sorted(
        (
            {"segment": key, "label": labels.get(key, "No account"), **_summary(s)}
            for key, s in segments.items()
        ),
        key=lambda row: (-row["n"], row["label"]),
    )

    accounts = _histograms(
        latest.order_by()
        .values("invitation__account_id", "invitation__account__name", "score")
        .annotate(c=Count("pk")),
        key=lambda row: (row["invitation__account_id"], row["invitation__account__name"] or "No account"),
    )
    by_account = sorted(
        ({"account_id": pk, "account": name, **_summary(s)} for (pk, name), s in accounts.items()),
        key=lambda row: (-row["n"], row["account"]),
    )

    with_comment = latest.exclude(comment="")
    comments = list(
        with_comment.values(
            "pk",
            "score",
            "comment",
            "reference_willing",
            "submitted_at",
            "updated_at",
            "invitation__user__full_name",
            "invitation__account__name",
        )[:COMMENTS_SHOWN]
    )
    for row in comments:
        row["category"] = stats.category(row["score"])
    return {
        "campaign": campaign,
        "nps": result,
        "score": result.score,
        "n": result.n,
        "promoters": result.promoters,
        "passives": result.passives,
        "detractors": result.detractors,
        "too_few": result.too_few,
        "ci_low": low,
        "ci_high": high,
        "invited": invited,
        "responses": answered,
        "opened": counts["opened"],
        "dismissed": counts["dismissed"],
        "response_rate": answered / invited if invited else None,
        "response_rate_low": rate_low,
        "response_rate_high": rate_high,
        "trend": trend,
        "by_segment": by_segment,
        "by_account": by_account,
        "trained": campaign_trained_split(campaign=campaign),
        "comments": comments,
        "comments_total": with_comment.count(),
    }


CSV_HEADER = [
    "campaign",
    "wave",
    "invited_at",
    "submitted_at",
    "updated_at",
    "email",
    "name",
    "account",
    "segment",
    "score",
    "category",
    "comment",
    "reference_willing",
]


def results_csv_rows(*, campaign: Campaign) -> Iterator[list[str]]:
    """The header, then one row per person (their latest response), for a CSV export."""
    yield CSV_HEADER
    for response in campaign_responses(campaign=campaign).iterator(chunk_size=500):
        invitation = response.invitation
        account = invitation.account
        yield [
            safe_cell(campaign.name),
            str(invitation.wave),
            invitation.sent_at.isoformat(),
            response.submitted_at.isoformat(),
            response.updated_at.isoformat(),
            safe_cell(invitation.user.email),
            safe_cell(invitation.user.full_name),
            safe_cell(account.name if account else ""),
            account.segment if account else "",
            str(response.score),
            response.category,
            safe_cell(response.comment),
            "" if response.reference_willing is None else ("yes" if response.reference_willing else "no"),
        ]


def nps_by_campaign(*, campaigns: list[Campaign]) -> dict[int, int | None]:
    """NPS of each campaign (latest response per person), in one query; see campaign_responses."""
    later = Response.objects.filter(
        invitation__campaign_id=OuterRef("invitation__campaign_id"),
        invitation__user_id=OuterRef("invitation__user_id"),
        invitation__wave__gt=OuterRef("invitation__wave"),
    )
    rows = (
        Response.objects.filter(invitation__campaign__in=campaigns)
        .filter(~Exists(later))
        .values("invitation__campaign_id")
        .annotate(
            promoters=Count("pk", filter=Q(score__gte=9)),
            passives=Count("pk", filter=Q(score__gte=7, score__lte=8)),
            detractors=Count("pk", filter=Q(score__lte=6)),
        )
        .order_by()
    )
    return {
        row["invitation__campaign_id"]: stats.nps_from_counts(
            row["promoters"], row["passives"], row["detractors"]
        ).score
        for row in rows
    }


def response_detail(*, response_id: int) -> Response | None:
    """One response with its invitation and campaign, or None if it is gone. Engagement shows it
    on the CS manager's detractor task (the person's comment, not only their score)."""
    return (
        Response.objects.select_related("invitation__campaign", "invitation__user")
        .filter(pk=response_id)
        .first()
    )
