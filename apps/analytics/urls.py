from django.urls import path

from apps.analytics import api, config_views, report_views, views

urlpatterns = [
    path("analytics/", views.portfolio, name="portfolio"),
    path("analytics/portfolio.csv", views.portfolio_export, name="portfolio_export"),
    path("analytics/accounts/<int:pk>/", views.account_360, name="account_360"),
    path("analytics/accounts/<int:pk>/timeline/", views.account_timeline, name="account_timeline"),
    path("analytics/engagement/", report_views.engagement_report, name="engagement_report"),
    path("analytics/training/", report_views.training_report, name="training_report"),
    path("analytics/retention/", report_views.retention_report, name="retention_report"),
    path("analytics/settings/", config_views.health_settings, name="health_settings"),
    path("analytics/settings/<str:segment>/", config_views.health_settings_edit, name="health_settings_edit"),
    path("team/training/", report_views.team_training, name="team_training"),
]

api_urlpatterns = [
    path("analytics/scores/", api.ScoreListApi.as_view(), name="api-health-scores"),
    path(
        "analytics/accounts/<int:pk>/snapshots/",
        api.SnapshotListApi.as_view(),
        name="api-health-snapshots",
    ),
    path("analytics/metrics/retention/", api.RetentionApi.as_view(), name="api-metrics-retention"),
    path("analytics/metrics/engagement/", api.EngagementApi.as_view(), name="api-metrics-engagement"),
    path("analytics/metrics/training/", api.TrainingApi.as_view(), name="api-metrics-training"),
    path("analytics/my-account/training/", api.TeamTrainingApi.as_view(), name="api-team-training"),
]
