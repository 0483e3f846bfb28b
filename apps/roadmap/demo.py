"""Demo roadmap: 15 items across now/next/later (some shipped, linked to the community's demo
ideas when there are any), 12 release notes over 18 months aimed at segments, who read them
(executive sponsors of some accounts recently, of others not for months), and a few
notifications for learner@example.com. Reads have their interactions, as the service records them."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from apps.accounts.models import User
from apps.community.models import Idea
from apps.interactions.models import Interaction
from apps.interactions.services import subject_ref
from apps.notifications.models import Notification
from apps.roadmap import kinds
from apps.roadmap.models import ProductUpdate, RoadmapItem, UpdateRead

# (title, horizon, status, shipped days ago)
ITEMS = [
    ("Scheduled report delivery to Slack and Teams", "now", "in_progress", None),
    ("Row-level security for shared dashboards", "now", "in_progress", None),
    ("Faster CSV and Excel exports", "now", "shipped", 20),
    ("Single sign-on with Okta and Entra ID", "now", "shipped", 75),
    ("Bulk user import from your HR system", "now", "planned", None),
    ("Dark mode", "next", "planned", None),
    ("Audit log export to your SIEM", "next", "planned", None),
    ("Custom fields on accounts", "next", "planned", None),
    ("Mobile dashboards, offline", "next", "planned", None),
    ("Natural-language questions over your data", "next", "planned", None),
    ("Data residency in the EU and Australia", "later", "planned", None),
    ("Embedded analytics SDK", "later", "planned", None),
    ("Approval workflows", "later", "planned", None),
    ("Public API v2 with webhooks", "later", "shipped", 210),
    ("Sandbox workspaces", "later", "planned", None),
]

# (title, days ago, segments)
UPDATES = [
    ("Welcome to release notes in the portal", 540, []),
    ("Public API v2 and webhooks are here", 210, []),
    ("New permission model for enterprise workspaces", 480, ["enterprise"]),
    ("Quarterly release: smarter alerts", 420, []),
    ("Simpler billing for small teams", 360, ["smb"]),
    ("Dashboard performance: three times faster loading", 300, []),
    ("Mid-market onboarding kit", 250, ["mid_market"]),
    ("Accessibility improvements across the product", 160, []),
    ("Single sign-on with Okta and Entra ID", 75, ["enterprise", "mid_market"]),
    ("Usage analytics for workspace admins", 110, ["smb", "mid_market"]),
    ("Faster exports, and what comes next", 20, []),
    ("Spring release: scheduled delivery preview", 8, []),
]


def _body() -> str:
    return (
        "This release brings changes many of you asked for in the community.\n\n"
        "### What changed\n\n- Clearer settings, with help next to each option.\n"
        "- Faster pages on large workspaces.\n"
        "- Fixes for issues reported by customers.\n\n"
        "### What to do\n\nNothing: the change is live for everyone it is meant for. "
        "Questions? Ask in the community or contact your customer success manager."
    )


def seed(ctx) -> None:
    if RoadmapItem.objects.filter(title=ITEMS[0][0]).exists():
        ctx.write("roadmap: demo roadmap already loaded")
        return
    rng, now = ctx.rng, timezone.now()

    ideas = list(Idea.objects.exclude(status="merged").order_by("-vote_count", "pk")[:40])
    shipped_ideas = [i for i in ideas if i.status == "shipped"]
    open_ideas = [i for i in ideas if i.status != "shipped"]
    items = []
    for position, (title, horizon, status, shipped_days) in enumerate(ITEMS):
        item = RoadmapItem.objects.create(
            title=title,
            horizon=horizon,
            status=status,
            position=position,
            description=f"{title}. We are sharing this so you can plan ahead; details may change.",
            shipped_at=now - timedelta(days=shipped_days) if shipped_days else None,
            created_at=now - timedelta(days=rng.randint(240, 540)),
        )
        pool = shipped_ideas if status == "shipped" else open_ideas
        if pool:
            item.ideas.set(rng.sample(pool, k=min(len(pool), rng.randint(1, 3))))
        items.append(item)
    by_title = {i.title: i for i in items}

    updates = []
    for title, days, segments in UPDATES:
        update = ProductUpdate.objects.create(
            title=title,
            body=_body(),
            segments=segments,
            published_at=now - timedelta(days=days, hours=rng.randint(1, 8)),
            created_at=now - timedelta(days=days + 3),
        )
        if title in by_title:
            update.roadmap_items.set([by_title[title]])
            update.ideas.set(list(by_title[title].ideas.all()))
        updates.append(update)
    ProductUpdate.objects.create(title="Summer release (draft)", body=_body(), segments=[])

    people = list(
        User.objects.filter(account__isnull=False, is_active=True).select_related("account").order_by("pk")
    )
    sponsor_accounts = sorted({u.account_id for u in people if u.is_executive_sponsor})
    engaged_sponsor_accounts = set(sponsor_accounts[::2])  # every other account's sponsor reads
    participation = ctx.data.get("participation", {})
    reads, interactions = [], []
    for user in people:
        meant = [u for u in updates if not u.segments or user.account.segment in u.segments]
        for update in meant:
            if user.is_executive_sponsor:
                recent = update.published_at >= now - timedelta(days=60)
                engaged = user.account_id in engaged_sponsor_accounts or user.email == "sponsor@example.com"
                chance = (0.9 if recent else 0.3) if engaged else (0.0 if recent else 0.2)
            else:
                chance = 0.35 if user.email != "learner@example.com" else 0.6
            if rng.random() >= chance:
                continue
            at = min(
                update.published_at + timedelta(hours=rng.randint(1, 24 * 20)), now - timedelta(minutes=5)
            )
            window = participation.get(user.account_id)
            if window and user.email != "sponsor@example.com" and at > window[1]:
                continue  # the account's people had stopped taking part by then
            reads.append(UpdateRead(update=update, user=user, read_at=at))
            subject_type, subject_id = subject_ref(update)
            interactions.append(
                Interaction(
                    kind=kinds.UPDATE_READ.name,
                    account_id=user.account_id,
                    user=user,
                    subject_type=subject_type,
                    subject_id=subject_id,
                    occurred_at=at,
                    properties={"executive_sponsor": user.is_executive_sponsor},
                    source="demo",
                    external_id=f"demo-roadmap-{len(interactions) + 1}",
                )
            )
    UpdateRead.objects.bulk_create(reads, batch_size=1000, ignore_conflicts=True)
    Interaction.objects.bulk_create(interactions, batch_size=2000, ignore_conflicts=True)

    learner = User.objects.filter(email="learner@example.com").first()
    if learner is not None:
        notes = [
            ("Shipped: Faster CSV and Excel exports", by_title["Faster CSV and Excel exports"], 20, None),
            (
                "Shipped: Single sign-on with Okta and Entra ID",
                by_title["Single sign-on with Okta and Entra ID"],
                75,
                74,
            ),
            ("Shipped: Public API v2 with webhooks", by_title["Public API v2 with webhooks"], 210, 208),
        ]
        Notification.objects.bulk_create(
            [
                Notification(
                    user=learner,
                    category="ideas",
                    title=title,
                    url=f"/roadmap/#item-{item.pk}",
                    body="An idea you voted for or follow is now part of the product.",
                    dedup_key=f"roadmap-shipped-{item.pk}",
                    created_at=now - timedelta(days=days),
                    emailed_at=now - timedelta(days=days),
                    read_at=now - timedelta(days=read) if read else None,
                )
                for title, item, days, read in notes
            ],
            ignore_conflicts=True,
        )

    ctx.write(
        f"roadmap: {len(items)} roadmap items ({len(ideas)} ideas to link), {len(updates)} published updates "
        f"and a draft, {len(reads)} reads"
    )
