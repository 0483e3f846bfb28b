"""REST endpoints of the notifications app: always the caller's own notifications."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.notifications import selectors, services
from apps.notifications.models import Notification
from apps.notifications.serializers import NotificationSerializer


class NotificationListApi(generics.ListAPIView):
    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # for the schema; get_queryset scopes to the caller
    filterset_fields = ["category"]
    ordering = ["-created_at", "-pk"]

    def get_queryset(self):
        return selectors.notification_list(user=self.request.user)


class NotificationReadApi(APIView):
    """Mark notifications read: {"ids": [...]} for some, {"all": true} for all of them."""

    class NotificationReadInputSerializer(serializers.Serializer):
        ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False, max_length=500
        )
        all = serializers.BooleanField(required=False, default=False)

        def validate(self, attrs):
            if not attrs.get("all") and not attrs.get("ids"):
                raise serializers.ValidationError("Send a list of ids, or all: true.")
            return attrs

    class NotificationReadOutputSerializer(serializers.Serializer):
        marked_read = serializers.IntegerField()
        unread = serializers.IntegerField()

    @extend_schema(request=NotificationReadInputSerializer, responses=NotificationReadOutputSerializer)
    def post(self, request):
        data = self.NotificationReadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = None if data.validated_data.get("all") else data.validated_data["ids"]
        changed = services.notification_mark_read(user=request.user, notification_ids=ids)
        unread = selectors.unread_notification_count(user=request.user)
        output = self.NotificationReadOutputSerializer({"marked_read": changed, "unread": unread})
        return Response(output.data)
