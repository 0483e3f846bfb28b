from django.urls import path

from apps.roadmap import api, studio_views, views

urlpatterns = [
    path("roadmap/", views.roadmap, name="roadmap"),
    path("updates/", views.update_list, name="update_list"),
    path("updates/badge/", views.updates_badge, name="updates_badge"),
    path("updates/<int:pk>/", views.update_detail, name="update_detail"),
    path("studio/roadmap/", studio_views.studio_roadmap, name="studio_roadmap"),
    path("studio/roadmap/items/new/", studio_views.studio_roadmap_item_edit, name="studio_roadmap_item_new"),
    path(
        "studio/roadmap/items/<int:pk>/",
        studio_views.studio_roadmap_item_edit,
        name="studio_roadmap_item_edit",
    ),
    path(
        "studio/roadmap/items/<int:pk>/ship/",
        studio_views.studio_roadmap_item_ship,
        name="studio_roadmap_item_ship",
    ),
    path("studio/roadmap/updates/new/", studio_views.studio_update_edit, name="studio_update_new"),
    path("studio/roadmap/updates/<int:pk>/", studio_views.studio_update_edit, name="studio_update_edit"),
    path(
        "studio/roadmap/updates/<int:pk>/publish/",
        studio_views.studio_update_publish,
        name="studio_update_publish",
    ),
]

api_urlpatterns = [
    path("roadmap/", api.RoadmapApi.as_view(), name="api-roadmap"),
    path("updates/", api.UpdateListApi.as_view(), name="api-update-list"),
    path("updates/<int:pk>/read/", api.UpdateReadApi.as_view(), name="api-update-read"),
]
