"""Forms of the surveys app: the campaign editor and the respondent's answer."""

from __future__ import annotations

from django import forms

from apps.accounts.models import Account, Segment, TouchModel
from apps.surveys.models import Campaign

SCORE_CHOICES = [(n, str(n)) for n in range(11)]
SCORE_ERROR = "Choose a score from 0 to 10."

AUDIENCE_ROLES = [
    ("learner", "Learners"),
    ("customer_admin", "Customer admins"),
    ("executive_sponsor", "Executive sponsors"),
]


class CampaignForm(forms.ModelForm):
    """The campaign editor. The accounts go to the service separately (they are many-to-many)."""

    segments = forms.MultipleChoiceField(
        choices=Segment.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every segment.",
    )
    touch_models = forms.MultipleChoiceField(
        choices=TouchModel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Touch models",
        help_text="None ticked: every touch model.",
    )
    roles = forms.MultipleChoiceField(
        choices=AUDIENCE_ROLES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: everyone at the customer.",
    )
    accounts = forms.ModelMultipleChoiceField(
        queryset=Account.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="None selected: every account that matches the filters above.",
    )
    schedule = forms.ChoiceField(
        choices=[("once", "Once"), ("repeat", "Repeat")],
        widget=forms.RadioSelect,
        initial="once",
    )
    starts_at = forms.DateTimeField(
        label="Starts at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "question",
            "follow_up_question",
            "ask_reference",
            "segments",
            "touch_models",
            "roles",
            "starts_at",
            "repeat_every_days",
            "throttle_days",
            "response_window_days",
            "reminder_after_days",
        ]
        labels = {
            "follow_up_question": "Follow-up question",
            "ask_reference": "Ask whether they would be a reference",
            "repeat_every_days": "Repeat every (days)",
            "throttle_days": "Throttle (days)",
            "response_window_days": "Answer within (days)",
            "reminder_after_days": "Remind after (days)",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["accounts"] = list(self.instance.accounts.values_list("pk", flat=True))
            self.initial["schedule"] = "repeat" if self.instance.repeat_every_days else "once"

    def clean(self):
        data = super().clean()
        if data.get("schedule") == "repeat":
            if not data.get("repeat_every_days"):
                self.add_error("repeat_every_days", "Say how often the campaign repeats (7 days or more).")
        else:
            data["repeat_every_days"] = None  # a one-off campaign: construct_instance copies this
        return data


class ResponseForm(forms.Form):
    """The 0-10 answer, the reason, and optionally the reference question."""

    score = forms.TypedChoiceField(
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": SCORE_ERROR, "invalid_choice": SCORE_ERROR},
    )
    comment = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    reference_willing = forms.TypedChoiceField(
        choices=[("", "No answer"), ("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        label="Would you be willing to act as a reference for us?",
    )

    def __init__(self, *args, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        if campaign is not None:
            self.fields["comment"].label = campaign.follow_up_question
            if not campaign.ask_reference:
                del self.fields["reference_willing"]


class PromptAnswerForm(forms.Form):
    """The inline prompt: just the score (the full page collects the reason)."""

    score = forms.TypedChoiceField(
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": SCORE_ERROR, "invalid_choice": SCORE_ERROR},
    )
    comment = forms.CharField(required=False, max_length=5000)
