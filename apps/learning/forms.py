from django import forms

from apps.accounts.models import Level, Vertical
from apps.learning.models import ContentKind, Skill


class LibraryFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    kind = forms.ChoiceField(choices=[("", "Any type"), *ContentKind.choices], required=False)
    level = forms.ChoiceField(choices=[("", "Any level"), *Level.choices], required=False)
    vertical = forms.ChoiceField(choices=[("", "Any industry"), *Vertical.choices], required=False)
    skill = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skill"].choices = [("", "Any skill"), *Skill.objects.values_list("slug", "name")]


class HeartbeatForm(forms.Form):
    seconds = forms.IntegerField(min_value=1, max_value=60)
    content = forms.IntegerField(required=False, min_value=1)


class LearningPreferenceForm(forms.Form):
    weekly_digest = forms.BooleanField(
        label="Send me a weekly e-mail with new content picked for me (tip of the week)", required=False
    )
