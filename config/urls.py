from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.accounts import views as account_views
from apps.accounts.urls import api_urlpatterns as accounts_api
from apps.analytics.urls import api_urlpatterns as analytics_api
from apps.assessments.urls import api_urlpatterns as assessments_api
from apps.community.urls import api_urlpatterns as community_api
from apps.engagement.urls import api_urlpatterns as engagement_api
from apps.interactions.urls import api_urlpatterns as interactions_api
from apps.learning.urls import api_urlpatterns as learning_api
from apps.notifications.urls import api_urlpatterns as notifications_api
from apps.roadmap.urls import api_urlpatterns as roadmap_api
from apps.surveys.urls import api_urlpatterns as surveys_api
from config import views

# django.contrib.auth.urls, with Cairn's throttled reset request and lockout-aware password change.
auth_urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, extra_context={"show_demo_logins": settings.SHOW_DEMO_LOGINS}
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password_reset/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path("password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]

api_v1 = [
    *accounts_api,
    *interactions_api,
    *notifications_api,
    *learning_api,
    *assessments_api,
    *community_api,
    *roadmap_api,
    *surveys_api,
    *engagement_api,
    *analytics_api,
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include(auth_urlpatterns)),
    path("", include("apps.accounts.urls")),
    path("", include("apps.interactions.urls")),
    path("", include("apps.learning.urls")),
    path("", include("apps.assessments.urls")),
    path("", include("apps.notifications.urls")),
    path("", include("apps.community.urls")),
    path("", include("apps.roadmap.urls")),
    path("", include("apps.surveys.urls")),
    path("", include("apps.engagement.urls")),
    path("", include("apps.analytics.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler400 = "config.views.bad_request"
handler500 = "config.views.server_error"

admin.site.site_header = "Cairn administration"
admin.site.site_title = "Cairn admin"
