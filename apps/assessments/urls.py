from django.urls import include, path

from apps.assessments import api

urlpatterns = [
    path("", include("apps.assessments.learner_urls")),
    path("", include("apps.assessments.public_urls")),
    path("studio/assessments/", include("apps.assessments.studio_urls")),
]

api_urlpatterns = [path("", include(api.urlpatterns))]
