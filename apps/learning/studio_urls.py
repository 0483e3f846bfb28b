"""The Studio's pages, included under /studio/. Every name starts with "studio_"."""

from django.urls import path

from apps.learning import studio_views as views

urlpatterns = [
    path("", views.studio_home, name="studio_home"),
    path("content/new/", views.content_edit, name="studio_content_new"),
    path("content/<int:pk>/", views.content_edit, name="studio_content_edit"),
    path("content/<int:pk>/publish/", views.content_publish, name="studio_content_publish"),
    path("content/<int:pk>/lessons/new/", views.lesson_new, name="studio_lesson_new"),
    path("lessons/<int:pk>/", views.lesson_edit, name="studio_lesson_edit"),
    path("lessons/<int:pk>/delete/", views.lesson_delete, name="studio_lesson_delete"),
    path("lessons/<int:pk>/move/", views.lesson_move, name="studio_lesson_move"),
    path("paths/new/", views.path_edit, name="studio_path_new"),
    path("paths/<int:pk>/", views.path_edit, name="studio_path_edit"),
    path("paths/<int:pk>/publish/", views.path_publish, name="studio_path_publish"),
    path("paths/<int:pk>/steps/", views.step_add, name="studio_step_add"),
    path("steps/<int:pk>/remove/", views.step_remove, name="studio_step_remove"),
    path("steps/<int:pk>/move/", views.step_move, name="studio_step_move"),
    path("sessions/new/", views.session_edit, name="studio_session_new"),
    path("sessions/<int:pk>/", views.session_edit, name="studio_session_edit"),
    path("sessions/<int:pk>/cancel/", views.session_cancel, name="studio_session_cancel"),
    path("sessions/<int:pk>/attendance/", views.session_attendance, name="studio_session_attendance"),
]
