"""factory_boy factories of the surveys app."""

from datetime import timedelta

import factory
from django.utils import timezone

from apps.surveys.models import Campaign, CampaignStatus, Invitation, Response
from tests.factories import UserFactory


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"NPS campaign {n}")
    status = CampaignStatus.ACTIVE
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    campaign = factory.SubFactory(CampaignFactory)
    user = factory.SubFactory(UserFactory)
    account = factory.LazyAttribute(lambda o: o.user.account)
    wave = 1
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.sent_at + timedelta(days=30))


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Response

    invitation = factory.SubFactory(InvitationFactory)
    score = 9
    submitted_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyAttribute(lambda o: o.submitted_at)
