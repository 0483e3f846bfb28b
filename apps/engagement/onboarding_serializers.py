"""Serializers of the onboarding momentum API (read only)."""

from rest_framework import serializers

from apps.engagement.models import Milestone


class OnboardingModelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    since = serializers.DateTimeField(help_text="When the account started following it.")


class OnboardingAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    segment = serializers.CharField()
    touch_model = serializers.CharField()
    contract_start = serializers.DateField(allow_null=True)


class OnboardingMilestoneSerializer(serializers.Serializer):
    milestone = serializers.ChoiceField(choices=Milestone.choices)
    label = serializers.CharField()
    reached_at = serializers.DateTimeField(allow_null=True, help_text="Null: not reached yet.")
    days_since_previous = serializers.IntegerField(
        allow_null=True,
        help_text="Days since the previous milestone (the contract start for the first); null when "
        "this one or the previous one is not reached.",
    )
    expected_by = serializers.DateField(
        allow_null=True, help_text="When the account's model expects it (from its moments), if it says."
    )
    overdue = serializers.BooleanField(
        help_text="Its window passed, it was escalated and it is still not reached."
    )
    late = serializers.BooleanField(help_text="It was escalated, then reached.")


class OnboardingSerializer(serializers.Serializer):
    account = OnboardingAccountSerializer()
    model = OnboardingModelSerializer(allow_null=True, help_text="The engagement model followed; null: none.")
    milestones = OnboardingMilestoneSerializer(
        many=True, help_text="The five onboarding milestones, in order."
    )
