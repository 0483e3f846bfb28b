from django import forms

from apps.community.models import FlagTarget, ProductArea

QA_TABS = [("all", "All"), ("unanswered", "Unanswered"), ("mine", "Mine")]


class QuestionFilterForm(forms.Form):
    tab = forms.ChoiceField(choices=QA_TABS, required=False)
    q = forms.CharField(label="Search", required=False, max_length=100)
    area = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [
            ("", "Any product area"),
            *ProductArea.objects.values_list("slug", "name"),
        ]


class QuestionForm(forms.Form):
    title = forms.CharField(
        max_length=160,
        help_text="One sentence: what do you want to know?",
        widget=forms.TextInput(attrs={"placeholder": "How do you schedule dashboard exports?"}),
    )
    body = forms.CharField(
        label="Details",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="What you tried and what happened. Markdown works: **bold**, lists, `code`.",
    )
    areas = forms.ModelMultipleChoiceField(
        label="Product areas",
        queryset=ProductArea.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class AnswerForm(forms.Form):
    body = forms.CharField(
        label="Your answer",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Share what worked for you. Markdown works.",
    )


class FlagForm(forms.Form):
    target = forms.ChoiceField(choices=FlagTarget.choices)
    target_id = forms.IntegerField(min_value=1)
    reason = forms.CharField(max_length=300)
