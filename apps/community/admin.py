from django.contrib import admin

from apps.community.models import Comment, Idea, IdeaFollow, ProductArea, Vote


@admin.register(ProductArea)
class ProductAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Idea)
class IdeaAdmin(admin.ModelAdmin):
    """Read-mostly: votes, counts and merges change through the site, so counts stay exact."""

    list_display = ["title", "status", "vote_count", "comment_count", "hidden", "created_at"]
    list_filter = ["status", "hidden", "areas"]
    search_fields = ["title", "description"]
    raw_id_fields = ["author", "account", "merged_into"]
    readonly_fields = [
        "vote_count",
        "comment_count",
        "merged_into",
        "status_changed_at",
        "created_at",
        "updated_at",
    ]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["idea", "author", "hidden", "created_at"]
    list_filter = ["hidden"]
    raw_id_fields = ["idea", "author"]


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ["idea", "user", "created_at"]
    raw_id_fields = ["idea", "user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IdeaFollow)
class IdeaFollowAdmin(admin.ModelAdmin):
    list_display = ["idea", "user", "created_at"]
    raw_id_fields = ["idea", "user"]
