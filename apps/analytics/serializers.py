"""Serializers of the analytics API: health snapshots and the metric reports, read only.

Money is a decimal string; percents are numbers from 0 to 100 (one decimal) or null for "no data".
The JSON columns of a snapshot get explicit serializers so the schema documents their shape.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import Account, Segment
from apps.analytics import scoring
from apps.analytics.models import HealthConfig, HealthSnapshot

MONEY = {"max_digits": 16, "decimal_places": 2}
PERCENT = {"allow_null": True, "help_text": "Percent, 0 to 100 with one decimal; null: no data."}
TOO_FEW = "Fewer than 5 in the population: too few to tell."


# --- health snapshots ---------------------------------------------------------------------------


class AccountRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["id", "name", "external_id"]
        read_only_fields = fields


class ConfigRefSerializer(serializers.ModelSerializer):
    segment = serializers.CharField(help_text='The segment the rules are for; "" is all segments.')

    class Meta:
        model = HealthConfig
        fields = ["id", "version", "segment"]
        read_only_fields = fields


class JsonObjectSerializer(serializers.Serializer):
    """A snapshot's JSON column; an empty object (a snapshot not written by the recompute) is null."""

    def get_attribute(self, instance):
        return super().get_attribute(instance) or None


class ComponentSerializer(serializers.Serializer):
    score = serializers.FloatField(allow_null=True, help_text="0 to 100; null: no data, left out.")
    weight = serializers.FloatField()
    contribution = serializers.FloatField(
        allow_null=True, help_text="The points this component adds to the overall score."
    )


class ComponentsSerializer(serializers.Serializer):
    """The snapshot's component scores with the weights of its configuration version; null for a
    snapshot not written by the recompute."""

    adoption = ComponentSerializer(allow_null=True)
    engagement = ComponentSerializer(allow_null=True)
    proficiency = ComponentSerializer(allow_null=True)
    sentiment = ComponentSerializer(allow_null=True)
    support = ComponentSerializer(allow_null=True)

    def get_attribute(self, instance: HealthSnapshot):  # source="*": the snapshot itself
        if not instance.components:
            return None
        return scoring.component_parts(instance.components, instance.config.weights)


class RuleResultSerializer(serializers.Serializer):
    """One engagement rule of the snapshot's configuration version, and whether it was met."""

    key = serializers.CharField()
    label = serializers.CharField()
    weight = serializers.FloatField()
    window_days = serializers.IntegerField()
    passed = serializers.BooleanField()
    interaction_id = serializers.IntegerField(
        allow_null=True, help_text="The latest interaction that satisfied the rule."
    )


class FiguresSerializer(JsonObjectSerializer):
    licensed_seats = serializers.IntegerField()
    users = serializers.IntegerField()
    active_users = serializers.IntegerField(help_text="Any interaction in the last 30 days.")
    # Null on snapshots computed before advanced users were counted.
    advanced_users = serializers.IntegerField(
        allow_null=True, help_text="Active users who used enough distinct core actions."
    )
    basic_users = serializers.IntegerField(allow_null=True, help_text="Active users who are not advanced.")
    advanced_share = serializers.FloatField(
        allow_null=True, help_text="Advanced users / licensed seats (1.0 = 100%); null: no seats."
    )
    basic_share = serializers.FloatField(allow_null=True, help_text="Basic users / licensed seats.")
    utilisation = serializers.FloatField(
        allow_null=True, help_text="Active users / licensed seats (1.0 = 100%, not capped); null: no seats."
    )
    overage = serializers.BooleanField()
    content_views = serializers.IntegerField(help_text="Last 30 days.")
    content_views_before = serializers.IntegerField(help_text="The 30 days before those.")
    trained_users = serializers.IntegerField()
    certified_users = serializers.IntegerField()
    tickets_opened = serializers.IntegerField()
    urgent_tickets = serializers.IntegerField()
    nps_responses = serializers.IntegerField()
    promoters = serializers.IntegerField()
    detractors = serializers.IntegerField()
    active_seconds = serializers.FloatField()
    visit_days = serializers.IntegerField()


class SnapshotSerializer(serializers.ModelSerializer):
    """One account's health at the end of one day, with what produced it."""

    account = AccountRefSerializer()
    config = ConfigRefSerializer(help_text="The configuration version that produced this score.")
    score = serializers.IntegerField(allow_null=True, help_text="0 to 100; null: no component has data.")
    engagement_score = serializers.FloatField(allow_null=True)
    arr = serializers.DecimalField(**MONEY)
    components = ComponentsSerializer(source="*", allow_null=True)
    rules = serializers.SerializerMethodField()
    figures = FiguresSerializer(allow_null=True, help_text="The counts the components were computed from.")

    @extend_schema_field(RuleResultSerializer(many=True))
    def get_rules(self, snapshot: HealthSnapshot) -> list[dict]:
        results = scoring.rule_results(snapshot.rules, snapshot.config)
        return RuleResultSerializer(results, many=True).data

    class Meta:
        model = HealthSnapshot
        fields = [
            "account",
            "date",
            "score",
            "band",
            "engagement_score",
            "rules_met",
            "engaged",
            "engagement_drop",
            "segment",
            "arr",
            "config",
            "components",
            "rules",
            "figures",
        ]
        read_only_fields = fields


# --- query parameters ---------------------------------------------------------------------------


class PeriodField(serializers.CharField):
    """'2026-Q3' or '2026-07', parsed into a Period."""

    def to_internal_value(self, data):
        from apps.analytics import periods

        try:
            return periods.parse(super().to_internal_value(data))
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class RetentionQuerySerializer(serializers.Serializer):
    period = PeriodField(
        required=False,
        help_text="A quarter like 2026-Q3 or a month like 2026-07; default: the current quarter.",
    )
    segment = serializers.ChoiceField(
        choices=Segment.choices, required=False, allow_blank=True, help_text="Empty: every segment."
    )


class EngagementQuerySerializer(serializers.Serializer):
    months = serializers.IntegerField(
        min_value=1,
        max_value=24,
        default=12,
        help_text="How many months, ending with the current one (1 to 24).",
    )


class TrainingQuerySerializer(serializers.Serializer):
    period = PeriodField(
        required=False,
        help_text="A quarter like 2026-Q3 or a month like 2026-07; default: the current quarter.",
    )


# --- metrics ------------------------------------------------------------------------------------


class RetentionSerializer(serializers.Serializer):
    period = serializers.CharField()
    segment = serializers.CharField(help_text='"" for every segment.')
    start = serializers.DateField()
    end = serializers.DateField(help_text="Exclusive.")
    due = serializers.IntegerField(help_text="Renewals due in the period that closed won or lost.")
    won = serializers.IntegerField()
    lost = serializers.IntegerField()
    still_open = serializers.IntegerField(help_text="Due but without an outcome yet; not in the rates.")
    customers_at_start = serializers.IntegerField()
    start_revenue = serializers.DecimalField(**MONEY)
    lost_revenue = serializers.DecimalField(**MONEY)
    contraction = serializers.DecimalField(**MONEY)
    expansion = serializers.DecimalField(**MONEY)
    churn_rate = serializers.FloatField(**PERCENT)
    retention_rate = serializers.FloatField(**PERCENT)
    revenue_churn = serializers.FloatField(**PERCENT)
    net_revenue_churn = serializers.FloatField(**PERCENT)
    nrr = serializers.FloatField(**PERCENT)
    grr = serializers.FloatField(**PERCENT)
    negative_churn = serializers.BooleanField()
    too_few = serializers.BooleanField(help_text=TOO_FEW)


class EngagementPointSerializer(serializers.Serializer):
    month = serializers.CharField()
    n = serializers.IntegerField(help_text="Accounts scored that month.")
    engaged = serializers.IntegerField()
    percent = serializers.FloatField(**PERCENT)
    change = serializers.FloatField(allow_null=True, help_text="Points since the previous month.")
    too_few = serializers.BooleanField(help_text=TOO_FEW)


class EngagementSeriesSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    points = EngagementPointSerializer(many=True)


class EngagementSerializer(serializers.Serializer):
    months = serializers.ListField(child=serializers.CharField())
    all = EngagementSeriesSerializer(many=True)
    segment = EngagementSeriesSerializer(many=True)
    arr_band = EngagementSeriesSerializer(many=True)


class ProportionSerializer(serializers.Serializer):
    k = serializers.IntegerField()
    n = serializers.IntegerField()
    percent = serializers.FloatField(**PERCENT)
    ci_low = serializers.FloatField(allow_null=True, help_text="Wilson 95% interval, percent.")
    ci_high = serializers.FloatField(allow_null=True)
    too_few = serializers.BooleanField(help_text=TOO_FEW)


class NpsGroupSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    nps = serializers.IntegerField(allow_null=True)
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)
    too_few = serializers.BooleanField(help_text=TOO_FEW)


class NpsSplitSerializer(serializers.Serializer):
    trained = NpsGroupSerializer()
    untrained = NpsGroupSerializer()
    overall = NpsGroupSerializer()
    difference = serializers.FloatField(allow_null=True, help_text="Trained minus untrained NPS.")
    difference_low = serializers.FloatField(allow_null=True, help_text="Bootstrap 95% interval.")
    difference_high = serializers.FloatField(allow_null=True)
    too_few = serializers.BooleanField(help_text=TOO_FEW)


class TrainingOutcomesSerializer(serializers.Serializer):
    lost_trained = ProportionSerializer(help_text="Of the lost renewals, how many had trained.")
    churn_trained = ProportionSerializer()
    churn_untrained = ProportionSerializer()
    above_plan_trained = ProportionSerializer(help_text="Won above the planned value, of those won.")
    above_plan_untrained = ProportionSerializer()
    retained_trained = ProportionSerializer(help_text="Of the renewals won, how many had trained.")
    nps = NpsSplitSerializer()


class SegmentOutcomesSerializer(serializers.Serializer):
    label = serializers.CharField()
    outcomes = TrainingOutcomesSerializer()


class TrainingImpactSerializer(serializers.Serializer):
    period = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField(help_text="Exclusive.")
    overall = TrainingOutcomesSerializer()
    by_segment = serializers.DictField(
        child=SegmentOutcomesSerializer(), help_text="Keyed by segment. Correlation, not cause."
    )


# --- a customer admin's own team ----------------------------------------------------------------


class TeamShareSerializer(serializers.Serializer):
    k = serializers.IntegerField()
    n = serializers.IntegerField(help_text="Active people of the account.")
    percent = serializers.FloatField(**PERCENT)
    too_few = serializers.BooleanField(help_text=TOO_FEW)


class TeamMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM.")
    trained = serializers.IntegerField(help_text="People who completed a course or path that month.")
    certified = serializers.IntegerField(help_text="People who earned a certification that month.")


class TeamTrainingSerializer(serializers.Serializer):
    people = serializers.IntegerField(help_text="Active people of the account.")
    trained = TeamShareSerializer(help_text="Completed a course or learning path in the last 12 months.")
    certified = TeamShareSerializer(help_text="Earned a certification in the last 12 months.")
    by_month = TeamMonthSerializer(many=True, help_text="The last 12 months, oldest first.")
