"""The benchmark data set at a scale factor: SF1 = 5,000 accounts, 200,000 people and 5,000,000
interactions over 18 months, with renewals, NPS answers, learning progress and idea votes.

Realistic skew: account sizes follow a power law (a few large accounts), activity per person too
(power users), days dip at weekends, in August and around the new year, and one account in ten
fades over its last six months. Everything is loaded with COPY on top of the demo data set (for
its content, paths, ideas and staff logins). Deterministic for a seed.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import Account, Renewal, Role, User
from apps.community.models import Idea, Vote
from apps.interactions.models import Interaction
from apps.learning.models import ContentItem, Enrolment, LearningPath
from apps.roadmap.models import ProductUpdate
from apps.surveys.models import Campaign, CampaignStatus, Invitation, Response
from bench.copyload import copy_rows

SF1_ACCOUNTS = 5_000
SF1_USERS = 200_000
SF1_INTERACTIONS = 5_000_000
DAYS = 548  # 18 months
PREFIX = "bench-"

# (kind, share of the log). Product usage dominates, as it does in real portals.
KIND_MIX = [
    ("product.feature_used", 36.0),
    ("product.session", 14.0),
    ("portal.active_time", 11.0),
    ("account.login", 8.0),
    ("learning.content_viewed", 8.0),
    ("community.idea_viewed", 3.0),
    ("community.question_viewed", 2.0),
    ("roadmap.update_read", 2.0),
    ("roadmap.viewed", 1.5),
    ("learning.active_time", 2.0),
    ("learning.lesson_completed", 2.5),
    ("learning.step_completed", 1.2),
    ("learning.content_completed", 1.0),
    ("learning.course_completed", 0.4),
    ("learning.path_enrolled", 0.4),
    ("learning.path_completed", 0.15),
    ("assessment.started", 0.4),
    ("assessment.submitted", 0.35),
    ("assessment.passed", 0.25),
    ("certification.earned", 0.12),
    ("community.vote_cast", 1.2),
    ("community.idea_submitted", 0.15),
    ("community.comment_posted", 0.4),
    ("community.question_asked", 0.15),
    ("community.answer_posted", 0.2),
    ("support.ticket_opened", 0.8),
    ("support.ticket_closed", 0.7),
    ("survey.invitation_sent", 0.5),
    ("survey.opened", 0.2),
    ("engagement.message", 0.2),
    ("crm.meeting", 0.05),
]
EXTERNAL_SOURCES = {
    "product.feature_used": "bench-product",
    "product.session": "bench-product",
    "support.ticket_opened": "bench-support",
    "support.ticket_closed": "bench-support",
    "crm.meeting": "bench-crm",
}
FEATURES = [f"feature-{i:02d}" for i in range(1, 41)]
SEVERITIES = ["low", "low", "normal", "normal", "normal", "high", "urgent"]


@dataclass
class Dataset:
    accounts: int
    users: int
    interactions: int


def scale(sf: float) -> Dataset:
    return Dataset(
        accounts=max(50, round(SF1_ACCOUNTS * sf)),
        users=max(500, round(SF1_USERS * sf)),
        interactions=max(20_000, round(SF1_INTERACTIONS * sf)),
    )


def generate(sf: float = 1.0, seed: int = 9, log=print) -> Dataset:
    """Load the data set into the (empty, migrated) database DATABASE_URL names."""
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark data set is loaded with COPY: point DATABASE_URL at PostgreSQL.")
    size = scale(sf)
    rng = random.Random(seed)
    today = timezone.localdate()
    log("demo data set (content, paths, ideas, staff) ...")
    call_command("seed_demo", verbosity=0, stdout=_Null())
    with transaction.atomic():
        accounts = _accounts(rng, size, today)
        log(f"{len(accounts):,} accounts")
        people = _people(rng, size, accounts)
        log(f"{len(people):,} people")
        renewals = _renewals(rng, accounts, today)
        log(f"{renewals:,} renewals")
    with transaction.atomic():
        answers = _nps(rng, people, today)
        log(f"{len(answers):,} NPS answers")
        enrolments = _learning(rng, people, today)
        log(f"{enrolments:,} enrolments")
        votes = _votes(rng, people, today)
        log(f"{votes:,} idea votes")
    with transaction.atomic():
        written = _interactions(rng, size.interactions - len(answers), accounts, people, today, answers)
        log(f"{written:,} interactions")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return size


class _Null:
    def write(self, *args, **kwargs):
        pass

    def flush(self):
        pass


@dataclass
class _Account:
    pk: int
    weight: float  # share of activity
    fading: bool
    churned_on: date | None
    segment: str


@dataclass
class _Person:
    pk: int
    account: _Account


def _power_weights(n: int, exponent: float, rng: random.Random) -> list[float]:
    weights = [(i + 1) ** -exponent for i in range(n)]
    rng.shuffle(weights)
    return weights


def _accounts(rng: random.Random, size: Dataset, today: date) -> list[_Account]:
    csm = User.objects.filter(role=Role.CS_MANAGER).order_by("pk").values_list("pk", flat=True).first()
    # Account sizes: a power law, at least 3 people each, summing to size.users.
    raw = [(i + 1) ** -0.85 for i in range(size.accounts)]
    spare = size.users - 3 * size.accounts
    total = sum(raw)
    seats = [3 + math.floor(spare * w / total) for w in raw]
    seats[0] += size.users - sum(seats)
    order = list(range(size.accounts))
    rng.shuffle(order)
    rows, meta = [], []
    for n, i in enumerate(order):
        people = seats[i]
        segment = "enterprise" if people >= 200 else "mid_market" if people >= 40 else "smb"
        start = today - timedelta(days=rng.randint(120, 1500))
        churned = rng.random() < 0.06
        renewal = _next_anniversary(start, today)
        arr = Decimal(people * rng.choice([300, 450, 600, 900]))
        rows.append(
            (
                f"{PREFIX}{n:05d} {rng.choice(['Ltd', 'Inc', 'GmbH', 'SA', 'BV', 'Oy'])}",
                f"BENCH-{n:05d}",
                segment,
                rng.choice(["banking", "healthcare", "retail", "manufacturing", "public_sector", "other"]),
                "high" if segment == "enterprise" else "low",
                "adoption",
                arr,
                round(people * rng.uniform(0.9, 1.4)),
                start,
                renewal,
                "churned" if churned else "active",
                csm if segment != "smb" else None,
                timezone.now(),
            )
        )
        meta.append((people, churned, segment))
    copy_rows(
        Account,
        [
            "name",
            "external_id",
            "segment",
            "vertical",
            "touch_model",
            "lifecycle_stage",
            "arr",
            "licensed_seats",
            "contract_start",
            "renewal_date",
            "status",
            "cs_manager_id",
            "created_at",
        ],
        rows,
    )
    pks = list(
        Account.objects.filter(external_id__startswith="BENCH-")
        .order_by("external_id")
        .values_list("pk", flat=True)
    )
    accounts = []
    for pk, (people, churned, segment) in zip(pks, meta, strict=True):
        churned_on = today - timedelta(days=rng.randint(20, 300)) if churned else None
        accounts.append(
            _Account(pk=pk, weight=people, fading=rng.random() < 0.1, churned_on=churned_on, segment=segment)
        )
        accounts[-1].people = people  # type: ignore[attr-defined]
    return accounts


def _next_anniversary(start: date, today: date) -> date:
    years = today.year - start.year + 1
    for y in range(years + 1):
        try:
            candidate = start.replace(year=start.year + y)
        except ValueError:  # 29 February
            candidate = start.replace(year=start.year + y, day=28)
        if candidate > today:
            return candidate
    return today + timedelta(days=365)


def _people(rng: random.Random, size: Dataset, accounts: list[_Account]) -> list[_Person]:
    password = make_password("cairn-bench")
    joined = timezone.now() - timedelta(days=DAYS + 30)
    roles = itertools.cycle([Role.LEARNER] * 19 + [Role.CUSTOMER_ADMIN])

    def rows():
        n = 0
        for account in accounts:
            for j in range(account.people):  # type: ignore[attr-defined]
                role = Role.CUSTOMER_ADMIN if j == 0 else next(roles)
                yield (
                    f"{PREFIX}{n:07d}@people.example",
                    f"Bench Person {n}",
                    role,
                    account.pk,
                    j == 1,
                    password,
                    rng.choice(["administrator", "analyst", "developer", "business_user"]),
                    joined + timedelta(days=rng.randint(0, 200)),
                )
                n += 1

    copy_rows(
        User,
        [
            "email",
            "full_name",
            "role",
            "account_id",
            "is_executive_sponsor",
            "password",
            "job_role",
            "date_joined",
        ],
        rows(),
    )
    by_pk = {a.pk: a for a in accounts}
    return [
        _Person(pk=pk, account=by_pk[account_id])
        for pk, account_id in User.objects.filter(email__startswith=PREFIX)
        .order_by("pk")
        .values_list("pk", "account_id")
    ]


def _renewals(rng: random.Random, accounts: list[_Account], today: date) -> int:
    rows = []
    for account in accounts:
        arr = Decimal(account.people * 450)  # type: ignore[attr-defined]
        # Two closed renewals in the last 18 months and the one ahead (or the lost one).
        for back in (480, 115):
            close = today - timedelta(days=back + rng.randint(0, 60))
            lost = account.churned_on is not None and back == 115
            if lost:
                close = account.churned_on
            renewed = Decimal(0) if lost else arr * Decimal(rng.choice(["0.9", "1", "1", "1", "1.1", "1.3"]))
            rows.append((account.pk, close, arr, renewed, "lost" if lost else "won"))
        if account.churned_on is None:
            rows.append((account.pk, today + timedelta(days=rng.randint(5, 360)), arr, None, "open"))
    return copy_rows(Renewal, ["account_id", "close_date", "planned_value", "renewed_value", "outcome"], rows)


def _nps(rng: random.Random, people: list[_Person], today: date) -> list[tuple]:
    """One NPS campaign; a sixth of the people answered. Returns (person, when, score) of each
    answer, whose `survey.response_submitted` interaction is written with the rest of the log."""
    campaign, _ = Campaign.objects.get_or_create(
        name="Bench relationship NPS",
        defaults={"status": CampaignStatus.CLOSED},
    )
    asked = rng.sample(people, k=len(people) // 5)
    invitations = []
    for person in asked:
        sent = timezone.now() - timedelta(days=rng.randint(1, 360))
        invitations.append((campaign.pk, person.pk, person.account.pk, 1, sent, sent + timedelta(days=14)))
    copy_rows(
        Invitation, ["campaign_id", "user_id", "account_id", "wave", "sent_at", "expires_at"], invitations
    )
    ids = dict(Invitation.objects.filter(campaign=campaign).values_list("user_id", "pk"))
    answers, log = [], []
    for person, (_, _, _, _, sent, _) in zip(asked, invitations, strict=True):
        if rng.random() > 0.8:
            continue
        score = min(10, max(0, round(rng.gauss(7.6 if not person.account.fading else 5.0, 2.2))))
        at = sent + timedelta(hours=rng.randint(1, 72))
        answers.append((ids[person.pk], score, "", at, at))
        log.append((person, at, score))
    copy_rows(Response, ["invitation_id", "score", "comment", "submitted_at", "updated_at"], answers)
    return log


def _learning(rng: random.Random, people: list[_Person], today: date) -> int:
    paths = list(LearningPath.objects.values_list("pk", flat=True))
    if not paths:
        return 0
    rows = []
    for person in rng.sample(people, k=len(people) * 3 // 10):
        for path in rng.sample(paths, k=min(len(paths), rng.choice([1, 1, 2]))):
            at = timezone.now() - timedelta(days=rng.randint(1, DAYS))
            done = at + timedelta(days=rng.randint(3, 60)) if rng.random() < 0.4 else None
            rows.append((person.pk, path, at, done))
    return copy_rows(Enrolment, ["user_id", "path_id", "enrolled_at", "completed_at"], rows)


def _votes(rng: random.Random, people: list[_Person], today: date) -> int:
    """2,000 more ideas (per SF1), voted on with a power law, so the idea list has real ranking work."""
    count = max(100, len(people) // 100)
    authors = rng.sample(people, k=count)
    now = timezone.now()
    copy_rows(
        Idea,
        ["title", "description", "author_id", "account_id", "status", "created_at", "updated_at"],
        (
            (
                f"{PREFIX}idea {i}: {rng.choice(['Export', 'Filter', 'Share', 'Schedule', 'Bulk edit'])} "
                f"{rng.choice(['reports', 'dashboards', 'users', 'alerts', 'invoices'])}",
                "An idea from the benchmark data set.",
                a.pk,
                a.account.pk,
                rng.choice(["open", "open", "open", "under_review", "planned"]),
                now - timedelta(days=rng.randint(1, DAYS)),
                now,
            )
            for i, a in enumerate(authors)
        ),
    )
    ideas = list(Idea.objects.filter(title__startswith=PREFIX).values_list("pk", flat=True))
    weights = list(itertools.accumulate(_power_weights(len(ideas), 1.1, rng)))
    votes = set()
    target = len(people) * 3 // 2
    while len(votes) < target:
        idea = ideas[bisect.bisect(weights, rng.random() * weights[-1])]
        votes.add((idea, rng.choice(people).pk))
    copy_rows(
        Vote,
        ["idea_id", "user_id", "created_at"],
        ((idea, user, now - timedelta(days=rng.randint(0, DAYS))) for idea, user in votes),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE community_idea SET vote_count = v.n
               FROM (SELECT idea_id, count(*) AS n FROM community_vote GROUP BY idea_id) v
               WHERE community_idea.id = v.idea_id"""
        )
    return len(votes)


def _day_weight(day: date) -> float:
    weight = 0.35 if day.weekday() >= 5 else 1.0
    if day.month == 8:
        weight *= 0.75
    if (day.month == 12 and day.day >= 20) or (day.month == 1 and day.day <= 3):
        weight *= 0.45
    return weight


def _interactions(
    rng: random.Random,
    total: int,
    accounts: list[_Account],
    people: list[_Person],
    today: date,
    nps_answers: list[tuple],
) -> int:
    """The log: `total` interactions plus the NPS answers, in time order (as a live log grows)."""
    kinds = [k for k, _ in KIND_MIX]
    kind_weights = list(itertools.accumulate(w for _, w in KIND_MIX))
    person_weights = list(
        itertools.accumulate(
            w * (2.5 if p.account.segment == "enterprise" else 1.0)
            for w, p in zip(_power_weights(len(people), 0.7, rng), people, strict=True)
        )
    )
    start = today - timedelta(days=DAYS - 1)
    days = [start + timedelta(days=d) for d in range(DAYS)]
    day_weights = [_day_weight(d) for d in days]
    scale_per_day = total / sum(day_weights)
    contents = list(ContentItem.objects.values_list("pk", flat=True)) or [1]
    ideas = list(Idea.objects.values_list("pk", flat=True)[:500]) or [1]
    updates = list(ProductUpdate.objects.values_list("pk", flat=True)) or [1]
    answers = sorted(nps_answers, key=lambda a: a[1])
    zone = timezone.get_current_timezone()
    serial = itertools.count(1)

    def subject(kind: str) -> tuple[str, str, float | None, dict]:
        if kind == "product.feature_used":
            return "feature", rng.choice(FEATURES[: rng.choice([5, 12, 40])]), None, {}
        if kind in ("portal.active_time", "learning.active_time"):
            return "", "", float(rng.choice([30, 60, 60, 120, 300])), {}
        if kind in ("learning.content_viewed", "learning.content_completed", "learning.lesson_completed"):
            return "learning.contentitem", str(rng.choice(contents)), None, {}
        if kind in ("community.idea_viewed", "community.vote_cast", "community.comment_posted"):
            return "community.idea", str(rng.choice(ideas)), None, {}
        if kind == "roadmap.update_read":
            return "roadmap.productupdate", str(rng.choice(updates)), None, {}
        if kind == "support.ticket_opened":
            return "ticket", str(rng.randint(1, 10**7)), None, {"severity": rng.choice(SEVERITIES)}
        return "", "", None, {}

    def pick(day: date, age: int) -> _Person:
        for _ in range(20):  # a churned or fading account's share goes to the others
            person = people[bisect.bisect(person_weights, rng.random() * person_weights[-1])]
            account = person.account
            if account.churned_on is not None and day > account.churned_on:
                continue
            if account.fading and age < 180 and rng.random() < (180 - age) / 170:
                continue
            break
        return person

    def day_events(day: date, n: int) -> list[tuple]:
        """People come in sessions: a burst of about eight actions, mostly in working hours."""
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=zone)
        age = (today - day).days
        events = []
        while len(events) < n:
            person = pick(day, age)
            hour = rng.uniform(7, 19) if rng.random() < 0.8 else rng.uniform(0, 24)
            at = midnight + timedelta(hours=hour)
            for _ in range(min(n - len(events), 1 + int(rng.expovariate(1 / 7)))):
                at += timedelta(seconds=rng.randint(5, 240))
                kind = kinds[bisect.bisect(kind_weights, rng.random() * kind_weights[-1])]
                subject_type, subject_id, value, properties = subject(kind)
                source = EXTERNAL_SOURCES.get(kind, "cairn")
                external_id = f"e{next(serial)}" if source != "cairn" else None
                user = None if kind.startswith("support.") and rng.random() < 0.5 else person.pk
                events.append(
                    (
                        person.account.pk,
                        user,
                        kind,
                        subject_type,
                        subject_id,
                        at,
                        value,
                        properties,
                        source,
                        external_id,
                        at,
                    )
                )
        events.sort(key=lambda e: e[5])
        return events

    def answer_row(answer) -> tuple:
        person, when, score = answer
        return (
            person.account.pk,
            person.pk,
            "survey.response_submitted",
            "surveys.response",
            "",
            when,
            float(score),
            {},
            "cairn",
            None,
            when,
        )

    def rows():
        pending = iter(answers)
        answer = next(pending, None)
        for day, weight in zip(days, day_weights, strict=True):
            for event in day_events(day, int(scale_per_day * weight + rng.random())):
                while answer is not None and answer[1] <= event[5]:
                    yield answer_row(answer)
                    answer = next(pending, None)
                yield event
        for rest in ([answer] if answer else []) + list(pending):
            yield answer_row(rest)

    return copy_rows(
        Interaction,
        [
            "account_id",
            "user_id",
            "kind",
            "subject_type",
            "subject_id",
            "occurred_at",
            "value",
            "properties",
            "source",
            "external_id",
            "recorded_at",
        ],
        rows(),
    )
