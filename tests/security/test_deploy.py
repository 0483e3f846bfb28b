"""Production settings are safe: `check --deploy` is clean, cookies and transport are locked down,
and every page carries a Content Security Policy without inline script or style.

The production checks run in a fresh interpreter with config.settings (not the test settings) and an
environment holding only what an operator would set, so nothing the suite relaxes can leak in. The
browser journeys (tests/e2e) then prove the pages work under that policy: they fail on any CSP
violation the browser reports.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def production_env(tmp_path_factory):
    """What an operator sets: a long random SECRET_KEY, the host name, DEBUG off. Nothing else of
    the caller's environment but PATH and locale, so test-only overrides cannot leak in."""
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}}
    database = tmp_path_factory.mktemp("production") / "never-opened.sqlite3"
    return {
        **keep,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "cairn.example,testserver",
        "DATABASE_URL": f"sqlite:///{database}",
    }


def run(args, env):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("proxies", [None, "0"], ids=["behind-a-proxy", "direct"])
def test_check_deploy_is_clean(production_env, proxies):
    env = production_env if proxies is None else {**production_env, "TRUSTED_PROXIES": proxies}
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_production_settings_lock_cookies_and_transport(production_env):
    code = """
import json
import django
from django.conf import settings as s
django.setup()
print(json.dumps({name: getattr(s, name) for name in [
    "DEBUG", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY", "CSRF_COOKIE_SAMESITE", "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER", "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS", "SHOW_DEMO_LOGINS", "AXES_ENABLED", "AUTHENTICATION_BACKENDS",
]}))
"""
    result = run(["-c", code], production_env)
    assert result.returncode == 0, result.stderr
    s = json.loads(result.stdout)
    assert s["DEBUG"] is False and s["SHOW_DEMO_LOGINS"] is False
    assert (
        s["SESSION_COOKIE_SECURE"] and s["SESSION_COOKIE_HTTPONLY"] and s["SESSION_COOKIE_SAMESITE"] == "Lax"
    )
    assert s["CSRF_COOKIE_SECURE"] and s["CSRF_COOKIE_HTTPONLY"] and s["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert s["SECURE_SSL_REDIRECT"] and s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and s["SECURE_HSTS_PRELOAD"]
    assert s["SECURE_CONTENT_TYPE_NOSNIFF"] and s["SECURE_REFERRER_POLICY"] == "same-origin"
    assert s["X_FRAME_OPTIONS"] == "DENY"
    assert s["AXES_ENABLED"] and s["AUTHENTICATION_BACKENDS"][0] == "axes.backends.AxesStandaloneBackend"


PROXY_PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client, RequestFactory, override_settings
from apps.accounts.throttles import client_ip
storages = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
headers = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_FOR": "203.0.113.5, 198.51.100.7"}
with override_settings(STORAGES=storages):
    page = Client(REMOTE_ADDR="10.0.0.2").get("/accounts/login/", **headers)
print(json.dumps({
    "proxies": settings.TRUSTED_PROXIES,
    "ssl_header": settings.SECURE_PROXY_SSL_HEADER,
    "status": page.status_code,
    "client_ip": client_ip(RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", **headers)),
    "without_header": client_ip(RequestFactory().get("/", REMOTE_ADDR="10.0.0.2")),
}))
"""


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        # The default: one TLS-terminating proxy, whose headers say who the client is and that it
        # used https. A client reaching Cairn without the proxy's header counts as its connection.
        ({}, (1, ["HTTP_X_FORWARDED_PROTO", "https"], 200, "198.51.100.7")),
        # Clients reach Cairn directly: forwarded headers are the client's own, and trusted for nothing.
        ({"TRUSTED_PROXIES": "0"}, (0, None, 301, "10.0.0.2")),
        ({"DEBUG": "true"}, (0, None, 200, "10.0.0.2")),
    ],
    ids=["production", "direct", "debug"],
)
def test_forwarded_headers_are_trusted_only_from_a_declared_proxy(production_env, environment, expected):
    result = run(["-c", PROXY_PROBE], {**production_env, **environment})
    assert result.returncode == 0, result.stderr
    r = json.loads(result.stdout)
    assert (r["proxies"], r["ssl_header"], r["status"], r["client_ip"]) == expected
    assert r["without_header"] == "10.0.0.2"


def test_production_responses_carry_the_protections(production_env):
    """A real request through the production middleware stack (the sign-in page needs no database)."""
    code = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client, override_settings
# Only asset URLs differ: the hashed-name manifest exists after collectstatic, not in a checkout.
storages = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=storages):
    client = Client()
    plain = client.get("/accounts/login/")
    secure = client.get("/accounts/login/", secure=True)
csrf = secure.cookies["csrftoken"]
print(json.dumps({
    "plain": [plain.status_code, plain.headers.get("Location")],
    "status": secure.status_code,
    "headers": dict(secure.headers),
    "csrf": {name: csrf[name] for name in ("secure", "httponly", "samesite")},
}))
"""
    result = run(["-c", code], production_env)
    assert result.returncode == 0, result.stderr
    r = json.loads(result.stdout)
    assert r["plain"] == [301, "https://testserver/accounts/login/"]
    assert r["status"] == 200
    headers = r["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert_strict_csp(headers["Content-Security-Policy"])
    assert r["csrf"] == {"secure": True, "httponly": True, "samesite": "Lax"}, r["csrf"]


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict_csp(header: str):
    csp = csp_directives(header)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"]
    for unsafe in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"):
        assert unsafe not in csp["script-src"] + csp["style-src"] + csp["default-src"], unsafe


@pytest.mark.parametrize(
    ("name", "htmx"),
    [("home", False), ("path_list", False), ("survey_prompt", True), ("api-me", False)],
)
def test_every_kind_of_response_carries_the_csp(client_of, alice, name, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client_of(alice).get(reverse(name), **headers)
    assert response.status_code == 200
    assert_strict_csp(response.headers["Content-Security-Policy"])


@pytest.mark.parametrize(("path", "status"), [("/accounts/login/", 200), ("/no/such/page/", 404)])
def test_anonymous_and_error_pages_carry_the_csp(client, db, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert_strict_csp(response.headers["Content-Security-Policy"])
