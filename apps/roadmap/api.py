"""REST endpoints of the roadmap app. Reads are scoped to the caller; writes go through services."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.roadmap import selectors, services
from apps.roadmap.models import ProductUpdate, RoadmapItem
from apps.roadmap.serializers import ProductUpdateSerializer, RoadmapItemSerializer


class RoadmapApi(generics.ListAPIView):
    """Every roadmap item with its horizon, status and the linked ideas' vote counts."""

    serializer_class = RoadmapItemSerializer
    queryset = RoadmapItem.objects.none()  # for the schema
    filterset_fields = ["horizon", "status"]
    ordering = ["position", "pk"]

    def get_queryset(self):
        return selectors.roadmap_item_list(user=self.request.user)


class UpdateListApi(generics.ListAPIView):
    """Published product updates meant for the caller, newest first, with `is_unread`."""

    serializer_class = ProductUpdateSerializer
    queryset = ProductUpdate.objects.none()  # for the schema
    filter_backends = []

    def get_queryset(self):
        return selectors.updates_for(user=self.request.user)


class UpdateReadApi(APIView):
    class UpdateReadOutputSerializer(serializers.Serializer):
        update = serializers.IntegerField(source="update_id")
        read_at = serializers.DateTimeField()

    @extend_schema(request=None, responses={200: UpdateReadOutputSerializer})
    def post(self, request, pk):
        try:
            update = selectors.update_detail(user=request.user, pk=pk)
        except ProductUpdate.DoesNotExist as exc:
            raise Http404 from exc
        if not update.is_live:
            raise Http404
        read = services.update_mark_read(user=request.user, update=update)
        return Response(self.UpdateReadOutputSerializer(read).data, status=status.HTTP_200_OK)
