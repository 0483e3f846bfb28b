from django.urls import path

from apps.surveys import api, views

urlpatterns = [
    path("surveys/campaigns/", views.campaign_list, name="campaign_list"),
    path("surveys/campaigns/new/", views.campaign_new, name="campaign_new"),
    path("surveys/campaigns/<int:pk>/", views.campaign_results, name="campaign_results"),
    path("surveys/campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("surveys/campaigns/<int:pk>/activate/", views.campaign_activate, name="campaign_activate"),
    path("surveys/campaigns/<int:pk>/send/", views.campaign_send, name="campaign_send"),
    path("surveys/campaigns/<int:pk>/close/", views.campaign_close, name="campaign_close"),
    path("surveys/campaigns/<int:pk>/export.csv", views.campaign_export, name="campaign_export"),
    path("surveys/r/<str:token>/", views.survey_respond, name="survey_respond"),
    path("surveys/unsubscribe/<str:token>/", views.survey_unsubscribe, name="survey_unsubscribe"),
    path("surveys/prompt/", views.survey_prompt, name="survey_prompt"),
    path(
        "surveys/prompt/<int:invitation_id>/answer/", views.survey_prompt_answer, name="survey_prompt_answer"
    ),
    path(
        "surveys/prompt/<int:invitation_id>/dismiss/",
        views.survey_prompt_dismiss,
        name="survey_prompt_dismiss",
    ),
]

api_urlpatterns = [
    path("surveys/campaigns/", api.CampaignListApi.as_view(), name="api-campaign-list"),
    path(
        "surveys/campaigns/<int:pk>/results/", api.CampaignResultsApi.as_view(), name="api-campaign-results"
    ),
    path("surveys/responses/", api.ResponseSubmitApi.as_view(), name="api-response-submit"),
]
