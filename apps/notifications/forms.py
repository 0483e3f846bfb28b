"""Forms of the notifications app."""

from __future__ import annotations

from django import forms

from apps.notifications.models import Category

# Alerts about accounts go to the vendor's staff only; customers never receive them. Messages from
# the customer success team go to customers only.
STAFF_ONLY = {Category.CUSTOMER_ALERTS}
CUSTOMER_ONLY = {Category.CUSTOMER_SUCCESS}


class EmailPreferencesForm(forms.Form):
    """One checkbox per e-mail category the person can receive; checked means "send me these"."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        staff = bool(user and user.is_vendor_staff)
        for value, label in Category.choices:
            if (value in STAFF_ONLY and not staff) or (value in CUSTOMER_ONLY and staff):
                continue
            self.fields[value] = forms.BooleanField(label=label, required=False)
