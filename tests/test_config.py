"""Settings, the health check, error pages and the API schema."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


def load_settings(**env):
    """Import config.settings in a fresh interpreter with exactly this environment."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "ALLOWED_HOSTS",
            "EMAIL_URL",
            "SECURE_SSL_REDIRECT",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "DJANGO_SETTINGS_MODULE",
        }
    }
    code = (
        "import json, config.settings as s; "
        "print(json.dumps({'debug': s.DEBUG, 'engine': s.DATABASES['default']['ENGINE'], "
        "'name': str(s.DATABASES['default']['NAME']), 'eager': s.CELERY_TASK_ALWAYS_EAGER, "
        "'ssl': s.SECURE_SSL_REDIRECT, 'cookie': s.SESSION_COOKIE_SECURE, 'csrf': s.CSRF_COOKIE_SECURE, "
        "'hsts': s.SECURE_HSTS_SECONDS, 'hosts': s.ALLOWED_HOSTS, 'email': s.EMAIL_BACKEND, "
        "'demo': s.SHOW_DEMO_LOGINS}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result


def test_production_defaults_are_safe():
    import json

    result = load_settings(SECRET_KEY="x" * 50, ALLOWED_HOSTS="cairn.example")
    assert result.returncode == 0, result.stderr
    s = json.loads(result.stdout)
    assert s["debug"] is False and s["ssl"] and s["cookie"] and s["csrf"] and s["hsts"] >= 31536000
    assert s["hosts"] == ["cairn.example"] and s["demo"] is False


def test_secret_key_is_required_in_production():
    result = load_settings()
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_embedded_defaults_need_no_services():
    import json

    s = json.loads(load_settings(DEBUG="1").stdout)
    assert s["engine"] == "django.db.backends.sqlite3" and s["name"].endswith("db.sqlite3")
    assert s["eager"] is True and "console" in s["email"] and s["ssl"] is False and s["demo"] is True


def test_services_come_from_the_environment():
    import json

    s = json.loads(
        load_settings(
            DEBUG="1",
            DATABASE_URL="postgres://u:p@db.internal:5432/cairn",
            CELERY_BROKER_URL="redis://r:6379/0",
            EMAIL_URL="smtp://mail.internal:587",
        ).stdout
    )
    assert s["engine"] == "django.db.backends.postgresql" and s["name"] == "cairn"
    assert s["eager"] is False and s["email"].endswith("smtp.EmailBackend")


def test_healthz_reports_database(client, db, settings):
    settings.CELERY_BROKER_URL = ""
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.skipif(not os.environ.get("CELERY_BROKER_URL"), reason="no broker configured (CI sets one)")
def test_healthz_reports_a_reachable_broker(client, db, settings):
    response = client.get(reverse("healthz"))
    assert response.json()["checks"]["broker"] == "ok"


def test_healthz_is_503_when_the_broker_is_down(client, db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["broker"].startswith("error")


def test_security_headers(client, db):
    response = client.get(reverse("login"))
    assert response.headers["X-Frame-Options"] == "DENY"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_friendly_404(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.text


def test_schema_and_docs_are_served_offline(client_of, alice):
    client = client_of(alice)
    schema = client.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/events/batch/" in paths and "/api/v1/accounts/" in paths
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower() and "unpkg" not in docs.text.lower()
    assert "/static/drf_spectacular_sidecar/" in docs.text


def test_schema_generates_without_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", os.devnull],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings"},
    )
    assert result.returncode == 0, result.stderr
