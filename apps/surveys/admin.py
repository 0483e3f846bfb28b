from django.contrib import admin

from apps.surveys.models import Campaign, Invitation, Response, SurveyOptOut


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "starts_at", "repeat_every_days", "throttle_days", "last_wave_at"]
    list_filter = ["status"]
    search_fields = ["name"]
    filter_horizontal = ["accounts"]
    raw_id_fields = ["created_by"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "campaign",
        "user",
        "account",
        "wave",
        "sent_at",
        "emailed_at",
        "reminded_at",
        "expires_at",
    ]
    list_filter = ["campaign", "wave"]
    search_fields = ["user__email", "account__name"]
    raw_id_fields = ["user", "account"]
    list_select_related = ["campaign", "user", "account"]


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["invitation", "score", "reference_willing", "submitted_at", "updated_at"]
    list_filter = ["invitation__campaign"]
    search_fields = ["invitation__user__email", "comment"]
    raw_id_fields = ["invitation"]
    list_select_related = ["invitation__campaign", "invitation__user"]


@admin.register(SurveyOptOut)
class SurveyOptOutAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
