"""The Celery app. Without CELERY_BROKER_URL, tasks run eagerly in-process (see settings)."""

import os
from smtplib import SMTPException

from celery import Celery, Task
from django.db import InterfaceError, OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class CairnTask(Task):
    """The base of every Cairn task: retried, with exponential backoff and jitter, when the
    database or the mail server fails for a moment (a dropped connection, a deadlock, a refused
    SMTP session). With the settings' acks-late and reject-on-worker-lost, a task is acknowledged
    only once it has run, so one interrupted half-way runs again from the start: every task is
    written to be idempotent, claiming each piece of work in the transaction that does it."""

    autoretry_for = (OperationalError, InterfaceError, SMTPException, OSError)
    retry_backoff = True  # 1 s, 2 s, 4 s, ... between attempts
    retry_backoff_max = 600  # stays below the broker's visibility timeout
    retry_jitter = True
    max_retries = 6


app = Celery("cairn", task_cls=CairnTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
