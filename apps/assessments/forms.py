"""Forms of the learner's assessment pages: posted answers, the leaderboard choice and the
CS manager's proficiency filter. The studio has its own forms."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms

from apps.assessments.selectors import LEVEL_LABELS, LEVELS

MAX_QUESTIONS_PER_POST = 500


@dataclass(frozen=True)
class PostedAnswer:
    question_id: int
    selected: list[str]
    numeric: str | None

    @property
    def is_blank(self) -> bool:
        return not self.selected and not (self.numeric or "").strip()


def posted_answers(data) -> list[PostedAnswer]:
    """The answers in a POST of the take page.

    One question: `question` with `option` (repeated) or `numeric`. The page's one big form (the
    no-JavaScript path, and the per-question autosave, which narrows `question` to its own id)
    sends each question as `question` plus `q<id>-option` / `q<id>-numeric`, because radio
    buttons of different questions need different names. Raises ValidationError for a malformed
    question id; whether the answer fits the attempt is the service's call.
    """
    raw_ids = data.getlist("question")
    if not raw_ids:
        raise forms.ValidationError("Say which question you are answering.")
    if len(raw_ids) > MAX_QUESTIONS_PER_POST:
        raise forms.ValidationError("Too many answers at once.")
    try:
        ids = list(dict.fromkeys(int(raw) for raw in raw_ids))
    except (TypeError, ValueError) as exc:
        raise forms.ValidationError("That question is not part of this attempt.") from exc
    single = len(ids) == 1
    answers = []
    for question_id in ids:
        prefix = f"q{question_id}-"
        selected = data.getlist(prefix + "option") or (data.getlist("option") if single else [])
        numeric = data.get(prefix + "numeric", data.get("numeric") if single else None)
        answers.append(PostedAnswer(question_id=question_id, selected=selected, numeric=numeric))
    return answers


class LeaderboardPreferenceForm(forms.Form):
    global_leaderboard = forms.BooleanField(
        label="Show my name and points on the leaderboard across all customers",
        required=False,
    )


class ProficiencyTargetForm(forms.Form):
    target = forms.ChoiceField(
        label="Target level", choices=[(level, LEVEL_LABELS[level]) for level in LEVELS], required=False
    )

    def target_level(self) -> str:
        """The chosen level, or practitioner when none or an unknown one was asked for."""
        if self.is_valid() and self.cleaned_data["target"]:
            return self.cleaned_data["target"]
        return "practitioner"
