from django.urls import include, path

from apps.learning import api, views

urlpatterns = [
    path("learn/", views.library, name="library"),
    path("learn/next/", views.next_up, name="learning_next"),
    path("learn/c/<slug:slug>/", views.content_detail, name="content_detail"),
    path("learn/c/<slug:slug>/complete/", views.content_complete, name="content_complete"),
    path("learn/c/<slug:slug>/lessons/<int:pk>/", views.lesson_detail, name="lesson_detail"),
    path("learn/c/<slug:slug>/lessons/<int:pk>/complete/", views.lesson_complete, name="lesson_complete"),
    path("learn/paths/", views.path_list, name="path_list"),
    path("learn/paths/<slug:slug>/", views.path_detail, name="path_detail"),
    path("learn/paths/<slug:slug>/enrol/", views.path_enrol, name="path_enrol"),
    path("learn/paths/<slug:slug>/steps/<int:pk>/complete/", views.step_complete, name="step_complete"),
    path("learn/sessions/", views.session_list, name="session_list"),
    path("learn/sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("learn/sessions/<int:pk>/register/", views.session_register, name="session_register"),
    path("learn/sessions/<int:pk>/cancel/", views.session_cancel, name="session_cancel_registration"),
    path("learn/sessions/<int:pk>/calendar.ics", views.session_calendar, name="session_calendar"),
    path("learn/heartbeat/", views.heartbeat, name="learning_heartbeat"),
    path("learn/preferences/", views.preferences, name="learning_preferences"),
    path("learn/digest/unsubscribe/<str:token>/", views.digest_unsubscribe, name="digest_unsubscribe"),
    path("team/learning/", views.team_learning, name="team_learning"),
    path("studio/", include("apps.learning.studio_urls")),
]

api_urlpatterns = [
    path("learning/content/", api.ContentListApi.as_view(), name="api-content-list"),
    path("learning/content/<slug:slug>/", api.ContentDetailApi.as_view(), name="api-content-detail"),
    path("learning/paths/", api.PathListApi.as_view(), name="api-path-list"),
    path("learning/paths/<slug:slug>/", api.PathDetailApi.as_view(), name="api-path-detail"),
    path("learning/paths/<slug:slug>/enrol/", api.PathEnrolApi.as_view(), name="api-path-enrol"),
    path("learning/enrolments/", api.EnrolmentListApi.as_view(), name="api-enrolment-list"),
    path("learning/steps/<int:pk>/complete/", api.StepCompleteApi.as_view(), name="api-step-complete"),
    path("learning/sessions/", api.SessionListApi.as_view(), name="api-session-list"),
    path(
        "learning/sessions/<int:pk>/registration/",
        api.SessionRegistrationApi.as_view(),
        name="api-session-registration",
    ),
    path("learning/recommendations/", api.RecommendationListApi.as_view(), name="api-recommendation-list"),
    path("learning/team-progress/", api.TeamProgressApi.as_view(), name="api-team-progress"),
]
