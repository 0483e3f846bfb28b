"""Studio forms of the roadmap app."""

from __future__ import annotations

from django import forms

from apps.accounts.models import Segment
from apps.community.models import Idea
from apps.roadmap.models import ItemStatus, ProductUpdate, RoadmapItem


def _idea_choices():
    return Idea.objects.exclude(status="merged").order_by("-vote_count", "pk")


class RoadmapItemForm(forms.ModelForm):
    ideas = forms.ModelMultipleChoiceField(
        queryset=Idea.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Ideas it addresses",
        help_text="People who voted for or follow them are told when it ships.",
    )

    class Meta:
        model = RoadmapItem
        fields = ["title", "description", "horizon", "status", "position", "ideas"]
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ideas"].queryset = _idea_choices()
        if self.instance.status != ItemStatus.SHIPPED:
            # Shipping has its own button, because it notifies people.
            self.fields["status"].choices = [c for c in ItemStatus.choices if c[0] != ItemStatus.SHIPPED]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class ProductUpdateForm(forms.ModelForm):
    segments = forms.MultipleChoiceField(
        choices=Segment.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for everyone.",
    )
    ideas = forms.ModelMultipleChoiceField(
        queryset=Idea.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Linked ideas",
    )
    roadmap_items = forms.ModelMultipleChoiceField(
        queryset=RoadmapItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Linked roadmap items",
    )

    class Meta:
        model = ProductUpdate
        fields = ["title", "body", "segments", "published_at", "ideas", "roadmap_items"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12}), "published_at": DateTimeLocalInput()}
        labels = {"published_at": "Publish date"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ideas"].queryset = _idea_choices()
        self.fields["roadmap_items"].queryset = RoadmapItem.objects.order_by("horizon", "position", "pk")
        self.fields["published_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
