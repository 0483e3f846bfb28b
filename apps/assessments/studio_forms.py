"""Forms of the assessments Studio: the question bank, assessments, certifications and incentives."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator
from django.forms import BaseInlineFormSet, inlineformset_factory

from apps.assessments.models import (
    Assessment,
    AssessmentKind,
    Badge,
    BadgeMetric,
    Certification,
    Option,
    PointRule,
    Question,
    QuestionKind,
)
from apps.interactions import kinds as interaction_kinds
from apps.learning.models import LearningPath, Skill, Status
from apps.learning.studio_forms import markdown_field

MAX_OPTIONS = 12
# Generous ceilings, so that dates computed from them stay within the calendar (year 9999).
MAX_COOLDOWN_HOURS = 87_600  # ten years
MAX_TIME_LIMIT_MINUTES = 525_600  # a year
MAX_VALIDITY_DAYS = 36_500  # a hundred years


def _cap(field: forms.IntegerField, limit: int) -> None:
    field.max_value = limit
    field.validators.append(MaxValueValidator(limit))
    field.widget.attrs["max"] = limit


def _markdown(label: str, *, rows: int, required: bool, help_text: str = "") -> forms.CharField:
    field = markdown_field(label, help_text=help_text, required=required)
    field.widget.attrs["rows"] = rows
    return field


class PathChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.title if obj.is_published else f"{obj.title} (draft)"


class AssessmentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.title if obj.is_published else f"{obj.title} (draft)"


def earning_kind_choices(current: str = "") -> list[tuple[str, str]]:
    """Interaction kinds people can earn points or badges for: every registered kind except the
    incentives' own (points for earning points would never end). A stored kind that is no longer
    registered stays choosable, so editing an old rule does not silently change it."""
    choices = [
        (kind.name, f"{kind.label} ({kind.name})")
        for kind in interaction_kinds.all_kinds()
        if not kind.name.startswith("incentives.")
    ]
    if current and current not in dict(choices):
        choices.append((current, f"{current} (no longer recorded)"))
    return choices


def plain_number(value: Decimal) -> str:
    """42.000000 -> '42', 0.250000 -> '0.25' (never in exponent notation)."""
    return f"{Decimal(value).normalize():f}"


# --- Questions ---------------------------------------------------------------------------------


class QuestionForm(forms.ModelForm):
    text = _markdown("Question", rows=5, required=True)
    explanation = _markdown(
        "Explanation",
        rows=4,
        required=False,
        help_text="Shown with the results: why the right answer is right. Markdown.",
    )
    skills = forms.ModelMultipleChoiceField(
        queryset=Skill.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The skills this question measures; its score counts toward their proficiency.",
    )

    class Meta:
        model = Question
        fields = [
            "text",
            "kind",
            "skills",
            "points",
            "partial_credit",
            "numeric_answer",
            "numeric_tolerance",
            "explanation",
        ]
        labels = {
            "kind": "Type",
            "partial_credit": "Partial credit",
            "numeric_answer": "Right answer",
            "numeric_tolerance": "Tolerance",
        }
        help_texts = {
            "numeric_answer": "Numeric questions only.",
            "numeric_tolerance": "Numeric questions only: an answer within ± this of the right one counts.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["numeric_tolerance"].required = False  # blank means exact
        # Show 42 and 0.5, not the stored 42.000000 and 0.500000.
        for name in ("numeric_answer", "numeric_tolerance"):
            value = self.initial.get(name)
            if value is not None:
                self.initial[name] = plain_number(value)

    def clean_numeric_tolerance(self):
        tolerance = self.cleaned_data.get("numeric_tolerance")
        if tolerance is not None and tolerance < 0:
            raise forms.ValidationError("The tolerance cannot be negative; use 0 for an exact answer.")
        return tolerance if tolerance is not None else 0

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == QuestionKind.NUMERIC:
            if data.get("numeric_answer") is None and "numeric_answer" not in self.errors:
                self.add_error("numeric_answer", "A numeric question needs its right answer.")
        elif kind:
            # The answer and tolerance of a choice question would only confuse a later reader.
            data["numeric_answer"] = None
            data["numeric_tolerance"] = 0
        return data


class OptionForm(forms.ModelForm):
    position = forms.IntegerField(
        min_value=0, max_value=1000, required=False, label="Order", widget=forms.NumberInput()
    )

    class Meta:
        model = Option
        fields = ["text", "is_correct", "position"]
        labels = {"text": "Option", "is_correct": "Correct"}


class BaseOptionFormSet(BaseInlineFormSet):
    """The options of a question, checked against the question's type (set as `kind` once the
    question form is valid): choice questions need options and the right number of correct ones,
    numeric questions none."""

    kind: str | None = None

    def __init__(self, *args, **kwargs):
        instance = kwargs.get("instance")
        existing = instance.options.count() if instance is not None and instance.pk else 0
        # Extra rows are numbered after the existing options, so an untouched row stays unchanged.
        kwargs.setdefault("initial", [{"position": existing + n} for n in range(self.extra)])
        super().__init__(*args, **kwargs)

    def kept(self) -> list[dict]:
        """The cleaned options that will exist after saving (filled in and not ticked for deletion)."""
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("text")
        ]

    def clean(self):
        super().clean()
        if any(self.errors) or not self.kind:
            return
        options = self.kept()
        correct = sum(1 for option in options if option.get("is_correct"))
        if self.kind == QuestionKind.NUMERIC:
            if options:
                raise forms.ValidationError(
                    "A numeric question has no options: tick Delete on each option, or change the type."
                )
        elif self.kind == QuestionKind.TRUE_FALSE:
            if len(options) != 2:
                raise forms.ValidationError(
                    "A true-or-false question needs exactly two options (such as True and False)."
                )
            if correct != 1:
                raise forms.ValidationError("A true-or-false question needs exactly one correct option.")
        elif self.kind == QuestionKind.SINGLE:
            if len(options) < 2:
                raise forms.ValidationError("A single-choice question needs at least two options.")
            if correct != 1:
                raise forms.ValidationError("A single-choice question needs exactly one correct option.")
        elif self.kind == QuestionKind.MULTIPLE:
            if len(options) < 2:
                raise forms.ValidationError("A multiple-choice question needs at least two options.")
            if correct < 1:
                raise forms.ValidationError("A multiple-choice question needs at least one correct option.")

    def save_options(self) -> None:
        """Write the options, inside the caller's transaction. A blank order puts an option last."""
        changed = self.save(commit=False)
        for option in self.deleted_objects:
            option.delete()
        last = max((o.get("position") or 0 for o in self.kept()), default=-1)
        for option in changed:
            if option.position is None:
                last += 1
                option.position = last
            option.save()


OptionFormSet = inlineformset_factory(
    Question,
    Option,
    form=OptionForm,
    formset=BaseOptionFormSet,
    extra=2,
    can_delete=True,
    max_num=MAX_OPTIONS,
    validate_max=True,
)


# --- Assessments -------------------------------------------------------------------------------


class AssessmentForm(forms.ModelForm):
    description = _markdown(
        "Description",
        rows=6,
        required=False,
        help_text="Markdown: what it checks and how long it takes. Shown before learners start.",
    )
    placement_paths = PathChoiceField(
        queryset=LearningPath.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Paths to suggest",
        help_text="Placement tests only: the score's level (beginner, intermediate, advanced) picks "
        "the path of that level.",
    )

    class Meta:
        model = Assessment
        fields = [
            "title",
            "kind",
            "description",
            "pass_mark",
            "attempt_limit",
            "cooldown_hours",
            "time_limit_minutes",
            "shuffle_questions",
            "shuffle_options",
            "placement_paths",
        ]
        labels = {
            "kind": "Type",
            "pass_mark": "Pass mark (%)",
            "attempt_limit": "Attempts allowed",
            "cooldown_hours": "Wait between attempts (hours)",
            "time_limit_minutes": "Time limit (minutes)",
            "shuffle_questions": "Shuffle the questions for each attempt",
            "shuffle_options": "Shuffle the options of each question",
        }
        error_messages = {
            "pass_mark": {
                "min_value": "The pass mark is a percentage from 1 to 100.",
                "max_value": "The pass mark is a percentage from 1 to 100.",
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["placement_paths"].queryset = LearningPath.objects.order_by("title")
        _cap(self.fields["cooldown_hours"], MAX_COOLDOWN_HOURS)
        _cap(self.fields["time_limit_minutes"], MAX_TIME_LIMIT_MINUTES)

    def clean(self):
        data = super().clean()
        if data.get("placement_paths") and data.get("kind") not in (None, AssessmentKind.PLACEMENT):
            self.add_error(
                "placement_paths",
                "Only a placement test suggests paths: clear these, or make it a placement test.",
            )
        return data


class BankSearchForm(forms.Form):
    """Which questions of the bank to show: by text, skill and type. Invalid values are ignored."""

    q = forms.CharField(required=False, max_length=100, label="Search")
    skill = forms.ModelChoiceField(queryset=Skill.objects.all(), required=False, empty_label="Any skill")
    kind = forms.ChoiceField(choices=[("", "Any type"), *QuestionKind.choices], required=False, label="Type")

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}


class QuestionsAddForm(forms.Form):
    questions = forms.ModelMultipleChoiceField(
        queryset=Question.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick the questions to add."},
    )

    def __init__(self, *args, assessment: Assessment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["questions"].queryset = Question.objects.exclude(
            pk__in=assessment.items.values("question")
        )


# --- Certifications ----------------------------------------------------------------------------


class CertificationForm(forms.ModelForm):
    description = _markdown("Description", rows=6, required=True, help_text="Markdown: what a holder can do.")
    criteria = _markdown(
        "Criteria",
        rows=4,
        required=True,
        help_text="Markdown: how it is earned. Shown on the badge's criteria page.",
    )
    required_assessments = AssessmentChoiceField(
        queryset=Assessment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Assessments to pass",
    )
    required_paths = PathChoiceField(
        queryset=LearningPath.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Paths to complete",
    )
    recertification_path = forms.ModelChoiceField(
        queryset=LearningPath.objects.none(),
        required=False,
        label="Recertification path",
        empty_label="None",
        help_text="The path holders follow to renew it.",
    )

    class Meta:
        model = Certification
        fields = [
            "title",
            "description",
            "criteria",
            "required_assessments",
            "required_paths",
            "validity_days",
            "reminder_days",
            "recertification_path",
        ]
        labels = {"validity_days": "Valid for (days)", "reminder_days": "Remind holders (days before expiry)"}
        error_messages = {"validity_days": {"min_value": "A certification is valid for at least one day."}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        paths = LearningPath.objects.order_by("title")
        self.fields["required_assessments"].queryset = Assessment.objects.order_by("title")
        self.fields["required_paths"].queryset = paths
        self.fields["recertification_path"].queryset = paths
        _cap(self.fields["validity_days"], MAX_VALIDITY_DAYS)

    def clean(self):
        data = super().clean()
        validity, reminder = data.get("validity_days"), data.get("reminder_days")
        if validity and reminder is not None and reminder >= validity:
            self.add_error(
                "reminder_days", "The reminder goes out before expiry: choose fewer days than it is valid."
            )
        no_requirement = not data.get("required_assessments") and not data.get("required_paths")
        required_fields_ok = not ({"required_assessments", "required_paths"} & set(self.errors))
        published = self.instance.pk and self.instance.status == Status.PUBLISHED
        if published and no_requirement and required_fields_ok:
            raise forms.ValidationError(
                "A published certification needs at least one assessment or path; unpublish it first."
            )
        if published and required_fields_ok:
            chosen = [*data.get("required_assessments", []), *data.get("required_paths", [])]
            drafts = [obj.title for obj in chosen if not obj.is_published]
            if drafts:
                raise forms.ValidationError(
                    "Nobody could earn it while a requirement is a draft. Publish these first: "
                    + ", ".join(drafts)
                    + "."
                )
        return data


# --- Incentives ---------------------------------------------------------------------------------


class PointRuleForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label="For",
        help_text="What a person does to earn the points.",
        error_messages={"unique": "There is already a rule for this; edit that rule instead."},
    )

    class Meta:
        model = PointRule
        fields = ["kind", "points", "description", "active"]
        labels = {"active": "Active: new interactions earn these points"}
        help_texts = {"description": "Shown to learners, e.g. “Complete a learning path”."}
        error_messages = {
            "points": {
                "min_value": "Give at least 1 point.",
                "max_value": "Give at most 10,000 points.",
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            ("", "Choose an interaction…"),
            *earning_kind_choices(self.instance.kind),
        ]


class BadgeForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label="Interaction counted",
        required=False,
        help_text="For “number of interactions of a kind”: which interactions count.",
    )

    class Meta:
        model = Badge
        fields = ["name", "description", "metric", "kind", "threshold", "active"]
        labels = {"metric": "Earned for", "threshold": "Threshold", "active": "Active: people can earn it"}
        help_texts = {"threshold": "Points to reach, or how many interactions of the kind."}
        error_messages = {
            "name": {"unique": "Another badge has this name; choose another."},
            "threshold": {"min_value": "The threshold is at least 1."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "None"), *earning_kind_choices(self.instance.kind)]

    def clean(self):
        data = super().clean()
        metric = data.get("metric")
        if metric == BadgeMetric.KIND_COUNT and not data.get("kind") and "kind" not in self.errors:
            self.add_error("kind", "Choose which interactions count toward this badge.")
        elif metric == BadgeMetric.POINTS:
            data["kind"] = ""
        return data


class RevokeForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Reason",
        help_text="The holder and anyone verifying the certificate see it.",
        error_messages={"required": "Say why the certification is revoked."},
    )
