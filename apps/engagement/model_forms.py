"""Forms of the engagement model pages: a model, one of its moments (whose trigger and action
fields must make sense together), and the change of an account's model."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from apps.accounts.models import Segment, TouchModel
from apps.engagement.models import (
    Action,
    EngagementModel,
    EventKind,
    Milestone,
    Moment,
    TriggerType,
)

MESSAGE_ACTIONS = (Action.MESSAGE, Action.BOTH, Action.AUTO)
MAX_DAYS = 3650


class EngagementModelForm(forms.ModelForm):
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

    class Meta:
        model = EngagementModel
        fields = ["name", "description", "segments", "touch_models", "is_active"]
        labels = {"is_active": "Active (new accounts that fit are assigned to it)"}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Give the model a name.")
        return name


class MomentForm(forms.ModelForm):
    """A moment, with its parameters as plain fields (not JSON): how many people make an account
    activated, how many days without a support case, and where the message links to."""

    users = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=1000,
        label="People who must sign in",
        help_text="For the Activated milestone: the account is activated once this many people signed in.",
    )
    days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_DAYS,
        label="Days without a support case",
        help_text="For “No support cases for a while”.",
    )
    url = forms.CharField(
        required=False,
        max_length=300,
        label="Message link",
        help_text="Where the message links to: a page of Cairn (/learning/) or an https:// address.",
    )
    offset_days = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_DAYS,
        label="Days after the contract starts",
        help_text="Contract moments: when it happens. Milestone moments: the window to reach it in.",
    )

    class Meta:
        model = Moment
        fields = [
            "name",
            "phase",
            "owner_role",
            "objective",
            "trigger",
            "recurrence",
            "offset_days",
            "event",
            "milestone",
            "action",
            "audience",
            "message_subject",
            "message_body",
            "task_due_days",
            "position",
            "is_active",
        ]
        labels = {
            "owner_role": "Owner",
            "trigger": "When",
            "recurrence": "How often",
            "event": "Event",
            "milestone": "Milestone",
            "action": "Action",
            "audience": "Message to",
            "message_subject": "Message subject",
            "message_body": "Message",
            "task_due_days": "Task due after (days)",
            "is_active": "Active",
        }
        help_texts = {
            "recurrence": "For calendar moments.",
            "event": "For event moments.",
            "milestone": "Milestone moments: the one to watch. Contract moments: the one its task reaches.",
            "position": "Order within its phase (smaller first).",
        }
        widgets = {
            "objective": forms.TextInput(),
            "message_body": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        params = self.instance.params if isinstance(self.instance.params, dict) else {}
        for name in ("users", "days", "url"):
            if name in params:
                self.initial.setdefault(name, params[name])
        self.fields["task_due_days"].widget.attrs["max"] = 365
        self.fields["position"].required = False
        # Say what an empty choice means instead of a row of dashes.
        for name, empty in [
            ("trigger", "Choose when it happens"),
            ("recurrence", "Not a calendar moment"),
            ("event", "Not an event moment"),
            ("milestone", "None"),
        ]:
            field = self.fields[name]
            field.choices = [("", empty), *[c for c in field.choices if c[0] != ""]]

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        if not url:
            return ""
        if url.startswith("/") and not url.startswith("//"):
            return url
        try:
            URLValidator(schemes=["https"])(url)
        except ValidationError:
            raise ValidationError(
                "Give a page of Cairn starting with / or a full https:// address."
            ) from None
        return url

    def clean_task_due_days(self):
        value = self.cleaned_data["task_due_days"]
        if value is not None and value > 365:
            raise ValidationError("A task is due within a year (365 days at most).")
        return value

    def clean(self):
        data = super().clean()
        trigger = data.get("trigger")
        offset = data.get("offset_days")
        if trigger == TriggerType.CALENDAR:
            if not data.get("recurrence"):
                self.add_error("recurrence", "Say how often a calendar moment recurs.")
        else:
            data["recurrence"] = ""
        if trigger == TriggerType.CONTRACT and offset is None:
            self.add_error("offset_days", "Say how many days after the contract starts (0: the first day).")
        if trigger == TriggerType.EVENT:
            if not data.get("event"):
                self.add_error("event", "Choose the event this moment reacts to.")
            elif data["event"] == EventKind.NO_SUPPORT and not data.get("days"):
                self.add_error("days", "Say after how many days without a support case.")
        else:
            data["event"] = ""
        if trigger == TriggerType.MILESTONE:
            if not data.get("milestone"):
                self.add_error("milestone", "Choose the milestone to watch.")
            elif data["milestone"] == Milestone.ACTIVATED and not data.get("users"):
                self.add_error("users", "Say how many people must sign in (1 to 1000).")
            if not offset:
                self.add_error("offset_days", "Give the window: days after the contract starts, 1 or more.")
        elif trigger in (TriggerType.CALENDAR, TriggerType.EVENT) and data.get("milestone"):
            self.add_error(
                "milestone", "Only a contract moment (its task) or a milestone moment concerns a milestone."
            )
        if trigger not in (TriggerType.CONTRACT, TriggerType.MILESTONE):
            data["offset_days"] = 0
        if data.get("action") in MESSAGE_ACTIONS:
            if not (data.get("message_subject") or "").strip():
                self.add_error("message_subject", "This moment can send a message: give it a subject.")
            if not (data.get("message_body") or "").strip():
                self.add_error("message_body", "This moment can send a message: write it.")
        if data.get("position") is None:
            data["position"] = self.instance.position or 0
        return data

    def params(self) -> dict:
        """The moment's parameters, from the fields that apply to its trigger."""
        data = self.cleaned_data
        params = {}
        if data.get("trigger") == TriggerType.MILESTONE and data.get("milestone") == Milestone.ACTIVATED:
            params["users"] = data["users"]
        if data.get("trigger") == TriggerType.EVENT and data.get("event") == EventKind.NO_SUPPORT:
            params["days"] = data["days"]
        if data.get("url"):
            params["url"] = data["url"]
        return params

    def _post_clean(self):
        super()._post_clean()
        if not self.errors:
            self.instance.params = self.params()


class ModelChangeForm(forms.Form):
    model = forms.ModelChoiceField(
        queryset=EngagementModel.objects.active(),
        label="Follow the model",
        empty_label="Choose a model",
        error_messages={
            "required": "Choose the model this account should follow.",
            "invalid_choice": "That model does not exist or is no longer active.",
        },
    )
