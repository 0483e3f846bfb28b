from django.contrib import admin

from apps.notifications.models import EmailOptOut, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "category", "created_at", "read_at", "emailed_at"]
    list_filter = ["category"]
    search_fields = ["title", "user__email", "dedup_key"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"


@admin.register(EmailOptOut)
class EmailOptOutAdmin(admin.ModelAdmin):
    list_display = ["user", "category", "created_at"]
    list_filter = ["category"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
