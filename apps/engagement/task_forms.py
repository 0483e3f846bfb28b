"""Forms of the CS manager's task pages: inbox filters, a new task, logging the interaction that
completes a task, and linking a detractor's feedback to ideas."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from apps.accounts.models import Account, AccountStatus
from apps.engagement.models import Channel, Outcome, Priority
from apps.engagement.task_selectors import BUCKETS, GROUPS, STATUSES, WHO, InboxFilters

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class InboxFilterForm(forms.Form):
    """The inbox filters. A bad value in one field is ignored, not an error."""

    who = forms.ChoiceField(label="Whose", choices=list(WHO.items()), required=False)
    status = forms.ChoiceField(label="Status", choices=list(STATUSES.items()), required=False)
    q = forms.CharField(
        label="Account",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name"}),
    )
    priority = forms.ChoiceField(
        label="Priority", choices=[("", "Any priority"), *Priority.choices], required=False
    )
    due = forms.ChoiceField(label="Due", choices=[("", "Any time"), *BUCKETS.items()], required=False)
    group = forms.ChoiceField(label="Group by", choices=list(GROUPS.items()), required=False)

    def filters(self) -> InboxFilters:
        self.is_valid()
        data = {name: value for name, value in getattr(self, "cleaned_data", {}).items() if value}
        if "q" in data:
            data["q"] = data["q"].strip()
        return InboxFilters(**data)


class TaskForm(forms.Form):
    account = forms.ModelChoiceField(
        queryset=Account.objects.filter(status=AccountStatus.ACTIVE).order_by("name"),
        empty_label="Choose an account",
        error_messages={"invalid_choice": "Choose an active account from the list."},
    )
    title = forms.CharField(max_length=200)
    objective = forms.CharField(
        max_length=300, required=False, help_text="What the conversation should achieve."
    )
    due_on = forms.DateField(label="Due", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.NORMAL)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["due_on"].initial = timezone.localdate() + timedelta(days=7)

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("Give the task a title.")
        return title

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if due_on < timezone.localdate() - timedelta(days=365):
            raise forms.ValidationError("A due date more than a year ago is probably a typo.")
        return due_on


class TaskCompleteForm(forms.Form):
    """How the task was done: the one-to-one interaction, when, and how it went."""

    channel = forms.ChoiceField(
        label="How you engaged",
        choices=Channel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how you engaged: call, meeting, QBR or e-mail."},
    )
    occurred_at = forms.DateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        required=False,
        help_text="What you discussed and agreed. Only the CS team sees this.",
    )
    outcome = forms.ChoiceField(
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose an outcome."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean_occurred_at(self):
        occurred_at = self.cleaned_data["occurred_at"]
        if occurred_at > timezone.now() + timedelta(minutes=5):
            raise forms.ValidationError("The interaction cannot be in the future.")
        if occurred_at < timezone.now() - timedelta(days=365):
            raise forms.ValidationError("That is more than a year ago; check the date.")
        return occurred_at


class IdeaSearchForm(forms.Form):
    q = forms.CharField(
        label="Search ideas",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Words from the idea's title"}),
    )


class FeedbackIdeaForm(forms.Form):
    """A new idea from a detractor's feedback."""

    title = forms.CharField(label="Idea title", max_length=160)
    description = forms.CharField(
        label="Description", widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("Give the idea a title.")
        return title
