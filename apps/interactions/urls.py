from django.urls import path

from apps.interactions import api, views

urlpatterns = [
    path("integrations/", views.integration_list, name="integration_list"),
    path("integrations/<int:pk>/revoke/", views.integration_revoke, name="integration_revoke"),
]

api_urlpatterns = [
    path("events/batch/", api.IngestEventsApi.as_view(), name="api-events-batch"),
]
