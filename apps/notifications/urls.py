from django.urls import path

from apps.notifications import api, views

urlpatterns = [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/badge/", views.notification_badge, name="notification_badge"),
    path("notifications/read/", views.notification_read_all, name="notification_read_all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/preferences/", views.email_preferences, name="email_preferences"),
    path("notifications/unsubscribe/<str:token>/", views.email_unsubscribe, name="email_unsubscribe"),
    path("customers/people/<int:user_id>/contacts/", views.person_contacts, name="person_contacts"),
]

api_urlpatterns = [
    path("notifications/", api.NotificationListApi.as_view(), name="api-notification-list"),
    path("notifications/read/", api.NotificationReadApi.as_view(), name="api-notification-read"),
]
