from django.contrib import admin

from apps.engagement.models import (
    AccountWatch,
    EngagementModel,
    FeedbackLink,
    MilestoneReached,
    ModelAssignment,
    Moment,
    MomentOccurrence,
    Objective,
    SuccessPlan,
    Task,
)


class MomentInline(admin.TabularInline):
    model = Moment
    fields = ["position", "name", "phase", "trigger", "action", "milestone", "is_active"]
    extra = 0
    show_change_link = True


@admin.register(EngagementModel)
class EngagementModelAdmin(admin.ModelAdmin):
    list_display = ["name", "segments", "touch_models", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    raw_id_fields = ["created_by"]
    inlines = [MomentInline]


@admin.register(ModelAssignment)
class ModelAssignmentAdmin(admin.ModelAdmin):
    list_display = ["account", "model", "started_at", "ended_at", "assigned_by"]
    list_filter = ["model"]
    search_fields = ["account__name"]
    raw_id_fields = ["account", "assigned_by"]
    list_select_related = ["account", "model", "assigned_by"]


@admin.register(Moment)
class MomentAdmin(admin.ModelAdmin):
    list_display = ["name", "model", "phase", "trigger", "action", "milestone", "position", "is_active"]
    list_filter = ["model", "phase", "trigger", "action", "is_active"]
    search_fields = ["name", "objective"]
    list_select_related = ["model"]


@admin.register(MomentOccurrence)
class MomentOccurrenceAdmin(admin.ModelAdmin):
    list_display = ["moment", "account", "key", "status", "happened_at", "due_on", "messaged_at"]
    list_filter = ["status", "moment__model"]
    search_fields = ["account__name", "moment__name", "key"]
    raw_id_fields = ["moment", "account"]
    list_select_related = ["moment", "account"]
    date_hierarchy = "happened_at"


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "account", "assignee", "due_on", "priority", "status", "channel", "outcome"]
    list_filter = ["status", "priority", "channel", "outcome"]
    search_fields = ["title", "account__name", "assignee__email"]
    raw_id_fields = ["occurrence", "account", "assignee", "completed_by", "contact"]
    list_select_related = ["account", "assignee"]
    date_hierarchy = "due_on"


@admin.register(MilestoneReached)
class MilestoneReachedAdmin(admin.ModelAdmin):
    list_display = ["account", "milestone", "reached_at", "source"]
    list_filter = ["milestone"]
    search_fields = ["account__name"]
    raw_id_fields = ["account"]
    list_select_related = ["account"]


class ObjectiveInline(admin.TabularInline):
    model = Objective
    fields = ["position", "title", "metric", "target", "due_on", "manual_value"]
    extra = 0


@admin.register(SuccessPlan)
class SuccessPlanAdmin(admin.ModelAdmin):
    list_display = ["account", "agreed_on", "created_by", "created_at"]
    search_fields = ["account__name"]
    raw_id_fields = ["account", "created_by"]
    list_select_related = ["account", "created_by"]
    inlines = [ObjectiveInline]


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    list_display = ["title", "plan", "metric", "target", "due_on", "manual_value"]
    list_filter = ["metric"]
    search_fields = ["title", "plan__account__name"]
    raw_id_fields = ["plan"]
    list_select_related = ["plan__account"]


@admin.register(FeedbackLink)
class FeedbackLinkAdmin(admin.ModelAdmin):
    list_display = [
        "person",
        "account",
        "idea_id",
        "score",
        "linked_at",
        "told_at",
        "resurveyed_at",
        "new_score",
    ]
    search_fields = ["person__email", "account__name", "comment"]
    raw_id_fields = ["task", "account", "person", "linked_by"]
    list_select_related = ["person", "account"]


@admin.register(AccountWatch)
class AccountWatchAdmin(admin.ModelAdmin):
    list_display = ["account", "sponsor_ids", "updated_at"]
    raw_id_fields = ["account"]
    list_select_related = ["account"]
