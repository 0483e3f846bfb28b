from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from apps.accounts.models import Account, ImportJob, Invitation, Renewal, User


class RenewalInline(admin.TabularInline):
    model = Renewal
    extra = 0


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "segment",
        "vertical",
        "touch_model",
        "arr",
        "licensed_seats",
        "renewal_date",
        "status",
        "cs_manager",
    ]
    list_filter = ["segment", "vertical", "touch_model", "status", "lifecycle_stage"]
    search_fields = ["name", "external_id"]
    inlines = [RenewalInline]


@admin.register(Renewal)
class RenewalAdmin(admin.ModelAdmin):
    list_display = ["account", "close_date", "planned_value", "renewed_value", "outcome"]
    list_filter = ["outcome"]
    date_hierarchy = "close_date"
    search_fields = ["account__name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "account", "is_executive_sponsor", "is_active"]
    list_filter = ["role", "is_executive_sponsor", "is_active"]
    search_fields = ["email", "full_name"]
    autocomplete_fields = ["account"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["full_name", "job_title", "role", "account", "is_executive_sponsor"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"fields": ["email", "full_name", "role", "account", "password1", "password2"]})]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "account", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    search_fields = ["email", "account__name"]
    readonly_fields = ["token_digest"]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "file_name", "created_by", "status", "total_rows", "error_count"]
    list_filter = ["kind", "status"]
    list_select_related = ["created_by"]
    exclude = ["content"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
