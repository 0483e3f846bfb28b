from django import forms

from apps.community.models import Idea, IdeaStatus, ProductArea
from apps.community.selectors import DEMAND_SORTS, SORTS

LISTED_STATUSES = [(value, label) for value, label in IdeaStatus.choices if value != IdeaStatus.MERGED]


class IdeaFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    sort = forms.ChoiceField(choices=list(SORTS.items()), required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *LISTED_STATUSES], required=False)
    area = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [
            ("", "Any product area"),
            *ProductArea.objects.values_list("slug", "name"),
        ]


class IdeaForm(forms.Form):
    title = forms.CharField(
        max_length=160,
        help_text="One sentence: what you would like the product to do.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "form": "idea-form"}),
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "form": "idea-form"}),
        max_length=10_000,
        help_text="Why it matters to you and how you work around it today. Markdown is fine.",
    )
    areas = forms.ModelMultipleChoiceField(
        queryset=ProductArea.objects.all(),
        required=False,
        label="Product areas",
        # The fields sit outside <form id="idea-form"> on the new-idea page, so the similar
        # ideas (with their own vote forms) can show right under the title without nesting forms.
        widget=forms.CheckboxSelectMultiple(attrs={"form": "idea-form"}),
    )


class CommentForm(forms.Form):
    body = forms.CharField(label="Your comment", widget=forms.Textarea(attrs={"rows": 4}), max_length=5_000)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=LISTED_STATUSES)


class MergeForm(forms.Form):
    target = forms.ModelChoiceField(queryset=Idea.objects.none(), label="Merge into")

    def __init__(self, *args, source: Idea, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = (
            Idea.objects.exclude(pk=source.pk).exclude(status=IdeaStatus.MERGED).order_by("title")
        )


class DemandSortForm(forms.Form):
    sort = forms.ChoiceField(choices=[(key, key) for key in DEMAND_SORTS], required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *LISTED_STATUSES], required=False)
