"""Reactions to events of lower layers: points for interactions, certifications for paths."""

from django.dispatch import receiver

from apps.interactions.events import interaction_recorded
from apps.learning.services import path_completed


@receiver(interaction_recorded, dispatch_uid="assessments.points_for_interaction")
def points_for_interaction(sender, interaction, **kwargs):
    from apps.assessments.services import points_award

    points_award(interaction=interaction)


@receiver(path_completed, dispatch_uid="assessments.certify_on_path_completed")
def certify_on_path_completed(sender, user, path, enrolment, **kwargs):
    from apps.assessments.services import certifications_check

    certifications_check(user=user)
