"""factory_boy factories for the assessments app.

Questions get their options from the kind's trait: `QuestionFactory()` is a single-choice question
with options "Right" (correct) and "Wrong 1", "Wrong 2"; `true_false=True`, `multiple=True` (two
right of four, all-or-nothing; add `partial_credit=True` for partial credit) and `numeric=True`
(answer 42, tolerance 0.5) make the other kinds. `AssessmentFactory(questions=[q1, q2])` is a
published assessment with those questions in order (three single-choice questions unless told;
`questions=[]` for none). Certifications are published, with `assessments=[...]` and `paths=[...]`
as their requirements.
"""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from apps.assessments.models import (
    Assessment,
    AssessmentKind,
    AssessmentQuestion,
    Attempt,
    AttemptStatus,
    Award,
    Badge,
    BadgeMetric,
    Certification,
    Option,
    PointRule,
    Question,
    QuestionKind,
)
from apps.learning.models import Status
from tests.factories import UserFactory

OPTION_TEXTS = {  # kind -> [(text, is_correct)]
    QuestionKind.SINGLE: [("Right", True), ("Wrong 1", False), ("Wrong 2", False)],
    QuestionKind.TRUE_FALSE: [("True", True), ("False", False)],
    QuestionKind.MULTIPLE: [("Right 1", True), ("Right 2", True), ("Wrong 1", False), ("Wrong 2", False)],
    QuestionKind.NUMERIC: [],
}


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question
        skip_postgeneration_save = True

    text = factory.Sequence(lambda n: f"Question {n}?")
    kind = QuestionKind.SINGLE
    points = 1
    explanation = "Because that is how it works."

    class Params:
        true_false = factory.Trait(kind=QuestionKind.TRUE_FALSE)
        multiple = factory.Trait(kind=QuestionKind.MULTIPLE)
        numeric = factory.Trait(
            kind=QuestionKind.NUMERIC, numeric_answer=Decimal("42"), numeric_tolerance=Decimal("0.5")
        )

    @factory.post_generation
    def options(obj, create, extracted, **kwargs):
        """The kind's default options, or `options=[(text, is_correct), ...]`."""
        if not create:
            return
        texts = OPTION_TEXTS[obj.kind] if extracted is None else extracted
        Option.objects.bulk_create(
            [
                Option(question=obj, text=text, is_correct=correct, position=position)
                for position, (text, correct) in enumerate(texts)
            ]
        )

    @factory.post_generation
    def skills(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.skills.set(extracted)


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Assessment {n}")
    slug = factory.Sequence(lambda n: f"assessment-{n}")
    kind = AssessmentKind.SKILL_CHECK
    description = "What this assessment checks."
    pass_mark = 70
    status = Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)

    class Params:
        draft = factory.Trait(status=Status.DRAFT, published_at=None)
        exam = factory.Trait(kind=AssessmentKind.EXAM)

    @factory.post_generation
    def questions(obj, create, extracted, **kwargs):
        if not create:
            return
        questions = [QuestionFactory() for _ in range(3)] if extracted is None else extracted
        AssessmentQuestion.objects.bulk_create(
            [AssessmentQuestion(assessment=obj, question=q, position=n) for n, q in enumerate(questions)]
        )


class AttemptFactory(factory.django.DjangoModelFactory):
    """A graded attempt (submitted an hour ago, 80%, passed) unless `open=True`."""

    class Meta:
        model = Attempt

    user = factory.SubFactory(UserFactory)
    assessment = factory.SubFactory(AssessmentFactory)
    number = factory.LazyAttribute(
        lambda o: Attempt.objects.filter(user=o.user, assessment=o.assessment).count() + 1
    )
    status = AttemptStatus.SUBMITTED
    question_order = factory.LazyAttribute(
        lambda o: list(o.assessment.items.order_by("position").values_list("question_id", flat=True))
    )
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1, minutes=20))
    submitted_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    score = Decimal("80.00")
    passed = True

    class Params:
        open = factory.Trait(status=AttemptStatus.IN_PROGRESS, submitted_at=None, score=None, passed=None)
        failed = factory.Trait(score=Decimal("40.00"), passed=False)


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Certified Professional {n}")
    slug = factory.Sequence(lambda n: f"certified-professional-{n}")
    description = "A holder can **design** dashboards people use."
    criteria = "Pass the exam and complete the path."
    validity_days = 365
    reminder_days = 30
    status = Status.PUBLISHED

    class Params:
        draft = factory.Trait(status=Status.DRAFT)

    @factory.post_generation
    def assessments(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.required_assessments.set(extracted)

    @factory.post_generation
    def paths(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.required_paths.set(extracted)


class AwardFactory(factory.django.DjangoModelFactory):
    """Valid for a year from a month ago; `expired=True` or `revoked=True` for the other states."""

    class Meta:
        model = Award

    certification = factory.SubFactory(CertificationFactory)
    user = factory.SubFactory(UserFactory)
    cycle = 1
    issued_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))
    expires_at = factory.LazyAttribute(lambda o: o.issued_at + timedelta(days=365))

    class Params:
        expired = factory.Trait(
            issued_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=400)),
        )
        revoked = factory.Trait(
            revoked_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=2)),
            revoke_reason="Exam answers were shared publicly.",
        )


class PointRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PointRule
        django_get_or_create = ("kind",)

    kind = "learning.path_completed"
    points = 100
    description = factory.LazyAttribute(lambda o: f"Points for {o.kind}")
    active = True


class BadgeFactory(factory.django.DjangoModelFactory):
    """A points badge (100 points) unless `kind_count=True` (3 completed paths)."""

    class Meta:
        model = Badge

    name = factory.Sequence(lambda n: f"Badge {n}")
    description = "A milestone."
    metric = BadgeMetric.POINTS
    threshold = 100

    class Params:
        kind_count = factory.Trait(metric=BadgeMetric.KIND_COUNT, kind="learning.path_completed", threshold=3)
