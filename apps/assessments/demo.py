"""Demo assessments, certifications and incentives (see the seed_demo command).

Runs after the learning demo and builds on what people learned there (read back from the
database): a question bank on the learning skills, eight assessments (four of them the last
step of a learning path), attempt history consistent with each person's learning (people who
finished more paths pass more often), four certifications awarded by the services' own rules
(some expired, a few renewed, a few revoked), point rules, badges, and the points and badges the
history earns.

As in the learning demo, the history is replayed in memory with the services' rules (an attempt
is graded by `grading.grade`, a certification is awarded at the first moment its requirements
are met with recent enough evidence, renewals take the recertification path) and written in
bulk, each fact with its interaction. Award codes and recipient salts stay random (secrets), as
they are unguessable credentials even in a demo.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Max
from django.utils import timezone

from apps.accounts.models import JobRole, Level, User
from apps.assessments import grading
from apps.assessments import kinds as assessment_kinds
from apps.assessments.models import (
    Answer,
    Assessment,
    AssessmentKind,
    AssessmentQuestion,
    Attempt,
    AttemptStatus,
    Award,
    Badge,
    BadgeAward,
    BadgeMetric,
    Certification,
    IncentivePreference,
    Option,
    PointEntry,
    PointRule,
    Question,
    QuestionKind,
    SkillResult,
)
from apps.interactions import kinds as interaction_kinds
from apps.interactions.models import Interaction
from apps.interactions.services import subject_ref
from apps.learning import kinds as learning_kinds
from apps.learning.models import Enrolment, LearningPath, PathStep, Skill, Status, StepCompletion, StepKind

LEARNER_EMAIL = "learner@example.com"
SINGLE, MULTIPLE = QuestionKind.SINGLE, QuestionKind.MULTIPLE
TRUE_FALSE, NUMERIC = QuestionKind.TRUE_FALSE, QuestionKind.NUMERIC

# --- The question bank ----------------------------------------------------------------------------
# Each question names the assessments ("pools") it appears in, by key:
#   fe = Platform foundations exam, dc = Dashboard design skill check, pl = Analytics placement test,
#   ad = Platform administrator exam, au = Workflow automation exam, api = Integrations and API exam,
#   sc = Security and access skill check, dq = Data import and quality skill check.
# Options starting with "*" are right.


@dataclass(frozen=True)
class QuestionSpec:
    pools: tuple[str, ...]
    skills: tuple[str, ...]
    kind: str
    text: str
    options: tuple[str, ...] = ()
    answer: str | None = None
    tolerance: str = "0"
    points: int = 1
    partial: bool = False
    explanation: str = ""


def single(pools, skills, text, options, explanation):
    return QuestionSpec(
        tuple(pools.split()), tuple(skills), SINGLE, text, tuple(options), explanation=explanation
    )


def multi(pools, skills, text, options, explanation, *, partial=True):
    return QuestionSpec(
        tuple(pools.split()),
        tuple(skills),
        MULTIPLE,
        text,
        tuple(options),
        points=2,
        partial=partial,
        explanation=explanation,
    )


def true_false(pools, skills, text, right: bool, explanation):
    options = ("*True", "False") if right else ("True", "*False")
    return QuestionSpec(
        tuple(pools.split()), tuple(skills), TRUE_FALSE, text, options, explanation=explanation
    )


def numeric(pools, skills, text, answer, explanation, *, tolerance="0"):
    return QuestionSpec(
        tuple(pools.split()),
        tuple(skills),
        NUMERIC,
        text,
        answer=answer,
        tolerance=tolerance,
        points=2,
        explanation=explanation,
    )


DASH, VIS, ADHOC, SCHED = "Dashboards", "Data visualisation", "Ad-hoc analysis", "Scheduled reports"
FORECAST, MODEL, SHARE, ROLLOUT = (
    "Forecasting",
    "Data modelling",
    "Exports and sharing",
    "Rolling out to teams",
)
ADOPTION, ACCESS, SSO, PROVISION = (
    "Measuring adoption",
    "Access control",
    "Single sign-on",
    "User provisioning",
)
AUDIT, IMPORT, QUALITY = "Audit trails", "Data import", "Data quality"
WORKFLOW, ALERTS, API = "Workflow automation", "Alerts and notifications", "API and webhooks"

# fmt: off
QUESTIONS = [
    # Dashboards
    single("fe dc pl", [DASH],
           "A sales dashboard has one number everyone looks for first: this month's revenue. Where should "
           "that tile go?",
           ["*Top-left, with last month's figure next to it for comparison", "Bottom-right, where the eye "
            "ends up", "In a tooltip, to keep the layout clean", "On a second tab, so the first one stays "
            "uncluttered"],
           "People read a dashboard like a page, starting top-left; a number means more next to its "
           "comparison."),
    numeric("fe dc", [DASH],
            "Our dashboard guidelines suggest splitting a dashboard once it grows beyond how many tiles?",
            "8", "Keep each dashboard to one audience and at most eight tiles; split it when it grows."),
    multi("dc pl", [DASH],
          "Which of these make a shared dashboard easier to trust? (Choose all that apply.)",
          ["*A text tile that says what it is for and who owns it", "*A consistent naming convention",
           "Every metric anyone has ever asked for", "*One audience per dashboard",
           "Refreshing it by hand before each meeting"],
          "Ownership, a clear name and one audience build trust; clutter and manual steps erode it."),
    true_false("fe", [DASH],
               "When a second audience needs a dashboard, it is better to split it than to add tiles for "
               "them.",
               True, "One dashboard per audience keeps each one answering its own questions at a glance."),
    # Data visualisation
    single("fe dc pl", [VIS],
           "You want to show how weekly active users changed over the last twelve months. Which chart fits "
           "best?",
           ["*A line chart", "A pie chart", "A stacked bar per region", "A table of weekly figures"],
           "Use a line for change over time and a bar for comparing categories."),
    single("dc pl", [VIS],
           "You compare this quarter's revenue across six product lines. Which chart reads best?",
           ["*A bar chart sorted by value", "A line chart", "A pie chart with a legend",
            "One gauge per product line"],
           "Sorted bars make ranking and differences obvious; pies and gauges hide them."),
    true_false("fe dc", [VIS],
               "Labelling values directly on a chart is usually clearer than relying on a legend.",
               True, "Direct labels save the reader a trip to the legend and back."),
    multi("pl", [VIS],
          "One series should stand out on a line chart with five series. What helps? (Choose all that "
          "apply.)",
          ["*Give it a strong colour and grey out the others", "*Label it directly at the end of its line",
           "Give every series its own bright colour", "Add a 3D effect"],
          "Reserve strong colour for the series that matters and label it directly.", partial=False),
    # Ad-hoc analysis
    single("fe dc pl", [ADHOC],
           "A colleague asks why returns rose in March. What is the quickest good way to start?",
           ["*Open the existing returns dashboard and drill down by product and store",
            "Build a new report from the raw dataset", "Export everything to a spreadsheet",
            "Ask IT for a data extract"],
           "Start from an existing dashboard and drill down instead of building from scratch."),
    true_false("dc", [ADHOC],
               "Saving a useful combination of filters as a view lets the next question start where this one "
               "ended.",
               True, "Saved views are the cheapest way to reuse an analysis."),
    numeric("pl", [ADHOC],
            "A calculated field computes margin as (revenue - cost) / revenue x 100. Revenue is 250,000 "
            "and cost is 185,000. What margin, in percent, does it show? (One decimal place.)",
            "26.0", "(250,000 - 185,000) / 250,000 x 100 = 26.0%.", tolerance="0.05"),
    multi("pl", [ADHOC, FORECAST],
          "Which of these can a calculated field in a report do? (Choose all that apply.)",
          ["*Compute a ratio of two existing columns", "*Keep a running total", "*Rank rows within a group",
           "Change the data in the source system"],
          "Calculated fields compute on the report's data; they never write back to the source."),
    # Scheduled reports
    single("dc au", [SCHED],
           "Your team plans its week on Monday mornings. When should the weekly report arrive?",
           ["*Early on Monday morning", "On Friday evening", "On Sunday at noon",
            "Whenever the data refreshes"],
           "Schedule reports for when people plan their week, usually Monday morning."),
    true_false("dc au", [SCHED],
               "Where possible, a scheduled report should send a link to the live report rather than a "
               "static attachment.",
               True, "A link always shows current figures and respects the reader's permissions."),
    single("au", [SCHED, ACCESS],
           "Five regional managers should each receive only their own region's figures. What is the best "
           "set-up?",
           ["*One schedule, filtered per recipient", "Five copies of the report, one per region",
            "Send the full report and ask them to filter it",
            "Give each manager edit rights to build their own"],
           "Per-recipient filters send each person only their own area from a single schedule."),
    # Forecasting
    single("pl", [FORECAST],
           "How much history should you have before trusting a forecast of something with a yearly season?",
           ["*At least two full years", "One month", "One full year", "Any amount: the model adjusts"],
           "Use at least two full seasonal cycles of history before trusting a forecast."),
    true_false("pl", [FORECAST],
               "A forecast helps planners more when it is shown as a range rather than a single line.",
               True, "People plan better with the uncertainty in view."),
    numeric("pl", [FORECAST],
            "Last December you sold 1,200 units, and this year is running 10% above last year. With a simple "
            "seasonal forecast plus that growth, how many units do you forecast for this December?",
            "1320", "1,200 x 1.10 = 1,320 units.", tolerance="5"),
    # Data modelling
    single("pl dq", [MODEL],
           "Finance and the store managers quote different 'same-store sales' figures. What fixes this for "
           "good?",
           ["*Define the metric once, in a shared dataset, and link to that definition from every report",
            "Ask everyone to round to the nearest thousand",
            "Let each team keep its own definition and add a footnote", "Publish only the finance figure"],
           "Write the definition of every shared metric in one place and link to it from reports."),
    true_false("dq", [MODEL, QUALITY],
               "Raw data and cleaned data should live in separate datasets.",
               True, "Keeping them apart lets you re-run cleaning and audit what changed."),
    multi("pl dq", [MODEL],
          "What belongs in an explicitly modelled calendar? (Choose all that apply.)",
          ["*Fiscal weeks", "*Public holidays", "*Retail periods that differ from calendar months",
           "The current user's favourite colour theme"],
          "Model calendars explicitly, fiscal weeks and public holidays included."),
    # Exports and sharing
    single("fe", [SHARE],
           "You need to show a dashboard to a partner outside your company. What is the safest way?",
           ["*Share a view-only link with an expiry date", "Export it to a spreadsheet and e-mail it",
            "Let the partner sign in with your account", "Take screenshots and paste them into a slide deck"],
           "Share a link with view permission and an expiry date instead of exporting a file."),
    true_false("fe", [SHARE],
               "Personal data should be stripped from an export unless the recipient really needs it.",
               True, "Strip personal data from exports unless the recipient really needs it."),
    multi("fe", [SHARE, ACCESS],
          "Which settings make an external share safer? (Choose all that apply.)",
          ["*An expiry date", "*View-only permission", "Edit permission, so they can fix typos",
           "*A filtered view with only what they need", "The underlying raw data, for transparency"],
          "Expiry, view-only access and a filtered view limit what leaves your organisation."),
    # Rolling out, measuring adoption
    single("fe", [ROLLOUT],
           "What makes the best first 'early win' in a rollout?",
           ["*A dashboard or automation that saves a visible amount of time in the first month",
            "Migrating every existing report at once", "Training everyone on the advanced features",
            "Waiting until everything is configured"],
           "Pick an early win that saves a visible amount of time in the first month."),
    true_false("fe", [ROLLOUT],
               "Each team should have a named champion with time set aside for the role.",
               True, "Name one champion per team and give them an hour a week for the role."),
    numeric("fe", [ROLLOUT],
            "About how many hours a week should a team's champion have for the role?",
            "1", "An hour a week is enough for a champion to answer questions and share tips.",
            tolerance="0.5"),
    single("fe", [ADOPTION],
           "Which measure tells you most about adoption in a team?",
           ["*Weekly active users per team", "Total sign-ins since launch", "Number of dashboards created",
            "Number of licences purchased"],
           "Track weekly active users per team, not just sign-ins in total."),
    # Access control
    single("ad sc", [ACCESS],
           "How should access to a workspace be granted?",
           ["*To groups, never directly to individuals", "To individuals, so that it is precise",
            "To everyone, then removed where needed", "Only to the workspace owner, who shares on request"],
           "Grant access to groups; people then get access by joining or leaving a group."),
    multi("ad sc", [ACCESS],
          "A new finance analyst must see only their own region's rows in the sales dataset. What do you "
          "use? (Choose all that apply.)",
          ["*Add them to the Finance analysts group", "*A row-level rule that filters the dataset by region",
           "Make them a workspace administrator", "Copy the dataset and delete the other regions' rows"],
          "Group membership grants the dataset; a row-level rule limits the rows."),
    true_false("ad sc", [ACCESS],
               "Start from the least privilege and widen access when a request is justified.",
               True, "Least privilege first; widen on a justified request."),
    numeric("ad", [ACCESS],
            "You review group membership with each team lead every quarter. How many reviews per team is "
            "that in a year?",
            "4", "Quarterly reviews: four a year."),
    # Single sign-on
    single("ad sc", [SSO],
           "Before enforcing single sign-on for everyone, what should you do?",
           ["*Test sign-on with a second administrator account", "Delete every local account",
            "Turn off two-factor authentication", "Ask everyone to reset their password"],
           "Test single sign-on with a second administrator account before enforcing it."),
    true_false("sc", [SSO],
               "You should keep one break-glass local administrator in case the identity provider is down.",
               True, "A break-glass account lets you in when the identity provider is not."),
    single("ad sc", [SSO, PROVISION],
           "How do you make sure joiners have the right access on their first day?",
           ["*Map identity-provider groups to roles", "Create each account by hand the day before",
            "Give new accounts administrator rights for their first week", "Share a team login"],
           "Map identity-provider groups to roles, so joiners have access on their first day."),
    # User provisioning
    single("ad sc", [PROVISION],
           "Which protocol lets the identity provider create, update and deactivate users automatically?",
           ["*SCIM", "SAML", "SMTP", "LDAP bind"],
           "SCIM provisions users; SAML signs them in."),
    true_false("ad", [PROVISION],
               "Deprovisioning a leaver in the identity provider removes their access everywhere at once.",
               True, "That is why deprovisioning belongs in the identity provider."),
    multi("sc", [PROVISION],
          "What can SCIM groups drive? (Choose all that apply.)",
          ["*Permissions", "*Licence assignment", "Dashboard colours", "Password complexity rules"],
          "Use SCIM groups to drive licences as well as permissions."),
    # Audit trails
    single("ad sc", [AUDIT],
           "During an incident you need to know who changed a dataset's permissions last night. Where do you "
           "start?",
           ["*Filter the audit trail by the dataset, then by time",
            "Filter the audit trail by each person in turn", "Ask the team in the chat channel",
            "Restore yesterday's backup"],
           "Filter the trail by object before filtering by person; it is much faster."),
    true_false("sc", [AUDIT],
               "Recording the reason for every permission change in its comment field makes audits faster.",
               True, "Auditors ask why as often as who."),
    # Data import
    single("ad dq", [IMPORT],
           "You import a CSV file whose dates look like 03/04/2024. What should you do on the mapping "
           "screen?",
           ["*Set the column type to date and choose day-first or month-first explicitly",
            "Leave it as text and fix it later", "Let the importer guess", "Delete the column"],
           "Map every column's type explicitly, especially dates and currency amounts."),
    true_false("ad dq", [IMPORT],
               "The first import of a new source should go into a sandbox workspace, with row counts "
               "compared to the source.",
               True, "A sandbox run catches mapping mistakes before anyone relies on the data."),
    numeric("dq", [IMPORT, QUALITY],
            "A source file has 48,250 rows. The import reports 48,199 rows loaded and 37 rejected. How many "
            "rows are unaccounted for?",
            "14", "48,250 - 48,199 - 37 = 14 rows to investigate."),
    single("dq", [IMPORT],
           "When should recurring imports run?",
           ["*Outside business hours, with an alert when one fails", "Every minute, to be safe",
            "By hand every Monday", "Only when someone notices stale data"],
           "Schedule recurring imports outside business hours and alert on failures."),
    # Data quality
    single("dq", [QUALITY],
           "What should happen to a row that breaks the dataset's unique key?",
           ["*Reject or quarantine it, and report it", "Keep the newer one silently", "Keep both",
            "Drop it silently"],
           "Quarantine suspicious rows instead of silently dropping them."),
    multi("dq", [QUALITY],
          "Which checks should run before every import? (Choose all that apply.)",
          ["*The unique key has no duplicates", "*The share of empty values per column is in its usual range",
           "*The row count is close to the previous load", "The file name contains today's date",
           "The file is smaller than 1 MB"],
          "Keys, empty values and row counts catch most bad files before they reach a dashboard."),
    true_false("dq", [QUALITY],
               "A sudden jump in the share of empty values in a column usually means a broken feed.",
               True, "Track the share of empty values per column; a jump means a broken feed."),
    numeric("dq", [QUALITY],
            "Today 1,140 of 9,500 rows have an empty customer id. What percentage is empty? (One decimal "
            "place.)",
            "12.0", "1,140 / 9,500 = 12.0%.", tolerance="0.05"),
    # Workflow automation
    single("au", [WORKFLOW],
           "Which manual step should you automate first?",
           ["*The most frequent one", "The most complicated one", "The one your manager mentioned last",
            "The last step of the process"],
           "Automate the most frequent manual step first, not the most complicated one."),
    multi("au", [WORKFLOW],
          "A purchase-request workflow moves money. What should it have? (Choose all that apply.)",
          ["*An approval step", "*A named owner", "*A one-line description of what 'done' means",
           "No approval for requests made on Fridays"],
          "Every workflow needs an owner and a definition of done; money needs an approval.", partial=False),
    true_false("au api", [WORKFLOW],
               "Every workflow should have an owner and a one-line description of what 'done' means.",
               True, "When something breaks, the owner is told and knows what 'done' should look like."),
    numeric("au", [WORKFLOW],
            "A manual step takes 6 minutes and happens 40 times a week. How many hours a week does "
            "automating it save?",
            "4", "6 minutes x 40 = 240 minutes = 4 hours a week."),
    single("au api", [WORKFLOW, API],
           "An automation fails halfway because a service is briefly unavailable. What should the workflow "
           "do?",
           ["*Retry with backoff, then alert its owner if it keeps failing", "Stop and silently discard the "
            "request", "Restart from the beginning immediately, for ever", "E-mail everyone in the company"],
           "Retries with backoff absorb short outages; the owner hears about long ones."),
    # Alerts and notifications
    single("au", [ALERTS],
           "A temperature sensor spikes for a single reading every few hours. How do you avoid false alarms?",
           ["*Alert on a sustained change, such as three readings in a row", "Raise the threshold until it "
            "never fires", "Alert on every reading above the threshold", "Turn the alert off at night"],
           "Alert on a sustained change (three readings in a row), not on a single spike."),
    true_false("au", [ALERTS],
               "Alerts should go to everyone in the department, so that nobody misses them.",
               False, "Route each alert to a team channel with a named owner, not to everyone."),
    multi("au", [ALERTS],
          "What makes an alert one that people act on? (Choose all that apply.)",
          ["*A named owner", "*A threshold that means something", "*A clear next step",
           "Sending it to as many channels as possible", "A red subject line"],
          "Fewer, better alerts: each with an owner, a meaningful threshold and a next step."),
    numeric("au", [ALERTS],
            "You review 40 alert rules; 12 of them led to action last quarter. If you delete the ones nobody "
            "acted on, how many rules remain?",
            "12", "Review alerts regularly and delete the ones nobody acted on: 12 remain."),
    # API and webhooks
    single("api", [API],
           "You are connecting three systems to the API. How many service tokens should you create?",
           ["*Three: one per integration", "One, shared by all three", "One per developer",
            "None: use your own sign-in"],
           "One token per integration lets you revoke one without breaking the others."),
    single("api", [API],
           "Why should every write through the API carry a client-generated id?",
           ["*So that a retried request is not applied twice", "To make the request faster",
            "Because reads require it too", "To encrypt the payload"],
           "Idempotent writes make retries safe."),
    true_false("api", [API],
               "Verify the signature of every webhook delivery before acting on it.",
               True, "Anyone can send a request to your endpoint; only we can sign it."),
    numeric("api", [API],
            "The API returns 100 rows per page. How many requests does it take to page through 2,350 rows?",
            "24", "23 full pages and one page of 50: 24 requests."),
    multi("api", [API],
          "A webhook receiver gets the same event twice. What keeps this harmless? (Choose all that apply.)",
          ["*Store processed event ids and skip ones already seen", "*Make the handler idempotent",
           "Return an error so that it stops retrying", "Process events in parallel without checks"],
          "Deliveries are at-least-once: deduplicate by event id and keep handlers idempotent."),
    single("api", [API],
           "The API answers 429 Too Many Requests. What should your client do?",
           ["*Wait as Retry-After says, then retry with backoff", "Retry at once in a loop",
            "Switch to another token", "Give up and log an error"],
           "Respect Retry-After and back off; other tokens share the same limits."),
    numeric("api", [API, WORKFLOW],
            "A failed webhook is retried after 1, 2, 4, 8 and 16 minutes. How many minutes after the first "
            "failure is the last retry?",
            "31", "1 + 2 + 4 + 8 + 16 = 31 minutes."),
]
# fmt: on


@dataclass(frozen=True)
class AssessmentSpec:
    key: str
    slug: str
    title: str
    kind: str
    description: str
    pass_mark: int = 70
    attempt_limit: int | None = None
    cooldown_hours: int = 0
    time_limit_minutes: int | None = None
    step_of: str = ""  # the slug of the learning path it ends, if any
    related_path: str = ""  # the path that teaches it (people who finished it do better)
    placement_paths: tuple[str, ...] = ()
    published_days_ago: int = 620


# fmt: off
ASSESSMENTS = [
    AssessmentSpec(
        "fe", "platform-foundations-exam", "Platform foundations exam", AssessmentKind.EXAM,
        "The exam of the **Cairn Certified Associate** certification: reading and sharing dashboards, "
        "choosing charts, getting answers from existing reports and helping a team adopt the platform.\n\n"
        "- 13 questions, about 20 minutes\n- Pass with 70%\n- You can try again after 24 hours",
        pass_mark=70, cooldown_hours=24, time_limit_minutes=25, related_path="foundations"),
    AssessmentSpec(
        "dc", "dashboard-design-skill-check", "Dashboard design skill check", AssessmentKind.SKILL_CHECK,
        "Ten questions on dashboard layout, chart choice, drill-downs and scheduled reports. It closes the "
        "*Reporting and dashboards* path; your results show which skills to practise next.",
        pass_mark=70, related_path="reporting-and-dashboards", step_of="reporting-and-dashboards"),
    AssessmentSpec(
        "pl", "analytics-placement-test", "Analytics placement test", AssessmentKind.PLACEMENT,
        "Not sure where to start? Thirteen questions, from reading a chart to forecasting, suggest the "
        "analytics path that fits your level. There is no wrong result.",
        pass_mark=50,
        placement_paths=("foundations", "reporting-and-dashboards", "advanced-analytics")),
    AssessmentSpec(
        "ad", "platform-administrator-exam", "Platform administrator exam", AssessmentKind.EXAM,
        "The exam that closes *Administrator essentials* and leads to the **Certified Platform "
        "Administrator** certification: access control, single sign-on, provisioning, the audit trail and "
        "data imports.\n\n- 11 questions, 30 minutes\n- Pass with 75%\n- Three attempts, a day apart",
        pass_mark=75, attempt_limit=3, cooldown_hours=24, time_limit_minutes=30,
        related_path="administrator-essentials", step_of="administrator-essentials"),
    AssessmentSpec(
        "au", "workflow-automation-exam", "Workflow automation exam", AssessmentKind.EXAM,
        "The exam that closes *Automating workflows* and leads to the **Certified Automation Specialist** "
        "certification: workflows, approvals, alerts and scheduled reports.\n\n- 12 questions, 25 minutes\n"
        "- Pass with 70%",
        pass_mark=70, cooldown_hours=12, time_limit_minutes=25,
        related_path="automating-workflows", step_of="automating-workflows"),
    AssessmentSpec(
        "api", "integrations-api-exam", "Integrations and API exam", AssessmentKind.EXAM,
        "The exam that closes *Integrations and the API* and leads to the **Certified Integration "
        "Developer** certification: tokens, paging, idempotent writes, webhooks and retries.",
        pass_mark=75, cooldown_hours=24, time_limit_minutes=25,
        related_path="integrations-and-the-api", step_of="integrations-and-the-api"),
    AssessmentSpec(
        "sc", "security-access-skill-check", "Security and access skill check", AssessmentKind.SKILL_CHECK,
        "Check what you know about roles and groups, single sign-on, SCIM provisioning and the audit "
        "trail before you change them in production.",
        pass_mark=70, related_path="security-and-access-control"),
    AssessmentSpec(
        "dq", "data-import-quality-skill-check", "Data import and quality skill check",
        AssessmentKind.SKILL_CHECK,
        "Mapping columns, checking a file before it lands, and catching duplicates, gaps and broken feeds.",
        pass_mark=70, related_path="administrator-essentials", published_days_ago=210),
]


@dataclass(frozen=True)
class CertificationSpec:
    slug: str
    title: str
    description: str
    criteria: str
    exam: str  # assessment key
    path: str  # learning path slug
    validity_days: int
    reminder_days: int
    recertification_path: str = ""


CERTIFICATIONS = [
    CertificationSpec(
        "cairn-certified-associate", "Cairn Certified Associate",
        "A Cairn Certified Associate finds their way around the platform, reads any dashboard with "
        "confidence, picks the right chart for a question and shares results safely with colleagues and "
        "partners.",
        "Complete the **Foundations** learning path and pass the **Platform foundations exam** (70%), "
        "both within the last year.\n\nValid for one year. Renew by completing the *Reporting and "
        "dashboards* path and passing the exam again.",
        "fe", "foundations", 365, 30, "reporting-and-dashboards"),
    CertificationSpec(
        "certified-platform-administrator", "Certified Platform Administrator",
        "A Certified Platform Administrator sets up people, groups and permissions, connects single "
        "sign-on and SCIM provisioning, imports and validates data, and uses the audit trail to answer who "
        "changed what.",
        "Complete the **Administrator essentials** path, which ends with the **Platform administrator "
        "exam** (75%).\n\nValid for two years. Renew with the *Security and access control* path and the "
        "exam.",
        "ad", "administrator-essentials", 730, 60, "security-and-access-control"),
    CertificationSpec(
        "certified-automation-specialist", "Certified Automation Specialist",
        "A Certified Automation Specialist replaces repetitive manual steps with reliable workflows, "
        "approvals and alerts that people act on, and keeps them maintained.",
        "Complete the **Automating workflows** path, which ends with the **Workflow automation exam** "
        "(70%).\n\nValid for two years. Renew by passing the exam again.",
        "au", "automating-workflows", 730, 45),
    CertificationSpec(
        "certified-integration-developer", "Certified Integration Developer",
        "A Certified Integration Developer connects other systems through the REST API and webhooks "
        "safely: one token per integration, idempotent writes, verified signatures and polite retries.",
        "Complete the **Integrations and the API** path, which ends with the **Integrations and API "
        "exam** (75%).\n\nValid for two years. Renew by passing the exam again.",
        "api", "integrations-and-the-api", 730, 45),
]

# (kind, points, description); rules for kinds no app has registered yet are skipped.
POINT_RULES = [
    ("learning.path_completed", 100, "Completed a learning path"),
    ("learning.course_completed", 50, "Completed a course"),
    ("learning.content_completed", 5, "Finished an article, guide or video"),
    ("learning.session_attended", 20, "Attended a live session"),
    ("assessment.passed", 40, "Passed an assessment"),
    ("certification.earned", 200, "Earned a certification"),
    ("community.idea_submitted", 15, "Shared a product idea"),
    ("community.answer_accepted", 25, "Gave an answer the asker accepted"),
    ("community.comment_posted", 2, "Joined a discussion"),
    ("surveys.response_submitted", 10, "Answered a survey"),
]

# (name, description, metric, kind, threshold)
BADGES = [
    ("Getting started", "Earned your first 100 points.", BadgeMetric.POINTS, "", 100),
    ("Committed learner", "Earned 500 points.", BadgeMetric.POINTS, "", 500),
    ("Trailblazer", "Earned 1,000 points.", BadgeMetric.POINTS, "", 1000),
    ("Pathfinder", "Completed three learning paths.", BadgeMetric.KIND_COUNT, "learning.path_completed", 3),
    ("Certified", "Earned your first certification.", BadgeMetric.KIND_COUNT, "certification.earned", 1),
]

REVOCATION_REASONS = [
    "Exam answers were shared in a public forum; the customer's admin confirmed the holder took part.",
    "The exam was taken by a colleague on the holder's behalf (confirmed by the customer's admin).",
    "Issued in error: the account was a shared training login, not a person.",
]
# fmt: on

BASE_ABILITY = {Level.BEGINNER: 0.52, Level.INTERMEDIATE: 0.62, Level.ADVANCED: 0.72}


# --- Rows to write ---------------------------------------------------------------------------------


class Output:
    def __init__(self):
        self.interactions: list[Interaction] = []

    def record(
        self, kind, user, at: datetime, *, subject=None, ref=None, value=None, properties=None
    ) -> None:
        subject_type, subject_id = ref or (subject_ref(subject) if subject is not None else ("", ""))
        self.interactions.append(
            Interaction(
                kind=kind if isinstance(kind, str) else kind.name,
                account_id=user.account_id,
                user_id=user.pk,
                subject_type=subject_type,
                subject_id=subject_id,
                occurred_at=at,
                value=value,
                properties=properties or {},
                source="demo",
                external_id=f"demo-assessments-{len(self.interactions) + 1}",
            )
        )


@dataclass
class Sitting:
    """One graded attempt, before it gets its number and its rows."""

    user: User
    assessment: Assessment
    started_at: datetime
    submitted_at: datetime
    question_order: list[int]
    option_order: dict[str, list[int]]
    answers: list[tuple[int, list[int], Decimal | None, Decimal]]  # question, selected, value, points
    earned: Decimal
    possible: Decimal
    score: Decimal
    passed: bool
    skill_scores: dict[str, float]


@dataclass
class Person:
    user: User
    ability: float
    end: datetime  # nothing happens after their last activity
    enrolments: dict[str, Enrolment] = field(default_factory=dict)  # by path slug

    def completed(self, slug: str, before: datetime) -> bool:
        enrolment = self.enrolments.get(slug)
        return bool(enrolment and enrolment.completed_at and enrolment.completed_at < before)

    def paths_done(self, before: datetime) -> int:
        return sum(1 for e in self.enrolments.values() if e.completed_at and e.completed_at < before)


@dataclass
class AwardPlan:
    user: User
    certification: Certification
    cycle: int
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    reason: str = ""


class History:
    def __init__(self, rng, now: datetime, bank: dict, specs: dict[str, AssessmentSpec]):
        self.rng, self.now = rng, now
        self.bank = bank  # assessment key -> [(question, options, skill ids)]
        self.specs = specs
        self.assessments: dict[str, Assessment] = {}
        self.sittings: list[Sitting] = []
        self.passes: dict[tuple[int, str], list[datetime]] = defaultdict(list)  # (user, key) -> times
        self.moved_completions: list[Enrolment] = []  # paths the exam completed, later than planned

    # One attempt, graded with the services' rules.
    def sit(
        self,
        person: Person,
        key: str,
        at: datetime,
        *,
        want: bool | None = None,
        skills: dict[int, float] | None = None,
        check=None,
    ) -> Sitting | None:
        spec, assessment = self.specs[key], self.assessments[key]
        if at >= self.now - timedelta(hours=1) or at < assessment.published_at:
            return None
        ability = self.ability(person, key, at)
        for tries in range(40):
            sitting = self._sit(person, key, at, ability, skills or {})
            if (want is None or sitting.passed == want) and (check is None or check(sitting)):
                break
            if want is not None:
                ability = min(0.99, ability + 0.04) if want else max(0.02, ability - 0.04)
            if tries == 39:
                return None
        if spec.time_limit_minutes:
            limit = timedelta(minutes=spec.time_limit_minutes)
            sitting.submitted_at = min(sitting.submitted_at, sitting.started_at + limit)
        self.sittings.append(sitting)
        if sitting.passed:
            self.passes[(person.user.pk, key)].append(sitting.submitted_at)
        return sitting

    def ability(self, person: Person, key: str, at: datetime) -> float:
        spec = self.specs[key]
        ability = person.ability + 0.045 * min(person.paths_done(at), 4)
        if spec.related_path and person.completed(spec.related_path, at):
            ability += 0.1
        return ability

    def _sit(
        self, person: Person, key: str, at: datetime, ability: float, skills: dict[int, float]
    ) -> Sitting:
        rng = self.rng
        items = self.bank[key]
        order = [q.pk for q, _, _ in items]
        rng.shuffle(order)
        by_pk = {q.pk: (q, options, skill_ids) for q, options, skill_ids in items}
        option_order = {}
        answers = []
        earned = possible = Decimal(0)
        by_skill: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for pk in order:
            question, options, skill_ids = by_pk[pk]
            if options:
                ids = [o.pk for o in options]
                rng.shuffle(ids)
                option_order[str(pk)] = ids
            p = next((skills[s] for s in skill_ids if s in skills), ability)
            p += {NUMERIC: -0.1, MULTIPLE: -0.07, TRUE_FALSE: 0.1}.get(question.kind, 0)
            selected, value = self._answer(question, options, rng.random() < min(0.97, max(0.05, p)))
            points = grading.grade(
                question,
                selected=selected,
                numeric_value=value,
                correct_ids={o.pk for o in options if o.is_correct},
                option_ids={o.pk for o in options},
            )
            answers.append((pk, selected, value, points))
            earned += points
            possible += question.points
            for skill_id in skill_ids:
                by_skill[skill_id][0] += points
                by_skill[skill_id][1] += question.points
        score = (100 * earned / possible).quantize(Decimal("0.01"))
        minutes = sum(rng.uniform(0.7, 2.4) for _ in order)
        return Sitting(
            user=person.user,
            assessment=self.assessments[key],
            started_at=at,
            submitted_at=at + timedelta(minutes=minutes),
            question_order=order,
            option_order=option_order,
            answers=answers,
            earned=earned,
            possible=possible,
            score=score,
            passed=score >= self.specs[key].pass_mark,
            skill_scores={
                str(k): float((100 * e / p).quantize(Decimal("0.01"))) for k, (e, p) in by_skill.items() if p
            },
        )

    def _answer(self, question, options, right: bool) -> tuple[list[int], Decimal | None]:
        rng = self.rng
        if question.kind == NUMERIC:
            answer = question.numeric_answer
            if right:
                return [], answer
            if rng.random() < 0.1:
                return [], None  # left blank
            factor = Decimal(str(round(rng.choice([-1, 1]) * rng.uniform(0.08, 0.6), 2)))
            wrong = (
                (answer * (1 + factor)).quantize(Decimal("0.01")) if answer else Decimal(rng.randint(1, 9))
            )
            if abs(wrong - answer) <= question.numeric_tolerance:
                wrong = answer + question.numeric_tolerance + 1
            return [], wrong
        correct = [o.pk for o in options if o.is_correct]
        wrong = [o.pk for o in options if not o.is_correct]
        if right:
            return sorted(correct), None
        if question.kind != MULTIPLE:
            return ([rng.choice(wrong)] if rng.random() > 0.04 else []), None
        picked = set(correct)
        move = rng.random()
        if move < 0.4 and len(picked) > 1:
            picked.discard(rng.choice(correct))  # missed one
        elif move < 0.75:
            picked.add(rng.choice(wrong))  # one too many
        else:
            picked.discard(rng.choice(correct))
            picked.add(rng.choice(wrong))
        return sorted(picked), None

    # A person's tries at one assessment: until a pass, or until they give up.
    def campaign(self, person: Person, key: str, start: datetime, *, persistence: float = 0.6) -> bool:
        spec, rng = self.specs[key], self.rng
        at, tries = start, 0
        while at < person.end and (spec.attempt_limit is None or tries < spec.attempt_limit):
            sitting = self.sit(person, key, at)
            if sitting is None:
                return False
            tries += 1
            if sitting.passed or rng.random() > persistence:
                return sitting.passed
            gap = timedelta(hours=max(spec.cooldown_hours, 1)) + timedelta(days=rng.expovariate(1 / 6))
            at = _working_hours(sitting.submitted_at + gap, rng)
        return False

    def pass_before(self, person: Person, key: str, deadline: datetime, earliest: datetime) -> Sitting | None:
        """The pass that completed a path step just before the path was completed, with the odd failed
        attempt before it (as many as the attempt limit leaves room for)."""
        spec, rng = self.specs[key], self.rng
        at = deadline - timedelta(minutes=rng.randint(45, 150))  # submitted before the path completes
        if at <= earliest:
            at = earliest + (deadline - earliest) / 2
        failures = 0
        ability = self.ability(person, key, at)
        if rng.random() > ability:
            failures = 1 if rng.random() < 0.8 else 2
        if spec.attempt_limit:
            failures = min(failures, spec.attempt_limit - 1)
        times = []
        moment = at
        for _ in range(failures):
            moment = moment - timedelta(hours=max(spec.cooldown_hours, 2) + rng.randint(2, 96))
            if moment <= earliest:
                break
            times.append(moment)
        for moment in reversed(times):
            self.sit(person, key, moment, want=False)
        return self.sit(person, key, at, want=True)


def _working_hours(moment: datetime, rng) -> datetime:
    if 8 <= moment.hour < 18 and moment.weekday() < 5:
        return moment
    day = moment.date() + timedelta(days=1 if moment.hour >= 18 else 0)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(rng.randint(8, 16), rng.randint(0, 59))))


# --- Building it -----------------------------------------------------------------------------------


def _catalogue(rng, now: datetime, skills: dict[str, Skill], paths: dict[str, LearningPath]):
    questions, options, question_skills = [], [], []
    for spec in QUESTIONS:
        question = Question(
            text=spec.text,
            kind=spec.kind,
            points=spec.points,
            partial_credit=spec.partial,
            numeric_answer=Decimal(spec.answer) if spec.answer is not None else None,
            numeric_tolerance=Decimal(spec.tolerance),
            explanation=spec.explanation,
            created_at=now - timedelta(days=rng.randint(640, 700)),
        )
        questions.append(question)
    Question.objects.bulk_create(questions)
    by_question: dict[int, list[Option]] = {}
    for spec, question in zip(QUESTIONS, questions, strict=True):
        rows = [
            Option(question=question, text=text.lstrip("*"), is_correct=text.startswith("*"), position=n)
            for n, text in enumerate(spec.options)
        ]
        options += rows
        by_question[question.pk] = rows
        question_skills += [
            Question.skills.through(question_id=question.pk, skill_id=skills[name].pk) for name in spec.skills
        ]
    Option.objects.bulk_create(options)
    Question.skills.through.objects.bulk_create(question_skills)

    assessments, items, placement_rows, bank = {}, [], [], {}
    for spec in ASSESSMENTS:
        published_at = now - timedelta(days=spec.published_days_ago + rng.randint(0, 20))
        assessments[spec.key] = Assessment(
            title=spec.title,
            slug=spec.slug,
            kind=spec.kind,
            description=spec.description,
            pass_mark=spec.pass_mark,
            attempt_limit=spec.attempt_limit,
            cooldown_hours=spec.cooldown_hours,
            time_limit_minutes=spec.time_limit_minutes,
            status=Status.PUBLISHED,
            published_at=published_at,
            created_at=published_at - timedelta(days=rng.randint(5, 25)),
        )
    Assessment.objects.bulk_create(assessments.values())
    for spec in ASSESSMENTS:
        assessment = assessments[spec.key]
        chosen = [(q, s) for q, s in zip(questions, QUESTIONS, strict=True) if spec.key in s.pools]
        items += [
            AssessmentQuestion(assessment=assessment, question=q, position=n)
            for n, (q, _) in enumerate(chosen)
        ]
        bank[spec.key] = [(q, by_question[q.pk], [skills[name].pk for name in s.skills]) for q, s in chosen]
        placement_rows += [
            Assessment.placement_paths.through(assessment_id=assessment.pk, learningpath_id=paths[slug].pk)
            for slug in spec.placement_paths
            if slug in paths
        ]
    AssessmentQuestion.objects.bulk_create(items)
    Assessment.placement_paths.through.objects.bulk_create(placement_rows)

    # Assessments that close a path: appended as its last, required step.
    last = dict(PathStep.objects.values("path").annotate(last=Max("position")).values_list("path", "last"))
    steps = {}
    for spec in ASSESSMENTS:
        if spec.step_of in paths:
            path = paths[spec.step_of]
            steps[spec.key] = PathStep(
                path=path,
                position=last.get(path.pk, -1) + 1,
                kind=StepKind.ASSESSMENT,
                ref_id=assessments[spec.key].pk,
                required=True,
            )
    PathStep.objects.bulk_create(steps.values())

    certifications = {}
    for spec in CERTIFICATIONS:
        certifications[spec.slug] = Certification(
            title=spec.title,
            slug=spec.slug,
            description=spec.description,
            criteria=spec.criteria,
            validity_days=spec.validity_days,
            reminder_days=spec.reminder_days,
            recertification_path=paths.get(spec.recertification_path),
            status=Status.PUBLISHED,
            created_at=now - timedelta(days=rng.randint(600, 640)),
        )
    Certification.objects.bulk_create(certifications.values())
    Certification.required_assessments.through.objects.bulk_create(
        [
            Certification.required_assessments.through(
                certification_id=certifications[spec.slug].pk, assessment_id=assessments[spec.exam].pk
            )
            for spec in CERTIFICATIONS
        ]
    )
    Certification.required_paths.through.objects.bulk_create(
        [
            Certification.required_paths.through(
                certification_id=certifications[spec.slug].pk, learningpath_id=paths[spec.path].pk
            )
            for spec in CERTIFICATIONS
            if spec.path in paths
        ]
    )
    return assessments, bank, steps, certifications


def _people(users: list[User], rng, now: datetime, paths: dict[str, LearningPath]) -> list[Person]:
    slug_of = {p.pk: slug for slug, p in paths.items()}
    last_seen = dict(
        Interaction.objects.filter(source="demo", user__in=users)
        .values("user")
        .annotate(last=Max("occurred_at"))
        .values_list("user", "last")
    )
    enrolments = defaultdict(dict)
    for enrolment in Enrolment.objects.filter(user__in=users).order_by("pk"):
        enrolments[enrolment.user_id][slug_of.get(enrolment.path_id, "")] = enrolment
    people = []
    for user in users:
        if user.pk not in last_seen:
            continue  # never signed in: never took a test either
        base = BASE_ABILITY.get(user.level, 0.55) + rng.gauss(0, 0.07)
        people.append(
            Person(
                user=user,
                ability=base,
                end=min(now - timedelta(hours=1), last_seen[user.pk] + timedelta(days=2)),
                enrolments=enrolments[user.pk],
            )
        )
    return people


def _history(history: History, people: list[Person], now: datetime, learner: User | None) -> None:
    rng = history.rng
    for person in people:
        user = person.user
        if user == learner:
            continue
        # Path-closing assessments: passed just before the path was completed, tried by some of
        # the people still on the path.
        for spec in ASSESSMENTS:
            enrolment = person.enrolments.get(spec.step_of) if spec.step_of else None
            if enrolment is None:
                continue
            if enrolment.completed_at and enrolment.completed_at - enrolment.enrolled_at < timedelta(hours=3):
                # They had done the content before enrolling: the exam right after enrolling is
                # what completed the path.
                at = enrolment.enrolled_at + timedelta(minutes=rng.randint(10, 50))
                sitting = history.sit(person, spec.key, at, want=True)
                if sitting is not None:
                    enrolment.completed_at = sitting.submitted_at + timedelta(seconds=30)
                    history.moved_completions.append(enrolment)
            elif enrolment.completed_at:
                history.pass_before(person, spec.key, enrolment.completed_at, enrolment.enrolled_at)
            elif rng.random() < 0.45:
                start = enrolment.enrolled_at + timedelta(days=rng.randint(3, 45))
                history.campaign(person, spec.key, _working_hours(start, rng), persistence=0.5)
        # The foundations exam, for the associate certification.
        foundations = person.enrolments.get("foundations")
        if foundations and foundations.completed_at and rng.random() < 0.72:
            start = foundations.completed_at + timedelta(days=rng.expovariate(1 / 9), hours=rng.randint(1, 6))
            history.campaign(person, "fe", _working_hours(start, rng), persistence=0.75)
        elif foundations and rng.random() < 0.15:
            start = foundations.enrolled_at + timedelta(days=rng.randint(2, 30))
            history.campaign(person, "fe", _working_hours(start, rng), persistence=0.4)
        # The placement test, when people start learning.
        first = min((e.enrolled_at for e in person.enrolments.values()), default=None)
        if first is not None and rng.random() < 0.4:
            at = max(first - timedelta(hours=rng.randint(1, 60)), user.date_joined + timedelta(hours=2))
            history.sit(person, "pl", _working_hours(at, rng))
        elif first is None and rng.random() < 0.06:
            at = person.end - timedelta(days=rng.randint(1, 200))
            if at > user.date_joined:
                history.sit(person, "pl", _working_hours(at, rng))
        # Skill checks taken along the way.
        admin = person.enrolments.get("administrator-essentials")
        if admin and rng.random() < 0.5:
            at = admin.enrolled_at + timedelta(days=rng.randint(7, 160))
            history.campaign(person, "sc", _working_hours(at, rng), persistence=0.3)
        if (
            user.job_role in (JobRole.ADMINISTRATOR, JobRole.ANALYST, JobRole.DEVELOPER)
            and rng.random() < 0.2
        ):
            at = now - timedelta(days=rng.randint(3, 200))
            history.campaign(person, "dq", _working_hours(at, rng), persistence=0.3)
        if "reporting-and-dashboards" not in person.enrolments and person.enrolments and rng.random() < 0.1:
            at = max(e.enrolled_at for e in person.enrolments.values()) + timedelta(days=rng.randint(1, 60))
            history.sit(person, "dc", _working_hours(at, rng))


def _learner_history(history: History, person: Person, now: datetime, skills: dict[str, Skill]) -> None:
    """Lena: a failed dashboard skill check that shows a weak skill (data visualisation), then a
    passed foundations exam: with the Foundations path half done, her associate certification is
    in progress."""
    vis = str(skills[VIS].pk)
    weak = {skills[VIS].pk: 0.12, skills[DASH].pk: 0.95, skills[ADHOC].pk: 0.9, skills[SCHED].pk: 0.85}

    def shows_the_weak_skill(sitting: Sitting) -> bool:
        scores = sitting.skill_scores
        return scores.get(vis, 100) < 50 and scores.get(str(skills[DASH].pk), 0) >= 70

    def still_shaky(sitting: Sitting) -> bool:  # better at charts than before, not yet good
        return 50 <= sitting.skill_scores.get(vis, 0) < 80

    day = (now - timedelta(days=16)).date()
    failed_at = timezone.make_aware(datetime.combine(day, time(11, 5)))
    history.sit(person, "dc", failed_at, want=False, skills=weak, check=shows_the_weak_skill)
    day = (now - timedelta(days=6)).date()
    passed_at = timezone.make_aware(datetime.combine(day, time(14, 20)))
    history.sit(person, "fe", passed_at, want=True, skills={skills[VIS].pk: 0.55}, check=still_shaky)


def _awards(
    history: History,
    people: list[Person],
    certifications: dict[str, Certification],
    now: datetime,
) -> list[AwardPlan]:
    """Each certification at the first moment its requirements were met (certifications_check runs
    on every pass and path completion, and on expiry), renewed through the recertification path."""
    plans = []
    delay = timedelta(hours=2)  # the daily beat records expiries early in the morning
    for spec in CERTIFICATIONS:
        certification = certifications[spec.slug]
        validity = timedelta(days=spec.validity_days)
        for person in people:
            passes = sorted(history.passes.get((person.user.pk, spec.exam), []))
            if not passes:
                continue
            path = person.enrolments.get(spec.path)
            path_done = path.completed_at if path else None
            recert = person.enrolments.get(spec.recertification_path) if spec.recertification_path else None
            recert_done = recert.completed_at if recert else None
            checkpoints = [t for t in [*passes, path_done, recert_done] if t is not None]
            heapq.heapify(checkpoints)
            awards: list[AwardPlan] = []
            while checkpoints:
                at = heapq.heappop(checkpoints)
                if at >= now:
                    continue
                previous = awards[-1] if awards else None
                if previous and previous.expires_at > at:
                    continue  # still valid
                since = at - validity
                if previous:
                    since = max(since, previous.issued_at)
                if previous:  # renewing: the recertification path, if any, instead of the path
                    paths_ok = not spec.recertification_path or (
                        recert_done is not None and since < recert_done <= at
                    )
                else:
                    paths_ok = path_done is not None and since < path_done <= at
                if not (paths_ok and any(since < p <= at for p in passes)):
                    continue
                issued = at + timedelta(seconds=1)
                awards.append(
                    AwardPlan(
                        user=person.user,
                        certification=certification,
                        cycle=len(awards) + 1,
                        issued_at=issued,
                        expires_at=issued + validity,
                    )
                )
                if issued + validity + delay < now:
                    heapq.heappush(checkpoints, issued + validity + delay)
            plans += awards
    return plans


def _renewals(history: History, people: list[Person], plans: list[AwardPlan], now: datetime) -> None:
    """Holders of an expiring associate certification who went on to the recertification path take
    the exam again when they are reminded, so their certification renews when it ends."""
    spec = CERTIFICATIONS[0]
    by_user = {p.user.pk: p for p in people}
    rng = history.rng
    for plan in plans:
        person = by_user[plan.user.pk]
        if plan.certification.slug != spec.slug or plan.cycle != 1:
            continue
        recert = person.enrolments.get(spec.recertification_path)
        if not (recert and recert.completed_at and recert.completed_at > plan.issued_at + timedelta(days=1)):
            continue
        reminded = plan.expires_at - timedelta(days=spec.reminder_days)
        if reminded >= now or rng.random() < 0.2:
            continue
        at = _working_hours(max(reminded, recert.completed_at) + timedelta(days=rng.randint(1, 20)), rng)
        if at < min(now, plan.expires_at + timedelta(days=60)):
            history.sit(person, spec.exam, at, want=True)


def seed(ctx) -> None:
    rng = ctx.rng
    if Assessment.objects.filter(slug=ASSESSMENTS[0].slug).exists():
        ctx.write("assessments: demo assessments already loaded")
        return
    skills = {s.name: s for s in Skill.objects.all()}
    paths = {p.slug: p for p in LearningPath.objects.all()}
    if not all(name in skills for spec in QUESTIONS for name in spec.skills) or "foundations" not in paths:
        ctx.write("assessments: the learning demo catalogue is missing; nothing loaded")
        return
    now = timezone.now()
    specs = {spec.key: spec for spec in ASSESSMENTS}
    assessments, bank, steps, certifications = _catalogue(rng, now, skills, paths)

    users = ctx.data["users"]
    learner = next((u for u in users if u.email == LEARNER_EMAIL), None)
    people = _people(users, rng, now, paths)
    history = History(rng, now, bank, specs)
    history.assessments = assessments
    _history(history, people, now, learner)
    lena = next((p for p in people if p.user == learner), None)
    if lena is not None:
        _learner_history(history, lena, now, skills)
    plans = _awards(history, people, certifications, now)
    _renewals(history, people, plans, now)
    plans = _awards(history, people, certifications, now)
    _revoke(plans, history, rng, now)

    out = Output()
    _move_completions(history.moved_completions)
    attempts = _write_attempts(history, out)
    steps_done = _write_steps(history, people, steps, specs, out)
    awards = _write_awards(plans, rng, now, out)
    rules, entries, badge_awards = _write_incentives(out, users, rng)

    Interaction.objects.bulk_create(out.interactions, batch_size=2000, ignore_conflicts=True)
    expired = sum(1 for a in awards if a.status == "expired")
    revoked = sum(1 for a in awards if a.revoked_at)
    renewed = sum(1 for a in awards if a.cycle > 1)
    passed = sum(1 for a in attempts if a.passed)
    ctx.write(
        f"assessments: {len(QUESTIONS)} questions, {len(assessments)} assessments ({len(steps)} closing a "
        f"path), {len(attempts)} attempts ({passed} passed), {steps_done} assessment steps completed, "
        f"{len(certifications)} certifications, {len(awards)} awards ({expired} expired, {revoked} revoked, "
        f"{renewed} renewals), {rules} point rules, {entries} point entries, {badge_awards} badges earned, "
        f"{len(out.interactions)} interactions"
    )


def _revoke(plans: list[AwardPlan], history: History, rng, now: datetime) -> None:
    """A few certifications are revoked, each with its reason (none of these holders passed again)."""
    candidates = [
        p
        for p in plans
        if p.certification.slug != CERTIFICATIONS[0].slug
        and p.expires_at > now
        and p.issued_at < now - timedelta(days=45)
        and p.user.email != LEARNER_EMAIL
    ]
    candidates.sort(key=lambda p: (p.certification.slug, p.user.pk))
    exam_of = {spec.slug: spec.exam for spec in CERTIFICATIONS}
    reasons = iter(REVOCATION_REASONS)
    for plan in rng.sample(candidates, len(candidates)):
        days = max(2, (now - plan.issued_at).days - 1)
        revoked_at = _working_hours(plan.issued_at + timedelta(days=rng.randint(1, min(days, 90))), rng)
        revoked_at = min(revoked_at, now - timedelta(hours=3))
        passes = history.passes.get((plan.user.pk, exam_of[plan.certification.slug]), [])
        if any(p > revoked_at for p in passes):
            continue  # a newer pass would have earned it again
        plan.revoked_at, plan.reason = revoked_at, next(reasons, "")
        if not plan.reason:
            plan.revoked_at = None
            break


def _move_completions(enrolments: list[Enrolment]) -> None:
    """Paths whose closing exam was the last thing done: completed when it was passed."""
    Enrolment.objects.bulk_update(enrolments, ["completed_at"])
    for enrolment in enrolments:
        Interaction.objects.filter(
            source="demo",
            kind=learning_kinds.PATH_COMPLETED.name,
            user=enrolment.user_id,
            subject_type="learning.learningpath",
            subject_id=str(enrolment.path_id),
        ).update(occurred_at=enrolment.completed_at)


def _write_attempts(history: History, out: Output) -> list[Attempt]:
    numbers: dict[tuple[int, int], int] = defaultdict(int)
    sittings = sorted(history.sittings, key=lambda s: (s.started_at, s.user.pk))
    attempts = []
    for sitting in sittings:
        key = (sitting.user.pk, sitting.assessment.pk)
        numbers[key] += 1
        spec_limit = sitting.assessment.time_limit_minutes
        attempts.append(
            Attempt(
                user=sitting.user,
                assessment=sitting.assessment,
                number=numbers[key],
                status=AttemptStatus.SUBMITTED,
                question_order=sitting.question_order,
                option_order=sitting.option_order,
                started_at=sitting.started_at,
                deadline_at=sitting.started_at + timedelta(minutes=spec_limit) if spec_limit else None,
                submitted_at=sitting.submitted_at,
                points_earned=sitting.earned,
                points_possible=sitting.possible,
                score=sitting.score,
                passed=sitting.passed,
                skill_scores=sitting.skill_scores,
            )
        )
    Attempt.objects.bulk_create(attempts, batch_size=500)
    answers, results = [], []
    for attempt, sitting in zip(attempts, sittings, strict=True):
        user, assessment = sitting.user, sitting.assessment
        step = (sitting.submitted_at - sitting.started_at) / (len(sitting.answers) + 1)
        for n, (question_id, selected, value, points) in enumerate(sitting.answers, start=1):
            if not selected and value is None:
                continue  # left blank: no answer row, as in the real flow
            answers.append(
                Answer(
                    attempt=attempt,
                    question_id=question_id,
                    selected=selected,
                    numeric_value=value,
                    saved_at=sitting.started_at + step * n,
                    points_awarded=points,
                )
            )
        results += [
            SkillResult(
                user=user,
                skill_id=int(skill_id),
                attempt=attempt,
                score=Decimal(str(score)),
                achieved_at=sitting.submitted_at,
            )
            for skill_id, score in sitting.skill_scores.items()
        ]
        out.record(
            assessment_kinds.ASSESSMENT_STARTED,
            user,
            sitting.started_at,
            subject=assessment,
            properties={"attempt": attempt.number},
        )
        out.record(
            assessment_kinds.ASSESSMENT_SUBMITTED,
            user,
            sitting.submitted_at,
            subject=assessment,
            value=float(sitting.score),
            properties={"attempt": attempt.number},
        )
        out.record(
            assessment_kinds.ASSESSMENT_PASSED if sitting.passed else assessment_kinds.ASSESSMENT_FAILED,
            user,
            sitting.submitted_at,
            subject=assessment,
            value=float(sitting.score),
            properties={"attempt": attempt.number, "skills": sitting.skill_scores},
        )
    Answer.objects.bulk_create(answers, batch_size=1000)
    SkillResult.objects.bulk_create(results, batch_size=1000)
    return attempts


def _write_steps(history, people, steps: dict[str, PathStep], specs, out: Output) -> int:
    """A pass completes the assessment step of each path the person is enrolled in (the first pass
    after they enrolled)."""
    rows = []
    for person in people:
        for key, step in steps.items():
            enrolment = person.enrolments.get(specs[key].step_of)
            if enrolment is None:
                continue
            passes = [t for t in history.passes.get((person.user.pk, key), []) if t >= enrolment.enrolled_at]
            if enrolment.completed_at:
                passes = [t for t in passes if t <= enrolment.completed_at]
            if not passes:
                continue
            at = min(passes)
            rows.append(StepCompletion(enrolment=enrolment, step=step, completed_at=at))
            out.record(
                learning_kinds.STEP_COMPLETED,
                person.user,
                at,
                subject=step,
                properties={"path": step.path_id, "required": step.required},
            )
    StepCompletion.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _write_awards(plans: list[AwardPlan], rng, now: datetime, out: Output) -> list[Award]:
    awards = []
    for plan in plans:
        certification = plan.certification
        reminder = plan.expires_at - timedelta(days=certification.reminder_days) + timedelta(hours=7)
        reminded = reminder < now and (plan.revoked_at is None or reminder < plan.revoked_at)
        recorded = plan.expires_at + timedelta(hours=2)
        expired = plan.revoked_at is None and recorded < now
        awards.append(
            Award(
                certification=certification,
                user=plan.user,
                cycle=plan.cycle,
                issued_at=plan.issued_at,
                expires_at=plan.expires_at,
                revoked_at=plan.revoked_at,
                revoke_reason=plan.reason,
                reminder_sent_at=reminder if reminded else None,
                expiry_recorded_at=recorded if expired else None,
            )
        )
    Award.objects.bulk_create(awards, batch_size=500)
    for award in awards:
        user, certification = award.user, award.certification
        out.record(
            assessment_kinds.CERTIFICATION_EARNED,
            user,
            award.issued_at,
            subject=certification,
            properties={"award": award.code, "cycle": award.cycle},
        )
        if award.expiry_recorded_at:
            out.record(
                assessment_kinds.CERTIFICATION_EXPIRED,
                user,
                award.expires_at,
                subject=certification,
                properties={"award": award.code},
            )
        if award.revoked_at:
            out.record(
                assessment_kinds.CERTIFICATION_REVOKED,
                user,
                award.revoked_at,
                subject=certification,
                properties={"award": award.code, "reason": award.revoke_reason},
            )
    return awards


def _write_incentives(out: Output, users: list[User], rng) -> tuple[int, int, int]:
    """Point rules and badges, and what the demo history earned under them (as points_award and
    badges_check would have given it, interaction by interaction)."""
    rules = [
        PointRule(kind=kind, points=points, description=description)
        for kind, points, description in POINT_RULES
        if interaction_kinds.get(kind) is not None
    ]
    PointRule.objects.bulk_create(rules)
    badges = [
        Badge(name=name, description=description, metric=metric, kind=kind, threshold=threshold)
        for name, description, metric, kind, threshold in BADGES
    ]
    Badge.objects.bulk_create(badges)
    rule_of = {r.kind: r for r in rules}
    user_of = {u.pk: u for u in users}

    earning = list(
        Interaction.objects.filter(source="demo", kind__in=list(rule_of), user__in=list(user_of)).values_list(
            "user", "account", "kind", "subject_type", "subject_id", "occurred_at"
        )
    )
    earning += [
        (i.user_id, i.account_id, i.kind, i.subject_type, i.subject_id, i.occurred_at)
        for i in out.interactions
        if i.kind in rule_of and i.user_id in user_of
    ]
    earning.sort(key=lambda row: (row[5], row[0], row[2], row[4]))
    seen, entries = set(), []
    counts: dict[tuple[int, str], int] = defaultdict(int)
    totals: dict[int, int] = defaultdict(int)
    owned: set[tuple[int, int]] = set()
    badge_awards = []
    for user_id, account_id, kind, subject_type, subject_id, at in earning:
        counts[(user_id, kind)] += 1
        rule = rule_of[kind]
        key = (user_id, rule.pk, subject_type, subject_id)
        if key in seen:
            continue
        seen.add(key)
        user = user_of[user_id]
        entries.append(
            PointEntry(
                user_id=user_id,
                account_id=account_id,
                rule=rule,
                points=rule.points,
                subject_type=subject_type,
                subject_id=subject_id,
                earned_at=at,
            )
        )
        out.record(
            assessment_kinds.POINTS_AWARDED,
            user,
            at,
            value=float(rule.points),
            properties={"rule": kind, "subject_type": subject_type, "subject_id": subject_id},
        )
        totals[user_id] += rule.points
        for badge in badges:
            if (user_id, badge.pk) in owned:
                continue
            if badge.metric == BadgeMetric.POINTS:
                reached = totals[user_id] >= badge.threshold
            else:
                reached = badge.kind == kind and counts[(user_id, kind)] >= badge.threshold
            if reached:
                owned.add((user_id, badge.pk))
                badge_awards.append(BadgeAward(badge=badge, user=user, awarded_at=at))
                out.record(assessment_kinds.BADGE_EARNED, user, at, subject=badge)
    PointEntry.objects.bulk_create(entries, batch_size=2000)
    BadgeAward.objects.bulk_create(badge_awards, batch_size=1000)

    # A handful of keen people show their points on the leaderboard across customers.
    ranked = sorted(totals, key=lambda pk: (-totals[pk], pk))[:40]
    opted = rng.sample(ranked, min(12, len(ranked)))
    IncentivePreference.objects.bulk_create(
        [IncentivePreference(user_id=pk, global_leaderboard=True) for pk in sorted(opted)]
    )
    return len(rules), len(entries), len(badge_awards)
