"""Forms of the Studio, where content admins curate content, paths and live sessions."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.core.validators import URLValidator
from django.utils import timezone

from apps.accounts.models import JobRole, Segment, Vertical
from apps.learning import step_types
from apps.learning.models import (
    ContentItem,
    ContentKind,
    LearningPath,
    Lesson,
    LiveSession,
    RegistrationStatus,
    Skill,
    StepKind,
)

MARKDOWN_MAX_LENGTH = 20_000
VIDEO_KINDS = (ContentKind.VIDEO, ContentKind.WEBINAR)


class WebAddressField(forms.URLField):
    """A URL that a browser opens as a web page: http or https only, so no javascript: or data: links."""

    default_error_messages = {"invalid": "Enter a full web address starting with https:// (or http://)."}
    default_validators = [URLValidator(schemes=["http", "https"])]

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("assume_scheme", "https")
        super().__init__(**kwargs)


def markdown_field(label: str, help_text: str = "", required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=MARKDOWN_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=help_text
        or f"Markdown; raw HTML is not allowed. At most {MARKDOWN_MAX_LENGTH:,} characters.",
    )


def _skills_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        queryset=Skill.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The skills it builds; learners find it by them.",
    )


def _vertical_choices(empty_label: str = "Every vertical") -> list[tuple[str, str]]:
    return [("", empty_label), *Vertical.choices]


class ContentItemForm(forms.ModelForm):
    body = markdown_field("Body")
    video_url = WebAddressField(
        label="Video link", help_text="For videos and webinar recordings: a YouTube or Vimeo link."
    )
    skills = _skills_field()

    class Meta:
        model = ContentItem
        fields = [
            "title",
            "kind",
            "summary",
            "body",
            "video_url",
            "level",
            "vertical",
            "estimated_minutes",
            "skills",
        ]
        widgets = {"summary": forms.Textarea(attrs={"rows": 2})}
        labels = {"kind": "Type", "estimated_minutes": "Time to complete (minutes)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Choose a type…"), *ContentKind.choices]
        self.fields["vertical"].choices = _vertical_choices()

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in VIDEO_KINDS and not data.get("video_url") and "video_url" not in self.errors:
            self.add_error("video_url", "A video needs its video link.")
        # The instance still holds the stored values here: the form copies its data in afterwards.
        was_course = self.instance.pk and self.instance.kind == ContentKind.COURSE
        if was_course and kind and kind != ContentKind.COURSE and self.instance.lessons.exists():
            self.add_error("kind", "This course has lessons; delete them before changing its type.")
        return data


class LessonForm(forms.ModelForm):
    body = markdown_field("Body")
    video_url = WebAddressField(label="Video link")

    class Meta:
        model = Lesson
        fields = ["title", "body", "video_url", "estimated_minutes"]
        labels = {"estimated_minutes": "Time to complete (minutes)"}


class LearningPathForm(forms.ModelForm):
    description = markdown_field(
        "Description",
        help_text="Markdown: what the learner will be able to do. "
        f"At most {MARKDOWN_MAX_LENGTH:,} characters.",
    )
    job_roles = forms.MultipleChoiceField(
        choices=JobRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Who it is meant for. Tick none when it suits every job role.",
    )
    segments = forms.MultipleChoiceField(
        choices=Segment.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick none when it suits every customer segment.",
    )
    skills = _skills_field()
    prerequisites = forms.ModelMultipleChoiceField(
        queryset=LearningPath.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Paths to finish before enrolling in this one.",
    )

    class Meta:
        model = LearningPath
        fields = [
            "title",
            "summary",
            "description",
            "level",
            "vertical",
            "job_roles",
            "segments",
            "skills",
            "prerequisites",
        ]
        widgets = {"summary": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vertical"].choices = _vertical_choices()
        others = LearningPath.objects.order_by("title")
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        self.fields["prerequisites"].queryset = others

    def clean_prerequisites(self):
        chosen = self.cleaned_data["prerequisites"]
        if not self.instance.pk or not chosen:
            return chosen
        # A prerequisite that (directly or through others) needs this path would lock both.
        edges: dict[int, set[int]] = {}
        through = LearningPath.prerequisites.through.objects.values_list(
            "from_learningpath", "to_learningpath"
        )
        for path_id, prerequisite_id in through:
            edges.setdefault(path_id, set()).add(prerequisite_id)
        for candidate in chosen:
            seen, todo = set(), [candidate.pk]
            while todo:
                current = todo.pop()
                if current == self.instance.pk:
                    raise forms.ValidationError(
                        f"“{candidate.title}” already requires this path; "
                        "a path cannot be its own prerequisite."
                    )
                if current not in seen:
                    seen.add(current)
                    todo.extend(edges.get(current, ()))
        return chosen


class ContentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        status = "" if obj.is_published else " (draft)"
        return f"{obj.title} · {obj.get_kind_display()}{status}"


class SessionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title} · {timezone.localtime(obj.starts_at):%d %b %Y %H:%M}"


class PathStepForm(forms.Form):
    """What a new step of a path is: a content item, a live session, or an object of a step type
    another app registered (an assessment). Exactly the target that matches the kind is set."""

    kind = forms.ChoiceField(label="Step type")
    content = ContentChoiceField(
        queryset=ContentItem.objects.order_by("title"),
        required=False,
        label="Content item",
        empty_label="Choose content…",
        help_text="For a content step. Draft content must be published before the path.",
    )
    live_session = SessionChoiceField(
        queryset=LiveSession.objects.filter(cancelled_at__isnull=True).order_by("-starts_at"),
        required=False,
        label="Live session",
        empty_label="Choose a session…",
        help_text="For a live-session step: it completes when attendance is marked.",
    )
    required = forms.BooleanField(label="Required to complete the path", required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = [
            (StepKind.CONTENT.value, StepKind.CONTENT.label),
            (StepKind.LIVE_SESSION.value, StepKind.LIVE_SESSION.label),
        ]
        self.registered: dict[str, str] = {}
        for kind in step_types.registered_kinds():
            provider = step_types.get(kind)
            label = StepKind(kind).label if kind in StepKind.values else provider.label
            kinds.append((kind, label))
            field_name = self.ref_field_name(kind)
            self.registered[kind] = field_name
            self.fields[field_name] = forms.TypedChoiceField(
                label=provider.label,
                choices=[("", f"Choose {label.lower()}…"), *provider.choices()],
                coerce=int,
                empty_value=None,
                required=False,
                help_text=f"For a {label.lower()} step.",
            )
        self.fields["kind"].choices = kinds
        # The checkbox goes last, after every target select.
        self.fields["required"] = self.fields.pop("required")

    @staticmethod
    def ref_field_name(kind: str) -> str:
        return f"ref_{kind}"

    def target_fields(self) -> dict[str, str]:
        """Step kind -> the form field holding its target."""
        return {StepKind.CONTENT: "content", StepKind.LIVE_SESSION: "live_session", **self.registered}

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if not kind:
            return data
        targets = self.target_fields()
        wanted = targets[kind]
        label = dict(self.fields["kind"].choices)[kind].lower()
        if wanted not in self.errors and data.get(wanted) in (None, ""):
            self.add_error(wanted, f"Choose the {self.fields[wanted].label.lower()} for this step.")
        for field_name in targets.values():
            if field_name != wanted and data.get(field_name) not in (None, ""):
                other_label = self.fields[field_name].label.lower()
                self.add_error(
                    field_name,
                    f"A {label} step has no {other_label}; clear this choice or change the step type.",
                )
        return data

    def step_kwargs(self) -> dict:
        """Keyword arguments for services.path_step_add."""
        data = self.cleaned_data
        kind = data["kind"]
        kwargs = {
            "kind": kind,
            "required": data["required"],
            "content": None,
            "live_session": None,
            "ref_id": None,
        }
        if kind == StepKind.CONTENT:
            kwargs["content"] = data["content"]
        elif kind == StepKind.LIVE_SESSION:
            kwargs["live_session"] = data["live_session"]
        else:
            kwargs["ref_id"] = data[self.registered[kind]]
        return kwargs


class LiveSessionForm(forms.ModelForm):
    description = markdown_field("Description")
    starts_at = forms.DateTimeField(
        label="Starts at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    # Bounded here, not only by the model's validators: a value that fails only those is still
    # set on the session the page shows, and a huge one overflows its end time.
    duration_minutes = forms.IntegerField(label="Duration (minutes)", min_value=5, max_value=600)
    capacity = forms.IntegerField(
        label="Seats",
        min_value=1,
        max_value=10_000,
        error_messages={"min_value": "A session needs at least one seat."},
        help_text="When the seats are taken, people join the waiting list.",
    )
    join_url = WebAddressField(label="Join link", help_text="Video call link, shown to registered people.")
    recording_url = WebAddressField(
        label="Recording link", help_text="Link to the recording, once there is one."
    )
    skills = _skills_field()

    class Meta:
        model = LiveSession
        fields = [
            "title",
            "kind",
            "description",
            "host",
            "starts_at",
            "duration_minutes",
            "capacity",
            "join_url",
            "level",
            "vertical",
            "skills",
            "recording_url",
        ]
        labels = {"kind": "Format"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vertical"].choices = _vertical_choices()
        self.fields["starts_at"].help_text = f"Time zone: {timezone.get_current_timezone_name()}."

    def clean_starts_at(self):
        starts_at = self.cleaned_data["starts_at"]
        # An existing session may keep its (past) time, e.g. to add a recording. The input has
        # minutes only, so a stored time with seconds comes back truncated: that is no change.
        stored = self.instance.starts_at if self.instance.pk else None
        if stored and starts_at == stored.replace(second=0, microsecond=0):
            return stored
        if starts_at <= timezone.now():
            raise forms.ValidationError("Choose a time in the future.")
        if starts_at > timezone.now() + timedelta(days=3653):  # its end must stay before year 9999
            raise forms.ValidationError("Choose a time within the next ten years.")
        return starts_at

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if self.instance.pk and "capacity" in self.changed_data:
            taken = self.instance.registrations.filter(status=RegistrationStatus.REGISTERED).count()
            if capacity < taken:
                raise forms.ValidationError(
                    f"{taken} people already hold a seat; the session needs at least {taken} seats."
                )
        return capacity


class AttendanceForm(forms.Form):
    attended = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Attended"
    )

    def __init__(self, *args, registrations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [
            (r.user_id, r.user.full_name or r.user.email) for r in registrations
        ]
        if not self.is_bound:
            self.initial["attended"] = [r.user_id for r in registrations if r.attended]

    def checked_ids(self) -> set[int]:
        """Who is ticked: the stored attendance at first, what was sent after a post."""
        values = self["attended"].value() or []
        return {int(v) for v in values if str(v).isdigit()}
