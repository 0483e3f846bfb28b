"""The engagement REST API for CS managers: their tasks (list, complete by logging the interaction),
an account's onboarding milestones, and its success plan."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import Account
from apps.accounts.permissions import IsCSManager
from apps.engagement import onboarding, plan_selectors, services, task_selectors
from apps.engagement.models import Task, TaskStatus
from apps.engagement.onboarding_serializers import OnboardingSerializer
from apps.engagement.plan_serializers import SuccessPlanSerializer
from apps.engagement.serializers import TaskCompleteInputSerializer, TaskListFilterSerializer, TaskSerializer


class TaskListApi(APIView):
    """The caller's open tasks by default; `status`, `assignee` (me, all, unassigned) and
    `account` filter them. Sorted by due date, high priority first; paginated."""

    permission_classes = [IsCSManager]
    # Declared so that the schema describes the paginated envelope this view returns.
    pagination_class = PageNumberPagination

    @extend_schema(parameters=[TaskListFilterSerializer], responses=TaskSerializer(many=True))
    def get(self, request):
        filters = TaskListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        tasks = task_selectors.task_api_list(user=request.user, **filters.validated_data)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(tasks, request, view=self)
        return paginator.get_paginated_response(TaskSerializer(page, many=True).data)


@extend_schema(parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The task's id.")])
class TaskCompleteApi(APIView):
    """Complete a task by logging the one-to-one interaction that did it. 409 if it is already
    closed."""

    permission_classes = [IsCSManager]

    @extend_schema(
        request=TaskCompleteInputSerializer,
        responses={
            200: TaskSerializer,
            400: OpenApiResponse(description="Field errors."),
            409: OpenApiResponse(description="The task is already closed."),
        },
    )
    def post(self, request, pk):
        try:
            task = task_selectors.task_detail(pk=pk)
        except Task.DoesNotExist as exc:
            raise Http404("No such task.") from exc
        data = TaskCompleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if task.status != TaskStatus.OPEN:
            return Response({"detail": "This task is already closed."}, status=status.HTTP_409_CONFLICT)
        try:
            services.task_complete(task=task, by=request.user, **data.validated_data)
        except services.EngagementError as exc:
            code = status.HTTP_409_CONFLICT if "already closed" in str(exc) else status.HTTP_400_BAD_REQUEST
            return Response({"detail": str(exc)}, status=code)
        return Response(TaskSerializer(task_selectors.task_detail(pk=pk)).data)


@extend_schema(
    parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The account's id.")]
)
class OnboardingApi(APIView):
    """An account's onboarding momentum: the engagement model it follows and its five onboarding
    milestones in order, each with when it was reached, the days since the previous one and
    whether it is overdue (its window passed and it was escalated)."""

    permission_classes = [IsCSManager]

    @extend_schema(responses=OnboardingSerializer)
    def get(self, request, pk):
        account = get_object_or_404(Account, pk=pk)
        return Response(OnboardingSerializer(onboarding.account_onboarding(account=account)).data)


@extend_schema(
    parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The account's id.")]
)
class SuccessPlanApi(APIView):
    """An account's success plan: each objective's current value, progress and whether it is
    achieved, and the plan's realisation (% of objectives achieved). 404 when it has no plan."""

    permission_classes = [IsCSManager]

    @extend_schema(responses=SuccessPlanSerializer)
    def get(self, request, pk):
        account = get_object_or_404(Account, pk=pk)
        plan = plan_selectors.success_plan_progress(account=account)
        if plan is None:
            raise Http404("This account has no success plan.")
        return Response(SuccessPlanSerializer(plan).data)
