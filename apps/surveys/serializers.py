from rest_framework import serializers

from apps.surveys.models import Campaign, Response


class CampaignSerializer(serializers.ModelSerializer):
    invitation_count = serializers.IntegerField(read_only=True)
    response_count = serializers.IntegerField(read_only=True)
    nps = serializers.IntegerField(read_only=True, allow_null=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "status",
            "question",
            "segments",
            "touch_models",
            "roles",
            "starts_at",
            "repeat_every_days",
            "throttle_days",
            "last_wave_at",
            "invitation_count",
            "response_count",
            "nps",
            "url",
        ]
        read_only_fields = fields


class NpsSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    score = serializers.IntegerField(
        allow_null=True, help_text="NPS from -100 to 100; null without responses."
    )
    too_few = serializers.BooleanField(help_text="Fewer than 5 responses: too few to tell.")


class GroupSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    nps = serializers.IntegerField(allow_null=True)
    too_few = serializers.BooleanField(help_text="Fewer than 5 responses: too few to tell.")


class TrendSerializer(GroupSerializer):
    month = serializers.DateTimeField(help_text="The first moment of the month responses were submitted in.")


class SegmentGroupSerializer(GroupSerializer):
    segment = serializers.CharField()
    label = serializers.CharField()


class AccountGroupSerializer(GroupSerializer):
    account_id = serializers.IntegerField(allow_null=True)
    account = serializers.CharField()


class TrainedGroupSerializer(GroupSerializer):
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)


class TrainedSplitSerializer(serializers.Serializer):
    trained = TrainedGroupSerializer()
    untrained = TrainedGroupSerializer()
    difference = serializers.FloatField(allow_null=True)
    difference_low = serializers.FloatField(allow_null=True)
    difference_high = serializers.FloatField(allow_null=True)
    too_few = serializers.BooleanField()


class CampaignResultsSerializer(serializers.Serializer):
    nps = NpsSerializer()
    response_rate = serializers.FloatField(
        allow_null=True, help_text="Responses / invitations delivered, 0 to 1."
    )
    trend = TrendSerializer(many=True)
    by_segment = SegmentGroupSerializer(many=True)
    by_account = AccountGroupSerializer(many=True)
    trained = TrainedSplitSerializer(help_text="Correlation, not cause.")


class ResponseInputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The signed token of the invitation's e-mail link.")
    score = serializers.IntegerField(
        min_value=0,
        max_value=10,
        error_messages={
            "min_value": "Choose a score from 0 to 10.",
            "max_value": "Choose a score from 0 to 10.",
            "invalid": "Choose a score from 0 to 10.",
        },
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    reference_willing = serializers.BooleanField(required=False, allow_null=True, default=None)


class ResponseOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Response
        fields = ["score", "comment", "reference_willing", "submitted_at", "updated_at"]
        read_only_fields = fields
