"""Demo learning: a skills taxonomy, a content library, learning paths, live sessions, and 18
months of learning history for the demo accounts' people (see the seed_demo command).

Every learning fact written here (a view, a completion, an enrolment, a registration, an
attendance) has its interaction in the log at the same moment, as the services would have
recorded it, so pages built on the learning tables and analytics built on the log agree.
History is made by replaying each person's planned actions, in time order, through a small
in-memory model of the services' rules (views within 30 minutes count once, a course completes
with its last lesson, completing content completes the path steps it satisfies, a path completes
with its last required step), and is then written in bulk: calling the services for tens of
thousands of rows would take minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.text import slugify

from apps.accounts.models import AccountStatus, JobRole, Level, Renewal, Role, User
from apps.interactions import kinds as interaction_kinds
from apps.interactions.models import Interaction
from apps.interactions.services import subject_ref
from apps.learning import kinds
from apps.learning.models import (
    ContentItem,
    ContentKind,
    ContentProgress,
    Enrolment,
    LearningPath,
    Lesson,
    LessonCompletion,
    LiveSession,
    PathStep,
    Registration,
    RegistrationStatus,
    SessionKind,
    Skill,
    SkillArea,
    Status,
    StepCompletion,
    StepKind,
)
from apps.learning.services import MAX_HEARTBEAT_SECONDS, VIEW_DEDUP_WINDOW

DAYS = 548  # 18 months, like the interaction history
BEG, INT, ADV = Level.BEGINNER, Level.INTERMEDIATE, Level.ADVANCED
ARTICLE, GUIDE, VIDEO, COURSE = ContentKind.ARTICLE, ContentKind.GUIDE, ContentKind.VIDEO, ContentKind.COURSE
CASE, PRACTICE, WEBINAR = ContentKind.CASE_STUDY, ContentKind.BEST_PRACTICE, ContentKind.WEBINAR

# fmt: off
# --- The skills taxonomy: area -> (skill, what it is, three tips used in generated bodies) -----

SKILL_AREAS = [
    ("Reporting and analytics", [
        ("Dashboards", "Designing dashboards that answer a team's recurring questions at a glance.", [
            "Put the number people look for first in the top-left corner, with its comparison next to it.",
            "Keep each dashboard to one audience and at most eight tiles; split it when it grows.",
            "Add a short text tile that says what the dashboard is for and who owns it.",
        ]),
        ("Reporting for regulators", "Producing accurate, auditable reports for regulators on time.", [
            "Lock the reporting period before you reconcile, so late changes show up as adjustments.",
            "Keep a reconciliation check next to every regulatory figure and fail the run when one breaks.",
            "Export the evidence pack (sources, checks, approvals) together with the report itself.",
        ]),
        ("Ad-hoc analysis", "Answering one-off questions with filters, drill-downs and calculated fields.", [
            "Start from an existing dashboard and drill down instead of building from scratch.",
            "Save useful filters as views, so the next question starts where this one ended.",
            "Write the question down before you start, and stop when it is answered.",
        ]),
        ("Data visualisation", "Choosing charts and colours that make the message obvious.", [
            "Use a line for change over time and a bar for comparing categories.",
            "Reserve strong colour for the one series that matters and grey out the rest.",
            "Label values directly instead of relying on a legend.",
        ]),
        ("Forecasting", "Projecting trends with seasonality and explaining the uncertainty.", [
            "Use at least two full seasonal cycles of history before trusting a forecast.",
            "Show a range, not just a line: people plan better with the uncertainty in view.",
            "Compare the forecast with the actuals every month and note why they differ.",
        ]),
    ]),
    ("Automation", [
        ("Workflow automation", "Automating repetitive steps with triggers, conditions and approvals.", [
            "Automate the most frequent manual step first, not the most complicated one.",
            "Give every workflow an owner and a one-line description of what 'done' means.",
            "Add an approval step wherever money or customer data changes hands.",
        ]),
        ("Alerts and notifications", "Alerting the right people at the right threshold, without noise.", [
            "Alert on a sustained change (three readings in a row), not on a single spike.",
            "Route each alert to a team channel with a named owner, not to everyone.",
            "Review alerts monthly and delete the ones nobody acted on.",
        ]),
        ("Scheduled reports", "Delivering reports on a schedule to the people who need them.", [
            "Schedule reports for when people plan their week, usually Monday morning.",
            "Send a link to the live report rather than a static attachment where you can.",
            "Filter per recipient so each person sees only their own area.",
        ]),
        ("API and webhooks", "Integrating other systems through the REST API and webhooks.", [
            "Use one service token per integration, so you can revoke one without breaking the others.",
            "Make every write idempotent with a client-generated id, so retries are safe.",
            "Verify the signature of every webhook before acting on it.",
        ]),
    ]),
    ("Data management", [
        ("Data import", "Bringing data in from files, databases and connectors reliably.", [
            "Map every column's type explicitly, especially dates and currency amounts.",
            "Run the first import into a sandbox workspace and compare row counts with the source.",
            "Schedule recurring imports outside business hours and alert on failures.",
        ]),
        ("Data quality", "Catching duplicates, gaps and outliers before they reach a report.", [
            "Define a unique key for each dataset and reject the rows that break it.",
            "Track the share of empty values per column; a sudden jump means a broken feed.",
            "Quarantine suspicious rows instead of silently dropping them.",
        ]),
        ("Data modelling", "Structuring datasets and shared definitions so every team counts the same way.", [
            "Write the definition of every shared metric in one place and link to it from reports.",
            "Model calendars explicitly, fiscal weeks and public holidays included.",
            "Keep raw data and cleaned data in separate datasets.",
        ]),
        ("Exports and sharing", "Sharing results safely inside and outside the organisation.", [
            "Share a link with view permission instead of exporting a file whenever you can.",
            "Set an expiry date on every external share.",
            "Strip personal data from exports unless the recipient really needs it.",
        ]),
    ]),
    ("Administration and security", [
        ("Access control", "Granting the right access with roles, groups and row-level rules.", [
            "Grant access to groups, never to individuals.",
            "Start from the least privilege and widen access when a request is justified.",
            "Review group membership every quarter with each team lead.",
        ]),
        ("Single sign-on", "Connecting the identity provider with SAML or OpenID Connect.", [
            "Test single sign-on with a second administrator account before enforcing it.",
            "Map identity-provider groups to roles, so joiners have access on their first day.",
            "Keep one break-glass local administrator in case the identity provider is down.",
        ]),
        ("Audit trails", "Using the audit trail to answer who changed what, and when.", [
            "Export the audit trail to your security team's log store every day.",
            "Filter the trail by object before filtering by person; it is much faster.",
            "Record the reason for every permission change in its comment field.",
        ]),
        ("User provisioning", "Automating joiners, movers and leavers with SCIM.", [
            "Deprovision through the identity provider, so leavers lose access everywhere at once.",
            "Use SCIM groups to drive licences as well as permissions.",
            "Reconcile the user list with HR data every month.",
        ]),
    ]),
    ("Adoption and change", [
        ("Rolling out to teams", "Planning a rollout with champions, training and early wins.", [
            "Name one champion per team and give them an hour a week for the role.",
            "Pick an early win that saves a visible amount of time in the first month.",
            "Retire the old spreadsheet on a date everyone knows.",
        ]),
        ("Measuring adoption", "Tracking active users, feature use and time to value.", [
            "Track weekly active users per team, not just logins in total.",
            "Watch which dashboards are opened; the unopened ones are candidates for retirement.",
            "Ask new users after 30 days what they still do outside the product.",
        ]),
        ("Executive reporting", "Summarising outcomes for sponsors and leadership.", [
            "Report outcomes (hours saved, errors avoided) rather than activity.",
            "Keep the executive summary to one page with three numbers.",
            "Show the trend over the last quarter, not a single month.",
        ]),
    ]),
]
TIPS = {name: tips for _, skills in SKILL_AREAS for name, _, tips in skills}
PITFALLS = [
    "Building for everyone at once, so the result suits nobody.",
    "Copying last year's setup without asking whether anyone still uses it.",
    "Skipping the test with real data because the sample looked fine.",
    "Leaving ownership vague: when something breaks, nobody feels it is theirs to fix.",
    "Measuring what is easy to count rather than what the team needs to decide.",
    "Changing several things at once, so you cannot tell which change helped.",
    "Forgetting to tell people what changed and where to find it.",
    "Treating the first version as finished instead of reviewing it after a month.",
]
VERTICAL_WORDS = {  # how each vertical names the organisation and the thing it reports on
    "banking": ("a regional bank", "branch network"),
    "healthcare": ("a hospital group", "wards and clinics"),
    "retail": ("a grocery chain", "store estate"),
    "manufacturing": ("a components manufacturer", "production lines"),
    "": ("a mid-sized operations team", "business"),
}

# --- The content library ---------------------------------------------------------------------
# (kind, title, level, vertical, skills, minutes, summary); a course's minutes are its lessons'.

CONTENT = [
    (ARTICLE, "What a good dashboard answers in five seconds", BEG, "",
     ["Dashboards", "Data visualisation"], 8,
     "The questions a dashboard should answer at a glance, and the clutter to cut so that it does."),
    (ARTICLE, "Choosing the right chart for the question", BEG, "", ["Data visualisation"], 7,
     "Bars, lines, tables or a single number: how to pick the chart that answers the question asked."),
    (ARTICLE, "Five automations every team should switch on first", BEG, "",
     ["Workflow automation", "Alerts and notifications"], 6,
     "Small automations that save an hour a week each, and take ten minutes to set up."),
    (ARTICLE, "Why your imported dates look wrong, and how to fix them", INT, "",
     ["Data import", "Data quality"], 9,
     "Time zones, day-first formats and spreadsheet serial numbers: the usual suspects and their cures."),
    (ARTICLE, "Roles, groups and row-level permissions explained", INT, "", ["Access control"], 10,
     "How the three layers of access combine, with worked examples for a sales and a finance team."),
    (ARTICLE, "Reading the audit trail during an incident", ADV, "", ["Audit trails", "Access control"], 12,
     "A calm, step-by-step way to find out who changed what when something looks wrong."),
    (ARTICLE, "Liquidity coverage reporting without spreadsheets", INT, "banking",
     ["Reporting for regulators", "Scheduled reports"], 11,
     "Moving the LCR return from a chain of spreadsheets to a reconciled, scheduled report."),
    (ARTICLE, "Bed occupancy at a glance for ward managers", BEG, "healthcare", ["Dashboards"], 6,
     "The four tiles a ward manager checks every morning, and how to build them from the bed feed."),
    (ARTICLE, "Same-store sales: definitions that keep finance and stores aligned", INT, "retail",
     ["Data modelling", "Dashboards"], 9,
     "Agreeing what counts as a comparable store, so head office and the stores quote the same number."),
    (ARTICLE, "OEE explained for plant managers", BEG, "manufacturing", ["Dashboards", "Data modelling"], 8,
     "Availability, performance and quality in plain words, with the traps that inflate the number."),
    (ARTICLE, "Forecasting with seasonality: a practical introduction", ADV, "",
     ["Forecasting", "Ad-hoc analysis"], 14,
     "Trend, season and noise: building a forecast you can explain to the people who rely on it."),
    (ARTICLE, "Keeping personal data out of exports", INT, "healthcare",
     ["Exports and sharing", "Access control"], 7,
     "Export settings and habits that keep patient identifiers where they belong."),
    (ARTICLE, "What's new: calculated fields in reports", BEG, "", ["Ad-hoc analysis"], 5,
     "Calculated fields now work in every report type; here is what you can do with them."),
    (GUIDE, "Importing your first CSV file", BEG, "", ["Data import"], 12,
     "From file to dashboard in one sitting: upload, map the columns, check the result."),
    (GUIDE, "Setting up single sign-on with SAML", INT, "", ["Single sign-on", "User provisioning"], 25,
     "Connect your identity provider, test with a second account, then enforce sign-on for everyone."),
    (GUIDE, "Building a workflow with approvals", INT, "", ["Workflow automation"], 18,
     "A purchase-request workflow with a manager approval, an escalation and a notification."),
    (GUIDE, "Scheduling a report to land in inboxes every Monday", BEG, "",
     ["Scheduled reports", "Exports and sharing"], 8,
     "Pick the report, the recipients and the filters, and let the schedule do the rest."),
    (GUIDE, "Connecting to the REST API with a service token", ADV, "", ["API and webhooks"], 20,
     "Create a service token, make your first authenticated call, and page through the results."),
    (GUIDE, "Webhooks: reacting to events in real time", ADV, "",
     ["API and webhooks", "Workflow automation"], 22,
     "Subscribe to events, verify signatures and process deliveries idempotently."),
    (GUIDE, "Provisioning users with SCIM", ADV, "", ["User provisioning", "Single sign-on"], 20,
     "Let the identity provider create, update and deactivate accounts for you."),
    (GUIDE, "Preparing a Basel III capital adequacy report", ADV, "banking", ["Reporting for regulators"], 30,
     "Assemble, reconcile and sign off the capital adequacy return with a full audit trail."),
    (GUIDE, "Tracking patient wait times across clinics", INT, "healthcare",
     ["Dashboards", "Data import"], 16,
     "Join the booking and check-in feeds to show waits by clinic, day and hour."),
    (GUIDE, "Stock-outs: an alert for every store manager", INT, "retail", ["Alerts and notifications"], 14,
     "An alert that tells each store manager about their own stock-outs before customers notice."),
    (GUIDE, "Capturing machine downtime from the shop floor", INT, "manufacturing",
     ["Data import", "Workflow automation"], 18,
     "A tablet form for operators, reason codes that make sense, and a feed into the OEE dashboard."),
    (GUIDE, "Cleaning duplicates before they reach a report", INT, "", ["Data quality"], 15,
     "Find duplicate records, decide which one wins, and stop new ones at the door."),
    (GUIDE, "Sharing a dashboard with people outside your team", BEG, "",
     ["Exports and sharing", "Access control"], 6,
     "Links, permissions and expiry dates: share what you found without oversharing."),
    (VIDEO, "A ten-minute tour of the workspace", BEG, "", ["Dashboards", "Rolling out to teams"], 10,
     "Where everything lives: workspaces, folders, favourites, search and your profile."),
    (VIDEO, "Your first dashboard in six minutes", BEG, "", ["Dashboards"], 6,
     "Build a dashboard from an existing dataset, add three tiles and share it."),
    (VIDEO, "Filters and drill-downs in practice", INT, "", ["Ad-hoc analysis", "Dashboards"], 9,
     "Answer follow-up questions without building a new report every time."),
    (VIDEO, "Alert rules that don't cry wolf", INT, "", ["Alerts and notifications"], 8,
     "Thresholds, sustained conditions and quiet hours, shown on a real alert."),
    (VIDEO, "Access control walkthrough for admins", BEG, "", ["Access control", "User provisioning"], 12,
     "Invite people, create groups and grant access to a workspace, step by step."),
    (VIDEO, "Data import: mapping columns the right way", BEG, "", ["Data import"], 7,
     "Column types, date formats and keys: the mapping screen explained."),
    (VIDEO, "Suspicious activity monitoring dashboards", INT, "banking",
     ["Dashboards", "Reporting for regulators"], 11,
     "How compliance teams watch transaction patterns and document what they reviewed."),
    (VIDEO, "Shift handover reports for nursing teams", BEG, "healthcare", ["Scheduled reports"], 7,
     "A handover report that arrives before every shift, filtered to the ward."),
    (VIDEO, "Promotions performance in one view", INT, "retail", ["Dashboards", "Ad-hoc analysis"], 9,
     "Uplift, cannibalisation and margin for every promotion, side by side."),
    (VIDEO, "Quality control charts on the line", INT, "manufacturing", ["Data visualisation"], 10,
     "Control limits, run rules and when to stop the line, on live sensor data."),
    (VIDEO, "Executive summary dashboards in 15 minutes", BEG, "", ["Executive reporting", "Dashboards"], 15,
     "Three numbers, one trend and a sentence: a summary your leadership will actually read."),
    (COURSE, "Foundations: getting around the platform", BEG, "", ["Dashboards", "Rolling out to teams"], 0,
     "Five short lessons that take a new user from first sign-in to sharing a first insight."),
    (COURSE, "Dashboard design fundamentals", BEG, "", ["Dashboards", "Data visualisation"], 0,
     "Design dashboards that people open every day: questions first, layout second, colour last."),
    (COURSE, "Advanced analytics with calculated fields", ADV, "",
     ["Ad-hoc analysis", "Forecasting", "Data modelling"], 0,
     "Calculated fields, window functions, cohorts and forecasts, with exercises on sample data."),
    (COURSE, "Workflow automation from scratch", INT, "",
     ["Workflow automation", "Alerts and notifications"], 0,
     "Triggers, conditions, approvals and error handling, building one real workflow as you go."),
    (COURSE, "Administering users and permissions", BEG, "",
     ["Access control", "User provisioning", "Audit trails"], 0,
     "Everything a new administrator needs: people, groups, permissions and the audit trail."),
    (COURSE, "Data import and quality essentials", BEG, "", ["Data import", "Data quality"], 0,
     "Bring data in cleanly and keep it clean: sources, mapping, validation and schedules."),
    (COURSE, "Building on the API", ADV, "", ["API and webhooks"], 0,
     "Authentication, paging, webhooks and idempotent writes, for developers integrating other systems."),
    (COURSE, "Regulatory reporting for banks", INT, "banking",
     ["Reporting for regulators", "Audit trails", "Scheduled reports"], 0,
     "Run the regulatory calendar with reconciled figures, clear sign-off and audit evidence."),
    (COURSE, "Clinical operations analytics", INT, "healthcare", ["Dashboards", "Data quality"], 0,
     "The metrics that run a hospital day to day, built safely from clinical system extracts."),
    (COURSE, "Retail performance analytics", BEG, "retail", ["Dashboards", "Ad-hoc analysis"], 0,
     "Store hierarchies, retail calendars, sales and margin dashboards, and promotion analysis."),
    (COURSE, "Manufacturing quality and OEE", INT, "manufacturing",
     ["Dashboards", "Data import", "Alerts and notifications"], 0,
     "Measure OEE honestly, capture downtime reasons and alert on quality drift."),
    (COURSE, "Leading a successful rollout", BEG, "",
     ["Rolling out to teams", "Measuring adoption", "Executive reporting"], 0,
     "Champions, a 30-60-90 day plan and adoption measures that convince a sponsor."),
    (CASE, "How a regional bank cut month-end reporting from nine days to three", INT, "banking",
     ["Reporting for regulators", "Scheduled reports"], 9,
     "Reconciled figures, scheduled packs and one sign-off flow replaced a week of spreadsheet work."),
    (CASE, "A hospital group's path to one version of the truth", INT, "healthcare",
     ["Data modelling", "Dashboards"], 10,
     "Six hospitals, six definitions of a bed day, and how they agreed on one."),
    (CASE, "From forty spreadsheets to one dashboard: a grocery chain's story", BEG, "retail",
     ["Dashboards", "Rolling out to teams"], 8,
     "Store managers now start the day with one dashboard instead of a folder of files."),
    (CASE, "Cutting unplanned downtime by 18% at a components plant", INT, "manufacturing",
     ["Alerts and notifications", "Data import"], 9,
     "Downtime reason codes, a daily review and two well-tuned alerts made the difference."),
    (CASE, "Rolling out to 2,000 users in one quarter", INT, "",
     ["Rolling out to teams", "Measuring adoption"], 11,
     "Champions, office hours and a weekly adoption review took a global rollout live on time."),
    (CASE, "Automating claims triage at an insurer", ADV, "", ["Workflow automation", "API and webhooks"], 10,
     "A webhook-driven workflow now routes 70% of claims without anyone touching them."),
    (CASE, "A small team's first 90 days", BEG, "", ["Rolling out to teams", "Dashboards"], 7,
     "How a five-person operations team went from sign-up to a weekly dashboard habit."),
    (PRACTICE, "Naming conventions for shared dashboards", BEG, "", ["Dashboards"], 5,
     "A naming scheme that makes the right dashboard easy to find and the stale ones easy to spot."),
    (PRACTICE, "A permission model that survives reorganisations", INT, "",
     ["Access control", "User provisioning"], 9,
     "Design groups around responsibilities, not around the current org chart."),
    (PRACTICE, "Designing alerts people act on", INT, "", ["Alerts and notifications"], 7,
     "Fewer, better alerts: each with an owner, a threshold that means something and a next step."),
    (PRACTICE, "Data quality checks to run before every import", INT, "", ["Data quality", "Data import"], 8,
     "Six checks that catch most bad files before they reach a dashboard."),
    (PRACTICE, "Version-controlling your automations", ADV, "",
     ["Workflow automation", "API and webhooks"], 10,
     "Export workflow definitions, review changes and roll back safely."),
    (PRACTICE, "Audit-ready reporting for compliance teams", ADV, "banking",
     ["Audit trails", "Reporting for regulators"], 9,
     "Keep the evidence an auditor asks for next to the figures, not in someone's inbox."),
    (PRACTICE, "Protecting patient data in shared reports", INT, "healthcare",
     ["Access control", "Exports and sharing"], 8,
     "Row-level rules, aggregation thresholds and export settings for clinical data."),
    (PRACTICE, "Running a monthly adoption review", BEG, "", ["Measuring adoption", "Executive reporting"], 6,
     "A 30-minute monthly meeting that keeps a rollout on track."),
    (WEBINAR, "Webinar: spring release highlights", BEG, "", ["Dashboards", "Workflow automation"], 45,
     "The product team walks through the spring release: new tiles, faster filters and workflow templates."),
    (WEBINAR, "Webinar: regulatory reporting roundtable", INT, "banking", ["Reporting for regulators"], 55,
     "Three reporting leads from banks compare calendars, controls and the checks they automate."),
    (WEBINAR, "Webinar: scaling analytics across a hospital network", INT, "healthcare",
     ["Dashboards", "Data modelling"], 50,
     "How shared definitions and a central data team let every hospital build its own dashboards."),
    (WEBINAR, "Webinar: peak season readiness for retailers", BEG, "retail",
     ["Dashboards", "Alerts and notifications"], 40,
     "Dashboards and alerts to set up before the busiest weeks of the year."),
    (WEBINAR, "Webinar: connected factory, connected data", INT, "manufacturing",
     ["Data import", "Dashboards"], 50,
     "Getting machine data into dashboards without a big-bang IT project."),
    (WEBINAR, "Webinar: security and access control Q&A", INT, "",
     ["Access control", "Single sign-on", "Audit trails"], 45,
     "Our security team answers customers' questions on single sign-on, SCIM and audit trails."),
    (WEBINAR, "Webinar: autumn release highlights", BEG, "", ["Ad-hoc analysis", "Scheduled reports"], 40,
     "Calculated fields everywhere, per-recipient schedules and what comes next on the roadmap."),
]
DRAFTS = [
    (GUIDE, "Migrating from legacy reporting tools", INT, "", ["Data import", "Data modelling"], 20,
     "A checklist for moving reports across without losing the numbers people trust."),
    (ARTICLE, "Embedding dashboards in your intranet", INT, "", ["Exports and sharing"], 8,
     "Embed a live dashboard in an intranet page, with the viewer's own permissions."),
    (COURSE, "Data governance in practice", ADV, "", ["Data modelling", "Data quality", "Access control"], 0,
     "Owners, definitions and access rules that keep a growing data estate trustworthy."),
    (WEBINAR, "Webinar: winter release preview", BEG, "", ["Dashboards"], 40,
     "A first look at what ships this winter."),
]
NEW_THIS_MONTH = {
    "What's new: calculated fields in reports",
    "Webinar: autumn release highlights",
    "Keeping personal data out of exports",
    "Data quality checks to run before every import",
}
LESSONS = {  # course title -> [(lesson title, minutes)]
    "Foundations: getting around the platform": [
        ("Signing in and finding your way", 6), ("Workspaces, folders and favourites", 8),
        ("Reading a dashboard", 10), ("Sharing what you find", 7), ("Where to get help", 5),
    ],
    "Dashboard design fundamentals": [
        ("Start with the question", 8), ("Layout and visual hierarchy", 12),
        ("Colour with a purpose", 9), ("Testing a dashboard with its users", 10),
    ],
    "Advanced analytics with calculated fields": [
        ("Calculated fields and their syntax", 15), ("Running totals and ranks", 18),
        ("Cohorts and retention curves", 20), ("Forecasting with seasonality", 20),
        ("Explaining a model to stakeholders", 12),
    ],
    "Workflow automation from scratch": [
        ("Triggers, conditions and actions", 12), ("Approvals and escalations", 14),
        ("Error handling and retries", 12), ("Monitoring your automations", 10),
    ],
    "Administering users and permissions": [
        ("Inviting people and assigning roles", 8), ("Groups and permission sets", 12),
        ("Row-level security", 14), ("Reviewing the audit trail", 10),
    ],
    "Data import and quality essentials": [
        ("Supported sources and formats", 8), ("Mapping columns and types", 12),
        ("Validation rules", 12), ("Scheduling recurring imports", 9),
    ],
    "Building on the API": [
        ("Authentication and tokens", 12), ("Paging, filtering and rate limits", 14),
        ("Webhooks and event payloads", 16), ("Idempotent writes", 12), ("Testing an integration", 14),
        ("Going to production", 10),
    ],
    "Regulatory reporting for banks": [
        ("The reporting calendar", 10), ("Building a COREP template", 18), ("Reconciliation checks", 15),
        ("Sign-off and audit evidence", 12), ("Submitting on time, every time", 8),
    ],
    "Clinical operations analytics": [
        ("The metrics that matter on a ward", 10), ("Joining clinical system extracts safely", 15),
        ("Wait-time dashboards", 12), ("Sharing with care teams", 8),
    ],
    "Retail performance analytics": [
        ("Store hierarchies and retail calendars", 10), ("Sales and margin dashboards", 14),
        ("Promotion analysis", 12),
    ],
    "Manufacturing quality and OEE": [
        ("Availability, performance, quality", 12), ("Capturing downtime reasons", 10),
        ("Control charts and alerts", 14), ("The daily production review", 8),
    ],
    "Leading a successful rollout": [
        ("Picking champions", 8), ("A 30-60-90 day plan", 12), ("Measuring adoption", 10),
        ("Reporting progress to sponsors", 9),
    ],
    "Data governance in practice": [
        ("Owners and stewards", 10), ("A glossary people use", 12), ("Access reviews", 10),
    ],
}

# --- Live sessions: recurring formats, held every few weeks ------------------------------------
# key -> (kind, title, host, level, vertical, skills, minutes, capacity)

SESSIONS = {
    "office-hours": (
        SessionKind.OFFICE_HOURS, "Office hours: ask us anything", "Priya Raman, Customer Education",
        BEG, "", ["Dashboards", "Rolling out to teams"], 45, 40),
    "dashboard-clinic": (
        SessionKind.VIRTUAL_CLASS, "Virtual class: dashboard clinic", "Jonas Weber, Solutions Engineer",
        INT, "", ["Dashboards", "Data visualisation"], 60, 30),
    "admin-bootcamp": (
        SessionKind.INSTRUCTOR_LED, "Administrator bootcamp", "Elena Ruiz, Senior Trainer",
        BEG, "", ["Access control", "User provisioning", "Data import"], 180, 12),
    "automation-hours": (
        SessionKind.OFFICE_HOURS, "Office hours: automation and alerts", "Marco Bianchi, Solutions Engineer",
        INT, "", ["Workflow automation", "Alerts and notifications"], 45, 25),
    "banking-class": (
        SessionKind.VIRTUAL_CLASS, "Virtual class: regulatory reporting for banks",
        "Hannah Okoye, Industry Lead, Financial Services",
        INT, "banking", ["Reporting for regulators", "Audit trails"], 75, 30),
    "clinical-class": (
        SessionKind.VIRTUAL_CLASS, "Virtual class: clinical operations dashboards",
        "Dr. Leo Martins, Industry Lead, Healthcare",
        INT, "healthcare", ["Dashboards", "Data quality"], 60, 25),
    "analytics-workshop": (
        SessionKind.INSTRUCTOR_LED, "Advanced analytics workshop", "Elena Ruiz, Senior Trainer",
        ADV, "", ["Ad-hoc analysis", "Forecasting"], 150, 16),
    "retail-class": (
        SessionKind.VIRTUAL_CLASS, "Virtual class: peak-season dashboards for retail",
        "Sam Whitfield, Industry Lead, Retail",
        BEG, "retail", ["Dashboards", "Alerts and notifications"], 60, 35),
    "oee-class": (
        SessionKind.VIRTUAL_CLASS, "Virtual class: OEE dashboards for plant teams",
        "Kenji Mori, Industry Lead, Manufacturing",
        INT, "manufacturing", ["Dashboards", "Data import"], 60, 25),
    "api-hours": (
        SessionKind.OFFICE_HOURS, "Office hours: API and integrations", "Marco Bianchi, Solutions Engineer",
        ADV, "", ["API and webhooks"], 45, 20),
    "import-clinic": (
        SessionKind.OFFICE_HOURS, "Office hours: data import clinic", "Priya Raman, Customer Education",
        BEG, "", ["Data import", "Data quality"], 45, 50),
}
UPCOMING = [  # (days from today, session key, capacity); the bootcamp is full with a waiting list
    (2, "office-hours", 40), (4, "admin-bootcamp", 10), (7, "dashboard-clinic", 30),
    (10, "banking-class", 30), (14, "automation-hours", 25), (17, "clinical-class", 25),
    (21, "import-clinic", 50), (24, "oee-class", 20), (28, "analytics-workshop", 16),
    (31, "retail-class", 35), (35, "api-hours", 15), (40, "office-hours", 40),
]
FULL_SESSION = "admin-bootcamp"
PAST_SESSIONS = 26

# --- Learning paths ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PathSpec:
    """A path to create. Steps: ("content", content title, required) or ("session", session key, required)."""

    key: str
    title: str
    level: str
    vertical: str
    roles: list[str]
    segments: list[str]
    prerequisites: list[str]
    summary: str
    outcomes: list[str]
    steps: list[tuple[str, str, bool]]


PATHS = [
    PathSpec(key="foundations", title="Foundations", level=BEG, vertical="", roles=[], segments=[],
         prerequisites=[],
         summary="Everything a new user needs in the first month: finding your way, reading dashboards.",
         outcomes=["Find your way around workspaces and folders", "Read any dashboard with confidence",
                   "Share what you find with the right people"],
         steps=[("content", "Foundations: getting around the platform", True),
                ("content", "A ten-minute tour of the workspace", True),
                ("content", "What a good dashboard answers in five seconds", True),
                ("content", "Sharing a dashboard with people outside your team", True),
                ("content", "A small team's first 90 days", False),
                ("session", "office-hours", False)]),
    PathSpec(key="dashboards", title="Reporting and dashboards", level=INT, vertical="",
         roles=[JobRole.ANALYST, JobRole.BUSINESS_USER], segments=[], prerequisites=["foundations"],
         summary="Design, build and schedule the dashboards and reports your team relies on every week.",
         outcomes=["Design a dashboard around the questions people ask", "Pick the right chart every time",
                   "Deliver reports on a schedule"],
         steps=[("content", "Dashboard design fundamentals", True),
                ("content", "Your first dashboard in six minutes", True),
                ("content", "Choosing the right chart for the question", True),
                ("content", "Filters and drill-downs in practice", True),
                ("content", "Naming conventions for shared dashboards", False),
                ("content", "Scheduling a report to land in inboxes every Monday", True),
                ("session", "dashboard-clinic", False)]),
    PathSpec(key="advanced-analytics", title="Advanced analytics", level=ADV, vertical="",
         roles=[JobRole.ANALYST], segments=[], prerequisites=["dashboards"],
         summary="Calculated fields, cohorts and forecasts for analysts who have outgrown standard reports.",
         outcomes=["Write calculated fields and window functions", "Build cohort and retention analyses",
                   "Forecast with seasonality and explain the uncertainty"],
         steps=[("content", "Advanced analytics with calculated fields", True),
                ("content", "Forecasting with seasonality: a practical introduction", True),
                ("content", "Cleaning duplicates before they reach a report", True),
                ("content", "Webinar: spring release highlights", False),
                ("session", "analytics-workshop", False)]),
    PathSpec(key="admin-essentials", title="Administrator essentials", level=BEG, vertical="",
         roles=[JobRole.ADMINISTRATOR], segments=[], prerequisites=[],
         summary="Set up people, permissions and data imports so your colleagues can get to work.",
         outcomes=["Invite people and organise them in groups", "Grant the right access, no more",
                   "Import and validate your first datasets"],
         steps=[("content", "Administering users and permissions", True),
                ("content", "Access control walkthrough for admins", True),
                ("content", "Importing your first CSV file", True),
                ("content", "Data import and quality essentials", True),
                ("content", "Roles, groups and row-level permissions explained", False),
                ("session", "admin-bootcamp", False)]),
    PathSpec(key="security", title="Security and access control", level=INT, vertical="",
         roles=[JobRole.ADMINISTRATOR], segments=["enterprise", "mid_market"],
         prerequisites=["admin-essentials"],
         summary="Single sign-on, automated provisioning and an access model your auditors will like.",
         outcomes=["Connect single sign-on and SCIM provisioning",
                   "Design groups that survive reorganisations",
                   "Investigate incidents with the audit trail"],
         steps=[("content", "Setting up single sign-on with SAML", True),
                ("content", "Provisioning users with SCIM", True),
                ("content", "A permission model that survives reorganisations", True),
                ("content", "Reading the audit trail during an incident", True),
                ("content", "Webinar: security and access control Q&A", False)]),
    PathSpec(key="automation", title="Automating workflows", level=INT, vertical="",
         roles=[JobRole.ADMINISTRATOR, JobRole.DEVELOPER, JobRole.BUSINESS_USER], segments=[],
         prerequisites=["foundations"],
         summary="Replace repetitive manual steps with workflows and alerts that people trust.",
         outcomes=["Build workflows with approvals and escalations", "Design alerts people act on",
                   "Monitor and maintain your automations"],
         steps=[("content", "Five automations every team should switch on first", True),
                ("content", "Workflow automation from scratch", True),
                ("content", "Alert rules that don't cry wolf", True),
                ("content", "Designing alerts people act on", True),
                ("content", "Automating claims triage at an insurer", False),
                ("session", "automation-hours", False)]),
    PathSpec(key="api", title="Integrations and the API", level=ADV, vertical="", roles=[JobRole.DEVELOPER],
         segments=[], prerequisites=["automation"],
         summary="Connect other systems through the REST API and webhooks, safely and idempotently.",
         outcomes=["Authenticate with service tokens and page through results", "Process webhooks safely",
                   "Keep integrations under version control"],
         steps=[("content", "Building on the API", True),
                ("content", "Connecting to the REST API with a service token", True),
                ("content", "Webhooks: reacting to events in real time", True),
                ("content", "Version-controlling your automations", True),
                ("session", "api-hours", False)]),
    PathSpec(key="banking", title="Regulatory reporting for banks", level=INT, vertical="banking",
         roles=[JobRole.ANALYST, JobRole.ADMINISTRATOR, JobRole.EXECUTIVE], segments=[], prerequisites=[],
         summary="Run the regulatory calendar with reconciled figures, clear sign-off and audit evidence.",
         outcomes=["Plan the reporting calendar", "Reconcile every regulatory figure",
                   "Keep audit evidence with the report"],
         steps=[("content", "Regulatory reporting for banks", True),
                ("content", "Liquidity coverage reporting without spreadsheets", True),
                ("content", "Audit-ready reporting for compliance teams", True),
                ("content", "Preparing a Basel III capital adequacy report", True),
                ("content", "Suspicious activity monitoring dashboards", False),
                ("content", "How a regional bank cut month-end reporting from nine days to three", False),
                ("content", "Webinar: regulatory reporting roundtable", False),
                ("session", "banking-class", False)]),
    PathSpec(key="healthcare", title="Clinical operations analytics", level=INT, vertical="healthcare",
         roles=[JobRole.ANALYST, JobRole.BUSINESS_USER, JobRole.EXECUTIVE], segments=[],
         prerequisites=["foundations"],
         summary="Occupancy, waits and handovers: the analytics that run a hospital day to day.",
         outcomes=["Build occupancy and wait-time dashboards", "Join clinical extracts safely",
                   "Share with care teams without exposing patient data"],
         steps=[("content", "Clinical operations analytics", True),
                ("content", "Bed occupancy at a glance for ward managers", True),
                ("content", "Tracking patient wait times across clinics", True),
                ("content", "Protecting patient data in shared reports", True),
                ("content", "Shift handover reports for nursing teams", False),
                ("content", "A hospital group's path to one version of the truth", False),
                ("session", "clinical-class", False)]),
    PathSpec(key="retail", title="Retail performance essentials", level=BEG, vertical="retail",
         roles=[JobRole.ANALYST, JobRole.BUSINESS_USER], segments=[], prerequisites=[],
         summary="Sales, margin, promotions and stock-outs for head office and store managers.",
         outcomes=["Report sales and margin by store and week", "Analyse promotions", "Alert on stock-outs"],
         steps=[("content", "Retail performance analytics", True),
                ("content", "Same-store sales: definitions that keep finance and stores aligned", True),
                ("content", "Stock-outs: an alert for every store manager", True),
                ("content", "Promotions performance in one view", True),
                ("content", "From forty spreadsheets to one dashboard: a grocery chain's story", False),
                ("content", "Webinar: peak season readiness for retailers", False)]),
    PathSpec(key="manufacturing", title="Quality and OEE on the shop floor", level=INT,
         vertical="manufacturing", roles=[JobRole.ANALYST, JobRole.BUSINESS_USER, JobRole.ADMINISTRATOR],
         segments=[], prerequisites=[],
         summary="Measure OEE honestly, capture downtime and catch quality drift before it costs you.",
         outcomes=["Calculate OEE the same way on every line", "Capture downtime reasons from operators",
                   "Alert on quality drift"],
         steps=[("content", "Manufacturing quality and OEE", True),
                ("content", "OEE explained for plant managers", True),
                ("content", "Capturing machine downtime from the shop floor", True),
                ("content", "Quality control charts on the line", True),
                ("content", "Cutting unplanned downtime by 18% at a components plant", False),
                ("session", "oee-class", False)]),
    PathSpec(key="executive", title="Leading adoption as an executive sponsor", level=BEG, vertical="",
         roles=[JobRole.EXECUTIVE], segments=["enterprise", "mid_market"], prerequisites=[],
         summary="What a sponsor does to make a rollout stick, and how to tell whether it is working.",
         outcomes=["Set up champions and a 30-60-90 day plan", "Read the adoption measures that matter",
                   "Report outcomes to leadership"],
         steps=[("content", "Leading a successful rollout", True),
                ("content", "Executive summary dashboards in 15 minutes", True),
                ("content", "Running a monthly adoption review", True),
                ("content", "Rolling out to 2,000 users in one quarter", True),
                ("content", "What a good dashboard answers in five seconds", False)]),
]
DRAFT_PATH = PathSpec(
    key="governance", title="Data governance in practice", level=ADV, vertical="",
    roles=[JobRole.ADMINISTRATOR], segments=["enterprise"], prerequisites=["admin-essentials"],
    summary="Owners, definitions and access reviews for a growing data estate.",
    outcomes=["Assign data owners", "Keep a glossary people use", "Run access reviews"],
    steps=[("content", "Data governance in practice", True),
           ("content", "Cleaning duplicates before they reach a report", True)],
)
PATH_PUBLISHED_DAYS_AGO = {"executive": 240, "manufacturing": 330}  # the rest launched before the window
# The order in which people of each job role take paths ("vertical" is their industry's path).
TRACKS = {
    JobRole.ANALYST: ["foundations", "vertical", "dashboards", "advanced-analytics"],
    JobRole.BUSINESS_USER: ["foundations", "vertical", "dashboards", "automation"],
    JobRole.ADMINISTRATOR: ["admin-essentials", "security", "foundations", "automation", "vertical"],
    JobRole.DEVELOPER: ["foundations", "automation", "api"],
    JobRole.EXECUTIVE: ["executive", "foundations", "vertical"],
}
VERTICAL_PATH = {v: v for v in ["banking", "healthcare", "retail", "manufacturing"]}  # their path keys
JOB_TITLE_ROLE = {
    "Analyst": JobRole.ANALYST,
    "Administrator": JobRole.ADMINISTRATOR,
    "Team lead": JobRole.BUSINESS_USER,
    "Developer": JobRole.DEVELOPER,
    "Operations manager": JobRole.BUSINESS_USER,
    "Platform owner": JobRole.ADMINISTRATOR,
    "Chief Operating Officer": JobRole.EXECUTIVE,
}
LEARNER_EMAIL = "learner@example.com"

# How much each tier of account trains: paths people take, how often they browse the library,
# how likely they finish what they open, how often they drop out of a path, days between sittings.
TIERS = {
    "active": {"paths": [1, 1, 2, 2, 3], "browse_every": 12, "finish": 0.5, "drop": 0.05, "gap": 3,
               "sessions": 1.0},
    "light": {"paths": [0, 0, 1], "browse_every": 30, "finish": 0.35, "drop": 0.2, "gap": 7,
              "sessions": 0.35},
    "barely": {"paths": [0, 0, 0, 0, 0, 1], "browse_every": 120, "finish": 0.2, "drop": 0.45, "gap": 12,
               "sessions": 0.05},
}

# fmt: on


# --- Markdown bodies, generated from templates so that this file stays readable ---------------


def _tips(skills: list[str]) -> list[str]:
    tips = [tip for name in skills for tip in TIPS[name]]
    return tips[::2] + tips[1::2]  # first tip of every skill first


def _body(
    kind: str,
    title: str,
    summary: str,
    skills: list[str],
    vertical: str,
    minutes: int,
    index: int,
    lessons: list[str],
    rng,
) -> str:
    tips = _tips(skills)
    org, estate = VERTICAL_WORDS[vertical]
    pitfalls = [PITFALLS[(index + n) % len(PITFALLS)] for n in range(3)]
    skill_list = ", ".join(s.lower() for s in skills)
    if kind == ARTICLE:
        parts = [
            summary,
            "## Why it matters",
            f"Teams that get {skill_list} right spend less time chasing numbers and more time acting on "
            "them. "
            f"This article distils what we see working across the {estate} of our customers.",
            "## What to do",
            "\n".join(f"{n}. {tip}" for n, tip in enumerate(tips[:4], 1)),
            "## Common pitfalls",
            "\n".join(f"- {p}" for p in pitfalls),
            "## Next step",
            "Try one of these on a report your team already uses, then ask a colleague whether it reads "
            "better.",
        ]
    elif kind == GUIDE:
        parts = [
            summary,
            "## Before you start",
            f"- About {minutes} minutes of uninterrupted time.\n"
            "- Edit permission on the workspace you will change.\n"
            "- A small sample of real data to test with.",
            "## Step by step",
            "\n".join(f"{n}. {tip}" for n, tip in enumerate(tips[:5], 1)),
        ]
        if "API and webhooks" in skills:
            parts += [
                "## Example",
                '```bash\ncurl -H "Authorization: Bearer $CAIRN_TOKEN" \\\n'
                '     "https://api.example.com/v2/reports?page=1&page_size=100"\n```',
            ]
        elif index % 2 == 0:
            parts += [
                "## Settings at a glance",
                "| Setting | Recommended | Why |\n|---|---|---|\n"
                "| Time zone | Your head office's | Dates line up with how people talk about them |\n"
                "| Owner | A named person | Someone is told when it breaks |\n"
                "| Review | Every quarter | Settings drift as teams change |",
            ]
        parts += [
            "## Check your work",
            "Open the result as a colleague would (a second browser helps) and "
            "confirm they see what you expect, and nothing more.",
        ]
    elif kind == VIDEO:
        marks = [
            "0:00 Introduction",
            *[f"{1 + 2 * n}:{15 * (n % 4):02d} {tip}" for n, tip in enumerate(tips[:3])],
            f"{max(minutes - 1, 7)}:30 Recap and next steps",
        ]
        parts = [
            summary,
            "## In this video",
            "\n".join(f"- {m}" for m in marks),
            "## Try it yourself",
            "Pause after each chapter and repeat the step in your own workspace; it sticks far better.",
        ]
    elif kind == COURSE:
        parts = [
            summary,
            "## What you will learn",
            "\n".join(f"{n}. {lesson}" for n, lesson in enumerate(lessons, 1)),
            "## How it works",
            f"{len(lessons)} short lessons, about {minutes} minutes in all. Each ends with a small exercise; "
            "the course is complete when every lesson is.",
            "## Skills covered",
            "\n".join(f"- {s}" for s in skills),
        ]
    elif kind == CASE:
        before, after = rng.randint(6, 14), rng.randint(2, 5)
        parts = [
            summary,
            "## The challenge",
            f"Like many teams at {org}, they relied on manual steps that only two people fully understood. "
            "Figures arrived late, and every meeting began with an argument about which number was right.",
            "## What they did",
            "\n".join(f"{n}. {tip}" for n, tip in enumerate(tips[:3], 1)),
            "## Results",
            "| Measure | Before | After |\n|---|---|---|\n"
            f"| Days to produce the monthly pack | {before} | {after} |\n"
            f"| People who open the dashboard weekly | {rng.randint(5, 20)} | {rng.randint(40, 140)} |\n"
            f"| Manual reconciliation steps | {rng.randint(12, 30)} | {rng.randint(1, 4)} |",
            f'> "{tips[0]} That one change did more than anything else." (Head of operations)',
        ]
    elif kind == PRACTICE:
        parts = [
            summary,
            "## The practice",
            tips[0],
            "## Why it works",
            f"It makes the right thing the easy thing: {tips[1][0].lower()}{tips[1][1:]}",
            "## Checklist",
            "\n".join(f"- [ ] {tip}" for tip in tips[:5]),
            "## Anti-patterns",
            "\n".join(f"- {p}" for p in pitfalls[:2]),
        ]
    else:  # webinar recording
        rows = "\n".join(f"| {5 + 12 * n} min | {tip} |" for n, tip in enumerate(tips[:3]))
        parts = [
            summary,
            "## Agenda",
            f"| When | Topic |\n|---|---|\n| 0 min | Welcome and housekeeping |\n{rows}\n"
            f"| {minutes - 10} min | Questions from the audience |",
            "## Questions from the audience",
            f"**Is this available on every plan?** Yes; {skill_list} features are part of every plan.\n\n"
            "**Will the slides be shared?** They are linked below the recording.",
        ]
    return "\n\n".join(parts)


def _lesson_body(course_title: str, lesson_title: str, position: int, skills: list[str]) -> str:
    tips = _tips(skills)
    key = [tips[(position + n) % len(tips)] for n in range(3)]
    parts = [
        f"In this lesson of *{course_title}* you will work through **{lesson_title.lower()}**, "
        "with a short exercise at the end.",
        "## Key ideas",
        "\n".join(f"- {tip}" for tip in key),
        "## Try it",
        f"1. Open a workspace you can edit (a sandbox is ideal).\n2. {key[0]}\n"
        "3. Note what changed, and why.",
    ]
    if "API and webhooks" in skills and position % 2 == 0:
        parts += [
            "## Example",
            "```python\nimport requests\n\nresponse = requests.get(\n"
            '    "https://api.example.com/v2/datasets",\n'
            '    headers={"Authorization": f"Bearer {token}"},\n    timeout=10,\n)\n'
            "response.raise_for_status()\n```",
        ]
    elif position % 3 == 1:
        parts += [
            "## Quick reference",
            "| Do | Avoid |\n|---|---|\n"
            f"| {key[1]} | Guessing what people need |\n| {key[2]} | Changing everything at once |",
        ]
    parts += ["## Recap", "You can now explain this step to a colleague. The next lesson builds on it."]
    return "\n\n".join(parts)


def _path_description(spec: PathSpec) -> str:
    outcomes = "\n".join(f"- {o}" for o in spec.outcomes)
    return (
        f"{spec.summary}\n\n## You will be able to\n\n{outcomes}\n\n## How it works\n\n"
        "Work through the steps in order; optional steps deepen a topic but are not needed to finish. "
        "Content you already completed counts as soon as you enrol."
    )


def _video_url(rng, vimeo: bool = False) -> str:
    if vimeo:
        return f"https://vimeo.com/{rng.randint(100_000_000, 999_999_999)}"
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    return "https://www.youtube.com/watch?v=" + "".join(rng.choice(alphabet) for _ in range(11))


def _at(day: date, rng, first_hour: int = 8, last_hour: int = 18) -> datetime:
    return timezone.make_aware(
        datetime.combine(day, time(rng.randint(first_hour, last_hour), rng.randint(0, 59)))
    )


def _workday(day: date, rng) -> date:
    """Most learning happens on weekdays: move most weekend days to the Monday after."""
    if day.weekday() >= 5 and rng.random() < 0.85:
        return day + timedelta(days=7 - day.weekday())
    return day


# --- The catalogue ----------------------------------------------------------------------------


@dataclass
class Catalogue:
    content: dict[str, ContentItem]  # by title
    lessons: dict[int, list[Lesson]]  # course pk -> its lessons in order
    paths: dict[str, LearningPath]  # by key
    steps: dict[int, list[PathStep]]  # path pk -> its steps in order
    steps_by_content: dict[int, list[PathStep]]
    prerequisites: dict[int, list[int]]  # path pk -> prerequisite path pks
    past_sessions: list[LiveSession]
    upcoming: list[LiveSession]
    session_by_key: dict[str, LiveSession]  # the first upcoming one of each format
    published: list[ContentItem] = field(default_factory=list)
    content_by_pk: dict[int, ContentItem] = field(default_factory=dict)
    weights: dict[tuple[str, str], list[float]] = field(default_factory=dict)  # for picking what to browse


def _build_catalogue(rng, today: date, now: datetime) -> Catalogue:
    areas = [SkillArea(name=name, position=n) for n, (name, _) in enumerate(SKILL_AREAS)]
    SkillArea.objects.bulk_create(areas)
    skills = {
        name: Skill(
            area=area,
            name=name,
            slug=slugify(name),
            description=description,
            validity_days=180 if area.name == "Administration and security" else 365,
        )
        for area, (_, entries) in zip(areas, SKILL_AREAS, strict=True)
        for name, description, _ in entries
    }
    Skill.objects.bulk_create(skills.values())

    author = User.objects.filter(role=Role.CONTENT_ADMIN).order_by("pk").first()
    in_paths = {ref for spec in PATHS for kind, ref, _ in spec.steps if kind == "content"}
    items, item_skills = [], []
    for index, (kind, title, level, vertical, skill_names, minutes, summary) in enumerate(CONTENT + DRAFTS):
        draft = index >= len(CONTENT)
        lessons = [name for name, _ in LESSONS.get(title, [])]
        if kind == COURSE:
            minutes = sum(m for _, m in LESSONS[title])
        if draft:
            published_at = None
        elif title in in_paths:
            published_at = _at(today - timedelta(days=rng.randint(600, 720)), rng)
        elif title in NEW_THIS_MONTH:
            published_at = _at(today - timedelta(days=rng.randint(2, 24)), rng)
        else:
            published_at = _at(today - timedelta(days=rng.randint(35, 560)), rng)
        created_at = (published_at or now) - timedelta(days=rng.randint(2, 20))
        item = ContentItem(
            title=title,
            slug=slugify(title),
            kind=kind,
            summary=summary,
            level=level,
            vertical=vertical,
            body=_body(kind, title, summary, skill_names, vertical, minutes, index, lessons, rng),
            video_url=_video_url(rng, vimeo=kind == WEBINAR and index % 2 == 0)
            if kind in (VIDEO, WEBINAR)
            else "",
            estimated_minutes=minutes,
            status=Status.DRAFT if draft else Status.PUBLISHED,
            published_at=published_at,
            created_by=author,
            created_at=created_at,
        )
        items.append(item)
        item_skills += [(item, skills[name]) for name in skill_names]
    ContentItem.objects.bulk_create(items)
    ContentItem.skills.through.objects.bulk_create(
        [ContentItem.skills.through(contentitem_id=i.pk, skill_id=s.pk) for i, s in item_skills]
    )
    content = {item.title: item for item in items}

    lesson_rows = []
    for title, entries in LESSONS.items():
        course = content[title]
        course_skills = next(spec[4] for spec in CONTENT + DRAFTS if spec[1] == title)
        for position, (name, minutes) in enumerate(entries):
            lesson_rows.append(
                Lesson(
                    course=course,
                    title=name,
                    position=position,
                    estimated_minutes=minutes,
                    body=_lesson_body(title, name, position, course_skills),
                    video_url=_video_url(rng) if position == 0 else "",
                )
            )
    Lesson.objects.bulk_create(lesson_rows)
    lessons: dict[int, list[Lesson]] = {}
    for lesson in lesson_rows:
        lessons.setdefault(lesson.course_id, []).append(lesson)

    # Sessions: every three weeks or so over the last 18 months, and a dozen in the next six weeks.
    sessions, session_skills = [], []

    def session(key: str, starts_at: datetime, capacity: int, past: bool) -> LiveSession:
        kind, title, host, level, vertical, skill_names, minutes, _ = SESSIONS[key]
        description = (
            f"{SESSIONS[key][1]} with {host.split(',')[0]}. Bring your questions and, if you can, "
            f"a real example from your own work.\n\n## Topics\n\n"
            + "\n".join(f"- {tip}" for tip in _tips(skill_names)[:3])
        )
        row = LiveSession(
            title=title,
            kind=kind,
            host=host,
            starts_at=starts_at,
            duration_minutes=minutes,
            capacity=capacity,
            level=level,
            vertical=vertical,
            description=description,
            join_url=f"https://meet.example.com/cairn-{key}-{starts_at:%Y%m%d}",
            recording_url=_video_url(rng) if past and rng.random() < 0.85 else "",
            created_at=min(now, starts_at) - timedelta(days=rng.randint(30, 45)),  # announced a month ahead
        )
        sessions.append(row)
        session_skills.extend((row, skills[name]) for name in skill_names)
        return row

    keys = list(SESSIONS)
    past = []
    for n in range(PAST_SESSIONS):
        day = today - timedelta(days=DAYS - 10 - n * 21 - rng.randint(0, 4))
        day += timedelta(days=(1 - day.weekday()) % 7)  # a Tuesday
        key = keys[n % len(keys)]
        past.append(session(key, _at(day, rng, 9, 15).replace(minute=0), SESSIONS[key][7], past=True))
    upcoming = [
        session(
            key,
            timezone.make_aware(datetime.combine(today + timedelta(days=days), time(15 if n % 2 else 9))),
            capacity,
            past=False,
        )
        for n, (days, key, capacity) in enumerate(UPCOMING)
    ]
    LiveSession.objects.bulk_create(sessions)
    LiveSession.skills.through.objects.bulk_create(
        [LiveSession.skills.through(livesession_id=s.pk, skill_id=k.pk) for s, k in session_skills]
    )
    session_by_key = {}
    for (_, key, _), row in zip(UPCOMING, upcoming, strict=True):
        session_by_key.setdefault(key, row)

    # Paths, launched once their content was out.
    paths, path_skills, steps, prereq_rows = {}, [], [], []
    for spec in [*PATHS, DRAFT_PATH]:
        draft = spec is DRAFT_PATH
        step_items = [content[ref] for kind, ref, _ in spec.steps if kind == "content"]
        if draft:
            published_at = None
        elif spec.key in PATH_PUBLISHED_DAYS_AGO:
            published_at = _at(today - timedelta(days=PATH_PUBLISHED_DAYS_AGO[spec.key]), rng)
        else:
            published_at = max(i.published_at for i in step_items) + timedelta(days=rng.randint(2, 15))
        paths[spec.key] = LearningPath(
            title=spec.title,
            slug=slugify(spec.title),
            summary=spec.summary,
            description=_path_description(spec),
            level=spec.level,
            vertical=spec.vertical,
            job_roles=[str(r) for r in spec.roles],
            segments=spec.segments,
            status=Status.DRAFT if draft else Status.PUBLISHED,
            published_at=published_at,
            created_at=(published_at or now) - timedelta(days=rng.randint(5, 30)),
        )
        names = []
        for item in step_items:
            names += [n for n in next(s[4] for s in CONTENT + DRAFTS if s[1] == item.title) if n not in names]
        path_skills += [(paths[spec.key], skills[n]) for n in names[:4]]
    LearningPath.objects.bulk_create(paths.values())
    for spec in [*PATHS, DRAFT_PATH]:
        path = paths[spec.key]
        prereq_rows += [
            LearningPath.prerequisites.through(from_learningpath_id=path.pk, to_learningpath_id=paths[key].pk)
            for key in spec.prerequisites
        ]
        for position, (kind, ref, required) in enumerate(spec.steps):
            if kind == "content":
                steps.append(
                    PathStep(
                        path=path,
                        position=position,
                        kind=StepKind.CONTENT,
                        content=content[ref],
                        required=required,
                    )
                )
            else:
                steps.append(
                    PathStep(
                        path=path,
                        position=position,
                        kind=StepKind.LIVE_SESSION,
                        live_session=session_by_key[ref],
                        required=required,
                    )
                )
    PathStep.objects.bulk_create(steps)
    LearningPath.prerequisites.through.objects.bulk_create(prereq_rows)
    LearningPath.skills.through.objects.bulk_create(
        [LearningPath.skills.through(learningpath_id=p.pk, skill_id=s.pk) for p, s in path_skills]
    )
    by_path: dict[int, list[PathStep]] = {}
    by_content: dict[int, list[PathStep]] = {}
    for step in steps:
        by_path.setdefault(step.path_id, []).append(step)
        if step.content_id:
            by_content.setdefault(step.content_id, []).append(step)
    prerequisites: dict[int, list[int]] = {}
    for row in prereq_rows:
        prerequisites.setdefault(row.from_learningpath_id, []).append(row.to_learningpath_id)
    return Catalogue(
        content=content,
        lessons=lessons,
        paths=paths,
        steps=by_path,
        steps_by_content=by_content,
        prerequisites=prerequisites,
        past_sessions=past,
        upcoming=upcoming,
        session_by_key=session_by_key,
        published=[i for i in items if i.status == Status.PUBLISHED],
        content_by_pk={i.pk: i for i in items},
    )


# --- History: facts and their interactions ------------------------------------------------------


class Output:
    """The rows to write, and the interaction log that goes with them."""

    def __init__(self):
        self.interactions: list[Interaction] = []
        self.progress: list[ContentProgress] = []
        self.lesson_completions: list[LessonCompletion] = []
        self.enrolments: list[Enrolment] = []
        self.step_completions: list[StepCompletion] = []
        self.registrations: list[Registration] = []

    def record(self, kind, user, subject, at: datetime, *, value=None, properties=None) -> None:
        subject_type, subject_id = subject_ref(subject) if subject is not None else ("", "")
        self.interactions.append(
            Interaction(
                kind=kind.name,
                account_id=user.account_id,
                user_id=user.pk,
                subject_type=subject_type,
                subject_id=subject_id,
                occurred_at=at,
                value=value,
                properties=properties or {},
                source="demo",
                external_id=f"demo-learning-{len(self.interactions) + 1}",
            )
        )


class Learner:
    """One person's learning, replayed in time order with the services' rules."""

    def __init__(self, user: User, catalogue: Catalogue, out: Output, rng, limit: datetime):
        self.user, self.cat, self.out, self.rng = user, catalogue, out, rng
        self.limit = limit  # nothing happens at or after this moment (churn, fading, now)
        self.clock = datetime.min.replace(tzinfo=limit.tzinfo)
        self.progress: dict[int, ContentProgress] = {}
        self.lessons_done: set[int] = set()
        self.enrolments: dict[int, Enrolment] = {}
        self.done_steps: dict[int, set[int]] = {}

    # Planned actions; each returns quietly if it would happen too late.
    def run(self, at: datetime, action: str, obj, arg=None) -> None:
        at = max(at, self.clock)
        if at >= self.limit:
            return
        if action == "enrol":
            self.enrol(obj, at)
        elif obj.is_course:  # a course is read lesson by lesson
            self.study(obj, at, lessons=int(arg or 0))
        else:
            self.read(obj, at, finish=arg)

    def read(self, content: ContentItem, at: datetime, *, finish: bool) -> None:
        done = (
            self.progress.get(content.pk) is not None and self.progress[content.pk].completed_at is not None
        )
        self.view(content, at)
        minutes = max(2, round(content.estimated_minutes * self.rng.uniform(0.6, 1.3)))
        if done:
            minutes = self.rng.randint(1, 4)  # a second look
        self.active(content, at, minutes)
        end = at + timedelta(minutes=minutes)
        if finish and not done and end < self.limit:
            self.complete(content, end)
        self.clock = end

    def study(self, course: ContentItem, at: datetime, *, lessons: int) -> None:
        if lessons == 0:  # a look at the course page
            self.view(course, at)
            self.active(course, at, self.rng.randint(1, 3))
            self.clock = at + timedelta(minutes=3)
            return
        for lesson in [x for x in self.cat.lessons[course.pk] if x.pk not in self.lessons_done][:lessons]:
            end = at + timedelta(minutes=lesson.estimated_minutes + self.rng.randint(0, 4))
            if end >= self.limit:
                break
            self.view(course, at, lesson)
            self.active(course, at, lesson.estimated_minutes)
            self.complete_lesson(lesson, end)
            at = end + timedelta(minutes=self.rng.randint(1, 6))
        self.clock = at

    # The services' rules, on in-memory rows.
    def view(self, content: ContentItem, at: datetime, lesson: Lesson | None = None) -> None:
        progress = self.progress.get(content.pk)
        if progress is None:
            progress = ContentProgress(user=self.user, content=content, started_at=at, last_viewed_at=at)
            self.progress[content.pk] = progress
            self.out.progress.append(progress)
        elif at - progress.last_viewed_at < VIEW_DEDUP_WINDOW:
            return  # a reload, not a new view
        progress.last_viewed_at = at
        self.out.record(
            kinds.CONTENT_VIEWED,
            self.user,
            content,
            at,
            properties={"content_kind": content.kind, "lesson": lesson.pk if lesson else None},
        )

    def active(self, content: ContentItem, at: datetime, minutes: int) -> None:
        """Heartbeats of active time while the page is open (idle minutes are not sent)."""
        beats = min(minutes, self.rng.randint(1, 5))
        for n in range(beats):
            seconds = MAX_HEARTBEAT_SECONDS if n < beats - 1 else self.rng.randint(15, MAX_HEARTBEAT_SECONDS)
            self.out.record(
                kinds.ACTIVE_TIME,
                self.user,
                content,
                at + timedelta(seconds=60 * (n + 1)),
                value=float(seconds),
            )

    def complete(self, content: ContentItem, at: datetime) -> None:
        progress = self.progress[content.pk]
        if progress.completed_at is None:
            progress.completed_at = at
            self.out.record(
                kinds.CONTENT_COMPLETED, self.user, content, at, properties={"content_kind": content.kind}
            )
            self.satisfy(self.cat.steps_by_content.get(content.pk, []), at)

    def complete_lesson(self, lesson: Lesson, at: datetime) -> None:
        if lesson.pk in self.lessons_done:
            return
        self.lessons_done.add(lesson.pk)
        self.out.lesson_completions.append(LessonCompletion(user=self.user, lesson=lesson, completed_at=at))
        course = self.cat.content_by_pk[lesson.course_id]
        self.out.record(kinds.LESSON_COMPLETED, self.user, lesson, at, properties={"course": course.pk})
        progress = self.progress[course.pk]
        progress.last_lesson = lesson
        if progress.completed_at is None and all(
            x.pk in self.lessons_done for x in self.cat.lessons[course.pk]
        ):
            progress.completed_at = at
            self.out.record(
                kinds.COURSE_COMPLETED, self.user, course, at, properties={"content_kind": course.kind}
            )
            self.satisfy(self.cat.steps_by_content.get(course.pk, []), at)

    def enrol(self, path: LearningPath, at: datetime) -> bool:
        if path.pk in self.enrolments or at < path.published_at:
            return False
        for pk in self.cat.prerequisites.get(path.pk, []):
            done = self.enrolments.get(pk)
            if done is None or done.completed_at is None or done.completed_at > at:
                return False
        enrolment = Enrolment(user=self.user, path=path, enrolled_at=at)
        self.enrolments[path.pk] = enrolment
        self.done_steps[path.pk] = set()
        self.out.enrolments.append(enrolment)
        self.out.record(kinds.PATH_ENROLLED, self.user, path, at)
        already = [
            s
            for s in self.cat.steps[path.pk]
            if s.content_id and self.progress.get(s.content_id) and self.progress[s.content_id].completed_at
        ]
        self.satisfy(already, at)
        return True

    def satisfy(self, steps: list[PathStep], at: datetime) -> None:
        touched = []
        for step in steps:
            enrolment = self.enrolments.get(step.path_id)
            if enrolment is None or step.pk in self.done_steps[step.path_id]:
                continue
            self.done_steps[step.path_id].add(step.pk)
            self.out.step_completions.append(StepCompletion(enrolment=enrolment, step=step, completed_at=at))
            self.out.record(
                kinds.STEP_COMPLETED,
                self.user,
                step,
                at,
                properties={"path": step.path_id, "required": step.required},
            )
            enrolment.last_step = step
            touched.append(enrolment)
        for enrolment in touched:
            required = {s.pk for s in self.cat.steps[enrolment.path_id] if s.required}
            if enrolment.completed_at is None and required <= self.done_steps[enrolment.path_id]:
                enrolment.completed_at = at
                self.out.record(kinds.PATH_COMPLETED, self.user, enrolment.path, at)


@dataclass
class Person:
    user: User
    tier: str
    start: date  # first day they could learn
    end: date  # last day they learn (churned or fading accounts stop early)
    keen: float  # 0 = never opens the library ... 1.6 = enthusiast
    vertical: str  # their account's


def _assign_roles(users: list[User], rng, today: date) -> None:
    """Customer users get a job role (from their title) and a level (from their tenure)."""
    for user in users:
        if user.email == LEARNER_EMAIL:
            user.job_role, user.level = JobRole.ANALYST, Level.BEGINNER
            continue
        if user.is_executive_sponsor:
            user.job_role = JobRole.EXECUTIVE
        else:
            user.job_role = JOB_TITLE_ROLE.get(user.job_title, JobRole.BUSINESS_USER)
        tenure = (today - user.date_joined.date()).days
        weights = [1, 0, 0] if tenure < 120 else [55, 35, 10] if tenure < 365 else [30, 45, 25]
        user.level = rng.choices([BEG, INT, ADV], weights=weights)[0]
    User.objects.bulk_update(users, ["job_role", "level", "date_joined"], batch_size=500)


def _people(ctx, now: datetime) -> list[Person]:
    """Decide how much each account trains, from how it uses the product (the interaction log):
    about half train actively, a quarter lightly, a quarter barely; churned accounts train little
    and fall silent at their loss; accounts whose product use is fading stop learning a month or
    more ago (so "viewed content in the last 30 days" fails for them)."""
    rng, today = ctx.rng, ctx.today
    accounts = ctx.data["accounts"]
    users_by_account: dict[int, list[User]] = {}
    for user in ctx.data["users"]:
        users_by_account.setdefault(user.account_id, []).append(user)
    lost: dict[int, date] = {}
    for account_id, close_date in (
        Renewal.objects.filter(account__in=accounts, outcome="lost")
        .values_list("account", "close_date")
        .order_by("close_date")
    ):
        lost[account_id] = close_date
    logins = {
        row["account"]: row
        for row in Interaction.objects.filter(kind=interaction_kinds.LOGIN.name, account__in=accounts)
        .values("account")
        .annotate(total=Count("pk"), recent=Count("pk", filter=Q(occurred_at__gte=now - timedelta(days=45))))
    }
    weight = {"enterprise": 1.3, "mid_market": 1.0, "smb": 0.8}
    scored = []
    for account in accounts:
        stats = logins.get(account.pk, {"total": 0, "recent": 0})
        members = max(1, len(users_by_account.get(account.pk, [])))
        vigour = stats["total"] / members * weight[account.segment] * rng.uniform(0.7, 1.3)
        if account.status == AccountStatus.CHURNED:
            vigour *= 0.6
        scored.append((vigour, account))
    ranked = [a for _, a in sorted(scored, key=lambda pair: (-pair[0], pair[1].pk))]
    tier_of = {
        a.pk: "active" if n < len(ranked) * 0.5 else "light" if n < len(ranked) * 0.75 else "barely"
        for n, a in enumerate(ranked)
    }
    demo_account = next((u.account_id for u in ctx.data["users"] if u.email == LEARNER_EMAIL), None)
    if demo_account in tier_of:
        tier_of[demo_account] = "active"  # the demo learner's team is a keen one

    people = []
    first = today - timedelta(days=DAYS)
    for account in accounts:
        if account.status == AccountStatus.CHURNED:
            end = lost.get(account.pk, today) - timedelta(days=1)
        else:
            stats = logins.get(account.pk, {"total": 0, "recent": 0})
            span = min(DAYS, (today - (account.contract_start or first)).days)
            overall = stats["total"] / max(45, span)
            recent = stats["recent"] / 45
            fading = account.pk != demo_account and (stats["total"] < 10 or recent < 0.7 * overall)
            end = today - timedelta(days=rng.randint(35, 110)) if fading else today - timedelta(days=1)
        for user in users_by_account.get(account.pk, []):
            start = max(first, user.date_joined.date())
            keen = rng.choices([0.0, 0.4, 1.0, 1.6], weights=[20, 30, 35, 15])[0]
            people.append(
                Person(
                    user=user,
                    tier=tier_of[account.pk],
                    start=start,
                    end=end,
                    keen=keen,
                    vertical=account.vertical,
                )
            )
    return people


def _plan(person: Person, cat: Catalogue, accounts: dict, rng) -> list[tuple]:
    """The actions one person takes over their time: paths (in their role's order) and browsing."""
    tier = TIERS[person.tier]
    user, account = person.user, accounts[person.user.account_id]
    window = (person.end - person.start).days
    actions: list[tuple] = []
    if window < 7 or person.keen == 0:
        return actions

    def later(at: datetime, mean_days: float) -> datetime:
        days = int(rng.expovariate(1 / mean_days))
        if days == 0 and at.hour < 17:
            return at + timedelta(minutes=rng.randint(20, 150))
        return _at(_workday(at.date() + timedelta(days=max(days, 1)), rng), rng)

    # Paths, one after another, each only once its prerequisites are (planned to be) complete.
    wanted = round(rng.choice(tier["paths"]) * min(person.keen, 1.3)) if person.keen else 0
    finished: dict[int, datetime] = {}
    track = [
        VERTICAL_PATH.get(account.vertical) if key == "vertical" else key for key in TRACKS[user.job_role]
    ]
    at = _at(_workday(person.start + timedelta(days=rng.randint(0, max(1, window - 30))), rng), rng)
    for key in [k for k in track if k]:
        if wanted <= 0:
            break
        path = cat.paths[key]
        if path.segments and account.segment not in path.segments:
            continue
        if any(pk not in finished for pk in cat.prerequisites.get(path.pk, [])):
            continue
        wanted -= 1
        at = max(
            at,
            path.published_at + timedelta(days=1),
            *[finished[pk] + timedelta(days=1) for pk in cat.prerequisites.get(path.pk, [])],
        )
        actions.append((at, "enrol", path, None))
        at += timedelta(minutes=rng.randint(2, 30))
        last_required, complete = at, True
        for step in cat.steps[path.pk]:
            if step.kind != StepKind.CONTENT or (not step.required and rng.random() < 0.5):
                continue
            if rng.random() < tier["drop"] * (1.5 if person.keen < 1 else 1):
                complete = False
                break
            item = step.content
            if item.is_course:
                lessons = cat.lessons[item.pk]
                done = 0
                while done < len(lessons):
                    sitting = rng.randint(1, 3)
                    actions.append((at, "course", item, sitting))
                    at += timedelta(
                        minutes=sum(x.estimated_minutes + 10 for x in lessons[done : done + sitting])
                    )
                    done += sitting
                    if done < len(lessons):
                        at = later(at, tier["gap"])
            else:
                actions.append((at, "read", item, True))
                at += timedelta(minutes=item.estimated_minutes * 2)
            if step.required:
                last_required = at
            at = later(at, tier["gap"])
        if complete:
            finished[path.pk] = last_required + timedelta(hours=6)
        at = later(at, 25)

    # Browsing the library: views, often a finish, sometimes a lesson or two of a course.
    rate = person.keen / tier["browse_every"]
    for _ in range(int(window * rate * rng.uniform(0.6, 1.4))):
        at = _at(_workday(person.start + timedelta(days=rng.randint(0, window)), rng), rng)
        item = _pick_content(cat, account.vertical, user.level, at, rng)
        if item is None:
            continue
        if item.is_course:
            actions.append((at, "course", item, rng.randint(1, 2) if rng.random() < tier["finish"] else 0))
        else:
            actions.append((at, "read", item, rng.random() < tier["finish"]))
    return actions


_LEVELS = [BEG, INT, ADV]


def _pick_content(cat: Catalogue, vertical: str, level: str, at: datetime, rng) -> ContentItem | None:
    key = (vertical, level)
    if key not in cat.weights:
        weights = []
        for item in cat.published:
            w = 3.0 if item.vertical == vertical else 1.5 if not item.vertical else 0.15
            w *= [1.0, 0.5, 0.15][abs(_LEVELS.index(item.level) - _LEVELS.index(level))]
            weights.append(w)
        cat.weights[key] = weights
    for _ in range(4):
        item = rng.choices(cat.published, weights=cat.weights[key])[0]
        if item.published_at < at:
            return item
    return None


def _registrations(
    cat: Catalogue, people: list[Person], out: Output, rng, now: datetime, learner: User | None
) -> None:
    """Seats at past sessions (attendance marked) and upcoming ones (one full, with a waiting list)."""
    for session in cat.past_sessions:
        day = session.starts_at.date()
        pool = [
            p
            for p in people
            if p.start <= day - timedelta(days=2)
            and day < p.end
            and p.keen > 0
            and p.user is not learner
            and (not session.vertical or p.vertical == session.vertical)
        ]
        chosen = _weighted_sample(
            pool,
            lambda p: TIERS[p.tier]["sessions"] * p.keen,
            rng.randint(session.capacity // 3, session.capacity),
            rng,
        )
        for person in chosen:
            created = session.starts_at - timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))
            created = max(created, _at(person.start, rng))
            user = person.user
            if rng.random() < 0.06:
                out.registrations.append(
                    Registration(
                        session=session, user=user, status=RegistrationStatus.CANCELLED, created_at=created
                    )
                )
                out.record(kinds.SESSION_REGISTERED, user, session, created)
                out.record(
                    kinds.SESSION_CANCELLED, user, session, created + (session.starts_at - created) / 2
                )
                continue
            attended = rng.random() < 0.78
            out.registrations.append(
                Registration(
                    session=session,
                    user=user,
                    status=RegistrationStatus.REGISTERED,
                    created_at=created,
                    attended=attended,
                    reminder_sent_at=session.starts_at - timedelta(hours=20),
                )
            )
            out.record(kinds.SESSION_REGISTERED, user, session, created)
            if attended:
                out.record(
                    kinds.SESSION_ATTENDED,
                    user,
                    session,
                    session.starts_at,
                    value=float(session.duration_minutes * 60),
                )
    current = [
        p
        for p in people
        if p.end >= now.date() - timedelta(days=1)
        and p.tier != "barely"
        and p.keen > 0
        and p.user is not learner
    ]
    for session in cat.upcoming:
        pool = [p for p in current if not session.vertical or p.vertical == session.vertical]
        full = session is cat.session_by_key[FULL_SESSION]
        size = (
            session.capacity + 3 if full else rng.randint(session.capacity // 5, session.capacity * 7 // 10)
        )
        chosen = _weighted_sample(pool, lambda p: TIERS[p.tier]["sessions"] * p.keen, size, rng)
        if learner is not None and session is cat.session_by_key["office-hours"]:
            chosen.append(None)  # the demo learner takes a seat too
        moments = sorted(now - timedelta(hours=rng.uniform(2, 24 * 20)) for _ in chosen)
        taken = 0
        for person, created in zip(chosen, moments, strict=True):
            user = learner if person is None else person.user
            status = (
                RegistrationStatus.REGISTERED if taken < session.capacity else RegistrationStatus.WAITLISTED
            )
            taken += status == RegistrationStatus.REGISTERED
            out.registrations.append(
                Registration(session=session, user=user, status=status, created_at=created)
            )
            kind = (
                kinds.SESSION_REGISTERED
                if status == RegistrationStatus.REGISTERED
                else kinds.SESSION_WAITLISTED
            )
            out.record(kind, user, session, created)


def _weighted_sample(pool: list, weight, size: int, rng) -> list:
    """`size` distinct items of `pool`, each drawn with probability proportional to its weight."""
    keyed = [(rng.random() ** (1 / w), n) for n, p in enumerate(pool) if (w := weight(p)) > 0]
    return [pool[n] for _, n in sorted(keyed, reverse=True)[:size]]


def _demo_learner_plan(cat: Catalogue, today: date, rng) -> list[tuple]:
    """Lena, the demo learner: two things completed, Foundations half done, a banking article open."""

    def day(n: int) -> datetime:
        return _at(_workday(today - timedelta(days=n), rng), rng, 9, 16)

    c, paths = cat.content, cat.paths
    enrolled = day(20)
    return [
        (day(60), "read", c["Choosing the right chart for the question"], True),
        (day(33), "read", c["Liquidity coverage reporting without spreadsheets"], False),
        (day(25), "read", c["A ten-minute tour of the workspace"], True),
        (enrolled, "enrol", paths["foundations"], None),
        (enrolled + timedelta(minutes=5), "course", c["Foundations: getting around the platform"], 2),
        (day(13), "read", c["What a good dashboard answers in five seconds"], True),
        (day(8), "course", c["Foundations: getting around the platform"], 1),
        (day(3), "read", c["Suspicious activity monitoring dashboards"], False),
    ]


def seed(ctx) -> None:
    rng, today = ctx.rng, ctx.today
    if ContentItem.objects.filter(slug=slugify(CONTENT[0][1])).exists():
        ctx.write("learning: demo catalogue already loaded")
        return
    now = timezone.now()
    cat = _build_catalogue(rng, today, now)

    users = ctx.data["users"]
    learner = next((u for u in users if u.email == LEARNER_EMAIL), None)
    if learner is not None:
        learner.date_joined = min(learner.date_joined, _at(today - timedelta(days=120), rng))
    _assign_roles(users, rng, today)
    people = _people(ctx, now)
    accounts = {a.pk: a for a in ctx.data["accounts"]}

    out = Output()
    for person in people:
        limit = timezone.make_aware(datetime.combine(person.end + timedelta(days=1), time.min))
        limit = min(limit, now - timedelta(hours=1))
        if person.user is learner:
            actions = _demo_learner_plan(cat, today, rng)
        else:
            actions = _plan(person, cat, accounts, rng)
            engaged = person.tier == "active" or (person.tier == "light" and rng.random() < 0.5)
            if engaged and person.keen > 0 and person.end >= today - timedelta(days=1):
                # Engaged people of engaged accounts have looked at something in the last month.
                at = _at(_workday(today - timedelta(days=rng.randint(2, 26)), rng), rng)
                item = _pick_content(cat, person.vertical, person.user.level, at, rng)
                if item is not None:
                    actions.append((at, "read", item, int(rng.random() < 0.4)))
        learner_model = Learner(person.user, cat, out, rng, limit)
        for at, action, obj, arg in sorted(actions, key=lambda a: a[0]):
            learner_model.run(at, action, obj, arg)
    _registrations(cat, people, out, rng, now, learner)

    Enrolment.objects.bulk_create(out.enrolments, batch_size=1000)
    StepCompletion.objects.bulk_create(out.step_completions, batch_size=1000)
    ContentProgress.objects.bulk_create(out.progress, batch_size=1000)
    LessonCompletion.objects.bulk_create(out.lesson_completions, batch_size=1000)
    Registration.objects.bulk_create(out.registrations, batch_size=1000)
    Interaction.objects.bulk_create(out.interactions, batch_size=2000, ignore_conflicts=True)

    completed = sum(1 for e in out.enrolments if e.completed_at)
    ctx.write(
        f"learning: {Skill.objects.count()} skills, {len(cat.published)} published content items "
        f"({len(DRAFTS)} drafts), {len(PATHS)} published paths, {len(cat.past_sessions) + len(cat.upcoming)} "
        f"live sessions, {len(out.enrolments)} enrolments ({completed} completed), "
        f"{len(out.registrations)} registrations, {len(out.interactions)} learning interactions"
    )
