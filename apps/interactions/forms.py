from django import forms
from django.utils.text import slugify

from apps.interactions.models import IntegrationToken


class IntegrationTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="The system that will send events, e.g. 'Product telemetry'."
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        source = slugify(name)[:64]
        if not source or source == "cairn":
            raise forms.ValidationError("Choose a name with letters or digits (and not 'Cairn').")
        if (
            IntegrationToken.objects.filter(name__iexact=name).exists()
            or IntegrationToken.objects.filter(source=source).exists()
        ):
            raise forms.ValidationError("An integration with this name exists already.")
        self.cleaned_data["source"] = source
        return name
