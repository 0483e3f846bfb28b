from rest_framework import serializers

from apps.accounts.models import Vertical
from apps.learning.models import ContentItem, Enrolment, LearningPath, LiveSession, Registration


# Model fields that may be blank, declared here because a read-only model field loses its
# allow_blank and the schema would then promise a vertical or a URL that is not always there.
def _vertical_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=Vertical.choices, allow_blank=True, read_only=True, help_text="Empty: suits every vertical."
    )


def _optional_url_field(help_text: str) -> serializers.URLField:
    return serializers.URLField(allow_blank=True, read_only=True, help_text=help_text)


class ContentSerializer(serializers.ModelSerializer):
    skills = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    vertical = _vertical_field()
    video_url = _optional_url_field("For videos and webinar recordings: a YouTube or Vimeo link; else empty.")

    class Meta:
        model = ContentItem
        fields = [
            "id",
            "slug",
            "title",
            "kind",
            "summary",
            "level",
            "vertical",
            "estimated_minutes",
            "skills",
            "video_url",
            "status",
            "published_at",
            "url",
        ]
        read_only_fields = fields


class ContentDetailSerializer(ContentSerializer):
    class Meta(ContentSerializer.Meta):
        fields = [*ContentSerializer.Meta.fields, "body"]
        read_only_fields = fields


class PathSerializer(serializers.ModelSerializer):
    skills = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    prerequisites = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    vertical = _vertical_field()

    class Meta:
        model = LearningPath
        fields = [
            "id",
            "slug",
            "title",
            "summary",
            "level",
            "vertical",
            "job_roles",
            "segments",
            "skills",
            "prerequisites",
            "status",
            "url",
        ]
        read_only_fields = fields


class StepProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="step.pk")
    position = serializers.IntegerField(source="step.position")
    kind = serializers.CharField(source="step.kind")
    required = serializers.BooleanField(source="step.required")
    title = serializers.CharField()
    url = serializers.CharField()
    minutes = serializers.IntegerField()
    done = serializers.BooleanField()


class PathProgressSerializer(serializers.Serializer):
    path = PathSerializer()
    enrolled = serializers.SerializerMethodField()
    completed_at = serializers.SerializerMethodField()
    percent = serializers.IntegerField()
    steps = StepProgressSerializer(many=True)

    def get_enrolled(self, obj) -> bool:
        return obj.enrolment is not None

    def get_completed_at(self, obj) -> str | None:
        return (
            obj.enrolment.completed_at.isoformat() if obj.enrolment and obj.enrolment.completed_at else None
        )


class EnrolmentSerializer(serializers.ModelSerializer):
    path = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    user = serializers.EmailField(source="user.email", read_only=True)
    steps_done = serializers.IntegerField(source="done_count", read_only=True)
    required_steps = serializers.IntegerField(source="step_count", read_only=True)

    class Meta:
        model = Enrolment
        fields = ["id", "user", "path", "enrolled_at", "completed_at", "steps_done", "required_steps"]
        read_only_fields = fields


class SessionSerializer(serializers.ModelSerializer):
    seats_taken = serializers.IntegerField(read_only=True)
    waiting = serializers.IntegerField(read_only=True)
    is_mine = serializers.BooleanField(read_only=True)
    vertical = _vertical_field()
    recording_url = _optional_url_field("Link to the recording, once there is one; else empty.")

    class Meta:
        model = LiveSession
        fields = [
            "id",
            "title",
            "kind",
            "host",
            "starts_at",
            "duration_minutes",
            "capacity",
            "seats_taken",
            "waiting",
            "is_mine",
            "level",
            "vertical",
            "recording_url",
            "cancelled_at",
        ]
        read_only_fields = fields


class RegistrationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Registration
        fields = ["id", "session", "status", "created_at", "attended"]
        read_only_fields = fields


class RecommendationSerializer(serializers.Serializer):
    type = serializers.SerializerMethodField()
    slug = serializers.CharField(source="obj.slug")
    title = serializers.CharField(source="obj.title")
    url = serializers.CharField(source="obj.get_absolute_url")
    reasons = serializers.ListField(child=serializers.CharField())

    def get_type(self, obj) -> str:
        return "path" if obj.is_path else "content"


class TeamMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    email = serializers.EmailField()
    full_name = serializers.CharField()
    paths_enrolled = serializers.IntegerField()
    paths_completed = serializers.IntegerField()
    content_completed = serializers.IntegerField()
    active_seconds = serializers.IntegerField(help_text="Active learning time in the last 30 days.")
