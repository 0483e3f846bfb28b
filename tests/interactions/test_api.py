import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.interactions import services
from apps.interactions.models import Interaction

URL = reverse("api-events-batch")


@pytest.fixture
def token(db):
    return services.integration_token_create(name="Telemetry", source="telemetry")


@pytest.fixture
def api(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token[1]}")
    return client


def event(n, **overrides):
    data = {"event_id": f"evt-{n}", "kind": "product.feature_used", "occurred_at": "2026-05-01T09:30:00Z"}
    data.update(overrides)
    return data


def test_good_batch_is_stored(api, alice, account_b):
    response = api.post(
        URL,
        {
            "events": [
                event(
                    1, user_email=alice.email.upper(), subject_type="feature", subject_id="reports", value=2
                ),
                event(
                    2,
                    kind="support.ticket_opened",
                    account_external_id="CRM-B",
                    properties={"severity": "high"},
                ),
                event(3, account=account_b.pk),
            ]
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {"accepted": 3, "duplicates": 0, "rejected": []}
    first = Interaction.objects.get(external_id="evt-1")
    assert (first.user, first.account, first.source) == (alice, alice.account, "telemetry")
    assert first.value == 2 and first.subject_id == "reports"
    assert Interaction.objects.get(external_id="evt-2").properties == {"severity": "high"}


def test_retried_batch_creates_no_duplicates(api, alice):
    batch = {"events": [event(1, user_email=alice.email), event(2, user_email=alice.email)]}
    assert api.post(URL, batch, format="json").json()["accepted"] == 2
    again = api.post(
        URL, {"events": [*batch["events"], event(3, user_email=alice.email)]}, format="json"
    ).json()
    assert again == {"accepted": 1, "duplicates": 2, "rejected": []}
    assert Interaction.objects.filter(source="telemetry").count() == 3


def test_repeated_id_within_a_batch_counts_once(api, alice):
    data = api.post(URL, {"events": [event(1, user_email=alice.email)] * 3}, format="json").json()
    assert data == {"accepted": 1, "duplicates": 2, "rejected": []}


def test_same_event_id_from_another_integration_is_separate(api, alice):
    api.post(URL, {"events": [event(1, user_email=alice.email)]}, format="json")
    _, raw = services.integration_token_create(name="CRM", source="crm")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert (
        other.post(URL, {"events": [event(1, user_email=alice.email)]}, format="json").json()["accepted"] == 1
    )


def test_bad_events_are_reported_by_index_while_good_ones_land(api, alice, bob):
    events = [
        event(0, user_email=alice.email),
        event(1, kind="account.login", user_email=alice.email),  # internal kind
        event(2, kind="nope", user_email=alice.email),
        event(3, occurred_at="yesterday", user_email=alice.email),
        event(4, occurred_at="2999-01-01T00:00:00Z", user_email=alice.email),
        event(5),  # no account
        event(6, account=999999),
        event(7, account_external_id="CRM-NOPE"),
        event(8, user_email="ghost@example.com"),
        event(9, user_email=bob.email, account=alice.account_id),  # person of another account
        event(10, user_email=alice.email, value="NaN"),
        {
            "kind": "product.session",
            "occurred_at": "2026-05-01T09:30:00Z",
            "user_email": alice.email,
        },  # no id
        event(12, user_email=alice.email, properties=["not", "a", "dict"]),
        event(13, account_external_id="CRM-A", account=bob.account_id),
        event(14, user_email=alice.email, event_id="x" * 129),
    ]
    response = api.post(URL, {"events": events}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert data["accepted"] == 1 and data["duplicates"] == 0
    rejected = {r["index"]: r["errors"] for r in data["rejected"]}
    assert sorted(rejected) == list(range(1, 15))
    assert "Unknown kind" in rejected[1]["kind"][0]
    assert "product.feature_used" in rejected[2]["kind"][0]
    assert "occurred_at" in rejected[3]
    assert "future" in rejected[4]["occurred_at"][0]
    assert "account" in rejected[5]
    assert rejected[6] == {"account": ["No such account."]}
    assert "account_external_id" in rejected[7]
    assert "user_email" in rejected[8]
    assert "another account" in rejected[9]["user_email"][0]
    assert "value" in rejected[10]
    assert "event_id" in rejected[11]
    assert "properties" in rejected[12]
    assert "disagree" in rejected[13]["account"][0]
    assert "event_id" in rejected[14]
    assert data["rejected"][0]["event_id"] == "evt-1"
    assert Interaction.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [{}, {"events": []}, {"events": "nope"}, {"events": [1, 2]}, [], "text"],
)
def test_malformed_envelope_is_400(api, body):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert not Interaction.objects.exists()


def test_batch_size_is_limited(api, alice):
    response = api.post(
        URL, {"events": [event(n, user_email=alice.email) for n in range(1001)]}, format="json"
    )
    assert response.status_code == 400
    assert "events" in response.json()


def test_invalid_json_is_400(api):
    response = api.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_wrong_content_type_is_415(api):
    response = api.post(URL, "events=1", content_type="text/plain")
    assert response.status_code == 415


@pytest.mark.parametrize(
    "header",
    [None, "Bearer wrong", "Bearer", "Bearer a b", "Token abc"],
)
def test_authentication_is_required(db, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.post(URL, {"events": [event(1)]}, format="json")
    assert response.status_code in (401, 403)
    assert not Interaction.objects.exists()


def test_revoked_token_is_refused(api, token, alice):
    services.integration_token_revoke(token=token[0])
    assert api.post(URL, {"events": [event(1, user_email=alice.email)]}, format="json").status_code == 401


def test_people_cannot_ingest_with_a_session(client_of, csm):
    assert client_of(csm).post(URL, {"events": [event(1)]}, content_type="application/json").status_code in (
        401,
        403,
    )


def test_last_used_is_tracked(api, token, alice):
    api.post(URL, {"events": [event(1, user_email=alice.email)]}, format="json")
    token[0].refresh_from_db()
    assert token[0].last_used_at is not None


def test_throttled_per_token(api, alice, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "ingestion": "2/min"},
    }
    codes = [
        api.post(URL, {"events": [event(n, user_email=alice.email)]}, format="json").status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 429]


def test_query_count_does_not_grow_with_batch_size(api, alice, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        api.post(URL, {"events": [event(n, user_email=alice.email) for n in range(300)]}, format="json")
    assert Interaction.objects.count() == 300
