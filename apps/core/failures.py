"""Which failures are worth trying again.

A transient failure goes away by itself: the database dropped a connection or chose this
transaction as a deadlock victim, the network or the mail server failed for a moment, or the mail
server answered with a 4xx ("try again later") code. Celery tasks are retried for those (see
config.celery.CairnTask). A permanent failure does not go away by waiting: a 5xx refusal of a
recipient or of the message, wrong mail credentials, a missing file. Retrying it only repeats it,
so a task that sends to many people records it for that person and carries on with the others.
"""

from __future__ import annotations

import logging
import smtplib
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)

TRANSIENT = (
    OperationalError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
)


def _smtp_codes(exc: smtplib.SMTPException) -> list[int]:
    if isinstance(exc, smtplib.SMTPResponseException):
        return [exc.smtp_code]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return [code for code, _ in exc.recipients.values()]
    return []


def is_transient(exc: BaseException) -> bool:
    """True if trying again later may well succeed."""
    if isinstance(exc, TRANSIENT):
        return True
    if isinstance(exc, smtplib.SMTPException):
        codes = _smtp_codes(exc)
        return bool(codes) and all(400 <= code < 500 for code in codes)
    return False


def is_permanent_send_failure(exc: BaseException) -> bool:
    """True if the mail server refused this message for good (a 5xx code, a refused recipient,
    failed authentication): sending it again would fail the same way."""
    return isinstance(exc, smtplib.SMTPException) and not is_transient(exc)


def send_failure_summary(exc: smtplib.SMTPException) -> str:
    """The failure's class and SMTP codes, for a log line. Never its message: a refusal quotes
    the recipient's address."""
    codes = ", ".join(str(code) for code in _smtp_codes(exc))
    return f"{exc.__class__.__name__} {codes}".strip()


@contextmanager
def refusal_logged(what: str) -> Iterator[SimpleNamespace]:
    """Send inside this block. A permanent refusal by the mail server is logged as "`what` refused
    …" (by its codes, never the address) and ends the block with `.refused` set on what it
    yields, so a sweep can carry on with the next person; any other failure propagates, for the
    task to retry a transient one. `what` names the message and the person's id."""
    outcome = SimpleNamespace(refused=False)
    try:
        yield outcome
    except smtplib.SMTPException as exc:
        if not is_permanent_send_failure(exc):
            raise
        logger.warning("%s refused by the mail server (%s); not retried.", what, send_failure_summary(exc))
        outcome.refused = True
