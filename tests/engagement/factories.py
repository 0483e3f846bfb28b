"""Factories for the engagement app's tests."""

import factory

from apps.engagement.models import Action, EngagementModel, Moment, Phase, TriggerType


class EngagementModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EngagementModel

    name = factory.Sequence(lambda n: f"Model {n}")


class MomentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Moment

    model = factory.SubFactory(EngagementModelFactory)
    name = factory.Sequence(lambda n: f"Moment {n}")
    phase = Phase.ONGOING
    objective = "Keep the customer on track"
    action = Action.AUTO
    trigger = TriggerType.EVENT
    message_subject = "A note from your success team"
    message_body = "We noticed something and want to help."
