"""Small builders for roadmap tests."""

from django.utils import timezone

from apps.community.models import Idea, IdeaFollow, Vote
from apps.roadmap.models import ProductUpdate, RoadmapItem


def make_idea(title="Dark mode", voters=(), followers=(), **fields):
    idea = Idea.objects.create(title=title, description="Please.", vote_count=len(voters), **fields)
    Vote.objects.bulk_create([Vote(idea=idea, user=u) for u in voters])
    IdeaFollow.objects.bulk_create([IdeaFollow(idea=idea, user=u) for u in followers])
    return idea


def make_item(title="Dark mode everywhere", ideas=(), **fields):
    item = RoadmapItem.objects.create(title=title, **fields)
    item.ideas.set(ideas)
    return item


def make_update(title="Release 1", segments=(), published=True, **fields):
    fields.setdefault("published_at", timezone.now() if published else None)
    return ProductUpdate.objects.create(
        title=title, body=f"## {title}\n\nNotes.", segments=list(segments), **fields
    )
