"""A real Celery worker on the real Redis broker, killed in the middle of a task.

The task is Cairn's own session-reminder sweep (`send_session_reminders`), which e-mails everyone
registered for a session starting within a day, claiming each reminder in the transaction that
sends it. The test holds a row lock on the fourth registration, so the worker (prefork, one pool
process, as in production) sends three reminders and then waits, mid-task. Then either the whole
worker is SIGKILLed, and a new one started, or only the pool process running the task is, and the
parent survives. Either way the broker still holds the message, because tasks are acknowledged
late and given back when their pool process dies; the task runs again and every person gets
exactly one reminder. Without acks-late (or without reject-on-worker-lost, for a lost pool
process) the message is gone and three people get no reminder: both tests then fail.

Redis gives an unacknowledged message to another consumer once the visibility timeout has passed.
The whole-worker test shortens it to two seconds, as that is all that brings the message back
after a lost worker. The pool-process test keeps production's hour, so that the only way the
task comes back within the test is the surviving parent rejecting it at once.

PostgreSQL only (the worker is another process and needs the committed test database); skipped
when no Redis answers (both skips fail instead with CAIRN_REQUIRE_SERVICES=1, as in CI). The
broker is CELERY_BROKER_URL (CI: redis://127.0.0.1:6379/15) or Redis database 14, on a queue of
its own that is removed afterwards.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.learning.models import Registration
from tests.factories import UserFactory
from tests.learning.factories import LiveSessionFactory, RegistrationFactory
from tests.security.conftest import requires_postgresql, skip_for_missing_service

BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/14"
SHORT_VISIBILITY_TIMEOUT = 2  # seconds, for the whole-worker test
PRODUCTION_VISIBILITY_TIMEOUT = 3600  # the default of CELERY_VISIBILITY_TIMEOUT
TASK = "apps.learning.tasks.send_session_reminders"
PEOPLE = 6
LOCKED = 3  # the worker blocks on the fourth registration, after sending three reminders

pytestmark = [
    requires_postgresql("the worker process needs the committed test database"),
    pytest.mark.django_db(transaction=True),
]


def _redis():
    import redis

    if not BROKER_URL.startswith("redis://"):
        skip_for_missing_service(f"a Redis broker (CELERY_BROKER_URL is {BROKER_URL.split(':', 1)[0]})")
    client = redis.Redis.from_url(BROKER_URL, socket_connect_timeout=1, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError:
        skip_for_missing_service(f"Redis (nothing answers at {BROKER_URL})")
    return client


def wait_until(condition, *, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Broker:
    """The Redis broker, seen from the test: one queue of this run's own, and the messages that
    workers took from it but have not acknowledged yet (kombu keeps those in the `unacked` hash)."""

    def __init__(self, client, queue: str):
        self.client, self.queue = client, queue
        self.app = Celery("cairn-worker-test", broker=BROKER_URL, set_as_current=False)

    def send(self, task: str) -> None:
        self.app.send_task(task, queue=self.queue)

    def state(self) -> tuple[dict[str, float], int]:
        """This queue's unacknowledged messages (delivery tag -> when a worker took it) and the
        number of messages waiting in it, read in one transaction: a message being given back
        moves from the first to the second, and is never counted twice or missed."""
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hgetall("unacked").zrange("unacked_index", 0, -1, withscores=True).llen(self.queue)
            unacked, index, waiting = pipe.execute()
        taken_at = dict(index)
        taken = {}
        for tag, raw in unacked.items():
            _payload, _exchange, routing_key = json.loads(raw)
            if routing_key == self.queue:
                taken[tag] = taken_at.get(tag, 0.0)
        return taken, waiting

    def unacked(self) -> dict[str, float]:
        return self.state()[0]

    def waiting(self) -> int:
        return self.client.llen(self.queue)

    def held(self) -> int:
        """How many messages of this queue the broker still has, taken or waiting."""
        taken, waiting = self.state()
        return len(taken) + waiting

    def cleanup(self) -> None:
        for tag in self.unacked():
            self.client.hdel("unacked", tag)
            self.client.zrem("unacked_index", tag)
        # The queue, and the exchange binding kombu declared for it.
        self.client.delete(
            self.queue, f"_kombu.binding.{self.queue}", f"_kombu.binding_permanent.{self.queue}"
        )
        self.app.close()


class Worker:
    """`celery -A config worker` in a process group of its own, on the pytest test database."""

    def __init__(self, name: str, *, queue: str, outbox: Path, logs: Path, visibility_timeout: int):
        self.name = name
        self.application_name = f"cairn-test-{name}"
        db = connection.settings_dict
        database_url = (
            f"postgres://{quote(db['USER'] or '')}:{quote(str(db['PASSWORD'] or ''))}@"
            f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'])}"
            f"?application_name={self.application_name}"
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "worker-test-only-not-secret",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": BROKER_URL,
            "CELERY_VISIBILITY_TIMEOUT": str(visibility_timeout),
            # The file backend writes every e-mail the worker sends into `outbox`
            # (django-environ drops the first slash of the path, hence four).
            "EMAIL_URL": f"filemail:///{outbox}",
        }
        self.log = logs / f"{name}.log"
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "--pool", "prefork"]
        command += ["--concurrency", "1", "-n", f"{name}@%h", "--loglevel", "INFO"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def backends(self, *, waiting_on_a_lock: bool = False) -> list[int]:
        """PostgreSQL backend pids of this worker's connections (only those waiting on a lock)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
                " AND (NOT %s OR wait_event_type = 'Lock')",
                [self.application_name, waiting_on_a_lock],
            )
            return [pid for (pid,) in cursor.fetchall()]

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill(self) -> None:
        """SIGKILL the whole worker, parent and pool, as a lost machine would: no clean shutdown."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop the worker and end any database session it left behind (its work is checked by
        then, so there is nothing to shut down gracefully)."""
        self.kill()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                [self.application_name],
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def received(self) -> int:
        """How many times this worker has been given the task (its log's "Task ... received")."""
        return len(
            re.findall(rf"Task {re.escape(TASK)}\[[\w-]+\] received", self.log.read_text(errors="replace"))
        )


@pytest.fixture
def broker():
    broker = Broker(_redis(), queue=f"cairn-test-{uuid.uuid4().hex[:12]}")
    yield broker
    broker.cleanup()


@pytest.fixture
def workers(broker, tmp_path):
    """`workers(name, visibility_timeout=...)` starts a worker on this test's queue; all are
    stopped afterwards."""
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    started: list[Worker] = []

    def start(name: str, *, visibility_timeout: int) -> Worker:
        worker = Worker(
            name, queue=broker.queue, outbox=outbox, logs=tmp_path, visibility_timeout=visibility_timeout
        )
        started.append(worker)
        return worker

    start.outbox = outbox
    start.started = started
    yield start
    for worker in started:
        worker.stop()


def reminders_sent() -> int:
    return Registration.objects.filter(reminder_sent_at__isnull=False).count()


def emailed(outbox: Path) -> Counter:
    """Recipient -> how many e-mails the workers wrote to the outbox."""
    recipients = Counter()
    for path in outbox.iterdir():
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("To: "):
                recipients[line.removeprefix("To: ").strip()] += 1
    return recipients


@pytest.fixture
def registrations():
    """Six people registered for a session that starts in twelve hours, in a known order."""
    session = LiveSessionFactory(starts_at=timezone.now() + timedelta(hours=12))
    earlier = timezone.now() - timedelta(hours=1)
    return [
        RegistrationFactory(session=session, user=UserFactory(), created_at=earlier + timedelta(minutes=n))
        for n in range(PEOPLE)
    ]


def _kill_mid_task(broker, worker, registrations, *, kill):
    """Send the task, let `worker` send three reminders and block on the fourth (locked here),
    then `kill()`; the lock is released when this returns."""
    with transaction.atomic():
        Registration.objects.select_for_update().get(pk=registrations[LOCKED].pk)
        broker.send(TASK)
        try:
            wait_until(
                lambda: reminders_sent() == LOCKED and worker.backends(waiting_on_a_lock=True),
                timeout=30,
                what="the worker to send three reminders and wait on the fourth",
            )
        except AssertionError:
            raise AssertionError(worker.output()) from None
        assert broker.held() == 1, "the worker took the message, but it must not be acknowledged yet"
        kill()
        time.sleep(0.3)  # anything still running would have had the time to go on
        assert reminders_sent() == LOCKED


def test_a_worker_killed_mid_task_is_replaced_and_the_work_completes_exactly_once(
    broker, workers, registrations
):
    first = workers("first", visibility_timeout=SHORT_VISIBILITY_TIMEOUT)
    _kill_mid_task(broker, first, registrations, kill=first.kill)
    assert first.process.returncode == -signal.SIGKILL
    assert sum(emailed(workers.outbox).values()) == LOCKED
    # The killed worker's database session goes once the lock it waited for is released.
    wait_until(lambda: not first.backends(), timeout=15, what="the killed worker's session to end")
    # The broker still has the message: taken by the dead worker, or already back in the queue if
    # the visibility timeout has passed. A new worker gets it once the timeout has passed.
    taken, waiting = broker.state()
    assert len(taken) + waiting == 1
    for taken_at in taken.values():
        time.sleep(max(0.0, taken_at + SHORT_VISIBILITY_TIMEOUT + 0.2 - time.time()))

    second = workers("second", visibility_timeout=SHORT_VISIBILITY_TIMEOUT)
    try:
        wait_until(
            lambda: reminders_sent() == PEOPLE and not broker.held(),
            timeout=45,
            what="a new worker to finish the task and acknowledge it",
        )
    except AssertionError:
        raise AssertionError(second.output()) from None
    assert emailed(workers.outbox) == Counter({r.user.email: 1 for r in registrations})
    assert second.received() == 1
    assert "succeeded" in second.output()


def test_a_killed_pool_process_gives_the_task_back_and_it_completes_exactly_once(
    broker, workers, registrations
):
    """The pool process dies mid-task (the OOM killer picks it): with reject-on-worker-lost the
    parent gives the message back to the broker at once, and a new pool process runs it again.
    The visibility timeout is production's hour, so nothing else could bring the message back."""
    worker = workers("survivor", visibility_timeout=PRODUCTION_VISIBILITY_TIMEOUT)
    killed = []

    def kill_the_child():
        assert len(broker.unacked()) == 1 and worker.received() == 1
        (child,) = worker.children()
        os.kill(child, signal.SIGKILL)
        killed.append(child)

    _kill_mid_task(broker, worker, registrations, kill=kill_the_child)
    try:
        wait_until(
            lambda: worker.received() == 2,
            timeout=15,
            what="the worker to give the task back and receive it again",
        )
        wait_until(
            lambda: reminders_sent() == PEOPLE and not broker.held(),
            timeout=45,
            what="the pool to run the task again and acknowledge it",
        )
    except AssertionError as error:
        raise AssertionError(f"{error}\n{worker.output()}") from None
    assert worker.process.poll() is None, "the worker itself survives the loss of a pool process"
    assert killed and killed[0] not in worker.children()
    assert worker.received() == 2
    assert emailed(workers.outbox) == Counter({r.user.email: 1 for r in registrations})
    assert "WorkerLostError" in worker.output()
