"""The batch ingestion endpoint through which external systems add events to the log."""

from django.db import connection
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
from apps.interactions.serializers import (
    BatchSerializer,
    EventSerializer,
    FastEventCleaner,
    IngestionReportSerializer,
    is_batch,
)

_MAX_ID = 2**63  # ids beyond a bigint cannot exist (and SQLite cannot even compare them)


def _lookups(events: list[dict]) -> tuple[dict, dict]:
    """Resolve every account and person the batch names in three queries, not one per event."""
    ids, external_ids, emails = set(), set(), set()
    for event in events:
        account = event.get("account")
        if isinstance(account, int) and not isinstance(account, bool) and 0 < account < _MAX_ID:
            ids.add(account)
        external_id = event.get("account_external_id")
        if isinstance(external_id, str):
            external_ids.add(external_id)
        email = event.get("user_email")
        if isinstance(email, str):
            emails.add(email.strip().lower())
    accounts = {
        "by_id": {pk: pk for pk in Account.objects.filter(pk__in=ids).values_list("pk", flat=True)}
        if ids
        else {},
        "by_external_id": dict(_rows(Account, "external_id", external_ids, ("external_id", "pk")))
        if external_ids
        else {},
    }
    users = (
        {
            email: (pk, account_id)
            for pk, email, account_id in _rows(User, "email", emails, ("pk", "email", "account_id"))
        }
        if emails
        else {}
    )
    return accounts, users


def _rows(model, field: str, values: set, columns: tuple) -> list[tuple]:
    """`columns` of the (active, for people) rows whose `field` is one of `values`. On PostgreSQL
    with one array parameter (`= ANY(%s)`): an IN list of hundreds of parameters costs more to
    compile and quote than the query takes to run."""
    if connection.vendor != "postgresql":
        qs = model.objects.filter(**{f"{field}__in": values})
        if model is User:
            qs = qs.filter(is_active=True)
        return list(qs.values_list(*columns))
    meta, quote = model._meta, connection.ops.quote_name
    selected = ", ".join(
        quote(meta.get_field(c).column) if c != "pk" else quote(meta.pk.column) for c in columns
    )
    where = f"{quote(meta.get_field(field).column)} = ANY(%s)"
    if model is User:
        where += f" AND {quote(meta.get_field('is_active').column)}"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {selected} FROM {quote(meta.db_table)} WHERE {where}", [list(values)])  # noqa: S608  # nosec B608
        return cursor.fetchall()


def _echoable(event_id) -> str | None:
    """The event id to repeat in a rejection: any text a JSON response can carry (not halves of
    surrogate pairs, which no UTF-8 can encode)."""
    if not isinstance(event_id, str):
        return None
    try:
        event_id.encode()
    except UnicodeEncodeError:
        return None
    return event_id


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
        # Well-formed batches and events take a plain-Python path with the serializers' rules;
        # anything else goes through the serializers themselves, for their exact errors.
        data = request.data
        if is_batch(data):
            events = data["events"]
        else:
            envelope = BatchSerializer(data=data)
            envelope.is_valid(raise_exception=True)
            events = envelope.validated_data["events"]
        accounts, users = _lookups(events)
        clean = FastEventCleaner(accounts=accounts, users=users).clean
        context = {"accounts": accounts, "users": users}
        valid, rejected = [], []
        for index, event in enumerate(events):
            cleaned = clean(event)
            if cleaned is not None:
                valid.append(cleaned)
                continue
            serializer = EventSerializer(data=event, context=context)
            if serializer.is_valid():
                valid.append(serializer.validated_data)
            else:
                event_id = event.get("event_id")
                rejected.append(
                    {
                        "index": index,
                        "event_id": _echoable(event_id),
                        "errors": serializer.errors,
                    }
                )
        report = services.ingest_batch(token=request.auth, events=valid)
        report.rejected = rejected
        return Response(IngestionReportSerializer(report.as_dict()).data, status=status.HTTP_200_OK)
