"""Factories for the ideas board."""

import factory

from apps.community.models import Comment, Idea, ProductArea, Vote
from tests.factories import UserFactory


class ProductAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductArea
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Area {n}")
    slug = factory.Sequence(lambda n: f"area-{n}")


class IdeaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Idea

    title = factory.Sequence(lambda n: f"Idea number {n}")
    description = "It would help us **a lot**."
    author = factory.SubFactory(UserFactory)
    account = factory.LazyAttribute(lambda o: o.author.account if o.author else None)


class VoteFactory(factory.django.DjangoModelFactory):
    """A vote row with the idea's count kept in step (as the service would)."""

    class Meta:
        model = Vote
        skip_postgeneration_save = True

    idea = factory.SubFactory(IdeaFactory)
    user = factory.SubFactory(UserFactory)

    @factory.post_generation
    def count(obj, create, extracted, **kwargs):
        if create:
            Idea.objects.filter(pk=obj.idea_id).update(
                vote_count=Vote.objects.filter(idea=obj.idea_id).count()
            )


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    idea = factory.SubFactory(IdeaFactory)
    author = factory.SubFactory(UserFactory)
    body = "Same here."
