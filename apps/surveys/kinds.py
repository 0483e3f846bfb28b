"""Interaction kinds the surveys app records."""

from apps.interactions.kinds import register

INVITATION_SENT = register("survey.invitation_sent", "Was invited to an NPS survey", category="survey")
SURVEY_OPENED = register("survey.opened", "Opened an NPS survey", category="survey")
RESPONSE_SUBMITTED = register("survey.response_submitted", "Answered an NPS survey", category="survey")
REFERENCE_WILLING = register("survey.reference_willing", "Is willing to be a reference", category="survey")
PROMPT_DISMISSED = register("survey.prompt_dismissed", "Dismissed an NPS prompt", category="survey")
