"""Celery tasks of the engagement app: thin, idempotent wrappers over the trigger evaluation."""

from celery import shared_task
from django.utils import timezone

from apps.engagement import services, triggers


@shared_task
def evaluate_interaction(*, interaction_id: int) -> int:
    """Event moments of one interaction (after it committed). Idempotent per interaction."""
    return triggers.evaluate_interactions(since=timezone.now(), interaction_ids=[interaction_id])


@shared_task
def evaluate_engagement() -> dict:
    """The periodic sweep: assign models to new accounts, then every trigger."""
    assigned = services.models_assign_by_rules()
    return {"assigned": assigned, **triggers.evaluate_all()}


@shared_task
def follow_up_feedback() -> dict:
    """Closing the loop (hourly): tell detractors their idea shipped, re-survey them after the
    delay, and note their new score. Idempotent: a second run changes nothing."""
    from apps.engagement.loop import loop_follow_up

    return loop_follow_up()
