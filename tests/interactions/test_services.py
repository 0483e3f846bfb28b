import pytest
from django.db import transaction

from apps.interactions import kinds, services
from apps.interactions.models import Interaction


def test_record_fills_account_from_user_and_subject(alice, account_b):
    row = services.record(
        kind=kinds.LOGIN.name, user=alice, subject=account_b, value=3.5, properties={"via": "sso"}
    )
    row.refresh_from_db()
    assert row.account_id == alice.account_id
    assert (row.subject_type, row.subject_id) == ("accounts.account", str(account_b.pk))
    assert row.value == 3.5 and row.properties == {"via": "sso"} and row.source == "cairn"
    assert row.external_id is None


def test_record_refuses_unknown_kinds(alice):
    with pytest.raises(ValueError, match="Unknown interaction kind"):
        services.record(kind="made.up", user=alice)


def test_record_rolls_back_with_the_domain_write(alice):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.record(kind=kinds.LOGIN.name, user=alice)
        raise RuntimeError("the domain write failed")
    assert not Interaction.objects.exists()


def test_kinds_cannot_be_redefined():
    kinds.register("account.login", "Signed in", category="access")  # same definition: fine
    with pytest.raises(ValueError):
        kinds.register("account.login", "Logged on", category="access")


def test_token_is_shown_once_and_stored_as_digest(db):
    token, raw = services.integration_token_create(name="Zendesk", source="zendesk")
    assert raw.startswith("cairn_") and token.prefix == raw[:12]
    assert raw not in token.token_digest
    from apps.interactions.selectors import token_by_raw

    assert token_by_raw(raw) == token
    services.integration_token_revoke(token=token)
    assert token_by_raw(raw) is None
