"""Demo NPS history: two years of a recurring "Quarterly NPS" campaign (8 waves) to customers.

Scores follow the interaction log: people who completed a course or learning path in the 12 months
before they answered score higher (NPS around +35) than those who did not (around +5); accounts
that later churned or whose renewal was lost lean to detractors. The latest wave is still open,
and learner@example.com has not answered it yet, so the in-app prompt shows.
"""

from __future__ import annotations

import bisect
from datetime import datetime, time, timedelta

from django.utils import timezone

from apps.accounts.models import CUSTOMER_ROLES, AccountStatus, User
from apps.interactions.models import Interaction
from apps.learning.kinds import TRAINED_KINDS
from apps.surveys.models import Campaign, CampaignStatus, Invitation, Response

NAME = "Quarterly NPS"
WAVES = 8
EVERY = 91
LEARNER_EMAIL = "learner@example.com"
COMMENTS = {
    "promoter": [
        "The learning paths got our new analysts productive in weeks.",
        "Support is quick and knows the product.",
        "Dashboards save my team hours every week.",
        "The certification gave our admins real confidence.",
        "Great product, and the community answers fast.",
    ],
    "passive": [
        "Good overall, but reporting could be more flexible.",
        "Works well; the price went up this year.",
        "Solid, though the new navigation took getting used to.",
        "Fine for us. I would like more integrations.",
    ],
    "detractor": [
        "Too many outages this quarter.",
        "Hard to find answers; we gave up on the training.",
        "Exports are slow and support took a week to reply.",
        "We barely use it now; the setup never fitted our process.",
        "Onboarding was confusing and nobody followed up.",
    ],
}
# Chances of promoter / detractor (the rest are passives).
TRAINED = (0.52, 0.17)  # about +35
UNTRAINED = (0.38, 0.29)  # about +5 (fading accounts pull the untrained lower)
FADING = (0.15, 0.55)


def _score(rng, promoter: float, detractor: float) -> int:
    roll = rng.random()
    if roll < promoter:
        return rng.choice([9, 10, 10])
    if roll < promoter + detractor:
        return rng.choice([0, 2, 3, 4, 5, 5, 6, 6, 6])
    return rng.choice([7, 8, 8])


def seed(ctx) -> None:
    if Campaign.objects.filter(name=NAME).exists():
        ctx.write("surveys: demo campaign already loaded")
        return
    rng = ctx.rng
    now = timezone.now()
    first_wave = timezone.make_aware(
        datetime.combine(ctx.today - timedelta(days=EVERY * (WAVES - 1) + 12), time(9))
    )
    csm = User.objects.filter(email="csm@example.com").first()
    campaign = Campaign.objects.create(
        name=NAME,
        ask_reference=True,
        starts_at=first_wave,
        repeat_every_days=EVERY,
        throttle_days=80,
        response_window_days=30,
        reminder_after_days=7,
        status=CampaignStatus.ACTIVE,
        created_by=csm,
        created_at=first_wave - timedelta(days=3),
    )
    people = list(
        User.objects.filter(role__in=CUSTOMER_ROLES, is_active=True, account__isnull=False)
        .select_related("account")
        .order_by("pk")
    )
    # When each churned (or renewal-lost) account was lost: they are not asked after that.
    lost_on = {}
    for person in people:
        account = person.account
        if account.pk in lost_on or account.status != AccountStatus.CHURNED:
            continue
        lost = account.renewals.filter(outcome="lost").order_by("-close_date").first()
        lost_on[account.pk] = timezone.make_aware(
            datetime.combine(lost.close_date if lost else ctx.today, time(0))
        )
    completions: dict[int, list[datetime]] = {}
    for user_id, at in (
        Interaction.objects.filter(kind__in=TRAINED_KINDS, user__isnull=False)
        .order_by("occurred_at")
        .values_list("user_id", "occurred_at")
    ):
        completions.setdefault(user_id, []).append(at)
    mood = {account_pk: rng.uniform(-0.06, 0.06) for account_pk in {p.account_id for p in people}}

    def trained(user_id: int, at: datetime) -> bool:
        times = completions.get(user_id, [])
        i = bisect.bisect_left(times, at)
        return i > 0 and times[i - 1] >= at - timedelta(days=365)

    invitations, answers, events = [], [], []
    seq = 0

    def event(kind, person, at, **fields):
        nonlocal seq
        seq += 1
        events.append(
            Interaction(
                kind=kind,
                user_id=person.pk,
                account_id=person.account_id,
                subject_type="surveys.campaign",
                subject_id=str(campaign.pk),
                occurred_at=at,
                source="demo",
                external_id=f"demo-survey-{seq}",
                **fields,
            )
        )

    for wave in range(1, WAVES + 1):
        sent_at = first_wave + timedelta(days=EVERY * (wave - 1))
        rate = rng.uniform(0.30, 0.45)
        for person in people:
            lost = lost_on.get(person.account_id)
            if person.date_joined > sent_at or (lost and lost <= sent_at):
                continue
            invitation = Invitation(
                campaign=campaign,
                user=person,
                account_id=person.account_id,
                wave=wave,
                sent_at=sent_at,
                expires_at=sent_at + timedelta(days=30),
                emailed_at=sent_at + timedelta(minutes=rng.randint(1, 50)),
            )
            invitations.append(invitation)
            event("survey.invitation_sent", person, sent_at, properties={"wave": wave})
            learner = person.email == LEARNER_EMAIL
            answers_it = not (learner and wave == WAVES) and rng.random() < rate
            at = min(
                sent_at + timedelta(days=rng.choice([0, 0, 1, 2, 3, 8, 9, 15]), hours=rng.randint(1, 9)), now
            )
            if not answers_it:
                if sent_at + timedelta(days=7) < now:
                    invitation.reminded_at = sent_at + timedelta(days=7)
                if not learner and rng.random() < 0.15:
                    invitation.opened_at = at
                    event("survey.opened", person, at, properties={"wave": wave})
                continue
            invitation.opened_at = at
            fading = lost is not None and (lost - sent_at).days < 270
            promoter, detractor = FADING if fading else TRAINED if trained(person.pk, at) else UNTRAINED
            shift = mood[person.account_id]
            score = _score(rng, max(0.0, promoter + shift), max(0.0, detractor - shift))
            category = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
            comment = rng.choice(COMMENTS[category]) if rng.random() < 0.6 else ""
            willing = True if category == "promoter" and rng.random() < 0.3 else None
            answers.append((invitation, score, comment, willing, at))
            event("survey.opened", person, at, properties={"wave": wave})
            event("survey.response_submitted", person, at, value=score, properties={"wave": wave})
            if willing:
                event("survey.reference_willing", person, at, properties={"wave": wave})

    Invitation.objects.bulk_create(invitations, batch_size=1000)
    Response.objects.bulk_create(
        [
            Response(
                invitation=inv,
                score=score,
                comment=comment,
                reference_willing=willing,
                submitted_at=at,
                updated_at=at,
            )
            for inv, score, comment, willing, at in answers
        ],
        batch_size=1000,
    )
    Interaction.objects.bulk_create(events, batch_size=1000, ignore_conflicts=True)
    Campaign.objects.filter(pk=campaign.pk).update(
        last_wave_at=first_wave + timedelta(days=EVERY * (WAVES - 1))
    )
    ctx.write(
        f"surveys: {NAME} with {len(invitations)} invitations and {len(answers)} responses in {WAVES} waves"
    )
