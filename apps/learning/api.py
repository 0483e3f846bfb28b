"""REST endpoints of the learning app. Reads are scoped to the caller; writes go through services."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import Role
from apps.accounts.permissions import HasRole
from apps.learning import selectors, services
from apps.learning.models import ContentItem, Enrolment, LearningPath, LiveSession, PathStep
from apps.learning.serializers import (
    ContentDetailSerializer,
    ContentSerializer,
    EnrolmentSerializer,
    PathProgressSerializer,
    PathSerializer,
    RecommendationSerializer,
    RegistrationSerializer,
    SessionSerializer,
    TeamMemberSerializer,
)


def _domain_error(exc: services.LearningError) -> ValidationError:
    return ValidationError({"detail": str(exc)})


class ContentListApi(generics.ListAPIView):
    """The content library: published items (content admins also see drafts)."""

    serializer_class = ContentSerializer
    filterset_fields = ["kind", "level", "vertical", "status"]
    ordering_fields = ["title", "published_at", "estimated_minutes"]
    ordering = ["title"]

    def get_queryset(self):
        return ContentItem.objects.visible_to(self.request.user).prefetch_related("skills")


class ContentDetailApi(generics.RetrieveAPIView):
    serializer_class = ContentDetailSerializer
    lookup_field = "slug"

    def get_queryset(self):
        return ContentItem.objects.visible_to(self.request.user).prefetch_related("skills")


class PathListApi(generics.ListAPIView):
    serializer_class = PathSerializer
    filterset_fields = ["level", "vertical", "status"]
    ordering = ["title"]

    def get_queryset(self):
        return LearningPath.objects.visible_to(self.request.user).prefetch_related("skills", "prerequisites")


class PathDetailApi(APIView):
    """A path with the caller's progress on each step."""

    @extend_schema(responses=PathProgressSerializer)
    def get(self, request, slug):
        path = get_object_or_404(LearningPath.objects.visible_to(request.user), slug=slug)
        return Response(PathProgressSerializer(selectors.path_progress(user=request.user, path=path)).data)


class PathEnrolApi(APIView):
    @extend_schema(request=None, responses={201: EnrolmentSerializer})
    def post(self, request, slug):
        path = get_object_or_404(LearningPath.objects.visible_to(request.user), slug=slug)
        try:
            enrolment = services.path_enrol(user=request.user, path=path)
        except services.LearningError as exc:
            raise _domain_error(exc) from exc
        enrolment.done_count = enrolment.completions.filter(step__required=True).count()
        enrolment.step_count = path.steps.filter(required=True).count()
        return Response(EnrolmentSerializer(enrolment).data, status=status.HTTP_201_CREATED)


class EnrolmentListApi(generics.ListAPIView):
    """The caller's own enrolments."""

    serializer_class = EnrolmentSerializer
    queryset = Enrolment.objects.none()  # for the schema; get_queryset scopes to the caller
    ordering = ["-enrolled_at"]

    def get_queryset(self):
        from django.db.models import Count, Q

        return (
            Enrolment.objects.filter(user=self.request.user)
            .select_related("path", "user")
            .annotate(
                done_count=Count("completions", filter=Q(completions__step__required=True), distinct=True),
                step_count=Count("path__steps", filter=Q(path__steps__required=True), distinct=True),
            )
        )


class StepCompleteApi(APIView):
    @extend_schema(request=None, responses={200: PathProgressSerializer})
    def post(self, request, pk):
        step = get_object_or_404(
            PathStep.objects.select_related("content", "path").filter(
                path__in=LearningPath.objects.visible_to(request.user)
            ),
            pk=pk,
        )
        try:
            services.step_complete(user=request.user, step=step)
        except services.LearningError as exc:
            raise _domain_error(exc) from exc
        return Response(
            PathProgressSerializer(selectors.path_progress(user=request.user, path=step.path)).data
        )


class SessionListApi(generics.ListAPIView):
    """Upcoming live sessions (`?past=1` for past ones, with their recordings)."""

    serializer_class = SessionSerializer
    queryset = LiveSession.objects.none()  # for the schema; get_queryset annotates for the caller

    def get_queryset(self):
        return selectors.session_list(
            user=self.request.user, past=self.request.query_params.get("past") == "1"
        )


class SessionRegistrationApi(APIView):
    """Register for a session (POST) or cancel the registration (DELETE)."""

    @extend_schema(request=None, responses={201: RegistrationSerializer})
    def post(self, request, pk):
        session = get_object_or_404(LiveSession, pk=pk)
        try:
            registration = services.session_register(user=request.user, session=session)
        except services.LearningError as exc:
            raise _domain_error(exc) from exc
        return Response(RegistrationSerializer(registration).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: RegistrationSerializer})
    def delete(self, request, pk):
        session = get_object_or_404(LiveSession, pk=pk)
        try:
            registration = services.session_cancel_registration(user=request.user, session=session)
        except services.LearningError as exc:
            raise _domain_error(exc) from exc
        return Response(RegistrationSerializer(registration).data)


class RecommendationListApi(APIView):
    @extend_schema(responses=RecommendationSerializer(many=True))
    def get(self, request):
        return Response(
            RecommendationSerializer(selectors.recommendations(user=request.user), many=True).data
        )


class TeamProgressApi(APIView):
    """A customer admin's team: learning figures per person (own account only)."""

    permission_classes = [HasRole.of(Role.CUSTOMER_ADMIN)]

    @extend_schema(responses=TeamMemberSerializer(many=True))
    def get(self, request):
        members = selectors.team_learning(account=request.user.account)
        return Response(TeamMemberSerializer(members, many=True).data)
