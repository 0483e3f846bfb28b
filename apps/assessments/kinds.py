"""Interaction kinds the assessments app records."""

from apps.interactions.kinds import register

ASSESSMENT_STARTED = register("assessment.started", "Started an assessment", category="assessment")
ASSESSMENT_SUBMITTED = register("assessment.submitted", "Submitted an assessment", category="assessment")
ASSESSMENT_PASSED = register("assessment.passed", "Passed an assessment", category="assessment")
ASSESSMENT_FAILED = register("assessment.failed", "Did not pass an assessment", category="assessment")
CERTIFICATION_EARNED = register("certification.earned", "Earned a certification", category="certification")
CERTIFICATION_EXPIRED = register("certification.expired", "A certification expired", category="certification")
CERTIFICATION_REVOKED = register(
    "certification.revoked", "A certification was revoked", category="certification"
)
POINTS_AWARDED = register("incentives.points_awarded", "Earned points", category="incentives")
BADGE_EARNED = register("incentives.badge_earned", "Earned a badge", category="incentives")
