"""The Celery app. Without CELERY_BROKER_URL, tasks run eagerly in-process (see settings)."""

import os

from celery import Celery, Task
from celery.signals import worker_process_init
from celery.utils.time import get_exponential_backoff_interval

from apps.core.failures import is_transient
from apps.core.processes import freeze_startup_objects

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class CairnTask(Task):
    """The base of every Cairn task: retried, with exponential backoff and jitter, when the
    database or the mail server fails for a moment (a dropped connection, a deadlock, a refused
    SMTP session, a 4xx answer; apps.core.failures.is_transient decides). A permanent failure, a
    5xx refusal or a bug, is not retried: it fails the task at once and is logged. With the
    settings' acks-late and reject-on-worker-lost, a task is acknowledged only once it has run,
    so one interrupted half-way runs again from the start: every task is written to be
    idempotent, claiming each piece of work in the transaction that does it.

    Celery's own `autoretry_for` matches exception classes only, and whether an SMTP refusal is
    worth retrying depends on its code, so the retry is decided here instead."""

    # The n-th retry waits a random 0 to 2**(n-1) s (full jitter), at most 10 minutes, which
    # stays below the broker's visibility timeout.
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 6

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            if not is_transient(exc):
                raise
            countdown = get_exponential_backoff_interval(
                factor=1,
                retries=self.request.retries,
                maximum=self.retry_backoff_max,
                full_jitter=self.retry_jitter,
            )
            # Raises Retry (the task runs again after `countdown`), or `exc` itself once
            # max_retries is used up or when the task was called directly, not through Celery.
            raise self.retry(exc=exc, countdown=countdown) from exc


app = Celery("cairn", task_cls=CairnTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _freeze_pool_process(**kwargs):
    """Each process that runs tasks, once set up: every child of the default prefork pool, and the
    worker itself under the solo pool (the threads and gevent pools are left as they are)."""
    freeze_startup_objects()
