"""Writes of the engagement model pages: saving a model and its moments, deleting a moment that
never happened, and assigning models to accounts. Each is one transaction and checks that a CS
manager asked; `EngagementError` carries a message safe to show."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from apps.accounts.models import Account, User
from apps.engagement import services
from apps.engagement.models import EngagementModel, ModelAssignment, Moment
from apps.engagement.services import EngagementError


def _require_cs_manager(user: User) -> None:
    if not (user.is_authenticated and user.is_cs_manager):
        raise EngagementError("Only a CS manager can do this.")


def model_save(*, model: EngagementModel, by: User) -> EngagementModel:
    """Create or change an engagement model (validated by its form)."""
    _require_cs_manager(by)
    if not model.name.strip():
        raise EngagementError("Give the model a name.")
    with transaction.atomic():
        if model.pk is None:
            model.created_by = by
        model.save()
    return model


def moment_next_position(*, model: EngagementModel) -> int:
    """Where a new moment goes: after the model's last one."""
    last = model.moments.aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def moment_save(*, moment: Moment, by: User) -> Moment:
    """Create or change a moment of a model (validated by its form: the trigger, the action and
    the parameters make sense together)."""
    _require_cs_manager(by)
    with transaction.atomic():
        moment.save()
    return moment


def moment_delete(*, moment: Moment, by: User) -> None:
    """Delete a moment that never happened. One that did keeps its history (its occurrences and
    tasks): deactivate it instead."""
    _require_cs_manager(by)
    with transaction.atomic():
        # The row lock conflicts with the key-share lock an occurrence insert takes on the moment,
        # so no occurrence can appear between the check and the delete.
        locked = Moment.objects.select_for_update().filter(pk=moment.pk).first()
        if locked is None:
            raise EngagementError("This moment was already deleted.")
        happened = locked.occurrences.count()
        if happened:
            raise EngagementError(
                f"“{locked.name}” already happened {happened} time{'s' if happened != 1 else ''}, "
                "so it is kept with its history. To stop it, edit it and untick Active."
            )
        locked.delete()


def models_assign_now(*, by: User) -> int:
    """Give every active account without a model the model that fits it (what the periodic
    evaluation does), now. Returns how many accounts were assigned."""
    _require_cs_manager(by)
    return services.models_assign_by_rules()


def account_model_change(*, account: Account, model: EngagementModel, by: User) -> ModelAssignment:
    """Make one account follow another model; its previous assignment stays in its history."""
    _require_cs_manager(by)
    if not model.is_active:
        raise EngagementError("That model is no longer active; choose an active one.")
    return services.model_assign(account=account, model=model, by=by)
