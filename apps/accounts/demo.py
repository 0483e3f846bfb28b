"""Demo accounts, people and renewals (see the seed_demo command)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from apps.accounts.models import (
    Account,
    AccountStatus,
    LifecycleStage,
    Renewal,
    RenewalOutcome,
    Role,
    Segment,
    TouchModel,
    User,
    Vertical,
)

FIRST = [
    "Ana",
    "Ben",
    "Chloé",
    "Dev",
    "Elif",
    "Farid",
    "Greta",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemi",
    "Luca",
    "Maya",
    "Nils",
    "Olu",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Vera",
    "Wen",
    "Xavi",
    "Yara",
    "Zoe",
]
LAST = [
    "Andersen",
    "Baker",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jansen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Patel",
    "Quist",
    "Rossi",
    "Schmidt",
    "Tanaka",
]
NAMES = [
    "Northwind Bank",
    "Contoso Health",
    "Fabrikam Retail",
    "Tailspin Manufacturing",
    "Adatum Credit Union",
    "Litware Clinics",
    "Proseware Stores",
    "Wingtip Motors",
    "Alpine Savings",
    "Blue Yonder Hospitals",
    "Coho Outfitters",
    "Datum Foundry",
    "Evergreen Mutual",
    "Fourth Coffee",
    "Graphic Metals",
    "Humongous Insurance",
    "Iron Ridge Pharma",
    "Juniper Grocers",
    "Kestrel Bank",
    "Lakeshore Medical",
    "Margie's Travel",
    "Nod Publishers",
    "Oakdale Trust",
    "Pinecrest Care",
    "Quarry Tools",
    "Riverbend Bank",
    "Summit Diagnostics",
    "Trey Research",
    "Upland Foods",
    "Vanarsdel Fashion",
    "Woodgrove Bank",
    "Xylo Components",
    "Yellowstone Health",
    "Zephyr Robotics",
    "Aurora Lending",
    "Birch Hospital Group",
    "Cascade Markets",
    "Delta Assembly",
    "Ember Capital",
    "Fjord Biotech",
    "Granite Hardware",
    "Harbor Financial",
    "Ivy Dental",
    "Jade Logistics",
]
VERTICAL_CYCLE = [Vertical.BANKING, Vertical.HEALTHCARE, Vertical.RETAIL, Vertical.MANUFACTURING]
STAFF = [
    ("content@example.com", "Camille Content", Role.CONTENT_ADMIN),
    ("csm@example.com", "Sofia Marsh", Role.CS_MANAGER),
    ("csm2@example.com", "Marcus Lee", Role.CS_MANAGER),
    ("csm3@example.com", "Aisha Bello", Role.CS_MANAGER),
]
SEGMENT_SHAPE = {  # (share of accounts, ARR range, seats range, touch model)
    Segment.ENTERPRISE: (0.25, (150_000, 600_000), (20, 40), TouchModel.HIGH),
    Segment.MID_MARKET: (0.35, (40_000, 150_000), (8, 16), TouchModel.HIGH),
    Segment.SMB: (0.40, (6_000, 40_000), (4, 9), TouchModel.LOW),
}


def _segment_for(index: int, total: int) -> Segment:
    position = index / total
    if position < 0.25:
        return Segment.ENTERPRISE
    if position < 0.60:
        return Segment.MID_MARKET
    return Segment.SMB


def _round_arr(value: float) -> Decimal:
    return Decimal(int(round(value, -2)))


def seed(ctx) -> None:
    rng, today = ctx.rng, ctx.today
    if Account.objects.filter(name=NAMES[0]).exists():
        ctx.write("accounts: demo accounts already loaded")
        ctx.data["accounts"] = list(Account.objects.filter(name__in=NAMES).order_by("pk"))
        ctx.data["users"] = list(User.objects.filter(account__in=ctx.data["accounts"]).order_by("pk"))
        return
    password = make_password("cairn-demo")  # hashed once; hashing per user would take minutes
    staff = {}
    for email, name, role in STAFF:
        staff[email] = User.objects.create(email=email, full_name=name, role=role, password=password)
    csms = [u for u in staff.values() if u.role == Role.CS_MANAGER]

    accounts, renewals, people = [], [], []
    used_emails: set[str] = set()
    for index, name in enumerate(NAMES):
        segment = _segment_for(index, len(NAMES))
        _, (arr_lo, arr_hi), (seat_lo, seat_hi), touch = SEGMENT_SHAPE[segment]
        vertical = VERTICAL_CYCLE[index % 4] if index % 11 != 10 else Vertical.PUBLIC_SECTOR
        contract_start = today - timedelta(days=rng.randint(200, 1300))
        arr = _round_arr(rng.uniform(arr_lo, arr_hi))
        # Walk the yearly renewals that fell due in the last 18 months, oldest first.
        anniversaries = []
        due = (
            contract_start.replace(year=contract_start.year + 1)
            if not (contract_start.month == 2 and contract_start.day == 29)
            else date(contract_start.year + 1, 3, 1)
        )
        while due <= today:
            anniversaries.append(due)
            due = date(due.year + 1, due.month, due.day)
        status = AccountStatus.ACTIVE
        history = []
        for due_date in anniversaries:
            if (today - due_date).days > 548:
                continue
            roll = rng.random()
            risk = 0.22 if segment == Segment.SMB else 0.10
            if roll < risk:
                history.append((due_date, arr, Decimal(0), RenewalOutcome.LOST))
                status = AccountStatus.CHURNED
                break
            change = rng.choice([1.0, 1.0, 1.0, 1.1, 1.25, 1.4, 0.85])
            renewed = _round_arr(float(arr) * change)
            history.append((due_date, arr, renewed, RenewalOutcome.WON))
            arr = renewed
        account = Account(
            name=name,
            external_id=f"CRM-{1000 + index}",
            segment=segment,
            vertical=vertical,
            touch_model=touch,
            arr=arr,
            licensed_seats=rng.randint(seat_lo, seat_hi),
            contract_start=contract_start,
            renewal_date=due if status == AccountStatus.ACTIVE else None,
            status=status,
            cs_manager=csms[index % len(csms)] if touch == TouchModel.HIGH or index % 3 else None,
            lifecycle_stage=(
                LifecycleStage.ONBOARDING
                if (today - contract_start).days < 120
                else LifecycleStage.RENEWAL
                if (due - today).days < 90
                else LifecycleStage.EXPANSION
                if len(history) >= 2
                else LifecycleStage.ADOPTION
            ),
        )
        accounts.append((account, history))
    Account.objects.bulk_create([a for a, _ in accounts])
    for account, history in accounts:
        for due_date, planned, renewed, outcome in history:
            renewals.append(
                Renewal(
                    account=account,
                    close_date=due_date,
                    planned_value=planned,
                    renewed_value=renewed,
                    outcome=outcome,
                )
            )
        if account.status == AccountStatus.ACTIVE and account.renewal_date:
            renewals.append(
                Renewal(account=account, close_date=account.renewal_date, planned_value=account.arr)
            )
    Renewal.objects.bulk_create(renewals)

    domain_of = {a.pk: a.name.lower().replace("'", "").replace(" ", "") + ".example" for a, _ in accounts}
    for account, _ in accounts:
        size = max(3, int(account.licensed_seats * rng.uniform(0.6, 1.0)))
        for n in range(size):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first.lower().replace('é', 'e')}.{last.lower()}@{domain_of[account.pk]}"
            if email in used_emails:
                email = email.replace("@", f"{n}@")
            used_emails.add(email)
            people.append(
                User(
                    email=email,
                    full_name=f"{first} {last}",
                    account=account,
                    password=password,
                    role=Role.CUSTOMER_ADMIN if n == 0 else Role.LEARNER,
                    is_executive_sponsor=(n == 1 and account.name != NAMES[0]),
                    job_title=rng.choice(
                        ["Analyst", "Administrator", "Team lead", "Developer", "Operations manager"]
                    ),
                    date_joined=timezone.make_aware(
                        datetime.combine(max(account.contract_start, today - timedelta(days=700)), time.min)
                    ),
                )
            )
    northwind = accounts[0][0]
    people += [
        User(
            email="learner@example.com",
            full_name="Lena Learner",
            account=northwind,
            role=Role.LEARNER,
            password=password,
            job_title="Analyst",
        ),
        User(
            email="teamadmin@example.com",
            full_name="Tomás Admin",
            account=northwind,
            role=Role.CUSTOMER_ADMIN,
            password=password,
            job_title="Platform owner",
        ),
        User(
            email="sponsor@example.com",
            full_name="Sasha Sponsor",
            account=northwind,
            role=Role.LEARNER,
            is_executive_sponsor=True,
            password=password,
            job_title="Chief Operating Officer",
        ),
    ]
    User.objects.bulk_create(people)
    ctx.data["accounts"] = [a for a, _ in accounts]
    ctx.data["users"] = list(User.objects.filter(account__isnull=False).order_by("pk"))
    ctx.write(f"accounts: {len(accounts)} accounts, {len(people)} customer users, {len(renewals)} renewals")
