from django.contrib import admin

from apps.roadmap.models import ProductUpdate, RoadmapItem, UpdateRead


@admin.register(RoadmapItem)
class RoadmapItemAdmin(admin.ModelAdmin):
    list_display = ["title", "horizon", "status", "position", "shipped_at"]
    list_filter = ["horizon", "status"]
    search_fields = ["title"]
    filter_horizontal = ["ideas"]


@admin.register(ProductUpdate)
class ProductUpdateAdmin(admin.ModelAdmin):
    list_display = ["title", "published_at", "created_at"]
    search_fields = ["title", "body"]
    date_hierarchy = "published_at"
    filter_horizontal = ["ideas", "roadmap_items"]


@admin.register(UpdateRead)
class UpdateReadAdmin(admin.ModelAdmin):
    list_display = ["update", "user", "read_at"]
    raw_id_fields = ["update", "user"]
