from django.urls import path

from apps.accounts import api, views

urlpatterns = [
    path("team/", views.team, name="team"),
    path("team/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/import/", views.crm_import_upload, name="crm_import"),
    path("customers/import/<int:pk>/", views.crm_import_job, name="crm_import_job"),
    path("customers/import/template/<str:kind>.csv", views.crm_import_template, name="crm_import_template"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
]

api_urlpatterns = [
    path("me/", api.MeApi.as_view(), name="api-me"),
    path("accounts/", api.AccountListApi.as_view(), name="api-account-list"),
    path("accounts/<int:pk>/", api.AccountDetailApi.as_view(), name="api-account-detail"),
    path("users/", api.UserListApi.as_view(), name="api-user-list"),
    path("renewals/", api.RenewalListApi.as_view(), name="api-renewal-list"),
]
