"""REST endpoints of the assessments app. Reads are scoped to the caller (someone else's attempt is
a 404); writes go through services, whose refusals are 400 {"detail": ...}."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.assessments import selectors, services
from apps.assessments.models import Assessment, Attempt, AttemptStatus, IncentivePreference
from apps.assessments.serializers import (
    AnswerInputSerializer,
    AnswerSerializer,
    AssessmentSerializer,
    AttemptSerializer,
    CertificationProgressSerializer,
    LeaderboardSerializer,
    ProficiencySerializer,
)


def _domain_error(exc: services.AssessmentError) -> ValidationError:
    return ValidationError({"detail": str(exc)})


def _own_attempt(request, pk) -> Attempt:
    return get_object_or_404(Attempt.objects.select_related("assessment"), pk=pk, user=request.user)


def _attempt_data(attempt: Attempt, *, user) -> dict:
    """What AttemptSerializer shows: the questions while open, the result once graded."""
    questions, result = [], None
    if attempt.is_open:
        questions = selectors.attempt_questions(attempt=attempt)
    else:
        graded = selectors.attempt_result(attempt=attempt)
        suggested = graded["suggested_path"]
        if suggested is not None and not (suggested.is_published or user.is_content_admin):
            suggested = None
        result = {"attempt": attempt, "skills": graded["skills"], "suggested_path": suggested}
    time_left = attempt.time_left()
    return {
        "attempt": attempt,
        "questions": questions,
        "result": result,
        "time_left_seconds": int(time_left.total_seconds()) if time_left is not None else None,
    }


class AssessmentListApi(APIView):
    """Assessments the caller may take (content admins also see drafts), with their own record."""

    @extend_schema(responses=AssessmentSerializer(many=True))
    def get(self, request):
        return Response(AssessmentSerializer(selectors.assessment_list(user=request.user), many=True).data)


class AttemptStartApi(APIView):
    """Start an attempt (201), or get the open one back to resume it (200)."""

    @extend_schema(request=None, responses={201: AttemptSerializer, 200: AttemptSerializer})
    def post(self, request, slug):
        assessment = get_object_or_404(Assessment.objects.visible_to(request.user), slug=slug)
        open_pk = (
            Attempt.objects.filter(user=request.user, assessment=assessment, status=AttemptStatus.IN_PROGRESS)
            .values_list("pk", flat=True)
            .first()
        )
        try:
            attempt = services.attempt_start(user=request.user, assessment=assessment)
        except services.AssessmentError as exc:
            raise _domain_error(exc) from exc
        code = status.HTTP_200_OK if attempt.pk == open_pk else status.HTTP_201_CREATED
        return Response(AttemptSerializer(_attempt_data(attempt, user=request.user)).data, status=code)


class AttemptDetailApi(APIView):
    @extend_schema(responses=AttemptSerializer)
    def get(self, request, pk):
        attempt = services.attempt_close_if_overdue(attempt=_own_attempt(request, pk))
        return Response(AttemptSerializer(_attempt_data(attempt, user=request.user)).data)


class AnswerApi(APIView):
    """Save (or change) the answer to one question of an open attempt."""

    @extend_schema(request=AnswerInputSerializer, responses=AnswerSerializer)
    def put(self, request, pk, question_id):
        attempt = _own_attempt(request, pk)
        data = AnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            answer = services.answer_save(
                attempt=attempt,
                user=request.user,
                question_id=question_id,
                selected=data.validated_data.get("options"),
                numeric_raw=data.validated_data.get("numeric"),
            )
        except services.AssessmentError as exc:
            raise _domain_error(exc) from exc
        return Response(AnswerSerializer(answer).data)


class AttemptSubmitApi(APIView):
    """Grade the attempt (once) and return its result."""

    @extend_schema(request=None, responses=AttemptSerializer)
    def post(self, request, pk):
        attempt = _own_attempt(request, pk)
        try:
            attempt = services.attempt_submit(attempt=attempt, user=request.user)
        except services.AssessmentError as exc:
            raise _domain_error(exc) from exc
        return Response(AttemptSerializer(_attempt_data(attempt, user=request.user)).data)


class ProficiencyApi(APIView):
    """The caller's level per skill they were assessed on."""

    @extend_schema(responses=ProficiencySerializer(many=True))
    def get(self, request):
        return Response(ProficiencySerializer(selectors.user_proficiency(user=request.user), many=True).data)


class CertificationListApi(APIView):
    """Published certifications with the caller's progress and latest award."""

    @extend_schema(responses=CertificationProgressSerializer(many=True))
    def get(self, request):
        progress = selectors.certification_progress(user=request.user)
        return Response(
            CertificationProgressSerializer(progress, many=True, context={"request": request}).data
        )


class LeaderboardApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "scope",
                str,
                enum=["account", "global"],
                description="The caller's account (the default for customers' people), or everyone "
                "who opted in to the global board (the default, and only board, for vendor staff).",
            )
        ],
        responses=LeaderboardSerializer,
    )
    def get(self, request):
        user = request.user
        has_account = user.is_customer and user.account_id is not None
        scope = request.query_params.get("scope") or ("account" if has_account else "global")
        if scope not in ("account", "global"):
            raise ValidationError({"detail": "scope is account or global."})
        if scope == "account" and not has_account:
            raise ValidationError({"detail": "You have no account leaderboard; ask for scope=global."})
        entries = (
            selectors.leaderboard(account=user.account) if scope == "account" else selectors.leaderboard()
        )
        preference = IncentivePreference.objects.filter(user=user).first()
        data = {
            "scope": scope,
            "my_points": selectors.points_total(user=user),
            "opted_in": bool(preference and preference.global_leaderboard),
            "entries": [{**entry, "is_me": entry["user_id"] == user.pk} for entry in entries],
        }
        return Response(LeaderboardSerializer(data).data)


urlpatterns = [
    path("assessments/", AssessmentListApi.as_view(), name="api-assessment-list"),
    path("assessments/<slug:slug>/attempts/", AttemptStartApi.as_view(), name="api-attempt-start"),
    path("attempts/<int:pk>/", AttemptDetailApi.as_view(), name="api-attempt-detail"),
    path(
        "attempts/<int:pk>/answers/<int:question_id>/",
        AnswerApi.as_view(),
        name="api-attempt-answer",
    ),
    path("attempts/<int:pk>/submit/", AttemptSubmitApi.as_view(), name="api-attempt-submit"),
    path("skills/proficiency/", ProficiencyApi.as_view(), name="api-proficiency"),
    path("certifications/", CertificationListApi.as_view(), name="api-certification-list"),
    path("leaderboard/", LeaderboardApi.as_view(), name="api-leaderboard"),
]
