"""REST endpoints of analytics, read only: health scores and their history, and the retention,
engagement and training-impact metrics for CS managers; a customer admin's own team training."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import Account, Role
from apps.accounts.permissions import HasRole, IsCSManager
from apps.analytics import metrics, periods, reports
from apps.analytics.filters import ScoreFilter, SnapshotFilter, StableOrderingFilter
from apps.analytics.models import HealthSnapshot
from apps.analytics.serializers import (
    EngagementQuerySerializer,
    EngagementSerializer,
    RetentionQuerySerializer,
    RetentionSerializer,
    SnapshotSerializer,
    TeamTrainingSerializer,
    TrainingImpactSerializer,
    TrainingQuerySerializer,
)

IsCustomerAdmin = HasRole.of(Role.CUSTOMER_ADMIN)


def _snapshots():
    return HealthSnapshot.objects.select_related("account", "config")


class ScoreListApi(generics.ListAPIView):
    """Every account's latest health snapshot (the most recent day computed), worst first."""

    permission_classes = [IsCSManager]
    serializer_class = SnapshotSerializer
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_class = ScoreFilter
    ordering_fields = ["score", "arr", "date"]
    ordering = ["score"]

    def get_queryset(self):
        return _snapshots().latest_per_account()


@extend_schema(
    parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The account's id.")]
)
class SnapshotListApi(generics.ListAPIView):
    """One account's daily snapshots, newest first; `since` and `until` bound the days."""

    permission_classes = [IsCSManager]
    serializer_class = SnapshotSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = SnapshotFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no account in the URL
            return HealthSnapshot.objects.none()
        account = get_object_or_404(Account, pk=self.kwargs["pk"])
        return _snapshots().filter(account=account).order_by("-date", "pk")


def _query(serializer_class, request) -> dict:
    """Validated query parameters; a bad one is a 400 with field errors."""
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class RetentionApi(APIView):
    """Customer and revenue churn and retention for renewals due in a period (METRICS.md)."""

    permission_classes = [IsCSManager]

    @extend_schema(parameters=[RetentionQuerySerializer], responses=RetentionSerializer)
    def get(self, request):
        params = _query(RetentionQuerySerializer, request)
        period = params.get("period") or periods.quarter_of(timezone.localdate())
        segment = params.get("segment", "")
        result = metrics.retention(period=period, segment=segment).as_dict()
        return Response(RetentionSerializer({**result, "segment": segment}).data)


class EngagementApi(APIView):
    """% engaged customers per month, overall, per segment and per ARR band."""

    permission_classes = [IsCSManager]

    @extend_schema(parameters=[EngagementQuerySerializer], responses=EngagementSerializer)
    def get(self, request):
        params = _query(EngagementQuerySerializer, request)
        months = periods.last_months(timezone.localdate(), params["months"])
        return Response(EngagementSerializer(metrics.engagement_by_month(months=months)).data)


class TrainingApi(APIView):
    """Trained vs untrained outcomes for renewals and NPS answers in a period. Correlation, not cause."""

    permission_classes = [IsCSManager]

    @extend_schema(parameters=[TrainingQuerySerializer], responses=TrainingImpactSerializer)
    def get(self, request):
        params = _query(TrainingQuerySerializer, request)
        period = params.get("period") or periods.quarter_of(timezone.localdate())
        impact = metrics.training_impact(period=period)
        data = {
            "period": period.label,
            "start": period.start,
            "end": period.end,
            "overall": impact["overall"].as_dict(),
            "by_segment": {
                key: {"label": row["label"], "outcomes": row["outcomes"].as_dict()}
                for key, row in impact["by_segment"].items()
            },
        }
        return Response(TrainingImpactSerializer(data).data)


class TeamTrainingApi(APIView):
    """The signed-in customer admin's own account: who trained and certified, and by month."""

    permission_classes = [IsCustomerAdmin]

    @extend_schema(responses=TeamTrainingSerializer)
    def get(self, request):
        return Response(TeamTrainingSerializer(reports.training_team(account=request.user.account)).data)
