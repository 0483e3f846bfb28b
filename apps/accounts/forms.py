from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.password_validation import password_validators_help_text_html

from apps.accounts.models import CUSTOMER_ROLES, ImportKind, Segment


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Work e-mail", max_length=254)
    role = forms.ChoiceField(
        choices=[(r.value, r.label) for r in CUSTOMER_ROLES],
        help_text="Customer admins can invite teammates and see the team's learning.",
    )
    is_executive_sponsor = forms.BooleanField(
        label="Executive sponsor",
        required=False,
        help_text="The senior person who owns the relationship with us on your side.",
    )


class InvitationAcceptForm(forms.Form):
    full_name = forms.CharField(label="Your name", max_length=150)
    password1 = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Repeat the password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data


class AccountFilterForm(forms.Form):
    SORTS = {
        "name": "name",
        "-name": "-name",
        "arr": "arr",
        "-arr": "-arr",
        "renewal": "renewal_date",
        "-renewal": "-renewal_date",
    }
    q = forms.CharField(label="Search", required=False, max_length=100)
    segment = forms.ChoiceField(choices=[("", "All segments"), *Segment.choices], required=False)
    mine = forms.BooleanField(label="Only my accounts", required=False)
    sort = forms.ChoiceField(choices=[(k, k) for k in SORTS], required=False)


class CrmImportForm(forms.Form):
    kind = forms.ChoiceField(label="The file holds", choices=ImportKind.choices)
    file = forms.FileField(
        label="CSV file",
        help_text="A CSV file in UTF-8, up to 5 MB, with the column names in its first row.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's password change, with the current password checked through authenticate(): wrong
    guesses count towards sign-in lockouts (django-axes), so a borrowed session cannot be used to
    try password after password, and a locked-out person cannot confirm one either."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        confirmed = authenticate(self.request, username=self.user.get_username(), password=old_password)
        if confirmed is None or confirmed.pk != self.user.pk:
            raise forms.ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password
