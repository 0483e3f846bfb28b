"""Forms of the success plan pages: the plan itself, an objective, and the current value of an
objective entered by hand."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from apps.engagement.models import Metric
from apps.engagement.progress import PERCENT_METRICS, TARGET_RANGES

MANUAL_VALUE_LIMIT = 1_000_000_000


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _number_input():
    # "any": targets such as 12.5 % are fine; the server checks the range per metric.
    return forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"})


def plain_number(value: float | None) -> float | int | None:
    """12.0 as 12 in a form field; other values as they are."""
    return int(value) if value is not None and float(value).is_integer() else value


def target_range_error(metric: str) -> str:
    low, high = TARGET_RANGES[metric]
    if metric in PERCENT_METRICS:
        return f"A percentage target is {low:g} to {high:g}."
    if metric == Metric.NPS:
        return f"An NPS target is {low:g} to {high:g}."
    if metric == Metric.HEALTH:
        return f"A health score target is {low:g} to {high:g}."
    return f"A target entered by hand is {low:g} to {high:,.0f}."


class SuccessPlanForm(forms.Form):
    agreed_on = forms.DateField(
        label="Agreed on",
        widget=_date_input(),
        help_text="The day the customer agreed these objectives.",
        error_messages={"required": "Enter the day the plan was agreed.", "invalid": "Enter a valid date."},
    )
    summary = forms.CharField(
        label="Summary",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the customer wants to achieve, in a sentence or two.",
    )

    def __init__(self, *args, plan=None, **kwargs):
        if plan is not None:
            kwargs.setdefault("initial", {"agreed_on": plan.agreed_on, "summary": plan.summary})
        else:
            kwargs.setdefault("initial", {"agreed_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ObjectiveForm(forms.Form):
    title = forms.CharField(
        label="Objective",
        max_length=200,
        help_text="In the customer's words, e.g. “80% of seats certified by Q3”.",
        error_messages={"required": "Give the objective a title."},
    )
    metric = forms.ChoiceField(
        label="Measured by",
        choices=Metric.choices,
        help_text="Every measure except “Entered by hand” is computed from Cairn's own data "
        "(the account's latest health snapshot). Higher is better for all of them.",
    )
    target = forms.FloatField(
        label="Target",
        widget=_number_input(),
        help_text="Reached when the current value is at or above it: 0 to 100 for percentages and the "
        "health score, -100 to 100 for an NPS.",
        error_messages={"required": "Enter a target.", "invalid": "Enter the target as a number."},
    )
    due_on = forms.DateField(
        label="Due on",
        required=False,
        widget=_date_input(),
        error_messages={"invalid": "Enter a valid date."},
    )
    manual_value = forms.FloatField(
        label="Current value",
        required=False,
        min_value=-MANUAL_VALUE_LIMIT,
        max_value=MANUAL_VALUE_LIMIT,
        widget=_number_input(),
        help_text="Only for objectives entered by hand; computed measures ignore it.",
        error_messages={"invalid": "Enter the current value as a number."},
    )

    def __init__(self, *args, objective=None, **kwargs):
        if objective is not None:
            kwargs.setdefault(
                "initial",
                {
                    "title": objective.title,
                    "metric": objective.metric,
                    "target": plain_number(objective.target),
                    "due_on": objective.due_on,
                    "manual_value": plain_number(objective.manual_value),
                },
            )
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        metric, target = data.get("metric"), data.get("target")
        if metric and target is not None:
            low, high = TARGET_RANGES[metric]
            if not low <= target <= high:
                self.add_error("target", target_range_error(metric))
        if metric and metric != Metric.MANUAL:
            data["manual_value"] = None
        return data


class ObjectiveValueForm(forms.Form):
    """The current value of an objective entered by hand."""

    value = forms.FloatField(
        label="Current value",
        min_value=-MANUAL_VALUE_LIMIT,
        max_value=MANUAL_VALUE_LIMIT,
        widget=_number_input(),
        error_messages={
            "required": "Enter the current value.",
            "invalid": "Enter the current value as a number.",
        },
    )
