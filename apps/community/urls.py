from django.urls import include, path

urlpatterns = [
    path("", include("apps.community.idea_urls")),
    path("", include("apps.community.qa_urls")),
]

api_urlpatterns = [
    path("", include("apps.community.idea_api")),
    path("", include("apps.community.qa_api")),
]
