"""REST endpoints for ideas. Reads are scoped to the caller; writes go through services."""

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.permissions import IsVendorStaff
from apps.accounts.services import ServiceError
from apps.community import selectors, services
from apps.community.models import Idea
from apps.community.serializers import (
    DemandSerializer,
    IdeaDetailSerializer,
    IdeaInputSerializer,
    IdeaListFilterSerializer,
    IdeaSerializer,
)


def _domain_error(exc: ServiceError) -> ValidationError:
    return ValidationError({"detail": str(exc)})


def _idea(request, pk) -> Idea:
    try:
        return selectors.idea_detail(user=request.user, pk=pk)
    except Idea.DoesNotExist as exc:
        raise Http404 from exc


class IdeaListApi(APIView):
    """The ideas board as the caller sees it (`sort`=top|trending|new, `status`, `area`, `q`)."""

    # Declared so that the schema describes the paginated envelope this view returns.
    pagination_class = PageNumberPagination

    @extend_schema(parameters=[IdeaListFilterSerializer], responses=IdeaSerializer(many=True))
    def get(self, request):
        filters = IdeaListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        ideas = selectors.idea_list(user=request.user, **filters.validated_data)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(ideas, request, view=self)
        return paginator.get_paginated_response(IdeaSerializer(page, many=True).data)


class IdeaCreateApi(APIView):
    @extend_schema(request=IdeaInputSerializer, responses={201: IdeaDetailSerializer})
    def post(self, request):
        data = IdeaInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            idea = services.idea_create(author=request.user, **data.validated_data)
        except services.CommunityError as exc:
            raise _domain_error(exc) from exc
        return Response(IdeaDetailSerializer(_idea(request, idea.pk)).data, status=status.HTTP_201_CREATED)


class IdeaDetailApi(APIView):
    @extend_schema(responses=IdeaDetailSerializer)
    def get(self, request, pk):
        return Response(IdeaDetailSerializer(_idea(request, pk)).data)


class IdeaVoteApi(APIView):
    """Vote (POST) or withdraw the vote (DELETE); both are idempotent."""

    @extend_schema(request=None, responses={200: IdeaSerializer})
    def post(self, request, pk):
        idea = _idea(request, pk)
        try:
            services.idea_vote(idea=idea, user=request.user)
        except services.CommunityError as exc:
            raise _domain_error(exc) from exc
        return Response(IdeaSerializer(_idea(request, pk)).data)

    @extend_schema(request=None, responses={200: IdeaSerializer})
    def delete(self, request, pk):
        idea = _idea(request, pk)
        try:
            services.idea_unvote(idea=idea, user=request.user)
        except services.CommunityError as exc:
            raise _domain_error(exc) from exc
        return Response(IdeaSerializer(_idea(request, pk)).data)


class IdeaDemandApi(APIView):
    """Demand by revenue for ideas (`ids`=1,2,3; default: the 50 most demanded by ARR). Vendor staff only."""

    permission_classes = [IsVendorStaff]

    @extend_schema(parameters=[OpenApiParameter("ids", str)], responses=DemandSerializer(many=True))
    def get(self, request):
        raw = request.query_params.get("ids", "")
        if raw:
            try:
                ids = [int(part) for part in raw.split(",") if part.strip()][:200]
            except ValueError as exc:
                raise ValidationError({"ids": "Give idea ids separated by commas."}) from exc
        else:
            ids = list(selectors.ideas_by_demand().values_list("pk", flat=True)[:50])
        demand = selectors.idea_demand(idea_ids=ids)
        rows = [{"idea": pk, **vars(d)} for pk, d in demand.items()]
        rows.sort(key=lambda row: (-row["arr"], -row["voters"], row["idea"]))
        return Response(DemandSerializer(rows, many=True).data)


urlpatterns = [
    path("community/ideas/", IdeaListApi.as_view(), name="api-idea-list"),
    path("community/ideas/create/", IdeaCreateApi.as_view(), name="api-idea-create"),
    path("community/ideas/demand/", IdeaDemandApi.as_view(), name="api-idea-demand"),
    path("community/ideas/<int:pk>/", IdeaDetailApi.as_view(), name="api-idea-detail"),
    path("community/ideas/<int:pk>/vote/", IdeaVoteApi.as_view(), name="api-idea-vote"),
]
