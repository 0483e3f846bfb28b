"""Event moments fire right after the interaction that triggers them commits (a detractor answer,
a high-severity ticket); the periodic sweep catches anything a worker missed."""

from django.db import transaction
from django.dispatch import receiver

from apps.interactions.events import interaction_recorded

EVENT_KINDS = ("survey.response_submitted", "support.ticket_opened")


@receiver(interaction_recorded, dispatch_uid="engagement.event_moments")
def evaluate_after_commit(sender, interaction, **kwargs):
    if interaction.kind not in EVENT_KINDS or interaction.account_id is None:
        return
    from apps.engagement.tasks import evaluate_interaction

    transaction.on_commit(lambda: evaluate_interaction.delay(interaction_id=interaction.pk))
