from django.urls import path

from apps.engagement import api, loop_views, model_views, plan_views, views

urlpatterns = [
    # The CS manager's work: tasks and one-to-one engagement (views.py)
    path("engagement/tasks/", views.task_inbox, name="task_inbox"),
    path("engagement/tasks/new/", views.task_new, name="task_new"),
    path("engagement/tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("engagement/tasks/<int:pk>/complete/", views.task_complete, name="task_complete"),
    path("engagement/tasks/<int:pk>/cancel/", views.task_cancel, name="task_cancel"),
    path(
        "engagement/detractors/<int:interaction_id>/",
        views.detractor_task_redirect,
        name="detractor_task_redirect",
    ),
    # Closing the loop with detractors (loop_views.py)
    path("engagement/tasks/<int:pk>/ideas/", loop_views.task_link_idea, name="task_link_idea"),
    path("engagement/loop/", loop_views.loop_report, name="loop_report"),
    # Engagement models, moments, account engagement and onboarding momentum (model_views.py)
    path("engagement/models/", model_views.model_list, name="model_list"),
    path("engagement/models/new/", model_views.model_new, name="model_new"),
    path("engagement/models/<int:pk>/", model_views.model_detail, name="model_detail"),
    path("engagement/models/<int:pk>/edit/", model_views.model_edit, name="model_edit"),
    path("engagement/models/<int:pk>/moments/new/", model_views.moment_new, name="moment_new"),
    path("engagement/moments/<int:pk>/edit/", model_views.moment_edit, name="moment_edit"),
    path("engagement/moments/<int:pk>/delete/", model_views.moment_delete, name="moment_delete"),
    path("engagement/accounts/<int:pk>/", model_views.account_engagement, name="account_engagement"),
    path(
        "engagement/accounts/<int:pk>/model/", model_views.account_model_change, name="account_model_change"
    ),
    path("engagement/onboarding/", model_views.onboarding_report, name="onboarding_report"),
    # Success plans (plan_views.py)
    path("engagement/plans/", plan_views.plan_list, name="plan_list"),
    path("engagement/accounts/<int:pk>/plan/", plan_views.plan_detail, name="plan_detail"),
    path("engagement/accounts/<int:pk>/plan/objectives/new/", plan_views.objective_new, name="objective_new"),
    path("engagement/objectives/<int:pk>/edit/", plan_views.objective_edit, name="objective_edit"),
    path("engagement/objectives/<int:pk>/delete/", plan_views.objective_delete, name="objective_delete"),
]

api_urlpatterns = [
    path("engagement/tasks/", api.TaskListApi.as_view(), name="api-task-list"),
    path("engagement/tasks/<int:pk>/complete/", api.TaskCompleteApi.as_view(), name="api-task-complete"),
    path(
        "engagement/accounts/<int:pk>/onboarding/", api.OnboardingApi.as_view(), name="api-account-onboarding"
    ),
    path("engagement/accounts/<int:pk>/plan/", api.SuccessPlanApi.as_view(), name="api-success-plan"),
]
