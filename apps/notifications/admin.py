from django.contrib import admin

from apps.notifications.models import Contact, EmailOptOut, Notification


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


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["subject", "user", "kind", "status", "priority", "created_at", "sent_at", "delivered_at"]
    list_filter = ["status", "kind"]
    search_fields = ["subject", "user__email", "dedup_key"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"
