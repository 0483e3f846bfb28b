"""Ingestion end to end: what is stored, what is reported, retries and concurrent retries."""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from apps.interactions import services
from apps.interactions.models import IntegrationToken, Interaction
from apps.interactions.serializers import BatchSerializer, EventSerializer

URL = reverse("api-events-batch")


@pytest.fixture
def token(db):
    return services.integration_token_create(name="Telemetry", source="telemetry")


def client_for(raw):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def api(token):
    return client_for(token[1])


def event(n, **overrides):
    data = {"event_id": f"evt-{n}", "kind": "product.feature_used", "occurred_at": "2026-05-01T09:30:00Z"}
    data.update(overrides)
    return data


def post(client, events):
    response = client.post(URL, {"events": events}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_every_field_is_stored_as_sent(api, alice, bob):
    events = [
        event(
            1,
            kind="product.session",
            user_email="Alice@A.example",
            value=12,
            occurred_at="2026-05-01T11:30:00.250000+02:00",
        ),
        event(
            2,
            kind="support.ticket_opened",
            account_external_id="CRM-B",
            subject_type="ticket",
            subject_id="T-9",
            properties={"severity": "urgent", "tags": ["a", "ü"], "meta": {"n": 1.5, "x": None}},
        ),
        event(3, kind="crm.meeting", account=alice.account_id, value=None),
        event(4, kind="product.session", user_email=bob.email, value=0.25),
    ]
    assert post(api, events) == {"accepted": 4, "duplicates": 0, "rejected": []}
    rows = {row.external_id: row for row in Interaction.objects.filter(source="telemetry")}
    first = rows["evt-1"]
    assert (first.kind, first.user_id, first.account_id) == ("product.session", alice.pk, alice.account_id)
    assert first.value == 12.0 and isinstance(first.value, float)
    assert first.occurred_at == datetime(2026, 5, 1, 9, 30, 0, 250000, tzinfo=UTC)
    assert (first.subject_type, first.subject_id, first.properties) == ("", "", {})
    assert first.recorded_at is not None
    second = rows["evt-2"]
    assert (second.user_id, second.account_id) == (None, bob.account_id)
    assert (second.subject_type, second.subject_id) == ("ticket", "T-9")
    assert second.properties == {"severity": "urgent", "tags": ["a", "ü"], "meta": {"n": 1.5, "x": None}}
    third = rows["evt-3"]
    assert (third.account_id, third.user_id, third.value) == (alice.account_id, None, None)
    assert rows["evt-4"].value == 0.25 and rows["evt-4"].user_id == bob.pk


def test_converted_input_is_stored_like_the_serializer_converts_it(api, alice):
    """Input the serializer converts (ids as numbers, padded strings, naive times) takes its path."""
    events = [
        event(1, event_id=" evt-pad ", user_email=" alice@a.example ", value="2.5", subject_id=" x "),
        event(2, event_id=42, account=alice.account_id, occurred_at="2026-05-01T09:30:00"),
    ]
    assert post(api, events) == {"accepted": 2, "duplicates": 0, "rejected": []}
    padded = Interaction.objects.get(external_id="evt-pad")
    assert (padded.user_id, padded.value, padded.subject_id) == (alice.pk, 2.5, "x")
    numeric = Interaction.objects.get(external_id="42")
    assert numeric.account_id == alice.account_id
    assert numeric.occurred_at == datetime(2026, 5, 1, 9, 30, tzinfo=UTC)


BAD_EVENTS = [
    event(0, kind="account.login", user_email="alice@a.example"),
    event(1, kind=["product.session"], user_email="alice@a.example"),
    event(2, kind=None, user_email="alice@a.example"),
    {"kind": "product.session", "occurred_at": "2026-05-01T09:30:00Z", "user_email": "alice@a.example"},
    {"event_id": "evt-4", "occurred_at": "2026-05-01T09:30:00Z", "user_email": "alice@a.example"},
    {"event_id": "evt-5", "kind": "product.session", "user_email": "alice@a.example"},
    event(6, occurred_at="2026-02-30T09:30:00Z", user_email="alice@a.example"),
    event(7, occurred_at="01/05/2026", user_email="alice@a.example"),
    event(8, occurred_at=1746091800, user_email="alice@a.example"),
    event(9, occurred_at="2999-01-01T00:00:00Z", user_email="alice@a.example"),
    event(10, user_email="ghost@a.example"),
    event(11, user_email="not-an-email"),
    event(12, user_email=7),
    event(13, account_external_id="CRM-NOPE"),
    event(14, account=0),
    event(15, account=True),
    event(16, account="abc"),
    event(17, account=999999),
    event(18, account_external_id="CRM-B", user_email="alice@a.example"),
    event(19, user_email="alice@a.example", value="lots"),
    event(20, user_email="alice@a.example", value=True, subject_type=["x"]),
    event(21, user_email="alice@a.example", properties={str(n): n for n in range(51)}),
    event(22, user_email="alice@a.example", properties=None),
    event(23, user_email="alice@a.example", subject_id="x" * 65),
    event(24, event_id="", user_email="alice@a.example"),
    event(25, event_id=None, user_email="alice@a.example"),
    event(26, event_id="a\u0000b", user_email="alice@a.example"),
    event(27, event_id={"id": 1}, kind="nope", occurred_at="never"),
    event(28),
]


def test_rejections_are_the_serializers_own(api, alice, bob):
    """Every bad event is reported by index with exactly EventSerializer's errors."""
    good = event(99, user_email=alice.email)
    response = api.post(URL, {"events": [good, *BAD_EVENTS]}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert (data["accepted"], data["duplicates"]) == (1, 0)
    rejected = {entry["index"]: entry for entry in data["rejected"]}
    assert sorted(rejected) == list(range(1, len(BAD_EVENTS) + 1))
    from apps.interactions.api import _lookups

    accounts, users = _lookups(BAD_EVENTS)
    for index, bad in enumerate(BAD_EVENTS, start=1):
        serializer = EventSerializer(data=bad, context={"accounts": accounts, "users": users})
        assert not serializer.is_valid()
        expected = json.loads(json.dumps(serializer.errors))
        assert rejected[index]["errors"] == expected, bad
        event_id = bad.get("event_id")
        assert rejected[index]["event_id"] == (event_id if isinstance(event_id, str) else None)
    assert rejected[1]["errors"]["kind"][0].startswith("Unknown kind 'account.login'.")
    assert rejected[11]["errors"] == {"user_email": ["No person with this e-mail."]}
    assert Interaction.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"events": [event(n) for n in range(1001)]},
        {"events": []},
        {"events": [event(1), "x"]},
        {"events": {"0": event(1)}},
        {"events": None},
        {"batch": [event(1)]},
        [event(1)],
        "events",
        42,
    ],
)
def test_malformed_envelopes_get_the_serializers_400(api, body):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    envelope = BatchSerializer(data=body)
    assert not envelope.is_valid()
    assert response.json() == json.loads(json.dumps(envelope.errors))
    assert not Interaction.objects.exists()


def test_batch_too_large_message(api, alice):
    response = api.post(
        URL, {"events": [event(n, user_email=alice.email) for n in range(1001)]}, format="json"
    )
    assert response.json() == {"events": ["Ensure this field has no more than 1000 elements."]}


def test_a_full_batch_of_1000_is_stored(api, alice):
    assert post(api, [event(n, user_email=alice.email) for n in range(1000)])["accepted"] == 1000
    assert Interaction.objects.filter(source="telemetry").count() == 1000


def test_a_repeated_id_within_a_batch_keeps_the_first(api, alice):
    data = post(
        api,
        [
            event(1, user_email=alice.email, subject_id="first"),
            event(2, user_email=alice.email),
            event(1, user_email=alice.email, subject_id="second"),
            event(1, kind="nope"),  # rejected, not a duplicate
        ],
    )
    assert (data["accepted"], data["duplicates"]) == (2, 1)
    assert [r["index"] for r in data["rejected"]] == [3]
    assert Interaction.objects.get(external_id="evt-1").subject_id == "first"


def test_retries_store_nothing_new_and_report_duplicates(api, alice):
    batch = [event(n, user_email=alice.email) for n in range(50)]
    assert post(api, batch) == {"accepted": 50, "duplicates": 0, "rejected": []}
    assert post(api, batch) == {"accepted": 0, "duplicates": 50, "rejected": []}
    # A retry that overlaps the first batch in part, in another order, with a repeat inside.
    overlap = [*reversed(batch[25:]), *[event(n, user_email=alice.email) for n in range(50, 60)], batch[0]]
    assert post(api, overlap) == {"accepted": 10, "duplicates": 26, "rejected": []}
    assert Interaction.objects.filter(source="telemetry").count() == 60
    assert Interaction.objects.filter(source="telemetry").values("external_id").distinct().count() == 60


def test_the_portable_path_reports_the_same(api, alice, monkeypatch):
    """The path other databases (the embedded SQLite) take, here on the test database."""
    monkeypatch.setattr(connection, "vendor", "sqlite")
    batch = [event(n, user_email=alice.email, properties={"n": n}) for n in range(20)]
    assert post(api, [*batch, batch[3]]) == {"accepted": 20, "duplicates": 1, "rejected": []}
    assert post(api, [*batch[10:], event(20, user_email=alice.email)]) == {
        "accepted": 1,
        "duplicates": 10,
        "rejected": [],
    }
    assert Interaction.objects.get(external_id="evt-7").properties == {"n": 7}


def test_last_used_is_refreshed_at_most_once_a_minute(api, token, alice):
    post(api, [event(1, user_email=alice.email)])
    token[0].refresh_from_db()
    first = token[0].last_used_at
    assert first is not None
    post(api, [event(2, user_email=alice.email)])
    token[0].refresh_from_db()
    assert token[0].last_used_at == first
    IntegrationToken.objects.filter(pk=token[0].pk).update(last_used_at=first - timedelta(minutes=2))
    post(api, [event(3, user_email=alice.email)])
    token[0].refresh_from_db()
    assert token[0].last_used_at > first


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs concurrent connections")
def test_concurrent_retries_store_each_event_once_and_report_exactly():
    from tests.factories import AccountFactory, UserFactory

    account = AccountFactory(external_id="CRM-C")
    person = UserFactory(email="cora@c.example", account=account)
    _, raw = services.integration_token_create(name="Concurrent", source="concurrent")
    batch = [event(n, user_email=person.email) for n in range(300)]
    clients, reports, errors = 4, [], []
    barrier = threading.Barrier(clients)

    def send(order):
        try:
            client = client_for(raw)
            barrier.wait()
            reports.append(post(client, batch[::order]))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(1 if n % 2 else -1,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(r["accepted"] for r in reports) == 300
    assert sum(r["duplicates"] for r in reports) == 300 * (clients - 1)
    assert Interaction.objects.filter(source="concurrent").count() == 300


@pytest.mark.parametrize(
    "bad",
    [
        {"properties": {"note": "nul\x00here"}},
        {"properties": {"nested": {"k\x00": 1}}},
        {"properties": {"half": "\ud800"}},
        {"properties": {"big": "__HUGE__"}},
        {"properties": {"list": [1.0, "__HUGE__"]}},
        {"subject_id": "half\udfff"},
        {"event_id": "evt-\ud800"},
        {"subject_type": "nul\x00"},
    ],
)
def test_text_the_database_cannot_store_is_refused_alone(api, alice, bad):
    """One such event is rejected by itself; the rest of its batch is stored (a client retrying
    the batch is never stuck)."""
    good = [event(n, user_email=alice.email) for n in range(5)]
    # 1e999 is valid JSON that parses to infinity, which PostgreSQL's jsonb cannot hold.
    body = json.dumps({"events": [*good, {**event(9, user_email=alice.email), **bad}]})
    body = body.replace('"__HUGE__"', "1e999")
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["accepted"] == 5
    assert [entry["index"] for entry in data["rejected"]] == [5]
    assert Interaction.objects.filter(source="telemetry").count() == 5
