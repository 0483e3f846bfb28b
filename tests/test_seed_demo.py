from django.core.management import call_command

from apps.accounts.models import Account, Renewal, User
from apps.analytics.models import HealthSnapshot
from apps.interactions.models import IntegrationToken, Interaction


def test_seed_demo_is_realistic_and_idempotent(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    counts = (
        Account.objects.count(),
        User.objects.count(),
        Renewal.objects.count(),
        Interaction.objects.count(),
    )
    assert counts[0] >= 40 and counts[1] >= 400
    assert Account.objects.values("segment").distinct().count() == 3
    assert Account.objects.values("vertical").distinct().count() >= 4
    assert Renewal.objects.filter(outcome="lost").exists()
    assert any(r.change and r.change > 0 for r in Renewal.objects.filter(outcome="won"))
    oldest = Interaction.objects.order_by("occurred_at").first().occurred_at
    newest = Interaction.objects.order_by("-occurred_at").first().occurred_at
    assert (newest - oldest).days >= 500
    for email, role in [
        ("learner@example.com", "learner"),
        ("teamadmin@example.com", "customer_admin"),
        ("content@example.com", "content_admin"),
        ("csm@example.com", "cs_manager"),
    ]:
        user = User.objects.get(email=email)
        assert user.role == role and user.check_password("cairn-demo")
    assert User.objects.get(email="sponsor@example.com").is_executive_sponsor
    assert IntegrationToken.objects.filter(source="demo-telemetry").exists()
    # Health history: month ends over 18 months, so trends and the backtest have data.
    months = {day.strftime("%Y-%m") for day in HealthSnapshot.objects.values_list("date", flat=True)}
    assert len(months) >= 17
    assert HealthSnapshot.objects.values("band").distinct().count() >= 2
    snapshots = HealthSnapshot.objects.count()

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert counts == (
        Account.objects.count(),
        User.objects.count(),
        Renewal.objects.count(),
        Interaction.objects.count(),
    )
    assert HealthSnapshot.objects.count() == snapshots


def test_demo_token_works_for_ingestion(db, client):
    from apps.interactions.demo import demo_token

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    response = client.post(
        "/api/v1/events/batch/",
        {
            "events": [
                {
                    "event_id": "x1",
                    "kind": "product.session",
                    "occurred_at": "2026-01-01T00:00:00Z",
                    "user_email": "learner@example.com",
                }
            ]
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {demo_token()}",
    )
    assert response.json()["accepted"] == 1
