"""REST endpoints of NPS surveys: campaigns and results for CS managers, and answering an
invitation with its signed token (no session needed)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from apps.accounts.permissions import IsCSManager
from apps.surveys import selectors, services, tokens
from apps.surveys.models import Campaign
from apps.surveys.serializers import (
    CampaignResultsSerializer,
    CampaignSerializer,
    ResponseInputSerializer,
    ResponseOutputSerializer,
)


class CampaignListApi(ListAPIView):
    """Campaigns, newest first, paginated, with each one's NPS (one aggregate query per page)."""

    permission_classes = [IsCSManager]
    serializer_class = CampaignSerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.campaign_list(user=self.request.user)

    def list(self, request, *args, **kwargs):
        campaigns = self.paginate_queryset(self.get_queryset())
        scores = selectors.nps_by_campaign(campaigns=campaigns)
        for campaign in campaigns:
            campaign.nps = scores.get(campaign.pk)
        return self.get_paginated_response(self.get_serializer(campaigns, many=True).data)


class CampaignResultsApi(APIView):
    """NPS, response rate, trend, segments, accounts and trained vs untrained (correlation, not cause)."""

    permission_classes = [IsCSManager]

    @extend_schema(responses=CampaignResultsSerializer)
    def get(self, request, pk):
        campaign = get_object_or_404(Campaign, pk=pk)
        return Response(CampaignResultsSerializer(selectors.campaign_results(campaign=campaign)).data)


class ResponseSubmitApi(APIView):
    """Answer an invitation (or change the answer). The signed token authorises, not a session."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "survey"

    @extend_schema(request=ResponseInputSerializer, responses={201: ResponseOutputSerializer})
    def post(self, request):
        serializer = ResponseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            invitation = tokens.invitation_from_token(data["token"])
            answer = services.response_submit(
                invitation=invitation,
                score=data["score"],
                comment=data["comment"],
                reference_willing=data["reference_willing"],
            )
        except tokens.TokenError as exc:
            raise ValidationError({"token": [str(exc)]}) from exc
        except services.SurveyError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(ResponseOutputSerializer(answer).data, status=status.HTTP_201_CREATED)
