"""The assessments Studio, included under /studio/assessments/. Every name starts with "studio_"."""

from django.urls import path

from apps.assessments import studio_views as views

urlpatterns = [
    path("", views.studio_assessments_home, name="studio_assessments_home"),
    path("new/", views.assessment_edit, name="studio_assessment_new"),
    path("<int:pk>/", views.assessment_edit, name="studio_assessment_edit"),
    path("<int:pk>/publish/", views.assessment_publish, name="studio_assessment_publish"),
    path("<int:pk>/questions/", views.assessment_questions_add, name="studio_assessment_questions_add"),
    path("items/<int:pk>/move/", views.assessment_question_move, name="studio_assessment_question_move"),
    path(
        "items/<int:pk>/remove/", views.assessment_question_remove, name="studio_assessment_question_remove"
    ),
    path("questions/new/", views.question_edit, name="studio_question_new"),
    path("questions/<int:pk>/", views.question_edit, name="studio_question_edit"),
    path("certifications/new/", views.certification_edit, name="studio_certification_new"),
    path("certifications/<int:pk>/", views.certification_edit, name="studio_certification_edit"),
    path(
        "certifications/<int:pk>/publish/", views.certification_publish, name="studio_certification_publish"
    ),
    path("certifications/<int:pk>/awards/", views.certification_awards, name="studio_certification_awards"),
    path("awards/<int:pk>/revoke/", views.award_revoke, name="studio_award_revoke"),
    path("points/new/", views.rule_edit, name="studio_rule_new"),
    path("points/<int:pk>/", views.rule_edit, name="studio_rule_edit"),
    path("points/<int:pk>/delete/", views.rule_delete, name="studio_rule_delete"),
    path("badges/new/", views.badge_edit, name="studio_badge_new"),
    path("badges/<int:pk>/", views.badge_edit, name="studio_badge_edit"),
    path("badges/<int:pk>/delete/", views.badge_delete, name="studio_badge_delete"),
]
