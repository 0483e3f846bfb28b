"""The batch ingestion endpoint through which external systems add events to the log."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import Account, User
from apps.interactions import services
from apps.interactions.authentication import (
    IntegrationThrottle,
    IntegrationTokenAuthentication,
    IsIntegration,
)
from apps.interactions.serializers import BatchSerializer, EventSerializer, IngestionReportSerializer


def _lookups(events: list[dict]) -> tuple[dict, dict]:
    """Resolve every account and person the batch names in three queries, not one per event."""
    ids, external_ids, emails = set(), set(), set()
    for event in events:
        if isinstance(event.get("account"), int) and not isinstance(event.get("account"), bool):
            ids.add(event["account"])
        if isinstance(event.get("account_external_id"), str):
            external_ids.add(event["account_external_id"])
        if isinstance(event.get("user_email"), str):
            emails.add(event["user_email"].strip().lower())
    accounts = {
        "by_id": {pk: pk for pk in Account.objects.filter(pk__in=ids).values_list("pk", flat=True)}
        if ids
        else {},
        "by_external_id": dict(
            Account.objects.filter(external_id__in=external_ids).values_list("external_id", "pk")
        )
        if external_ids
        else {},
    }
    users = (
        {
            email: (pk, account_id)
            for pk, email, account_id in User.objects.filter(email__in=emails, is_active=True).values_list(
                "pk", "email", "account_id"
            )
        }
        if emails
        else {}
    )
    return accounts, users


class IngestEventsApi(APIView):
    """Add a batch of events (product usage, support tickets, CRM activity) to the interaction log.

    Valid events are stored and invalid ones reported back by index, in one response. Repeating
    a batch is safe: events whose `event_id` this integration sent before count as duplicates.
    """

    authentication_classes = [IntegrationTokenAuthentication]
    permission_classes = [IsIntegration]
    throttle_classes = [IntegrationThrottle]

    @extend_schema(
        request=BatchSerializer,
        responses={200: IngestionReportSerializer},
        examples=[
            OpenApiExample(
                "Two events",
                request_only=True,
                value={
                    "events": [
                        {
                            "event_id": "evt-1001",
                            "kind": "product.feature_used",
                            "occurred_at": "2026-05-01T09:30:00Z",
                            "user_email": "ana@customer.example",
                            "subject_type": "feature",
                            "subject_id": "reports",
                        },
                        {
                            "event_id": "evt-1002",
                            "kind": "support.ticket_opened",
                            "occurred_at": "2026-05-01T10:00:00Z",
                            "account_external_id": "CRM-0042",
                            "properties": {"severity": "high"},
                        },
                    ]
                },
            )
        ],
    )
    def post(self, request):
        envelope = BatchSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        events = envelope.validated_data["events"]
        accounts, users = _lookups(events)
        valid, rejected = [], []
        for index, event in enumerate(events):
            serializer = EventSerializer(data=event, context={"accounts": accounts, "users": users})
            if serializer.is_valid():
                valid.append(serializer.validated_data)
            else:
                event_id = event.get("event_id")
                rejected.append(
                    {
                        "index": index,
                        "event_id": event_id if isinstance(event_id, str) else None,
                        "errors": serializer.errors,
                    }
                )
        report = services.ingest_batch(token=request.auth, events=valid)
        report.rejected = rejected
        return Response(IngestionReportSerializer(report.as_dict()).data, status=status.HTTP_200_OK)
