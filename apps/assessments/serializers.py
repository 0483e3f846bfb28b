"""Shapes of the assessments API. Nothing a learner can read while an attempt is open says which
option is right: questions are serialized from `selectors.attempt_questions` only."""

from __future__ import annotations

from rest_framework import serializers

from apps.assessments.models import Assessment


class AssessmentSerializer(serializers.ModelSerializer):
    """An assessment as `selectors.assessment_list` annotates it for the caller."""

    question_count = serializers.IntegerField(read_only=True)
    my_attempts = serializers.IntegerField(read_only=True, help_text="Graded attempts of the caller.")
    best_score = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True, allow_null=True)
    passed = serializers.BooleanField(read_only=True, help_text="The caller has passed it at least once.")
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "slug",
            "title",
            "kind",
            "description",
            "pass_mark",
            "attempt_limit",
            "cooldown_hours",
            "time_limit_minutes",
            "status",
            "question_count",
            "my_attempts",
            "best_score",
            "passed",
            "url",
        ]
        read_only_fields = fields


class OptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    text = serializers.CharField()


class AttemptQuestionSerializer(serializers.Serializer):
    """One question as the taker sees it (selectors.QuestionView), with the saved answer."""

    id = serializers.IntegerField(source="question.pk")
    number = serializers.IntegerField()
    question_kind = serializers.CharField(
        source="question.kind", help_text="single, multiple, true_false or numeric."
    )
    text = serializers.CharField(source="question.text", help_text="Markdown.")
    points = serializers.IntegerField(source="question.points")
    options = OptionSerializer(many=True, help_text="In the order drawn for this attempt.")
    selected = serializers.SerializerMethodField()
    numeric = serializers.CharField(allow_blank=True)

    def get_selected(self, obj) -> list[int]:
        return sorted(obj.selected)


class PathLinkSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField(source="get_absolute_url")


class SkillOutcomeSerializer(serializers.Serializer):
    skill = serializers.CharField(source="skill.slug")
    name = serializers.CharField(source="skill.name")
    score = serializers.FloatField()
    level = serializers.CharField(help_text="novice, practitioner or expert.")
    weak = serializers.BooleanField(help_text="Below the assessment's pass mark.")
    paths = PathLinkSerializer(many=True, help_text="Published paths that teach this skill.")


class AttemptResultSerializer(serializers.Serializer):
    score = serializers.DecimalField(max_digits=5, decimal_places=2, source="attempt.score")
    passed = serializers.BooleanField(source="attempt.passed")
    pass_mark = serializers.IntegerField(source="attempt.assessment.pass_mark")
    points_earned = serializers.DecimalField(
        max_digits=9, decimal_places=3, source="attempt.points_earned", allow_null=True
    )
    points_possible = serializers.DecimalField(
        max_digits=9, decimal_places=3, source="attempt.points_possible", allow_null=True
    )
    skills = SkillOutcomeSerializer(many=True)
    suggested_path = PathLinkSerializer(allow_null=True, help_text="Placement tests: where to start.")


class AttemptSerializer(serializers.Serializer):
    """An attempt: its questions (without correctness) while open, its result once graded."""

    id = serializers.IntegerField(source="attempt.pk")
    assessment = serializers.CharField(source="attempt.assessment.slug")
    number = serializers.IntegerField(source="attempt.number")
    status = serializers.CharField(source="attempt.status", help_text="in_progress or submitted.")
    started_at = serializers.DateTimeField(source="attempt.started_at")
    deadline_at = serializers.DateTimeField(source="attempt.deadline_at", allow_null=True)
    submitted_at = serializers.DateTimeField(source="attempt.submitted_at", allow_null=True)
    time_left_seconds = serializers.IntegerField(allow_null=True)
    question_order = serializers.ListField(child=serializers.IntegerField(), source="attempt.question_order")
    questions = AttemptQuestionSerializer(many=True)
    result = AttemptResultSerializer(allow_null=True)


class AnswerInputSerializer(serializers.Serializer):
    options = serializers.ListField(
        child=serializers.IntegerField(), required=False, max_length=100, help_text="Choice questions."
    )
    numeric = serializers.CharField(
        required=False, allow_blank=True, max_length=50, help_text="Numeric questions, such as 1.5."
    )

    def validate(self, attrs):
        if "options" not in attrs and "numeric" not in attrs:
            raise serializers.ValidationError("Send `options` (a list of option ids) or `numeric`.")
        return attrs


class AnswerSerializer(serializers.Serializer):
    question = serializers.IntegerField(source="question_id")
    options = serializers.ListField(child=serializers.IntegerField(), source="selected")
    numeric = serializers.DecimalField(
        max_digits=18, decimal_places=6, source="numeric_value", allow_null=True, coerce_to_string=True
    )
    saved_at = serializers.DateTimeField()


class ProficiencySerializer(serializers.Serializer):
    skill = serializers.CharField(source="skill.slug")
    name = serializers.CharField(source="skill.name")
    area = serializers.CharField(source="skill.area.name")
    level = serializers.CharField(help_text="novice, practitioner, expert or unverified (results too old).")
    label = serializers.CharField()
    score = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, help_text="Best score within the skill's validity."
    )
    achieved_at = serializers.DateTimeField(allow_null=True, help_text="The latest result on this skill.")
    validity_days = serializers.IntegerField(source="skill.validity_days")


class AwardSerializer(serializers.Serializer):
    code = serializers.CharField()
    status = serializers.CharField(help_text="valid, expired or revoked.")
    cycle = serializers.IntegerField()
    issued_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    verification_url = serializers.SerializerMethodField()

    def get_verification_url(self, obj) -> str:
        path = obj.get_absolute_url()  # the public verification page
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class RequirementSerializer(serializers.Serializer):
    """An (assessment or path, met) pair of `CertificationProgress`."""

    slug = serializers.CharField()
    title = serializers.CharField()
    done = serializers.BooleanField()

    def to_representation(self, instance):
        required, done = instance
        return {"slug": required.slug, "title": required.title, "done": done}


class CertificationProgressSerializer(serializers.Serializer):
    slug = serializers.CharField(source="certification.slug")
    title = serializers.CharField(source="certification.title")
    validity_days = serializers.IntegerField(source="certification.validity_days")
    award = AwardSerializer(allow_null=True, help_text="The latest award of this certification, if any.")
    done = serializers.IntegerField(help_text="Requirements met.")
    total = serializers.IntegerField()
    assessments = RequirementSerializer(many=True, help_text="Assessments to pass.")
    paths = RequirementSerializer(many=True, help_text="Learning paths to complete.")


class LeaderboardEntrySerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    name = serializers.CharField()
    account = serializers.CharField(allow_null=True)
    points = serializers.IntegerField()
    is_me = serializers.BooleanField()


class LeaderboardSerializer(serializers.Serializer):
    scope = serializers.CharField(help_text="account or global.")
    my_points = serializers.IntegerField()
    opted_in = serializers.BooleanField(help_text="The caller appears on the global leaderboard.")
    entries = LeaderboardEntrySerializer(many=True)
