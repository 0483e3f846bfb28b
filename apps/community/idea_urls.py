from django.urls import path

from apps.community import views

urlpatterns = [
    path("community/ideas/", views.idea_list, name="idea_list"),
    path("community/ideas/new/", views.idea_new, name="idea_new"),
    path("community/ideas/similar/", views.idea_similar, name="idea_similar"),
    path("community/ideas/demand/", views.ideas_demand, name="ideas_demand"),
    path("community/ideas/<int:pk>/", views.idea_detail, name="idea_detail"),
    path("community/ideas/<int:pk>/vote/", views.idea_vote, name="idea_vote"),
    path("community/ideas/<int:pk>/follow/", views.idea_follow, name="idea_follow"),
    path("community/ideas/<int:pk>/comment/", views.idea_comment, name="idea_comment"),
    path("community/ideas/<int:pk>/edit/", views.idea_edit, name="idea_edit"),
    path("community/ideas/<int:pk>/status/", views.idea_status, name="idea_status"),
    path("community/ideas/<int:pk>/merge/", views.idea_merge, name="idea_merge"),
    path("community/ideas/<int:pk>/hide/", views.idea_hide, name="idea_hide"),
]
