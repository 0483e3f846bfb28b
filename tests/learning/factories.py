"""factory_boy factories for the learning app.

Content and paths are published by default (the common case in tests); `draft=True` makes a draft.
`ContentItemFactory(course=True)` makes a course with three lessons (`lessons=5` for five, `lessons=0`
for none). `LiveSessionFactory()` is upcoming (in a week); `past=True` makes one that took place.
"""

from datetime import timedelta

import factory
from django.utils import timezone
from django.utils.text import slugify

from apps.accounts.models import Level
from apps.learning.models import (
    ContentItem,
    ContentKind,
    Enrolment,
    LearningPath,
    Lesson,
    LiveSession,
    PathStep,
    Registration,
    RegistrationStatus,
    SessionKind,
    Skill,
    SkillArea,
    Status,
    StepKind,
)
from tests.factories import UserFactory


class SkillAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SkillArea

    name = factory.Sequence(lambda n: f"Skill area {n}")
    position = factory.Sequence(lambda n: n)


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill

    area = factory.SubFactory(SkillAreaFactory)
    name = factory.Sequence(lambda n: f"Skill {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    description = "What this skill lets a person do."


class ContentItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContentItem
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Content item {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.title))
    kind = ContentKind.ARTICLE
    summary = "A short summary shown in lists."
    body = "## What you will learn\n\n- One thing\n- Another thing\n"
    level = Level.BEGINNER
    vertical = ""
    estimated_minutes = 10
    status = Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)

    class Params:
        draft = factory.Trait(status=Status.DRAFT, published_at=None)
        course = factory.Trait(kind=ContentKind.COURSE)
        video = factory.Trait(kind=ContentKind.VIDEO, video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ")

    @factory.post_generation
    def lessons(obj, create, extracted, **kwargs):
        """A course gets `lessons` lessons (3 unless told otherwise)."""
        if not create or obj.kind != ContentKind.COURSE:
            return
        for position in range(3 if extracted is None else extracted):
            LessonFactory(course=obj, position=position)

    @factory.post_generation
    def skills(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.skills.set(extracted)


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    course = factory.SubFactory(ContentItemFactory, course=True, lessons=0)
    title = factory.Sequence(lambda n: f"Lesson {n}")
    body = "Read this, then try it yourself."
    position = factory.Sequence(lambda n: n)
    estimated_minutes = 5


class LiveSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LiveSession
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Live session {n}")
    kind = SessionKind.VIRTUAL_CLASS
    description = "Bring your questions."
    host = "Priya Raman"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    duration_minutes = 60
    capacity = 10
    join_url = "https://meet.example.com/session"

    class Params:
        past = factory.Trait(starts_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=7)))
        cancelled = factory.Trait(cancelled_at=factory.LazyFunction(timezone.now))

    @factory.post_generation
    def skills(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.skills.set(extracted)


class LearningPathFactory(factory.django.DjangoModelFactory):
    """`LearningPathFactory(steps=[item, session, ...])` adds a required step for each content item or
    live session, in order; `prerequisites=[path]` and `skills=[skill]` set those relations."""

    class Meta:
        model = LearningPath
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Learning path {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.title))
    summary = "Where this path takes you."
    description = "## You will be able to\n\n- Do the thing\n"
    level = Level.BEGINNER
    vertical = ""
    job_roles = factory.LazyFunction(list)
    segments = factory.LazyFunction(list)
    status = Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)

    class Params:
        draft = factory.Trait(status=Status.DRAFT, published_at=None)

    @factory.post_generation
    def steps(obj, create, extracted, **kwargs):
        if not create or not extracted:
            return
        for target in extracted:
            if isinstance(target, LiveSession):
                PathStepFactory(path=obj, kind=StepKind.LIVE_SESSION, content=None, live_session=target)
            else:
                PathStepFactory(path=obj, content=target)

    @factory.post_generation
    def prerequisites(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.prerequisites.set(extracted)

    @factory.post_generation
    def skills(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.skills.set(extracted)


class PathStepFactory(factory.django.DjangoModelFactory):
    """A content step at the end of its path; `live=True` for a live-session step."""

    class Meta:
        model = PathStep

    path = factory.SubFactory(LearningPathFactory)
    position = factory.LazyAttribute(lambda o: o.path.steps.count())
    kind = StepKind.CONTENT
    content = factory.SubFactory(ContentItemFactory)
    live_session = None
    required = True

    class Params:
        live = factory.Trait(
            kind=StepKind.LIVE_SESSION, content=None, live_session=factory.SubFactory(LiveSessionFactory)
        )


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    session = factory.SubFactory(LiveSessionFactory)
    user = factory.SubFactory(UserFactory)
    status = RegistrationStatus.REGISTERED
    created_at = factory.LazyFunction(timezone.now)


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    user = factory.SubFactory(UserFactory)
    path = factory.SubFactory(LearningPathFactory)
    enrolled_at = factory.LazyFunction(timezone.now)
