"""Demo ideas board: product areas, 60+ ideas with votes, comments and follows over 18 months,
a few shipped, declined and merged (see the seed_demo command). Q&A demo data lives elsewhere.

Every fact has its interaction in the log at the same moment, as the services would have
recorded it. Demand is skewed on purpose: some ideas are wanted by many people of one big
account, others by a few people at many accounts. Accounts whose product use is fading (or that
churned) fell silent more than 180 days ago; engaged accounts have voted or posted recently.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from apps.accounts.models import AccountStatus, Segment
from apps.community import kinds
from apps.community.models import Comment, Idea, IdeaFollow, IdeaStatus, ProductArea, Vote
from apps.interactions import kinds as interaction_kinds
from apps.interactions.models import Interaction
from apps.interactions.services import subject_ref

DAYS = 548

AREAS = [
    ("Dashboards", "dashboards"),
    ("Reporting", "reporting"),
    ("Data import", "data-import"),
    ("Integrations", "integrations"),
    ("Security and SSO", "security"),
    ("Administration", "administration"),
    ("Mobile", "mobile"),
    ("API", "api"),
    ("Notifications", "notifications"),
    ("Workflow automation", "automation"),
]

# (title, areas, why it matters) — the first one marks the demo as loaded.
IDEAS = [
    (
        "Schedule dashboard exports as PDF by e-mail",
        ["dashboards", "reporting"],
        "Our board pack is built from six dashboards every Monday, by hand.",
    ),
    (
        "Export any table to Excel with formatting",
        ["reporting"],
        "Finance rebuilds number formats after every CSV export.",
    ),
    ("Dark mode", ["dashboards", "mobile"], "Our operations team works night shifts on wall screens."),
    (
        "SAML single sign-on with Okta groups mapped to roles",
        ["security", "administration"],
        "We provision 400 users by hand and forget to remove leavers.",
    ),
    (
        "SCIM user provisioning",
        ["security", "administration"],
        "Joiners and leavers should flow from our identity provider automatically.",
    ),
    (
        "Audit log export to our SIEM",
        ["security"],
        "Our auditors ask for twelve months of admin changes in Splunk.",
    ),
    (
        "Row-level permissions on shared dashboards",
        ["dashboards", "security"],
        "Regional managers must only see their own region's numbers.",
    ),
    (
        "Drill down from a chart to the underlying records",
        ["dashboards"],
        "People export to Excel just to see which orders make up a bar.",
    ),
    ("Dashboard templates per industry", ["dashboards"], "Every new team starts from an empty canvas."),
    (
        "Alert when a metric crosses a threshold",
        ["notifications", "dashboards"],
        "We notice a drop in conversions days later.",
    ),
    (
        "Slack notifications for alerts",
        ["notifications", "integrations"],
        "Nobody reads alert e-mails; the team lives in Slack.",
    ),
    (
        "Microsoft Teams integration",
        ["integrations", "notifications"],
        "We are a Teams shop and cannot use the Slack app.",
    ),
    (
        "Native Salesforce connector with incremental sync",
        ["integrations", "data-import"],
        "Full nightly reloads take four hours and miss intraday changes.",
    ),
    (
        "HubSpot connector",
        ["integrations", "data-import"],
        "Marketing data lives in HubSpot and is uploaded as CSV weekly.",
    ),
    (
        "Import from Google Sheets on a schedule",
        ["data-import"],
        "Small teams keep their targets in a shared sheet.",
    ),
    (
        "Detect and skip duplicate rows on import",
        ["data-import"],
        "Re-running a failed import doubles our revenue figures.",
    ),
    (
        "Map import columns once and reuse the mapping",
        ["data-import"],
        "We map the same 40 columns every month.",
    ),
    (
        "Validate imports before they are committed",
        ["data-import"],
        "One bad date format breaks every dashboard downstream.",
    ),
    ("Webhooks for record changes", ["api", "integrations"], "We poll the API every minute to find changes."),
    ("Higher API rate limits for bulk jobs", ["api"], "Our nightly sync hits the limit after 20 minutes."),
    (
        "OAuth client credentials for server-to-server API access",
        ["api", "security"],
        "Personal tokens break when the person leaves.",
    ),
    ("GraphQL API", ["api"], "We make six REST calls to draw one screen."),
    ("Python SDK", ["api"], "Our data team wraps the REST API by hand in every notebook."),
    (
        "Offline mode for the mobile app",
        ["mobile"],
        "Field engineers lose signal on site and cannot log visits.",
    ),
    (
        "Push notifications on mobile",
        ["mobile", "notifications"],
        "Approvals wait until people are back at a desk.",
    ),
    (
        "Tablet layout for dashboards",
        ["mobile", "dashboards"],
        "Store managers use iPads and dashboards are cramped.",
    ),
    (
        "Approval workflows with several steps",
        ["automation"],
        "Purchase requests above a threshold need two approvers.",
    ),
    (
        "Trigger a workflow from an incoming e-mail",
        ["automation", "integrations"],
        "Customers e-mail orders and someone retypes them.",
    ),
    (
        "Conditional branches in workflows",
        ["automation"],
        "We build one workflow per case because there is no if/else.",
    ),
    (
        "Retry failed workflow steps automatically",
        ["automation"],
        "A short outage of a partner API leaves runs stuck until Monday.",
    ),
    (
        "Version history for workflows",
        ["automation", "administration"],
        "Someone changed a step and nobody knows what it did before.",
    ),
    ("Bulk edit records from a list view", ["administration"], "Reassigning 300 accounts means 300 clicks."),
    (
        "Custom roles with fine-grained permissions",
        ["administration", "security"],
        "Our auditors may read everything but change nothing.",
    ),
    (
        "Sandbox environment to test changes",
        ["administration"],
        "We test configuration changes in production today.",
    ),
    (
        "Copy configuration from sandbox to production",
        ["administration"],
        "We redo every change by hand after testing it.",
    ),
    (
        "Usage report per team for admins",
        ["administration", "reporting"],
        "We pay for seats and cannot see who uses them.",
    ),
    (
        "Deactivate users who have not signed in for 90 days",
        ["administration", "security"],
        "License audits are a manual spreadsheet exercise.",
    ),
    (
        "IP allow-listing",
        ["security"],
        "Our security policy requires access from the corporate network only.",
    ),
    (
        "Two-factor authentication enforced by admins",
        ["security"],
        "Some users never turn on 2FA themselves.",
    ),
    ("Customer-managed encryption keys", ["security"], "Our regulator asks who holds the keys to our data."),
    (
        "Data residency in the EU",
        ["security", "administration"],
        "Our legal team blocks new projects until data stays in the EU.",
    ),
    (
        "Calculated fields that reference other calculated fields",
        ["reporting"],
        "We nest formulas in spreadsheets instead.",
    ),
    (
        "Year-over-year comparison in one click",
        ["reporting", "dashboards"],
        "Every report needs a second query for last year.",
    ),
    ("Fiscal calendars", ["reporting"], "Our year starts in April and every quarter is off."),
    ("Multi-currency reporting with daily rates", ["reporting"], "Subsidiaries report in four currencies."),
    ("Pivot tables in reports", ["reporting"], "Analysts export to Excel only to pivot."),
    (
        "Share a dashboard with a public read-only link",
        ["dashboards"],
        "Partners need a view without a login.",
    ),
    (
        "Embed dashboards in our intranet",
        ["dashboards", "integrations"],
        "People will not open another tool for one chart.",
    ),
    ("Annotate charts with events", ["dashboards"], "Nobody remembers why sales dipped in March."),
    (
        "Forecast line on time series charts",
        ["dashboards", "reporting"],
        "Planning copies numbers into a separate forecasting tool.",
    ),
    (
        "Digest e-mail of dashboard changes",
        ["notifications"],
        "Executives want a Monday summary, not a login.",
    ),
    ("Quiet hours for notifications", ["notifications"], "On-call people get non-urgent e-mails at 3 am."),
    (
        "Mention colleagues in comments",
        ["notifications"],
        "We copy links into chat to get someone's attention.",
    ),
    ("Keyboard shortcuts for power users", ["dashboards"], "Our analysts live in the tool all day."),
    (
        "Accessibility: full screen-reader support",
        ["dashboards", "mobile"],
        "Two of our analysts use screen readers.",
    ),
    (
        "Undo for deleted records",
        ["administration"],
        "A mis-click deleted a customer and support had to restore a backup.",
    ),
    ("Archive instead of delete", ["administration"], "We must keep records for seven years."),
    (
        "Snowflake connector",
        ["integrations", "data-import"],
        "Our warehouse is Snowflake and we export to CSV in between.",
    ),
    ("BigQuery connector", ["integrations", "data-import"], "Our marketing data sits in BigQuery."),
    ("Zapier app", ["integrations", "automation"], "Small teams want to connect tools without developers."),
    (
        "Scheduled workflow runs with time zones",
        ["automation"],
        "Runs fire at 9 am UTC, which is the middle of the night for our APAC team.",
    ),
    (
        "Better error messages on failed imports",
        ["data-import"],
        "'Row 3412 invalid' does not say which column or why.",
    ),
    (
        "Localised interface in German and French",
        ["administration"],
        "Our plant staff do not work in English.",
    ),
    (
        "Custom branding on shared dashboards",
        ["dashboards"],
        "Client-facing dashboards should carry our logo.",
    ),
]

WORKAROUNDS = [
    "Today we work around it with a spreadsheet and a reminder in someone's calendar.",
    "We have a script one developer wrote, and nobody else dares to touch it.",
    "Right now it is a manual step that takes about two hours a week.",
    "We asked our CSM and were told to post it here, so here it is.",
    "We tried a third-party tool, but it costs extra and breaks with every release.",
]
IMPACTS = [
    "It would save our team several hours every week.",
    "This is blocking the roll-out to two more departments.",
    "It comes up in every quarterly business review we have.",
    "Our compliance team has asked for it twice this year.",
    "Without it, people go back to spreadsheets.",
]
COMMENTS = [
    "Same here: this would save us a lot of time.",
    "+1. We have exactly the same problem in our finance team.",
    "Would this also cover scheduled runs, or only manual ones?",
    "We built a workaround with the API; happy to share how.",
    "This is the number one request from our regional managers.",
    "Please keep it simple: a checkbox would do for us.",
    "Any update on this? It came up again in our review last week.",
    "It matters most for our month-end close.",
    "We would pay for this as an add-on.",
    "Our security team would need an audit trail for this as well.",
]
# Ideas that shipped, were declined, or are on their way (by index in IDEAS).
STATUSES = {
    0: IdeaStatus.SHIPPED,
    10: IdeaStatus.SHIPPED,
    38: IdeaStatus.SHIPPED,
    15: IdeaStatus.SHIPPED,
    21: IdeaStatus.DECLINED,
    62: IdeaStatus.DECLINED,
    3: IdeaStatus.IN_PROGRESS,
    12: IdeaStatus.IN_PROGRESS,
    26: IdeaStatus.IN_PROGRESS,
    6: IdeaStatus.PLANNED,
    18: IdeaStatus.PLANNED,
    42: IdeaStatus.PLANNED,
    57: IdeaStatus.PLANNED,
    5: IdeaStatus.UNDER_REVIEW,
    9: IdeaStatus.UNDER_REVIEW,
    33: IdeaStatus.UNDER_REVIEW,
    45: IdeaStatus.UNDER_REVIEW,
}
# Duplicates posted later and merged into the original (duplicate title, areas, original index).
DUPLICATES = [
    ("Send dashboards as PDF every week", ["dashboards"], 0),
    ("Okta SSO", ["security"], 3),
    ("Export to xlsx", ["reporting"], 1),
]
ONE_ACCOUNT_IDEAS = (39, 40, 44, 23)  # wanted by many people at one big account
BROAD_IDEAS = (1, 2, 7, 10, 13, 16, 19, 31, 41, 52)  # wanted by a few people at many accounts


class Output:
    def __init__(self):
        self.interactions: list[Interaction] = []

    def record(self, kind, user, subject, at: datetime, properties=None) -> None:
        subject_type, subject_id = subject_ref(subject)
        self.interactions.append(
            Interaction(
                kind=kind.name,
                account_id=user.account_id,
                user_id=user.pk,
                subject_type=subject_type,
                subject_id=subject_id,
                occurred_at=at,
                properties=properties or {},
                source="demo",
                external_id=f"demo-community-{len(self.interactions) + 1}",
            )
        )


def _windows(ctx, now: datetime) -> dict[int, tuple[datetime, datetime]]:
    """Per account, when its people took part: fading and churned accounts stopped more than
    180 days ago; engaged ones are still active."""
    rng = ctx.rng
    accounts = ctx.data["accounts"]
    logins = {
        row["account"]: row
        for row in Interaction.objects.filter(kind=interaction_kinds.LOGIN.name, account__in=accounts)
        .values("account")
        .annotate(total=Count("pk"), recent=Count("pk", filter=Q(occurred_at__gte=now - timedelta(days=45))))
    }
    start = now - timedelta(days=DAYS)
    windows = {}
    for account in accounts:
        stats = logins.get(account.pk, {"total": 0, "recent": 0})
        span = min(DAYS, (now.date() - (account.contract_start or start.date())).days)
        overall, recent = stats["total"] / max(45, span), stats["recent"] / 45
        fading = account.status == AccountStatus.CHURNED or stats["total"] < 10 or recent < 0.7 * overall
        begin = max(
            start,
            timezone.make_aware(datetime.combine(account.contract_start, time(9)))
            if account.contract_start
            else start,
        )
        end = now - timedelta(days=rng.randint(190, 330)) if fading else now - timedelta(hours=2)
        if end <= begin + timedelta(days=20):
            begin = end - timedelta(days=60)
        windows[account.pk] = (begin, end)
    return windows


def _at(rng, begin: datetime, end: datetime) -> datetime:
    seconds = max(60, int((end - begin).total_seconds()))
    return begin + timedelta(seconds=rng.randint(0, seconds))


def seed(ctx) -> None:
    """Ideas (with votes, comments and follows), then peer Q&A, which needs the product areas."""
    _seed_ideas(ctx)
    from apps.community import qa_demo

    qa_demo.seed(ctx)


def _seed_ideas(ctx) -> None:
    rng = ctx.rng
    if Idea.objects.filter(title=IDEAS[0][0]).exists():
        ctx.write("community: demo ideas already loaded")
        return
    now = timezone.now()
    users = [u for u in ctx.data["users"] if u.is_active]
    if not users:
        ctx.write("community: no demo people, skipped")
        return
    areas = {
        slug: ProductArea.objects.get_or_create(slug=slug, defaults={"name": name})[0] for name, slug in AREAS
    }
    windows = _windows(ctx, now)
    ctx.data["participation"] = windows  # the roadmap's readers keep to the same windows
    by_account: dict[int, list] = {}
    for user in users:
        by_account.setdefault(user.account_id, []).append(user)
    engaged = [
        a for a in ctx.data["accounts"] if windows[a.pk][1] > now - timedelta(days=1) and a.pk in by_account
    ]
    enterprise = sorted(
        (a for a in engaged if a.segment == Segment.ENTERPRISE),
        key=lambda a: (-len(by_account[a.pk]), -a.arr),
    )
    out = Output()

    def window(user):
        begin, end = windows[user.account_id]
        return max(begin, user.date_joined), end

    # Ideas, oldest first, by people whose account was taking part at the time.
    ideas: list[Idea] = []
    specs = [(t, a, why, None) for t, a, why in IDEAS] + [(t, a, "", orig) for t, a, orig in DUPLICATES]
    for n, (title, _areas, why, original) in enumerate(specs):
        author = rng.choice(users)
        begin, end = window(author)
        if original is not None:
            begin = max(begin, ideas[original].created_at + timedelta(days=10))
        created = (
            _at(rng, begin, min(end, now - timedelta(days=20))) if end - begin > timedelta(days=25) else begin
        )
        text = why or f"Basically the same as {ideas[original].title.lower()}."
        description = f"{text}\n\n{rng.choice(WORKAROUNDS)}\n\n**Why it matters:** {rng.choice(IMPACTS)}"
        status = STATUSES.get(n, IdeaStatus.OPEN)
        idea = Idea(
            title=title,
            description=description,
            author=author,
            account_id=author.account_id,
            created_at=created,
            status=status,
        )
        if status != IdeaStatus.OPEN:
            idea.status_changed_at = _at(rng, created + timedelta(days=3), now - timedelta(days=2))
        if original is not None:
            idea.status, idea.merged_into = IdeaStatus.MERGED, ideas[original]
            idea.status_changed_at = created + timedelta(days=rng.randint(1, 9))
        ideas.append(idea)
    Idea.objects.bulk_create(ideas[: len(IDEAS)])
    for idea in ideas[len(IDEAS) :]:
        idea.merged_into = idea.merged_into  # now saved: refresh the cached id
    Idea.objects.bulk_create(ideas[len(IDEAS) :])
    Idea.areas.through.objects.bulk_create(
        [
            Idea.areas.through(idea_id=idea.pk, productarea_id=areas[s].pk)
            for idea, spec in zip(ideas, specs, strict=True)
            for s in spec[1]
        ]
    )
    for idea in ideas:
        out.record(kinds.IDEA_SUBMITTED, idea.author, idea, idea.created_at)

    # Votes: broad demand, one-big-account demand, and a long tail.
    votes: dict[tuple[int, int], Vote] = {}
    follows: dict[tuple[int, int], IdeaFollow] = {}

    def vote(idea: Idea, user, strict_recent: bool = False) -> None:
        if (idea.pk, user.pk) in votes or idea.status == IdeaStatus.MERGED:
            return
        begin, end = window(user)
        begin = max(begin, idea.created_at + timedelta(hours=1))
        if idea.status in (IdeaStatus.SHIPPED, IdeaStatus.DECLINED):
            end = min(end, idea.status_changed_at - timedelta(hours=1))
        if strict_recent:
            begin = max(begin, end - timedelta(days=30))
        if end <= begin:
            return
        at = _at(rng, begin, end)
        votes[idea.pk, user.pk] = Vote(idea=idea, user=user, created_at=at)
        follows.setdefault((idea.pk, user.pk), IdeaFollow(idea=idea, user=user, created_at=at))
        out.record(kinds.VOTE_CAST, user, idea, at)

    open_ideas = [i for i in ideas if i.status != IdeaStatus.MERGED]
    for index in BROAD_IDEAS:
        for account in rng.sample(engaged, min(len(engaged), rng.randint(12, 22))):
            for user in rng.sample(by_account[account.pk], min(2, len(by_account[account.pk]))):
                vote(ideas[index], user)
    for index, account in zip(ONE_ACCOUNT_IDEAS, enterprise * 4, strict=False):
        for user in by_account[account.pk]:
            vote(ideas[index], user)
    for user in users:
        for idea in rng.sample(open_ideas, rng.choice([0, 1, 2, 3, 5])):
            vote(idea, user)
    for account in engaged:  # engaged accounts voted lately ("voted in the last 180 days")
        vote(rng.choice([i for i in open_ideas if i.voting_open]), rng.choice(by_account[account.pk]), True)
    # A few people changed their minds.
    for user in rng.sample(users, min(12, len(users))):
        idea = rng.choice([i for i in open_ideas if i.voting_open])
        if (idea.pk, user.pk) in votes:
            continue
        begin, end = window(user)
        begin = max(begin, idea.created_at + timedelta(hours=1))
        if end - begin < timedelta(days=3):
            continue
        cast = _at(rng, begin, end - timedelta(days=2))
        out.record(kinds.VOTE_CAST, user, idea, cast)
        out.record(kinds.VOTE_WITHDRAWN, user, idea, cast + timedelta(days=1))
        follows.setdefault((idea.pk, user.pk), IdeaFollow(idea=idea, user=user, created_at=cast))
    for idea in ideas:  # authors follow their ideas
        follows.setdefault(
            (idea.pk, idea.author.pk), IdeaFollow(idea=idea, user=idea.author, created_at=idea.created_at)
        )
        if idea.status == IdeaStatus.MERGED:
            follows.pop((idea.pk, idea.author.pk))
            follows.setdefault(
                (idea.merged_into.pk, idea.author.pk),
                IdeaFollow(idea=idea.merged_into, user=idea.author, created_at=idea.created_at),
            )

    # Comments and views.
    comments = []
    for idea in open_ideas:
        for _ in range(rng.choice([0, 0, 1, 2, 3, 5])):
            user = rng.choice(users)
            begin, end = window(user)
            begin = max(begin, idea.created_at + timedelta(hours=2))
            if end <= begin:
                continue
            at = _at(rng, begin, end)
            comments.append(Comment(idea=idea, author=user, body=rng.choice(COMMENTS), created_at=at))
            out.record(kinds.COMMENT_POSTED, user, idea, at)
        for _ in range(rng.randint(2, 10)):
            user = rng.choice(users)
            begin, end = window(user)
            begin = max(begin, idea.created_at)
            if end > begin:
                out.record(kinds.IDEA_VIEWED, user, idea, _at(rng, begin, end))
    Vote.objects.bulk_create(votes.values(), batch_size=1000)
    IdeaFollow.objects.bulk_create(follows.values(), batch_size=1000)
    Comment.objects.bulk_create(sorted(comments, key=lambda c: c.created_at), batch_size=1000)
    vote_counts = dict(Vote.objects.filter(idea__in=ideas).values_list("idea").annotate(n=Count("pk")))
    comment_counts = dict(Comment.objects.filter(idea__in=ideas).values_list("idea").annotate(n=Count("pk")))
    for idea in ideas:
        idea.vote_count, idea.comment_count = vote_counts.get(idea.pk, 0), comment_counts.get(idea.pk, 0)
    Idea.objects.bulk_update(ideas, ["vote_count", "comment_count"], batch_size=500)
    Interaction.objects.bulk_create(out.interactions, batch_size=2000, ignore_conflicts=True)
    ctx.write(
        f"community: {len(ideas)} ideas ({len(DUPLICATES)} merged), {len(votes)} votes, "
        f"{len(comments)} comments, {len(follows)} follows, {len(out.interactions)} community interactions"
    )
