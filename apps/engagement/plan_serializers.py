"""REST shapes of a success plan and its objectives' progress (from plan_selectors.PlanProgress)."""

from __future__ import annotations

from rest_framework import serializers

from apps.core.numbers import round_half_away
from apps.engagement.models import Metric
from apps.engagement.progress import STATE_LABELS


class _OneDecimal(serializers.FloatField):
    """A percentage rounded once, at output, to one decimal (halves away from zero)."""

    def to_representation(self, value):
        return round_half_away(value, 1)


class PlanAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ObjectiveProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="objective.pk")
    title = serializers.CharField(source="objective.title")
    metric = serializers.ChoiceField(choices=Metric.choices, source="objective.metric")
    metric_label = serializers.CharField(source="objective.get_metric_display")
    target = serializers.FloatField(source="objective.target")
    due_on = serializers.DateField(source="objective.due_on", allow_null=True)
    current = serializers.FloatField(
        allow_null=True, help_text="The current value; null when there is no data yet."
    )
    as_of = serializers.DateField(allow_null=True, help_text="The day the current value was true of.")
    computed = serializers.BooleanField(
        help_text="True when computed from Cairn's data, false when entered by hand."
    )
    progress = _OneDecimal(
        allow_null=True, help_text="% of the way from the metric's floor to the target, 0 to 100."
    )
    achieved = serializers.BooleanField(allow_null=True, help_text="Current value at or above the target.")
    state = serializers.ChoiceField(choices=list(STATE_LABELS.items()))


class SuccessPlanSerializer(serializers.Serializer):
    account = PlanAccountSerializer(source="plan.account")
    agreed_on = serializers.DateField(source="plan.agreed_on")
    summary = serializers.CharField(source="plan.summary")
    objectives_total = serializers.IntegerField(source="total")
    objectives_achieved = serializers.IntegerField(source="achieved")
    realisation = _OneDecimal(
        allow_null=True, help_text="% of the objectives achieved; null when the plan has none."
    )
    average_progress = _OneDecimal(
        allow_null=True, help_text="Mean progress of the objectives that have a current value."
    )
    at_risk = serializers.IntegerField()
    overdue = serializers.IntegerField()
    objectives = ObjectiveProgressSerializer(many=True)
