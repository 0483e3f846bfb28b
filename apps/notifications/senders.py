"""The registry of message senders, so a held message can be sent later by name.

Feature apps register their send functions when Django starts (in their AppConfig.ready), so
notifications never imports them. A sender takes JSON-able keyword arguments, sends one message
and returns True, or returns False when there is nothing to send any more (the survey was
answered, the person opted out): that message is then dropped instead of counted.
"""

from __future__ import annotations

from collections.abc import Callable

Sender = Callable[..., bool]

_senders: dict[str, Sender] = {}


def _qualname(fn: Sender) -> str:
    return f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"


def register(name: str, fn: Sender) -> None:
    """Register `fn` under `name`. Registering the same function again is harmless; another
    function under a taken name is a programming error."""
    current = _senders.get(name)
    if current is not None and _qualname(current) != _qualname(fn):
        raise ValueError(f"A different sender is already registered as {name!r}.")
    _senders[name] = fn


def get(name: str) -> Sender:
    try:
        return _senders[name]
    except KeyError:
        raise LookupError(f"No sender is registered as {name!r}.") from None
