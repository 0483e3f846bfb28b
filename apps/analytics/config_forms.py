"""Forms of the health score settings: the version-wide settings and a formset of engagement rules.

The forms check each value on its own (types, ranges, registered kinds); the rules that tie values
together (bands in order, at least one rule and one weighted component, engaged N within the
number of rules) live in `services.health_config_save`, whose message the view shows as-is.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import RegexValidator
from django.utils.text import slugify

from apps.analytics.models import COMPONENT_LABELS, COMPONENTS, HealthConfig
from apps.analytics.services import MAX_RULES
from apps.interactions import kinds as registry


def _category_label(category: str) -> str:
    return category.replace("_", " ").capitalize()


def kind_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Registered interaction kinds grouped by category (evaluated when a form is built, after
    every app has registered its kinds)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for kind in registry.all_kinds():
        groups.setdefault(kind.category, []).append((kind.name, kind.label))
    return [
        (_category_label(category), sorted(options, key=lambda option: option[1]))
        for category, options in sorted(groups.items())
    ]


def kind_groups(field) -> list[tuple[str, list]]:
    """A kinds field's checkboxes grouped by category, for the template."""
    choices = kind_choices()
    groups: dict[str, list] = {group: [] for group, _ in choices}
    category = {value: group for group, options in choices for value, _ in options}
    for checkbox in field:
        groups[category[checkbox.data["value"]]].append(checkbox)
    return list(groups.items())


def kind_labels(field) -> list[str]:
    """Labels of the ticked kinds (from the submitted data when the form is bound)."""
    return [checkbox.choice_label for checkbox in field if checkbox.data["selected"]]


def number(value: float | Decimal) -> int | float:
    """1.0 -> 1 so a whole weight shows as "1", not "1.0"."""
    return int(value) if float(value).is_integer() else float(value)


class RuleForm(forms.Form):
    """One engagement rule. `key` names the rule in stored snapshots, so it is kept across versions;
    a new rule gets one made from its label."""

    key = forms.CharField(
        required=False,
        max_length=40,
        widget=forms.HiddenInput,
        validators=[RegexValidator(r"^[a-z0-9_]+$", "A rule key is lower-case letters, digits and _.")],
    )
    label = forms.CharField(max_length=120, help_text="What the rule checks, in words a customer would use.")
    kinds = forms.MultipleChoiceField(
        choices=kind_choices,
        widget=forms.CheckboxSelectMultiple,
        label="Counts when anyone at the account did any of",
        error_messages={"required": "Choose at least one kind of interaction."},
    )
    window_days = forms.IntegerField(label="Window (days)", min_value=1, max_value=730)
    weight = forms.DecimalField(min_value=0, max_value=100, max_digits=5, decimal_places=2)
    fix = forms.CharField(
        label="Fix hint",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown to the CS manager when the rule fails: what to do about it.",
    )

    def kind_groups(self):
        return kind_groups(self["kinds"])

    def kind_labels(self):
        return kind_labels(self["kinds"])


class BaseRuleFormSet(forms.BaseFormSet):
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_many_forms": "Keep to at most %(num)d engagement rules: remove some, then save again. "
        "Nothing was saved.",
    }

    def rules(self) -> list[dict]:
        """The kept rules in order, as `health_config_save` takes them, with a unique key each."""
        # An untouched extra form has no cleaned data; a ticked DELETE drops the rule.
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        taken = {data["key"] for data in kept if data.get("key")}
        rules = []
        for data in kept:
            key = data.get("key")
            if not key:
                key = _new_key(data["label"], taken)
                taken.add(key)
            rules.append(
                {
                    "key": key,
                    "label": data["label"],
                    "kinds": data["kinds"],
                    "window_days": data["window_days"],
                    "weight": float(data["weight"]),
                    "fix": data["fix"],
                }
            )
        return rules


def _new_key(label: str, taken: set[str]) -> str:
    base = slugify(label).replace("-", "_")[:32].strip("_") or "rule"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


# validate_max: more than MAX_RULES kept rules is a formset error (the rules the service refuses
# anyway, but checked before it runs); a tampered TOTAL_FORMS builds at most absolute_max forms.
# No validate_min: "Keep at least one engagement rule." comes from the service, with its wording.
RuleFormSet = forms.formset_factory(
    RuleForm,
    formset=BaseRuleFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_RULES,
    validate_max=True,
    absolute_max=MAX_RULES + 10,
)


def rule_initial(config: HealthConfig) -> list[dict]:
    return [
        {
            "key": rule["key"],
            "label": rule["label"],
            "kinds": rule["kinds"],
            "window_days": rule["window_days"],
            "weight": number(rule["weight"]),
            "fix": rule.get("fix", ""),
        }
        for rule in config.rules
    ]


class HealthConfigForm(forms.Form):
    """Everything of a version except its rules."""

    red_below = forms.IntegerField(
        label="Red below", min_value=0, max_value=100, help_text="Scores under this are red."
    )
    green_from = forms.IntegerField(
        label="Green from",
        min_value=0,
        max_value=100,
        help_text="Scores from this up are green; amber in between.",
    )
    engaged_min_rules = forms.IntegerField(
        label="Engaged when an account meets at least",
        required=False,
        min_value=1,
        help_text="How many rules; leave empty to require all of them.",
    )
    drop_percent = forms.DecimalField(
        label="Flag a content engagement drop beyond (%)",
        min_value=0,
        max_value=Decimal("99.9"),
        max_digits=3,
        decimal_places=1,
        help_text="Content views in the last 30 days fell by more than this share of the 30 days before.",
    )
    core_kinds = forms.MultipleChoiceField(
        label="Core actions",
        choices=kind_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The product's core actions: a user who does enough different ones is an advanced user.",
        error_messages={"required": "Choose at least one core action."},
    )
    advanced_min_features = forms.IntegerField(
        label="Advanced user: distinct core actions in 30 days",
        min_value=1,
        max_value=50,
    )
    support_ticket_penalty = forms.IntegerField(
        label="Points off per ticket opened",
        min_value=0,
        max_value=100,
        help_text="Support score: 100 minus these, for tickets opened in the last 30 days.",
    )
    support_urgent_penalty = forms.IntegerField(
        label="Extra points off per urgent ticket", min_value=0, max_value=100
    )
    note = forms.CharField(
        label="What changed and why",
        max_length=200,
        help_text="Kept with the version, so anyone reading an old score knows why the rules moved.",
        error_messages={"required": "Say what changed and why."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in COMPONENTS:
            self.fields[f"weight_{name}"] = forms.DecimalField(
                label=COMPONENT_LABELS[name], min_value=0, max_value=100, max_digits=5, decimal_places=2
            )

    def core_kind_groups(self):
        return kind_groups(self["core_kinds"])

    def core_kind_labels(self):
        return kind_labels(self["core_kinds"])

    def weight_fields(self):
        return [self[f"weight_{name}"] for name in COMPONENTS]

    @staticmethod
    def initial_from(config: HealthConfig) -> dict:
        return {
            "red_below": config.red_below,
            "green_from": config.green_from,
            "engaged_min_rules": config.engaged_min_rules,
            "drop_percent": number(round(Decimal(str(config.drop_threshold)) * 100, 1)),
            "support_ticket_penalty": config.support_ticket_penalty,
            "support_urgent_penalty": config.support_urgent_penalty,
            "core_kinds": config.core_kinds,
            "advanced_min_features": config.advanced_min_features,
            **{f"weight_{name}": number(config.weights.get(name, 0)) for name in COMPONENTS},
        }

    def save_kwargs(self) -> dict:
        """The form's values as `health_config_save` keyword arguments (without rules)."""
        data = self.cleaned_data
        return {
            "weights": {name: float(data[f"weight_{name}"]) for name in COMPONENTS},
            "red_below": data["red_below"],
            "green_from": data["green_from"],
            "engaged_min_rules": data["engaged_min_rules"],
            "drop_threshold": float(data["drop_percent"] / 100),
            "support_ticket_penalty": data["support_ticket_penalty"],
            "support_urgent_penalty": data["support_urgent_penalty"],
            "core_kinds": data["core_kinds"],
            "advanced_min_features": data["advanced_min_features"],
            "note": data["note"],
        }
