"""The demo's engagement data: two models, every active customer assigned, onboarding history
consistent with the contracts and the log, three months of moments, open and done tasks; a second
run changes nothing, and the periodic evaluation finds nothing the demo forgot."""

import random
from datetime import timedelta

from django.core.management import call_command
from django.db.models import Count, Min
from django.utils import timezone

from apps.accounts.management.commands.seed_demo import SeedContext
from apps.accounts.models import Account, AccountStatus
from apps.engagement import demo, model_selectors, triggers
from apps.engagement.models import (
    EngagementModel,
    MilestoneReached,
    ModelAssignment,
    Moment,
    MomentOccurrence,
    Task,
    TaskStatus,
)
from apps.interactions.models import Interaction

ENGAGEMENT_KINDS = ("engagement.call", "engagement.meeting", "engagement.qbr", "engagement.email")


def counts():
    return (
        EngagementModel.objects.count(),
        Moment.objects.count(),
        ModelAssignment.objects.count(),
        MomentOccurrence.objects.count(),
        Task.objects.count(),
        MilestoneReached.objects.count(),
        Interaction.objects.filter(kind__startswith="engagement.").count(),
    )


def test_demo_engagement(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    today = timezone.localdate()
    high, low = EngagementModel.objects.get(name="High touch"), EngagementModel.objects.get(name="Low touch")
    assert (high.segments, high.touch_models, low.touch_models) == (
        ["enterprise", "mid_market"],
        ["high"],
        ["low"],
    )
    names = set(high.moments.values_list("name", flat=True))
    assert {
        "Kick-off meeting",
        "Monthly metrics review",
        "Quarterly business review",
        "Annual account review",
    } <= names
    assert set(high.moments.exclude(event="").values_list("event", flat=True)) >= {
        "detractor",
        "support_urgent",
        "health_red",
        "sponsor_changed",
        "product_release",
    }
    assert not low.moments.filter(action="task").exists()  # low touch: messages

    # Every active customer follows the model that fits it; one moved from low to high touch.
    assert model_selectors.accounts_without_model() == 0
    current = ModelAssignment.objects.filter(ended_at__isnull=True).select_related("account")
    assert all(a.model.fits(a.account) for a in current.select_related("model"))
    assert ModelAssignment.objects.filter(ended_at__isnull=False, model=low).count() == 1

    # Milestones: after the contract start, most accounts through all five.
    active = Account.objects.filter(status=AccountStatus.ACTIVE)
    for row in MilestoneReached.objects.select_related("account"):
        assert timezone.localdate(row.reached_at) >= row.account.contract_start, row
    per_account = dict(active.annotate(n=Count("milestones")).values_list("pk", "n"))
    assert sum(n == 5 for n in per_account.values()) >= len(per_account) - 4
    # Activated where the log covers it: the third person's first sign-in is when it says.
    firsts = (
        Interaction.objects.filter(kind="account.login")
        .values("account_id", "user_id")
        .annotate(first=Min("occurred_at"))
    )
    by_account: dict[int, list] = {}
    for row in firsts:
        by_account.setdefault(row["account_id"], []).append(row["first"])
    log_start = Interaction.objects.filter(kind="account.login").aggregate(first=Min("occurred_at"))["first"]
    for row in MilestoneReached.objects.filter(milestone="activated", account__in=active).select_related(
        "account"
    ):
        if row.account.contract_start > timezone.localdate(log_start) + timedelta(days=7):
            assert sorted(by_account[row.account_id])[2] == row.reached_at

    # Tasks: done ones logged a 1:1 interaction, on the day they were done (not today).
    done = Task.objects.filter(status=TaskStatus.DONE)
    assert done.count() >= 50
    assert Interaction.objects.filter(kind__in=ENGAGEMENT_KINDS).count() == done.count()
    assert done.filter(completed_at__date__lt=today).count() > done.count() * 0.8
    mine = Task.objects.open().filter(assignee__email="csm@example.com")
    assert (
        mine.count() >= 3
        and mine.filter(due_on__lt=today).exists()
        and mine.filter(due_on__gte=today).exists()
    )
    # Three months of calendar moments: this month's review open or done, the earlier ones done.
    monthly = MomentOccurrence.objects.filter(moment__name="Monthly metrics review")
    assert monthly.values("key").distinct().count() == 3
    assert monthly.filter(key=f"{today:%Y-%m}").exists()
    # Overdue onboarding: escalations still open.
    assert MomentOccurrence.objects.filter(key="missed", status="open").count() >= 2
    assert MomentOccurrence.objects.filter(key="missed", status="done").exists()

    # A second run changes nothing, and the periodic evaluation agrees with the history.
    before = counts()
    demo.seed(SeedContext(rng=random.Random(1), today=today, write=lambda text: None))
    assert counts() == before
    assert triggers.evaluate_milestones(today=today) == 0
    assert triggers.evaluate_contract(today=today) == 0
