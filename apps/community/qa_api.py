"""REST endpoints of peer Q&A. Reads are scoped to the caller; writes go through qa_services."""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.community import qa_selectors as selectors
from apps.community import qa_services as services
from apps.community.models import Answer, Question
from apps.community.serializers import AreaField


def _domain_error(exc: services.QAError) -> Exception:
    if isinstance(exc, services.PermissionDenied):
        return PermissionDenied(str(exc))
    return ValidationError({"detail": str(exc)})


def _question(request, pk) -> Question:
    try:
        return selectors.question_get(user=request.user, pk=pk)
    except Question.DoesNotExist as exc:
        raise Http404 from exc


def _answer(request, pk) -> Answer:
    try:
        return selectors.answer_get(user=request.user, pk=pk)
    except Answer.DoesNotExist as exc:
        raise Http404 from exc


class AnswerOutputSerializer(serializers.ModelSerializer):
    author = serializers.StringRelatedField()
    is_accepted = serializers.SerializerMethodField()

    class Meta:
        model = Answer
        fields = ["id", "question", "author", "body", "vote_count", "is_accepted", "hidden", "created_at"]

    def get_is_accepted(self, answer) -> bool:
        return bool(getattr(answer, "is_accepted", False))


class QuestionOutputSerializer(serializers.ModelSerializer):
    author = serializers.StringRelatedField()
    areas = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    has_accepted = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = [
            "id",
            "title",
            "body",
            "author",
            "areas",
            "answer_count",
            "accepted_answer",
            "has_accepted",
            "hidden",
            "created_at",
        ]

    def get_has_accepted(self, question) -> bool:
        return question.accepted_answer_id is not None


class QuestionListFilterSerializer(serializers.Serializer):
    filter = serializers.ChoiceField(choices=selectors.FILTERS, required=False, default="all")
    q = serializers.CharField(max_length=100, required=False, default="")
    area = serializers.SlugField(required=False, default="")


@extend_schema_view(get=extend_schema(parameters=[QuestionListFilterSerializer]))
class QuestionListApi(ListAPIView):
    """Questions the caller may see (`?filter=unanswered|mine`, `?q=`, `?area=<slug>`); POST asks one."""

    serializer_class = QuestionOutputSerializer
    queryset = Question.objects.none()  # for the schema; get_queryset scopes to the caller
    filter_backends: list = []

    class QuestionCreateInputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=160)
        body = serializers.CharField()
        areas = AreaField(many=True, required=False)

    def get_queryset(self):
        filters = QuestionListFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.question_list(user=self.request.user, **filters.validated_data)

    @extend_schema(request=QuestionCreateInputSerializer, responses={201: QuestionOutputSerializer})
    def post(self, request):
        data = self.QuestionCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            question = services.question_ask(user=request.user, **data.validated_data)
        except services.QAError as exc:
            raise _domain_error(exc) from exc
        return Response(QuestionOutputSerializer(question).data, status=status.HTTP_201_CREATED)


class QuestionDetailApi(APIView):
    """A question with its answers (accepted first, then by votes) and the caller's votes."""

    class QuestionDetailOutputSerializer(QuestionOutputSerializer):
        answers = serializers.SerializerMethodField()
        my_votes = serializers.SerializerMethodField()

        class Meta(QuestionOutputSerializer.Meta):
            fields = [*QuestionOutputSerializer.Meta.fields, "answers", "my_votes"]

        @extend_schema_field(AnswerOutputSerializer(many=True))
        def get_answers(self, question) -> list:
            return AnswerOutputSerializer(self.context["answers"], many=True).data

        def get_my_votes(self, question) -> list[int]:
            return sorted(self.context["my_votes"])

    @extend_schema(responses=QuestionDetailOutputSerializer)
    def get(self, request, pk):
        try:
            page = selectors.question_detail(user=request.user, pk=pk)
        except Question.DoesNotExist as exc:
            raise Http404 from exc
        context = {"answers": page.answers, "my_votes": page.my_votes}
        return Response(self.QuestionDetailOutputSerializer(page.question, context=context).data)


class AnswerCreateApi(APIView):
    class AnswerCreateInputSerializer(serializers.Serializer):
        body = serializers.CharField()

    @extend_schema(request=AnswerCreateInputSerializer, responses={201: AnswerOutputSerializer})
    def post(self, request, pk):
        question = _question(request, pk)
        data = self.AnswerCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            answer = services.answer_post(
                user=request.user, question=question, body=data.validated_data["body"]
            )
        except services.QAError as exc:
            raise _domain_error(exc) from exc
        return Response(AnswerOutputSerializer(answer).data, status=status.HTTP_201_CREATED)


class AnswerVoteApi(APIView):
    """Vote an answer up (POST) or withdraw the vote (DELETE)."""

    @extend_schema(request=None, responses={201: AnswerOutputSerializer})
    def post(self, request, pk):
        answer = _answer(request, pk)
        try:
            services.answer_vote(user=request.user, answer=answer)
        except services.QAError as exc:
            raise _domain_error(exc) from exc
        return Response(AnswerOutputSerializer(answer).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: AnswerOutputSerializer})
    def delete(self, request, pk):
        answer = _answer(request, pk)
        try:
            services.answer_unvote(user=request.user, answer=answer)
        except services.QAError as exc:
            raise _domain_error(exc) from exc
        return Response(AnswerOutputSerializer(answer).data)


class AnswerAcceptApi(APIView):
    """The asker or a content admin accepts an answer (replacing any accepted before)."""

    @extend_schema(request=None, responses={200: QuestionOutputSerializer})
    def post(self, request, pk):
        answer = _answer(request, pk)
        try:
            question = services.answer_accept(answer=answer, by=request.user)
        except services.QAError as exc:
            raise _domain_error(exc) from exc
        return Response(QuestionOutputSerializer(question).data)


urlpatterns = [
    path("questions/", QuestionListApi.as_view(), name="api-question-list"),
    path("questions/<int:pk>/", QuestionDetailApi.as_view(), name="api-question-detail"),
    path("questions/<int:pk>/answers/", AnswerCreateApi.as_view(), name="api-question-answer-create"),
    path("answers/<int:pk>/vote/", AnswerVoteApi.as_view(), name="api-question-answer-vote"),
    path("answers/<int:pk>/accept/", AnswerAcceptApi.as_view(), name="api-question-answer-accept"),
]
