"""Demo interaction history: 18 months of sign-ins, product usage and support tickets."""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from apps.accounts.models import AccountStatus, User
from apps.interactions import kinds
from apps.interactions.models import IntegrationToken, Interaction
from apps.interactions.services import integration_token_create

DAYS = 548  # 18 months
FEATURES = ["dashboards", "reports", "workflows", "integrations", "alerts", "exports", "api", "sso"]


def demo_token() -> str:
    """The demo integration's token: stable for one installation, unguessable without its SECRET_KEY."""
    digest = hmac.new(settings.SECRET_KEY.encode(), b"cairn-demo-integration", hashlib.sha256).hexdigest()
    return f"cairn_demo_{digest[:32]}"


def _at(day, rng) -> datetime:
    return timezone.make_aware(
        datetime.combine(day, time(hour=rng.randint(7, 18), minute=rng.randint(0, 59)))
    )


def seed(ctx) -> None:
    rng, today = ctx.rng, ctx.today
    raw = demo_token()
    if not IntegrationToken.objects.filter(source="demo-telemetry").exists():
        token, _ = integration_token_create(name="Demo product telemetry", source="demo-telemetry")
        token.token_digest = IntegrationToken.digest(raw)
        token.prefix = raw[:12]
        token.save(update_fields=["token_digest", "prefix"])
    ctx.data.setdefault("notes", []).append(f"\nDemo integration token (POST /api/v1/events/batch/): {raw}")
    if Interaction.objects.filter(source="demo").exists():
        ctx.write("interactions: demo history already loaded")
        return

    accounts = ctx.data["accounts"]
    users_by_account: dict[int, list] = {}
    for user in ctx.data["users"]:
        users_by_account.setdefault(user.account_id, []).append(user)
    churn_day = {}
    for account in accounts:
        if account.status == AccountStatus.CHURNED:
            lost = account.renewals.filter(outcome="lost").order_by("-close_date").first()
            churn_day[account.pk] = lost.close_date if lost else today
    rows: list[Interaction] = []
    seq = 0

    def add(**fields):
        nonlocal seq
        seq += 1
        rows.append(Interaction(source="demo", external_id=f"demo-{seq}", **fields))

    start = today - timedelta(days=DAYS)
    for account in accounts:
        # Each account has its own vigour and direction: some grow, some fade before a renewal.
        vigour = rng.uniform(0.25, 1.0)
        trend = rng.uniform(-0.6, 0.5)
        if account.pk in churn_day:
            trend = -0.8
        end = churn_day.get(account.pk, today)
        for user in users_by_account.get(account.pk, []):
            person = rng.choice([0.1, 0.3, 0.6, 1.0, 1.6])  # dormant ... power user
            joined = max(start, user.date_joined.date())
            for offset in range((end - joined).days):
                day = joined + timedelta(days=offset)
                if day.weekday() >= 5 and rng.random() < 0.8:
                    continue
                progress = (day - start).days / DAYS
                season = 0.55 if day.month in (8, 12) else 1.0  # summer and year-end dips
                p = 0.22 * vigour * person * season * max(0.05, 1 + trend * progress)
                if rng.random() >= p:
                    continue
                at = _at(day, rng)
                add(kind=kinds.LOGIN.name, account_id=account.pk, user_id=user.pk, occurred_at=at)
                add(
                    kind=kinds.PRODUCT_SESSION.name,
                    account_id=account.pk,
                    user_id=user.pk,
                    occurred_at=at,
                    value=float(rng.randint(120, 3600)),
                )
                for _ in range(rng.randint(0, 3)):
                    add(
                        kind=kinds.PRODUCT_FEATURE.name,
                        account_id=account.pk,
                        user_id=user.pk,
                        occurred_at=at + timedelta(minutes=rng.randint(1, 50)),
                        subject_type="feature",
                        subject_id=rng.choice(FEATURES),
                    )
        # Support tickets: roughly one a month, more for bigger accounts.
        rate = 0.02 + account.licensed_seats / 900
        for offset in range((end - start).days):
            if rng.random() < rate:
                day = start + timedelta(days=offset)
                severity = rng.choices(["low", "normal", "high"], weights=[5, 4, 1])[0]
                opened = _at(day, rng)
                add(
                    kind=kinds.SUPPORT_OPENED.name,
                    account_id=account.pk,
                    occurred_at=opened,
                    subject_type="ticket",
                    subject_id=f"T-{seq}",
                    properties={"severity": severity},
                )
                closed = opened + timedelta(hours=rng.randint(2, 96))
                if closed.date() < today:
                    add(
                        kind=kinds.SUPPORT_CLOSED.name,
                        account_id=account.pk,
                        occurred_at=closed,
                        subject_type="ticket",
                        subject_id=f"T-{seq - 1}",
                        value=math.floor((closed - opened).total_seconds() / 3600),
                    )
    Interaction.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    last_login: dict[int, datetime] = {}
    for row in rows:
        if row.kind == kinds.LOGIN.name and row.occurred_at > last_login.get(
            row.user_id, row.occurred_at - timedelta(1)
        ):
            last_login[row.user_id] = row.occurred_at
    users = [u for u in ctx.data["users"] if u.pk in last_login]
    for user in users:
        user.last_login = last_login[user.pk]
    User.objects.bulk_update(users, ["last_login"], batch_size=500)
    ctx.write(f"interactions: {len(rows)} interactions over {DAYS} days")
