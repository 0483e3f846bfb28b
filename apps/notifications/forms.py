"""Forms of the notifications app."""

from __future__ import annotations

from django import forms

from apps.notifications.models import Category


class EmailPreferencesForm(forms.Form):
    """One checkbox per e-mail category; checked means "send me these"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in Category.choices:
            self.fields[value] = forms.BooleanField(label=label, required=False)
