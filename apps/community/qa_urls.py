from django.urls import path

from apps.community import qa_views as views

urlpatterns = [
    path("community/questions/", views.question_list, name="question_list"),
    path("community/questions/new/", views.question_new, name="question_new"),
    path("community/questions/<int:pk>/", views.question_detail, name="question_detail"),
    path("community/questions/<int:pk>/edit/", views.question_edit, name="question_edit"),
    path("community/questions/<int:pk>/answers/", views.answer_new, name="answer_new"),
    path("community/questions/<int:pk>/hide/", views.question_hide, name="question_hide"),
    path("community/answers/<int:pk>/vote/", views.answer_vote, name="answer_vote"),
    path("community/answers/<int:pk>/accept/", views.answer_accept, name="answer_accept"),
    path("community/answers/<int:pk>/hide/", views.answer_hide, name="answer_hide"),
    path("community/flags/new/", views.flag_new, name="flag_new"),
    path("community/moderation/", views.moderation_queue, name="moderation_queue"),
    path("community/moderation/<str:target>/<int:target_id>/", views.flag_resolve, name="flag_resolve"),
]
