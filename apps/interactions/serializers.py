import math
from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from apps.interactions import kinds

MAX_BATCH = 1000
MAX_PROPERTIES_KEYS = 50


class EventSerializer(serializers.Serializer):
    """One event from an external system. Refer to the account by Cairn id or CRM id."""

    event_id = serializers.CharField(
        max_length=128, help_text="Your system's unique id for the event; makes retries safe."
    )
    kind = serializers.CharField(max_length=64)
    occurred_at = serializers.DateTimeField(help_text="ISO 8601 with a time zone, e.g. 2026-05-01T09:30:00Z.")
    account = serializers.IntegerField(required=False, min_value=1, help_text="Cairn account id.")
    account_external_id = serializers.CharField(
        required=False, max_length=100, help_text="The account's CRM id."
    )
    user_email = serializers.EmailField(required=False, help_text="The person, if the event is a person's.")
    value = serializers.FloatField(required=False, allow_null=True)
    subject_type = serializers.CharField(required=False, max_length=64, allow_blank=True)
    subject_id = serializers.CharField(required=False, max_length=64, allow_blank=True)
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
