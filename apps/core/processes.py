"""What every long-lived Cairn process (a gunicorn worker, a Celery worker process) does once its
start-up is over.

Start-up leaves several hundred thousand Python objects behind (the apps, models, URL patterns,
templates, settings) that live as long as the process. CPython's full garbage collections walk
every tracked object, so each one would walk all of them again, about 50 ms of CPU on this code
base, and the first ones fall in the middle of whatever runs next (the health recompute pays for
one or two). `gc.freeze()` moves them into a generation the collector leaves alone (CPython's
documentation suggests it for long-lived servers).
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Collect what start-up left for collection, then exempt everything still alive from future
    full collections. Objects created afterwards are collected as usual."""
    gc.collect()
    gc.freeze()
