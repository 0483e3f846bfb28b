from django.urls import path

from apps.assessments import views

urlpatterns = [
    path("assessments/", views.assessment_list, name="assessment_list"),
    path("assessments/attempts/<int:pk>/", views.attempt_take, name="attempt_take"),
    path("assessments/attempts/<int:pk>/answer/", views.attempt_answer, name="attempt_answer"),
    path("assessments/attempts/<int:pk>/submit/", views.attempt_submit, name="attempt_submit"),
    path("assessments/attempts/<int:pk>/result/", views.attempt_result, name="attempt_result"),
    path("assessments/<slug:slug>/", views.assessment_detail, name="assessment_detail"),
    path("assessments/<slug:slug>/start/", views.assessment_start, name="assessment_start"),
    path("skills/", views.skills_mine, name="skills_mine"),
    path("skills/accounts/", views.skills_accounts, name="skills_accounts"),
    path("team/skills/", views.skills_team, name="skills_team"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
]
