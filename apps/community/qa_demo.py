"""Demo peer Q&A: questions from customers, answers from other customers (customer admins answer
most), votes, accepted answers, a few unanswered questions and two open reports. Called by the
community app's demo seed; idempotent and deterministic (ctx.rng)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from apps.accounts.models import Role, User
from apps.community import kinds
from apps.community.models import Answer, AnswerVote, Flag, ProductArea, Question
from apps.interactions.models import Interaction

QUESTIONS = [
    (
        "How do you schedule a dashboard export every Monday?",
        "We send a PDF of the sales dashboard to managers by hand. Can Cairn's product do it on a schedule?",
    ),
    (
        "Best way to structure workspaces for 40 regional teams?",
        "One workspace per region, or one big workspace with folders? What has worked for you at scale?",
    ),
    (
        "SSO with Okta: users get a second login prompt",
        "We set up SAML with Okta, but people still see the product's own login page once a day.",
    ),
    (
        "How do you train new analysts in their first week?",
        "We onboard 5 to 10 analysts a quarter. Do you use the learning paths, or your own material?",
    ),
    (
        "Can row-level permissions follow our HR hierarchy?",
        "Managers should see their reports' data only. Is there a way to sync this from Workday?",
    ),
    (
        "Import of 2 GB CSV files keeps timing out",
        "The import stops after about 20 minutes. Is there a size limit, or should we split the files?",
    ),
    (
        "Naming conventions for shared datasets",
        "Our catalogue is a mess of `final_v2` names. Do you enforce a naming scheme? How?",
    ),
    (
        "How do you get executives to actually open the dashboards?",
        "Adoption among our leadership team is low. What made the difference for you?",
    ),
    (
        "Audit log retention: how long do you keep it?",
        "Our compliance team asks for 7 years. Do you export the audit log somewhere?",
    ),
    (
        "Alerts fire too often: how do you tune thresholds?",
        "We get 30 alerts a day and people started ignoring them.",
    ),
    (
        "Is anyone using the API to create users automatically?",
        "We would like to provision users from our IdP without SCIM. Any scripts to share?",
    ),
    (
        "Which chart type for month-over-month change?",
        "Bar, line or waterfall? Our finance team keeps arguing about it.",
    ),
    (
        "Sandbox vs production: how do you promote changes?",
        "We build dashboards in a sandbox. How do you move them to production safely?",
    ),
    (
        "How many customer admins do you have per 100 users?",
        "We have one admin for 300 people and it is too much for her.",
    ),
    (
        "Data refresh at night fails on the first of the month",
        "Only on the 1st the refresh of our finance model times out.",
    ),
    (
        "Tips for a dashboard that works on phones?",
        "Field staff open dashboards on phones. What layout works?",
    ),
    (
        "How do you document calculated fields?",
        "We have 200 calculated fields and nobody remembers what they mean.",
    ),
    (
        "Can we restrict exports to certain roles?",
        "Our legal team wants to stop people downloading raw data.",
    ),
    (
        "Healthcare: how do you handle patient identifiers?",
        "We need to mask identifiers for most users but not for clinicians.",
    ),
    (
        "Retail: comparing stores with different opening hours",
        "How do you normalise sales per store when opening hours differ?",
    ),
    (
        "What is your review process before publishing a dashboard?",
        "Do you have a checklist or a peer review?",
    ),
    (
        "Filters reset when people share a link",
        "When I share a dashboard link, the receiver does not see my filters.",
    ),
    (
        "How do you measure whether people use what you built?",
        "We want usage per dashboard to clean up the unused ones.",
    ),
    (
        "Embedding dashboards in our intranet",
        "Has anyone embedded dashboards in SharePoint? How did you handle sign-in?",
    ),
    (
        "Slow dashboards with many filters",
        "Our main dashboard takes 20 seconds to load. Where should we start?",
    ),
    ("Manufacturing: OEE dashboard templates?", "Does anyone have a good OEE layout to share?"),
    (
        "How to run a 'data champions' programme?",
        "We want one champion per department. How do you keep them engaged?",
    ),
    ("Time zones in reports for global teams", "Our US and APAC teams see different daily totals."),
    (
        "Public sector: accessibility requirements for dashboards",
        "We must meet WCAG 2.1 AA. Which chart settings help?",
    ),
    ("Do you version-control your data models?", "Is anyone keeping the model definitions in Git?"),
    ("Handling leavers: who owns their dashboards?", "When someone leaves, their content becomes orphaned."),
    (
        "Banking: reconciling figures with the core system",
        "Totals differ by a few cents from our core banking system.",
    ),
    (
        "Which learning path for business users?",
        "Our business users are not analysts. Which path would you start them with?",
    ),
    (
        "How do you collect feature requests internally?",
        "Before we post ideas here, how do you gather them in your company?",
    ),
    ("Colour palettes for colour-blind users", "Any palette you recommend that works for everyone?"),
    (
        "Email digests: too many or too few?",
        "How often do you send scheduled reports before people unsubscribe?",
    ),
    (
        "Migrating from spreadsheets: where to start?",
        "Half of our reporting still lives in Excel. What did you migrate first?",
    ),
    (
        "Can I copy a dashboard between workspaces?",
        "I want to reuse a dashboard for another team without rebuilding it.",
    ),
    (
        "Forecasting: do you trust the built-in forecast?",
        "How accurate has the forecast feature been for you?",
    ),
    (
        "Setting up a test user for each role",
        "How do you check what a learner sees without asking a colleague?",
    ),
    ("Rolling out to 500 new users next month", "Any lessons learned from a big roll-out?"),
    (
        "How do you keep KPIs consistent across departments?",
        "Sales and finance define 'revenue' differently.",
    ),
    ("Who should approve new data sources?", "Do you have a data owner per source, or a central team?"),
    ("Getting started with the REST API", "Is there a simple first script to list our dashboards?"),
]

ANSWERS = [
    "We use the scheduler under **Share → Schedule**. Pick the weekday and "
    "the recipients; PDFs arrive at 7:00.",
    "We went with one workspace per region and a shared *Templates* "
    "workspace. Folders got out of hand after 10 teams.",
    "Check the session length in your IdP: ours was 8 hours while the app "
    "expected 24. Matching them fixed it.",
    "Our first week is the *Foundations* path plus two hours of pairing "
    "with a senior analyst. It works well.",
    "We sync groups nightly with a small script and map each manager to a group. Happy to share the outline.",
    "Split the file into 200 MB chunks, or better: load it into the warehouse and connect to that.",
    "We use `area_subject_grain`, e.g. `sales_orders_daily`. A customer admin reviews new datasets weekly.",
    "We put *one* number on the first screen of the executive dashboard "
    "and sent it by e-mail every Monday. Opens tripled.",
    "We export the audit log monthly to our SIEM and keep it there; the "
    "in-app log is only for recent checks.",
    "Start with alerts on trends rather than single values, and send them "
    "to a channel rather than to people.",
    "Yes — we use the API with a service account. Rate limits were never an issue at our size.",
    "A waterfall for explaining the change, a line for the trend. We show both side by side.",
    "We export from the sandbox and import into production every other Tuesday, after a peer review.",
    "About one admin per 80 users, plus a champion in each department who answers the easy questions.",
    "Month-end jobs in our ERP lock the tables. We moved our refresh to 04:00 and it has not failed since.",
    "Build a separate phone layout with at most four tiles. Filters go into a drawer.",
    "We keep a glossary dataset and link every calculated field to an entry. Tedious but it pays off.",
    "Roles have an *export* permission; we turned it off for learners and kept it for analysts.",
    "We keep two datasets: a masked one for most people and the full one for a small clinical group.",
    "We normalise by opening hours and show sales per open hour next to raw sales.",
    "A checklist of ten points (titles, units, sources, accessibility) and one reviewer from another team.",
    "Use *Share → Copy link with filters*; the plain link deliberately drops them.",
    "The usage report in the admin area lists views per dashboard; we archive anything unused for 90 days.",
]

UNANSWERED = 8  # the last questions in the list get no answers


def _customers(users: list[User]) -> list[User]:
    return [u for u in users if u.role in (Role.LEARNER, Role.CUSTOMER_ADMIN) and u.is_active]


def seed(ctx) -> None:
    rng, now = ctx.rng, timezone.now()
    if Question.objects.filter(title=QUESTIONS[0][0]).exists():
        ctx.write("community: demo questions already loaded")
        return
    people = _customers(ctx.data.get("users") or list(User.objects.customers().filter(is_active=True)))
    if len(people) < 4:
        ctx.write("community: not enough people for demo questions")
        return
    staff = list(User.objects.filter(role=Role.CONTENT_ADMIN, is_active=True))
    areas = list(ProductArea.objects.all())
    admins = [u for u in people if u.role == Role.CUSTOMER_ADMIN]

    interactions: list[Interaction] = []

    def interaction(kind: str, user: User, at, subject_type: str, subject_id: int, **properties) -> None:
        interactions.append(
            Interaction(
                kind=kind,
                user=user,
                account_id=user.account_id,
                subject_type=subject_type,
                subject_id=str(subject_id),
                occurred_at=at,
                properties=properties,
                source="demo",
                external_id=f"demo-qa-{len(interactions) + 1}",
            )
        )

    questions = []
    for index, (title, body) in enumerate(QUESTIONS):
        author = rng.choice(people)
        if index >= len(QUESTIONS) - UNANSWERED:
            # Unanswered ones: half are new, half have waited long enough for staff to pick them up.
            asked = now - timedelta(hours=rng.randint(2, 30) if index % 2 else rng.randint(60, 400))
        else:
            asked = now - timedelta(days=rng.randint(3, 120), minutes=rng.randint(0, 1440))
        questions.append(
            Question(title=title, body=body, author=author, account_id=author.account_id, created_at=asked)
        )
    Question.objects.bulk_create(questions)
    for question in questions:
        if areas:
            question.areas.set(rng.sample(areas, k=min(len(areas), rng.randint(1, 2))))
        interaction(
            kinds.QUESTION_ASKED.name, question.author, question.created_at, "community.question", question.pk
        )

    answers: list[Answer] = []
    for question in questions[: len(QUESTIONS) - UNANSWERED]:
        others = [u for u in people if u.account_id != question.account_id] or people
        other_admins = [u for u in admins if u.account_id != question.account_id]
        authors: list[User] = []
        for _ in range(rng.choice([1, 1, 2, 2, 3, 4])):
            # Customer admins share most of the best practices.
            pool = other_admins if other_admins and rng.random() < 0.6 else others
            if staff and rng.random() < 0.1:
                pool = staff
            candidate = rng.choice(pool)
            if candidate not in authors and candidate != question.author:
                authors.append(candidate)
        for author in authors:
            delay = timedelta(hours=rng.randint(1, 72), minutes=rng.randint(0, 59))
            answered = min(question.created_at + delay, now - timedelta(minutes=5))
            answers.append(
                Answer(question=question, author=author, body=rng.choice(ANSWERS), created_at=answered)
            )
    Answer.objects.bulk_create(answers)

    votes: list[AnswerVote] = []
    by_question: dict[int, list[Answer]] = {}
    for answer in answers:
        by_question.setdefault(answer.question_id, []).append(answer)
        interaction(
            kinds.ANSWER_POSTED.name,
            answer.author,
            answer.created_at,
            "community.answer",
            answer.pk,
            question=answer.question_id,
        )
        voters = rng.sample(people, k=min(len(people), rng.randint(0, 9)))
        for voter in voters:
            if voter.pk != answer.author_id:
                votes.append(
                    AnswerVote(
                        answer=answer,
                        user=voter,
                        created_at=answer.created_at + timedelta(hours=rng.randint(1, 48)),
                    )
                )
                answer.vote_count += 1
    AnswerVote.objects.bulk_create(votes, ignore_conflicts=True)
    Answer.objects.bulk_update(answers, ["vote_count"])

    accepted = 0
    for question in questions:
        mine = by_question.get(question.pk, [])
        question.answer_count = len(mine)
        if mine and rng.random() < 0.6:
            best = max(mine, key=lambda a: a.vote_count)
            question.accepted_answer = best
            accepted += 1
            at = min(best.created_at + timedelta(days=rng.randint(0, 5), hours=2), now - timedelta(minutes=1))
            interaction(
                kinds.ANSWER_ACCEPTED.name,
                best.author,
                at,
                "community.answer",
                best.pk,
                question=question.pk,
                accepted_by=question.author_id,
            )
        for viewer in rng.sample(people, k=min(len(people), rng.randint(2, 12))):
            seen = min(
                question.created_at + timedelta(hours=rng.randint(1, 24 * 20)), now - timedelta(minutes=1)
            )
            interaction(kinds.QUESTION_VIEWED.name, viewer, seen, "community.question", question.pk)
    Question.objects.bulk_update(questions, ["answer_count", "accepted_answer"])

    reported = answers[-1]
    reporters = [u for u in people if u.pk != reported.author_id][:2]
    Flag.objects.bulk_create(
        [
            Flag(
                target="answer",
                target_id=reported.pk,
                reporter=reporter,
                reason="Looks like an advert for a consultancy.",
            )
            for reporter in reporters
        ],
        ignore_conflicts=True,
    )
    Interaction.objects.bulk_create(interactions, batch_size=2000, ignore_conflicts=True)
    ctx.write(
        f"community: {len(questions)} questions ({UNANSWERED} unanswered, {accepted} accepted), "
        f"{len(answers)} answers, {len(votes)} answer votes, {len(interactions)} Q&A interactions"
    )
