from django.contrib import admin

from apps.interactions.models import IntegrationToken, Interaction


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "kind", "account", "user", "value", "source"]
    list_filter = ["kind", "source"]
    raw_id_fields = ["account", "user"]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return False  # the log is append-only


@admin.register(IntegrationToken)
class IntegrationTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "source", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "token_digest", "last_used_at"]
