import functools
import math
import re
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from apps.interactions import kinds

MAX_BATCH = 1000
MAX_PROPERTIES_KEYS = 50


def _no_surrogates(value: str) -> None:
    """Text PostgreSQL can store: DRF already refuses NUL characters, this refuses halves of
    surrogate pairs (which no UTF-8 encoding can hold)."""
    if re.search("[\ud800-\udfff]", value):
        raise serializers.ValidationError("Text may not hold unpaired surrogates.")


class EventSerializer(serializers.Serializer):
    """One event from an external system. Refer to the account by Cairn id or CRM id."""

    event_id = serializers.CharField(
        max_length=128,
        validators=[_no_surrogates],
        help_text="Your system's unique id for the event; makes retries safe.",
    )
    kind = serializers.CharField(max_length=64)
    occurred_at = serializers.DateTimeField(help_text="ISO 8601 with a time zone, e.g. 2026-05-01T09:30:00Z.")
    account = serializers.IntegerField(required=False, min_value=1, help_text="Cairn account id.")
    account_external_id = serializers.CharField(
        required=False, max_length=100, help_text="The account's CRM id."
    )
    user_email = serializers.EmailField(required=False, help_text="The person, if the event is a person's.")
    value = serializers.FloatField(required=False, allow_null=True)
    subject_type = serializers.CharField(
        required=False, max_length=64, allow_blank=True, validators=[_no_surrogates]
    )
    subject_id = serializers.CharField(
        required=False, max_length=64, allow_blank=True, validators=[_no_surrogates]
    )
    properties = serializers.DictField(required=False)

    def validate_kind(self, value):
        kind = kinds.get(value)
        if kind is None or not kind.external:
            allowed = ", ".join(k.name for k in kinds.external_kinds())
            raise serializers.ValidationError(f"Unknown kind {value!r}. Integrations may send: {allowed}.")
        return value

    def validate_occurred_at(self, value):
        if value > timezone.now() + timedelta(minutes=5):
            raise serializers.ValidationError("occurred_at lies in the future.")
        return value

    def validate_value(self, value):
        if value is not None and not math.isfinite(value):
            raise serializers.ValidationError("value must be a finite number.")
        return value

    def validate_properties(self, value):
        if len(value) > MAX_PROPERTIES_KEYS:
            raise serializers.ValidationError(f"At most {MAX_PROPERTIES_KEYS} properties.")
        if not storable(value):
            raise serializers.ValidationError(
                "properties may not hold NUL characters, unpaired surrogates or infinite numbers."
            )
        return value

    def validate(self, data):
        accounts = self.context["accounts"]
        users = self.context["users"]
        account = None
        if "account" in data:
            account = accounts["by_id"].get(data["account"])
            if account is None:
                raise serializers.ValidationError({"account": "No such account."})
        if "account_external_id" in data:
            by_ext = accounts["by_external_id"].get(data["account_external_id"])
            if by_ext is None:
                raise serializers.ValidationError({"account_external_id": "No account has this CRM id."})
            if account is not None and account != by_ext:
                raise serializers.ValidationError({"account": "account and account_external_id disagree."})
            account = by_ext
        user = None
        if "user_email" in data:
            user = users.get(data["user_email"].lower())
            if user is None:
                raise serializers.ValidationError({"user_email": "No person with this e-mail."})
            if account is None:
                account = user[1]
            elif user[1] is not None and user[1] != account:
                raise serializers.ValidationError({"user_email": "This person belongs to another account."})
        if account is None:
            raise serializers.ValidationError(
                {"account": "Give account, account_external_id or the e-mail of a customer's user."}
            )
        data["account_id"] = account
        data["user_id"] = user[0] if user else None
        return data


class BatchSerializer(serializers.Serializer):
    events = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=MAX_BATCH)


class RejectedEventSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    event_id = serializers.CharField(allow_null=True)
    errors = serializers.DictField()


class IngestionReportSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Events stored now.")
    duplicates = serializers.IntegerField(
        help_text="Events already stored before (retries), not stored again."
    )
    rejected = RejectedEventSerializer(many=True)


# The fast path of ingestion. EventSerializer and BatchSerializer define the rules, the messages
# and the OpenAPI schema, but running them costs ~150 µs an event (each serializer deep-copies its
# ten fields), most of the cost of a batch. FastEventCleaner applies the same rules in plain Python
# to the well-formed events that make up nearly all traffic and gives up (returns None) on
# anything else: any error, and valid input the serializer would convert (" evt-1 ", an account
# id sent as "42", a naive datetime). The caller then runs EventSerializer, for its exact result
# and messages. So the two paths cannot disagree; tests/interactions/test_ingest_validation.py
# checks this on a wide set of events.

_NUL_OR_SURROGATE = re.compile("[\x00\ud800-\udfff]")
_FLOAT_EXACT = 2**53
_email_validator = EmailValidator()


@functools.lru_cache(maxsize=16384)
def _valid_email(value: str) -> bool:
    """EmailField's checks; cached, as integrations name the same people again and again."""
    if not _plain_text(value, 320):
        return False
    try:
        _email_validator(value)
    except DjangoValidationError:
        return False
    return True


def is_batch(data) -> bool:
    """True if BatchSerializer would accept `data` unchanged (an "events" list of 1..MAX_BATCH dicts)."""
    if type(data) is not dict:
        return False
    events = data.get("events")
    return (
        type(events) is list
        and 1 <= len(events) <= MAX_BATCH
        and all(type(event) is dict for event in events)
    )


def _plain_text(value, max_length: int, *, blank: bool = False) -> bool:
    """True if a CharField(max_length, allow_blank=blank) returns `value` itself without error."""
    return (
        type(value) is str
        and (blank or value != "")
        and len(value) <= max_length
        and value == value.strip()
        and _NUL_OR_SURROGATE.search(value) is None
    )


def storable(value, depth: int = 0) -> bool:
    """Whether PostgreSQL can store this JSON value: no NUL character or unpaired surrogate in any
    string or key, no infinite or NaN number, nested at most 32 deep. One such event must be
    refused alone rather than fail its whole batch."""
    if depth > 32:
        return False
    if type(value) is str:
        return _NUL_OR_SURROGATE.search(value) is None
    if type(value) is float:
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(storable(k, depth + 1) and storable(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(storable(v, depth + 1) for v in value)
    return True


class FastEventCleaner:
    """`clean(event)` for one batch: EventSerializer's validated data, or None to defer to it."""

    def __init__(self, *, accounts: dict, users: dict):
        self.accounts_by_id = accounts["by_id"]
        self.accounts_by_external_id = accounts["by_external_id"]
        self.users = users
        self.external_kinds = frozenset(k.name for k in kinds.external_kinds())
        self.tz = timezone.get_current_timezone()
        self.latest = timezone.now() + timedelta(minutes=5)

    def _occurred_at(self, value) -> datetime | None:
        if type(value) is not str:
            return None
        try:
            parsed = parse_datetime(value)
            if parsed is None or parsed.tzinfo is None or parsed.utcoffset() is None:
                return None  # naive: the serializer decides (it assumes the current time zone)
            parsed = parsed.astimezone(self.tz)
        except (ValueError, TypeError, OverflowError):
            return None
        return None if parsed > self.latest else parsed

    def clean(self, event: dict) -> dict | None:
        event_id = event.get("event_id")
        if not _plain_text(event_id, 128):
            return None
        kind = event.get("kind")
        if type(kind) is not str or kind not in self.external_kinds:
            return None
        occurred_at = self._occurred_at(event.get("occurred_at"))
        if occurred_at is None:
            return None
        data = {"event_id": event_id, "kind": kind, "occurred_at": occurred_at}
        account = None
        if "account" in event:
            pk = event["account"]
            if type(pk) is not int or pk < 1:
                return None
            account = self.accounts_by_id.get(pk)
            if account is None:
                return None
            data["account"] = pk
        if "account_external_id" in event:
            external_id = event["account_external_id"]
            if not _plain_text(external_id, 100):
                return None
            by_external_id = self.accounts_by_external_id.get(external_id)
            if by_external_id is None or (account is not None and account != by_external_id):
                return None
            account = by_external_id
            data["account_external_id"] = external_id
        user = None
        if "user_email" in event:
            email = event["user_email"]
            if type(email) is not str or not _valid_email(email):
                return None
            user = self.users.get(email.lower())
            if user is None:
                return None
            if account is None:
                account = user[1]
            elif user[1] is not None and user[1] != account:
                return None
            data["user_email"] = email
        if account is None:
            return None
        if "value" in event:
            value = event["value"]
            if type(value) is float:
                if not math.isfinite(value):
                    return None
            elif type(value) is int:
                if not -_FLOAT_EXACT <= value <= _FLOAT_EXACT:
                    return None
                value = float(value)
            elif value is not None:
                return None
            data["value"] = value
        for name in ("subject_type", "subject_id"):
            if name in event:
                text = event[name]
                if not _plain_text(text, 64, blank=True):
                    return None
                data[name] = text
        if "properties" in event:
            properties = event["properties"]
            if (
                type(properties) is not dict
                or len(properties) > MAX_PROPERTIES_KEYS
                or not storable(properties)
            ):
                return None
            data["properties"] = properties
        data["account_id"] = account
        data["user_id"] = user[0] if user else None
        return data
