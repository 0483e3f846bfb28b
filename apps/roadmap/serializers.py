from rest_framework import serializers

from apps.roadmap.models import ProductUpdate, RoadmapItem


class LinkedIdeaSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    vote_count = serializers.IntegerField()


class RoadmapItemSerializer(serializers.ModelSerializer):
    ideas = LinkedIdeaSerializer(source="linked_ideas", many=True)
    # A plain string keeps the schema's enum names unambiguous (other apps have a "status" too).
    status = serializers.CharField(help_text="planned, in_progress or shipped")

    class Meta:
        model = RoadmapItem
        fields = ["id", "title", "description", "horizon", "status", "position", "shipped_at", "ideas"]


class ProductUpdateSerializer(serializers.ModelSerializer):
    is_unread = serializers.BooleanField()
    url = serializers.CharField(source="get_absolute_url")

    class Meta:
        model = ProductUpdate
        fields = ["id", "title", "body", "segments", "published_at", "is_unread", "url"]
