"""Settings for the test suite: production settings with test-only conveniences.

DEBUG stays off (as pytest-django forces) so tests see production behaviour; only what a test
client over plain HTTP cannot do (HTTPS redirects, secure-only cookies) is relaxed. The test client
reaches Cairn directly, with no proxy in front: TRUSTED_PROXIES is 0 (tests of the proxy path set
it). Sign-in lockouts (django-axes) stay on: tests sign people in with force_login, since
Client.login() calls authenticate() without a request, which django-axes refuses; lockout tests
post the real form.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("TRUSTED_PROXIES", "0")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Unit tests run tasks in-process; broker behaviour is proven by tests that start a real worker.
CELERY_TASK_ALWAYS_EAGER = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
