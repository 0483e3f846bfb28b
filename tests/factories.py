"""factory_boy factories for Cairn's models. Every demo password is `password`."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from apps.accounts.models import Account, Renewal, Role, Segment, TouchModel, User, Vertical
from apps.interactions.models import Interaction

PASSWORD = "password"


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Customer {n}")
    external_id = factory.Sequence(lambda n: f"CRM-{n}")
    segment = Segment.MID_MARKET
    vertical = Vertical.BANKING
    touch_model = TouchModel.HIGH
    arr = Decimal("100000")
    licensed_seats = 10
    contract_start = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=200))
    renewal_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=165))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    role = Role.LEARNER
    account = factory.SubFactory(AccountFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    class Params:
        customer_admin = factory.Trait(role=Role.CUSTOMER_ADMIN)
        sponsor = factory.Trait(is_executive_sponsor=True)
        content_admin = factory.Trait(role=Role.CONTENT_ADMIN, account=None)
        cs_manager = factory.Trait(role=Role.CS_MANAGER, account=None)


class RenewalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Renewal

    account = factory.SubFactory(AccountFactory)
    close_date = factory.LazyFunction(timezone.localdate)
    planned_value = Decimal("100000")
    renewed_value = Decimal("100000")
    outcome = "won"


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    user = factory.SubFactory(UserFactory)
    account = factory.LazyAttribute(lambda o: o.user.account if o.user else None)
    kind = "account.login"
    occurred_at = factory.LazyFunction(timezone.now)
