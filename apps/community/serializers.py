from django.core.validators import slug_re
from rest_framework import serializers

from apps.community.models import Idea, ProductArea


class AreaField(serializers.SlugRelatedField):
    """A product area by its slug. Text that cannot be a slug is refused before the lookup: a NUL
    byte in it would make PostgreSQL refuse the query, and echoing it back is of no use."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", queryset=ProductArea.objects.all(), **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not slug_re.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class IdeaSerializer(serializers.ModelSerializer):
    areas = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    author = serializers.CharField(source="author.full_name", default=None, read_only=True)
    has_voted = serializers.BooleanField(read_only=True)
    is_following = serializers.BooleanField(read_only=True)
    voting_open = serializers.BooleanField(read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Idea
        fields = [
            "id",
            "title",
            "status",
            "areas",
            "author",
            "vote_count",
            "comment_count",
            "has_voted",
            "is_following",
            "voting_open",
            "merged_into",
            "created_at",
            "url",
        ]
        read_only_fields = fields


class IdeaDetailSerializer(IdeaSerializer):
    class Meta(IdeaSerializer.Meta):
        fields = [*IdeaSerializer.Meta.fields, "description"]
        read_only_fields = fields


class IdeaInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=160)
    description = serializers.CharField(max_length=10_000)
    areas = AreaField(many=True, required=False, default=list)


class IdeaListFilterSerializer(serializers.Serializer):
    sort = serializers.ChoiceField(choices=["top", "trending", "new"], required=False, default="top")
    status = serializers.ChoiceField(choices=list(Idea._meta.get_field("status").choices), required=False)
    area = serializers.SlugField(required=False)
    q = serializers.CharField(max_length=100, required=False)


class DemandSerializer(serializers.Serializer):
    idea = serializers.IntegerField()
    voters = serializers.IntegerField()
    accounts = serializers.IntegerField()
    arr = serializers.DecimalField(max_digits=16, decimal_places=2)
    segments = serializers.DictField(child=serializers.IntegerField())
