"""The fast validation path of ingestion against EventSerializer, which defines the rules.

FastEventCleaner may only ever return what EventSerializer returns for an event, or give up (None)
so the serializer decides. These tests feed both a wide set of good, odd and bad events and check
that, and that the fast path really is taken for well-formed traffic (else ingestion is slow again).
"""

import itertools
import math

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from apps.interactions import api, services
from apps.interactions.serializers import MAX_BATCH, EventSerializer, FastEventCleaner, is_batch

URL = reverse("api-events-batch")
ACCOUNT_FIELDS = ("account", "account_external_id", "user_email")
BASE = {"event_id": "evt-1", "kind": "product.feature_used", "occurred_at": "2026-05-01T09:30:00Z"}

# Values for each field: good ones, ones the serializer converts, and bad ones.
ODD = [None, True, False, 0, 1, -3, 2.5, float("nan"), float("inf"), "", " ", [], {}, ["x"], {"a": 1}]
VARIANTS = {
    "event_id": [
        "evt-2",
        " evt-3 ",
        "x" * 128,
        "x" * 129,
        "a\x00b",
        "a\ud800b",
        "ünï-çødé",
        123,
        *ODD,
    ],
    "kind": [
        "product.session",
        "support.ticket_opened",
        "crm.meeting",
        " product.session",
        "PRODUCT.SESSION",
        "account.login",
        "portal.active_time",
        "nope",
        "x" * 65,
        *ODD,
    ],
    "occurred_at": [
        "2026-05-01T09:30:00+02:00",
        "2026-05-01T09:30:00.123456Z",
        "2026-05-01T09:30Z",
        "2026-05-01 09:30:00Z",
        "2026-05-01T09:30:00",  # naive: the serializer assumes the current time zone
        "2026-05-01",
        "2026-13-01T09:30:00Z",
        "2026-02-30T09:30:00Z",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "2999-01-01T00:00:00Z",
        "yesterday",
        " 2026-05-01T09:30:00Z",
        1746091800,
        *ODD,
    ],
    "account": ["ACCOUNT_A", "ACCOUNT_B", "ACCOUNT_A_STR", 999999, 0, -1, 10**30, *ODD],
    "account_external_id": ["CRM-A", "CRM-B", " CRM-A", "crm-a", "CRM-NOPE", "x" * 101, *ODD],
    "user_email": [
        "alice@a.example",
        "ALICE@A.EXAMPLE",
        " alice@a.example ",
        "bob@b.example",
        "ghost@example.com",
        "not-an-email",
        "csm@vendor.example",
        *ODD,
    ],
    "value": [0, 3, 2.5, -1e300, 2**53, 2**53 + 1, 10**400, "1.5", "NaN", "x" * 1001, *ODD],
    "subject_type": ["feature", "", "x" * 64, "x" * 65, " feature", "a\x00", *ODD],
    "subject_id": ["reports", "", "x" * 64, "x" * 65, "  ", *ODD],
    "properties": [
        {"severity": "high"},
        {},
        {str(n): n for n in range(50)},
        {str(n): n for n in range(51)},
        {"nested": {"list": [1, 2, {"x": None}]}, "ü": "é"},
        *ODD,
    ],
}


@pytest.fixture
def people(alice, bob, csm):
    return {
        "ACCOUNT_A": alice.account_id,
        "ACCOUNT_B": bob.account_id,
        "ACCOUNT_A_STR": str(alice.account_id),
    }


def _resolve(value, people):
    return people.get(value, value) if isinstance(value, str) else value


def _events(people):
    """BASE with one field varied, with two fields varied together, and with fields left out."""
    events = []
    for field, values in VARIANTS.items():
        # Name the account (unless that is what varies), so the other fields decide.
        anchor = {} if field in ACCOUNT_FIELDS else {"account_external_id": "CRM-A"}
        for value in values:
            events.append({**BASE, **anchor, field: _resolve(value, people)})
    for field in ("event_id", "kind", "occurred_at"):
        events.append({k: v for k, v in BASE.items() if k != field} | {"account_external_id": "CRM-A"})
    events.append(dict(BASE))  # no account at all
    pairs = [
        ("account", "account_external_id"),
        ("account", "user_email"),
        ("account_external_id", "user_email"),
        ("user_email", "value"),
    ]
    for first, second in pairs:
        for a, b in itertools.product(VARIANTS[first][:6], VARIANTS[second][:6]):
            events.append({**BASE, first: _resolve(a, people), second: _resolve(b, people)})
    return events


def _serializer_result(event, context):
    serializer = EventSerializer(data=event, context=context)
    return dict(serializer.validated_data) if serializer.is_valid() else None


def _same(fast: dict, slow: dict) -> bool:
    if fast.keys() != slow.keys():
        return False
    for key, value in fast.items():
        other = slow[key]
        if isinstance(value, float) and math.isnan(value):
            return False
        if value != other or type(value) is not type(other):
            return False
    return fast["occurred_at"].tzinfo == slow["occurred_at"].tzinfo


@pytest.mark.parametrize("time_zone", ["UTC", "Europe/Berlin"])
def test_fast_path_agrees_with_the_serializer(people, settings, time_zone):
    settings.TIME_ZONE = time_zone
    timezone.deactivate()
    events = _events(people)
    accounts, users = api._lookups(events)
    context = {"accounts": accounts, "users": users}
    clean = FastEventCleaner(accounts=accounts, users=users).clean
    taken = valid = 0
    for event in events:
        fast = clean(event)
        slow = _serializer_result(event, context)
        valid += slow is not None
        if fast is not None:
            taken += 1
            assert slow is not None, f"fast path accepted an event the serializer rejects: {event!r}"
            assert _same(fast, slow), f"fast path disagrees on {event!r}: {fast!r} != {slow!r}"
    # Many events were compared (the valid ones left are those the serializer converts, such as
    # " evt-3 " or an account id sent as "1", and these take the serializer's way on purpose).
    assert taken >= 60 and valid > taken


def test_well_formed_events_take_the_fast_path(people):
    events = [
        {**BASE, "user_email": "alice@a.example", "subject_type": "feature", "subject_id": "reports"},
        {**BASE, "kind": "product.session", "user_email": "ALICE@a.example", "value": 12},
        {**BASE, "kind": "product.session", "user_email": "bob@b.example", "value": 1.5},
        {
            **BASE,
            "kind": "support.ticket_opened",
            "account_external_id": "CRM-B",
            "properties": {"severity": "high"},
        },
        {**BASE, "kind": "crm.meeting", "account": people["ACCOUNT_A"], "value": None},
        {
            **BASE,
            "occurred_at": "2026-05-01T11:30:00+02:00",
            "account_external_id": "CRM-A",
            "user_email": "alice@a.example",
        },
    ]
    accounts, users = api._lookups(events)
    clean = FastEventCleaner(accounts=accounts, users=users).clean
    assert all(clean(event) is not None for event in events)


def test_good_batch_does_not_run_the_serializers(people, monkeypatch):
    _, raw = services.integration_token_create(name="Telemetry", source="telemetry")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    class Forbidden:
        def __init__(self, *args, **kwargs):
            raise AssertionError("the serializer ran for a well-formed batch")

    monkeypatch.setattr(api, "EventSerializer", Forbidden)
    monkeypatch.setattr(api, "BatchSerializer", Forbidden)
    events = [{**BASE, "event_id": f"e{n}", "user_email": "alice@a.example"} for n in range(20)]
    response = client.post(URL, {"events": events}, format="json")
    assert response.status_code == 200
    assert response.json() == {"accepted": 20, "duplicates": 0, "rejected": []}


@pytest.mark.parametrize(
    ("data", "ok"),
    [
        ({"events": [{}]}, True),
        ({"events": [{}] * MAX_BATCH, "extra": 1}, True),
        ({"events": [{}] * (MAX_BATCH + 1)}, False),
        ({"events": []}, False),
        ({"events": [{}, []]}, False),
        ({"events": ({},)}, False),
        ({"events": "x"}, False),
        ({}, False),
        ([{"events": [{}]}], False),
        (None, False),
    ],
)
def test_is_batch_accepts_only_what_batch_serializer_accepts(data, ok):
    assert is_batch(data) is ok
