"""Tests of apps/learning/services.py (and the e-mail tasks in apps/learning/tasks.py)."""

import re
import threading
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.db import connection
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from apps.accounts.services import PermissionDenied
from apps.interactions.models import Interaction
from apps.learning import kinds, services, tasks
from apps.learning.models import (
    ContentProgress,
    Enrolment,
    LearningPreference,
    LessonCompletion,
    PathStep,
    Registration,
    RegistrationStatus,
    Status,
    StepCompletion,
    StepKind,
)
from apps.learning.services import LearningError
from tests.factories import UserFactory
from tests.learning.factories import (
    ContentItemFactory,
    EnrolmentFactory,
    LearningPathFactory,
    LessonFactory,
    LiveSessionFactory,
    PathStepFactory,
    RegistrationFactory,
)


def logged(kind, user=None, **filters):
    """Interactions of one learning kind (optionally of one user)."""
    rows = Interaction.objects.filter(kind=kind.name, **filters)
    return rows.filter(user=user) if user is not None else rows


@pytest.fixture
def completions_signalled():
    """Every `path_completed` signal sent during the test, as (user, path, enrolment)."""
    sent = []

    def receiver(sender, user, path, enrolment, **kwargs):
        sent.append((user, path, enrolment))

    services.path_completed.connect(receiver, weak=False, dispatch_uid="test-path-completed")
    yield sent
    services.path_completed.disconnect(dispatch_uid="test-path-completed")


# --- Viewing and completing content -------------------------------------------------------


def test_content_view_counts_once_within_30_minutes(alice):
    item = ContentItemFactory()
    first = services.content_view(user=alice, content=item)
    services.content_view(user=alice, content=item)
    assert logged(kinds.CONTENT_VIEWED, alice).count() == 1
    assert ContentProgress.objects.get() == first

    # 31 minutes later it is a new visit.
    ContentProgress.objects.filter(pk=first.pk).update(last_viewed_at=timezone.now() - timedelta(minutes=31))
    services.content_view(user=alice, content=item)
    views = logged(kinds.CONTENT_VIEWED, alice)
    assert views.count() == 2
    row = views.latest("occurred_at")
    assert row.account_id == alice.account_id
    assert (row.subject_type, row.subject_id) == ("learning.contentitem", str(item.pk))
    assert row.properties == {"content_kind": "article", "lesson": None}


def test_content_view_dedup_is_per_person_and_item(alice, bob):
    item, other = ContentItemFactory(), ContentItemFactory()
    services.content_view(user=alice, content=item)
    services.content_view(user=alice, content=other)
    services.content_view(user=bob, content=item)
    assert logged(kinds.CONTENT_VIEWED).count() == 3


def test_viewing_a_lesson_remembers_it(alice):
    course = ContentItemFactory(course=True)
    lesson = course.lessons.last()
    progress = services.content_view(user=alice, content=course, lesson=lesson)
    progress.refresh_from_db()
    assert progress.last_lesson == lesson
    assert logged(kinds.CONTENT_VIEWED, alice).get().properties["lesson"] == lesson.pk


def test_content_complete_records_once(alice):
    item = ContentItemFactory()
    progress = services.content_complete(user=alice, content=item)
    services.content_complete(user=alice, content=item)
    progress.refresh_from_db()
    assert progress.completed_at is not None
    completed = logged(kinds.CONTENT_COMPLETED, alice)
    assert completed.count() == 1
    assert completed.get().account_id == alice.account_id
    assert completed.get().subject_id == str(item.pk)


def test_content_complete_refuses_a_course(alice):
    course = ContentItemFactory(course=True)
    with pytest.raises(LearningError, match="complete when all of its lessons are"):
        services.content_complete(user=alice, content=course)
    assert not ContentProgress.objects.filter(completed_at__isnull=False).exists()
    assert not logged(kinds.CONTENT_COMPLETED).exists()


def test_last_lesson_completes_the_course(alice):
    course = ContentItemFactory(course=True, lessons=3)
    first, second, third = course.lessons.all()
    services.lesson_complete(user=alice, lesson=first)
    services.lesson_complete(user=alice, lesson=third)
    progress = ContentProgress.objects.get(user=alice, content=course)
    assert progress.completed_at is None and progress.last_lesson == third
    assert not logged(kinds.COURSE_COMPLETED).exists()

    services.lesson_complete(user=alice, lesson=second)
    services.lesson_complete(user=alice, lesson=second)  # twice: nothing new
    progress.refresh_from_db()
    assert progress.completed_at is not None
    assert LessonCompletion.objects.filter(user=alice).count() == 3
    lessons = logged(kinds.LESSON_COMPLETED, alice)
    assert lessons.count() == 3
    assert {r.subject_type for r in lessons} == {"learning.lesson"}
    assert {r.properties["course"] for r in lessons} == {course.pk}
    course_done = logged(kinds.COURSE_COMPLETED, alice).get()
    assert (course_done.subject_id, course_done.account_id) == (str(course.pk), alice.account_id)
    assert not logged(kinds.CONTENT_COMPLETED).exists()


def test_lessons_are_per_person(alice, bob):
    course = ContentItemFactory(course=True, lessons=1)
    services.lesson_complete(user=bob, lesson=course.lessons.get())
    assert not ContentProgress.objects.filter(user=alice, completed_at__isnull=False).exists()
    assert ContentProgress.objects.get(user=bob).completed_at is not None


# --- Paths --------------------------------------------------------------------------------


def test_enrol_refuses_an_unpublished_path(alice):
    path = LearningPathFactory(draft=True, steps=[ContentItemFactory()])
    with pytest.raises(LearningError, match="not published"):
        services.path_enrol(user=alice, path=path)
    assert not Enrolment.objects.exists()


def test_enrol_refuses_missing_prerequisites_and_names_them(alice):
    foundations = LearningPathFactory(title="Foundations", steps=[ContentItemFactory()])
    dashboards = LearningPathFactory(title="Dashboards", steps=[ContentItemFactory()])
    advanced = LearningPathFactory(title="Advanced analytics", prerequisites=[foundations, dashboards])
    with pytest.raises(LearningError, match="Finish these paths first") as refused:
        services.path_enrol(user=alice, path=advanced)
    assert "Foundations" in str(refused.value) and "Dashboards" in str(refused.value)

    # Enrolled but not finished still counts as missing; finished does not.
    services.path_enrol(user=alice, path=foundations)
    services.step_complete(user=alice, step=foundations.steps.get())
    services.path_enrol(user=alice, path=dashboards)
    with pytest.raises(LearningError) as refused:
        services.path_enrol(user=alice, path=advanced)
    assert "Dashboards" in str(refused.value) and "Foundations" not in str(refused.value)

    services.step_complete(user=alice, step=dashboards.steps.get())
    assert services.path_enrol(user=alice, path=advanced).path == advanced


def test_prerequisites_finished_by_someone_else_do_not_count(alice, bob):
    foundations = LearningPathFactory(title="Foundations", steps=[ContentItemFactory()])
    advanced = LearningPathFactory(prerequisites=[foundations])
    services.path_enrol(user=bob, path=foundations)
    services.step_complete(user=bob, step=foundations.steps.get())
    with pytest.raises(LearningError, match="Foundations"):
        services.path_enrol(user=alice, path=advanced)


def test_a_prerequisite_in_progress_is_not_finished_because_someone_else_finished_it(alice, bob):
    """Both conditions must hold for the same enrolment: this person's, and completed."""
    foundations = LearningPathFactory(title="Foundations", steps=[ContentItemFactory()])
    advanced = LearningPathFactory(prerequisites=[foundations])
    services.path_enrol(user=bob, path=foundations)
    services.step_complete(user=bob, step=foundations.steps.get())
    services.path_enrol(user=alice, path=foundations)  # started, not finished
    with pytest.raises(LearningError, match="Finish these paths first: Foundations"):
        services.path_enrol(user=alice, path=advanced)


def test_enrolling_twice_is_refused(alice):
    path = LearningPathFactory(steps=[ContentItemFactory()])
    services.path_enrol(user=alice, path=path)
    with pytest.raises(LearningError, match="already enrolled"):
        services.path_enrol(user=alice, path=path)
    assert Enrolment.objects.count() == 1
    assert logged(kinds.PATH_ENROLLED, alice).count() == 1


def test_enrolment_counts_steps_already_done(alice):
    read, unread = ContentItemFactory(), ContentItemFactory()
    session = LiveSessionFactory(past=True)
    RegistrationFactory(session=session, user=alice, attended=True)
    path = LearningPathFactory(steps=[read, unread, session])
    services.content_complete(user=alice, content=read)

    enrolment = services.path_enrol(user=alice, path=path)
    done = set(StepCompletion.objects.filter(enrolment=enrolment).values_list("step__kind", "step__content"))
    assert done == {(StepKind.CONTENT, read.pk), (StepKind.LIVE_SESSION, None)}
    enrolment.refresh_from_db()
    assert enrolment.completed_at is None and enrolment.last_step is not None
    assert logged(kinds.PATH_ENROLLED, alice).get().subject_id == str(path.pk)
    assert logged(kinds.STEP_COMPLETED, alice).count() == 2


def test_enrolling_after_doing_everything_completes_the_path_at_once(alice, completions_signalled):
    item = ContentItemFactory()
    path = LearningPathFactory(steps=[item])
    services.content_complete(user=alice, content=item)
    enrolment = services.path_enrol(user=alice, path=path)
    assert enrolment.completed_at is not None
    assert logged(kinds.PATH_COMPLETED, alice).count() == 1
    assert len(completions_signalled) == 1


def test_step_complete_needs_an_enrolment(alice):
    step = PathStepFactory()
    with pytest.raises(LearningError, match="Enrol in this path before completing its steps"):
        services.step_complete(user=alice, step=step)
    assert not ContentProgress.objects.exists()


def test_live_session_steps_cannot_be_marked_done_by_hand(alice):
    step = PathStepFactory(live=True)
    services.path_enrol(user=alice, path=step.path)
    with pytest.raises(LearningError, match="completes by itself"):
        services.step_complete(user=alice, step=step)
    assert not StepCompletion.objects.exists()


def test_course_step_needs_every_lesson_first(alice):
    course = ContentItemFactory(course=True, lessons=2)
    step = PathStepFactory(content=course)
    services.path_enrol(user=alice, path=step.path)
    services.lesson_complete(user=alice, lesson=course.lessons.first())
    with pytest.raises(LearningError, match="Finish every lesson"):
        services.step_complete(user=alice, step=step)
    assert not StepCompletion.objects.exists()

    services.lesson_complete(user=alice, lesson=course.lessons.last())  # completes the course and the step
    completion = services.step_complete(user=alice, step=step)
    assert completion.step == step
    assert StepCompletion.objects.count() == 1


def test_step_complete_completes_its_content(alice):
    step = PathStepFactory()
    services.path_enrol(user=alice, path=step.path)
    completion = services.step_complete(user=alice, step=step)
    assert completion.enrolment.user == alice
    assert ContentProgress.objects.get(user=alice, content=step.content).completed_at is not None
    assert logged(kinds.CONTENT_COMPLETED, alice).count() == 1
    row = logged(kinds.STEP_COMPLETED, alice).get()
    assert (row.subject_type, row.subject_id) == ("learning.pathstep", str(step.pk))
    assert row.properties == {"path": step.path_id, "required": True}


def test_completing_content_completes_it_in_every_enrolled_path(alice):
    shared = ContentItemFactory()
    first = LearningPathFactory(steps=[shared, ContentItemFactory()])
    second = LearningPathFactory(steps=[shared])
    other = LearningPathFactory(steps=[shared])  # not enrolled: untouched
    services.path_enrol(user=alice, path=first)
    services.path_enrol(user=alice, path=second)
    services.content_complete(user=alice, content=shared)
    assert StepCompletion.objects.filter(step__content=shared).count() == 2
    assert not StepCompletion.objects.filter(step__path=other).exists()
    assert Enrolment.objects.get(path=second).completed_at is not None
    assert Enrolment.objects.get(path=first).completed_at is None


def test_path_completes_when_required_steps_are_done_even_if_optional_ones_are_not(
    alice, account_a, completions_signalled
):
    first, second, extra = ContentItemFactory(), ContentItemFactory(), ContentItemFactory()
    path = LearningPathFactory(steps=[first, extra, second])
    PathStep.objects.filter(path=path, content=extra).update(required=False)
    services.path_enrol(user=alice, path=path)
    steps = {s.content_id: s for s in path.steps.all()}

    services.step_complete(user=alice, step=steps[first.pk])
    assert Enrolment.objects.get().completed_at is None
    services.step_complete(user=alice, step=steps[second.pk])
    enrolment = Enrolment.objects.get()
    assert enrolment.completed_at is not None
    assert enrolment.last_step == steps[second.pk]
    assert completions_signalled == [(alice, path, enrolment)]

    # The optional step afterwards: recorded, but the path is not completed (or signalled) again.
    services.step_complete(user=alice, step=steps[extra.pk])
    assert len(completions_signalled) == 1

    counts = {
        kind.name: Interaction.objects.filter(kind=kind.name, user=alice, account=account_a).count()
        for kind in (kinds.PATH_ENROLLED, kinds.STEP_COMPLETED, kinds.CONTENT_COMPLETED, kinds.PATH_COMPLETED)
    }
    assert counts == {
        kinds.PATH_ENROLLED.name: 1,
        kinds.STEP_COMPLETED.name: 3,
        kinds.CONTENT_COMPLETED.name: 3,
        kinds.PATH_COMPLETED.name: 1,
    }
    done = logged(kinds.PATH_COMPLETED, alice).get()
    assert (done.subject_type, done.subject_id) == ("learning.learningpath", str(path.pk))


def test_steps_satisfied_by_ref_completes_registered_step_types(alice, completions_signalled):
    path = LearningPathFactory()
    step = PathStepFactory(path=path, kind=StepKind.ASSESSMENT, content=None, ref_id=42)
    services.path_enrol(user=alice, path=path)
    services.steps_satisfied_by_ref(user=alice, kind=StepKind.ASSESSMENT, ref_id=41)
    assert not StepCompletion.objects.exists()
    services.steps_satisfied_by_ref(user=alice, kind=StepKind.ASSESSMENT, ref_id=42)
    assert StepCompletion.objects.get().step == step
    assert len(completions_signalled) == 1


# --- Live sessions ------------------------------------------------------------------------


def test_register_takes_a_seat_then_joins_the_waiting_list(alice, bob):
    session = LiveSessionFactory(capacity=1)
    first = services.session_register(user=alice, session=session)
    second = services.session_register(user=bob, session=session)
    assert first.status == RegistrationStatus.REGISTERED
    assert second.status == RegistrationStatus.WAITLISTED
    assert logged(kinds.SESSION_REGISTERED, alice).get().subject_id == str(session.pk)
    assert logged(kinds.SESSION_WAITLISTED, bob).get().account_id == bob.account_id
    assert not logged(kinds.SESSION_REGISTERED, bob).exists()


def test_registering_twice_is_refused(alice):
    session = LiveSessionFactory()
    services.session_register(user=alice, session=session)
    with pytest.raises(LearningError, match="already registered"):
        services.session_register(user=alice, session=session)
    assert Registration.objects.count() == 1


def test_registration_refused_once_started_or_cancelled(alice):
    with pytest.raises(LearningError, match="already started"):
        services.session_register(user=alice, session=LiveSessionFactory(past=True))
    with pytest.raises(LearningError, match="cancelled"):
        services.session_register(user=alice, session=LiveSessionFactory(cancelled=True))
    assert not Registration.objects.exists()
    assert not Interaction.objects.exists()


def test_registering_again_after_cancelling_reuses_the_registration(alice):
    session = LiveSessionFactory()
    services.session_register(user=alice, session=session)
    services.session_cancel_registration(user=alice, session=session)
    again = services.session_register(user=alice, session=session)
    assert again.status == RegistrationStatus.REGISTERED
    assert Registration.objects.count() == 1


def test_cancelling_gives_the_seat_to_the_first_person_waiting_and_emails_them(
    alice, bob, carol, django_capture_on_commit_callbacks
):
    session = LiveSessionFactory(capacity=1, title="Dashboard clinic")
    services.session_register(user=alice, session=session)
    services.session_register(user=bob, session=session)
    services.session_register(user=carol, session=session)

    with django_capture_on_commit_callbacks(execute=True):
        cancelled = services.session_cancel_registration(user=alice, session=session)
    assert cancelled.status == RegistrationStatus.CANCELLED
    statuses = dict(Registration.objects.values_list("user__email", "status"))
    assert statuses == {
        alice.email: RegistrationStatus.CANCELLED,
        bob.email: RegistrationStatus.REGISTERED,
        carol.email: RegistrationStatus.WAITLISTED,
    }
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [bob.email]
    assert message.subject == "A seat opened up for you: Dashboard clinic"
    assert any(name == "session.ics" for name, _, _ in message.attachments)
    assert logged(kinds.SESSION_PROMOTED, bob).count() == 1
    assert logged(kinds.SESSION_CANCELLED, alice).count() == 1


def test_cancelling_a_waiting_list_place_promotes_nobody(alice, bob, carol):
    session = LiveSessionFactory(capacity=1)
    services.session_register(user=alice, session=session)
    services.session_register(user=bob, session=session)
    services.session_register(user=carol, session=session)
    services.session_cancel_registration(user=bob, session=session)
    assert Registration.objects.get(user=carol).status == RegistrationStatus.WAITLISTED
    assert not logged(kinds.SESSION_PROMOTED).exists()


def test_cancelling_without_a_registration_is_refused(alice):
    with pytest.raises(LearningError, match="not registered"):
        services.session_cancel_registration(user=alice, session=LiveSessionFactory())


def test_raising_the_capacity_promotes_people_waiting(content, django_capture_on_commit_callbacks):
    session = LiveSessionFactory(capacity=1)
    people = [UserFactory() for _ in range(4)]
    for person in people:
        services.session_register(user=person, session=session)
    session.capacity = 3
    with django_capture_on_commit_callbacks(execute=True):
        services.session_save(session=session, by=content)
    registered = set(
        Registration.objects.filter(status=RegistrationStatus.REGISTERED).values_list("user", flat=True)
    )
    assert registered == {people[0].pk, people[1].pk, people[2].pk}
    assert Registration.objects.get(user=people[3]).status == RegistrationStatus.WAITLISTED
    assert sorted(m.to[0] for m in mail.outbox) == sorted([people[1].email, people[2].email])


def test_admin_cancelling_a_session_emails_everyone_still_registered(
    content, alice, bob, carol, django_capture_on_commit_callbacks
):
    session = LiveSessionFactory(capacity=1)
    for person in (alice, bob, carol):
        services.session_register(user=person, session=session)
    services.session_cancel_registration(user=carol, session=session)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(session=session, by=content)
    session.refresh_from_db()
    assert session.cancelled_at is not None
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, bob.email])
    assert all(m.subject.startswith("Cancelled:") for m in mail.outbox)


def test_attendance_can_only_be_marked_once_the_session_started(content, alice):
    session = LiveSessionFactory()
    services.session_register(user=alice, session=session)
    with pytest.raises(LearningError, match="once the session has started"):
        services.session_mark_attendance(session=session, attended_user_ids=[alice.pk], by=content)
    assert Registration.objects.get().attended is None


def test_attendance_completes_live_session_steps(content, alice, bob, completions_signalled):
    session = LiveSessionFactory(past=True, duration_minutes=90)
    item = ContentItemFactory()
    path = LearningPathFactory(steps=[item, session])
    RegistrationFactory(session=session, user=alice)
    RegistrationFactory(session=session, user=bob)
    services.path_enrol(user=alice, path=path)
    services.content_complete(user=alice, content=item)

    marked = services.session_mark_attendance(session=session, attended_user_ids=[alice.pk], by=content)
    assert marked == 1
    attendance = dict(Registration.objects.values_list("user", "attended"))
    assert attendance == {alice.pk: True, bob.pk: False}
    row = logged(kinds.SESSION_ATTENDED, alice).get()
    assert row.occurred_at == session.starts_at and row.value == 90 * 60
    assert StepCompletion.objects.filter(step__kind=StepKind.LIVE_SESSION, enrolment__user=alice).exists()
    assert Enrolment.objects.get(user=alice).completed_at is not None
    assert len(completions_signalled) == 1

    # Marking again changes nothing.
    assert services.session_mark_attendance(session=session, attended_user_ids=[alice.pk], by=content) == 0
    assert logged(kinds.SESSION_ATTENDED).count() == 1


def test_attendance_ignores_people_not_registered(content, alice, bob):
    session = LiveSessionFactory(past=True)
    RegistrationFactory(session=session, user=alice)
    RegistrationFactory(session=session, user=bob, status=RegistrationStatus.WAITLISTED)
    assert (
        services.session_mark_attendance(session=session, attended_user_ids=[alice.pk, bob.pk], by=content)
        == 1
    )
    assert Registration.objects.get(user=bob).attended is None


# --- Active time --------------------------------------------------------------------------


def test_active_time_is_capped_at_a_minute_per_heartbeat(alice):
    item = ContentItemFactory()
    services.active_time_record(user=alice, seconds=3600, content=item)
    services.active_time_record(user=alice, seconds=45)
    values = sorted(logged(kinds.ACTIVE_TIME, alice).values_list("value", flat=True))
    assert values == [45.0, 60.0]
    assert logged(kinds.ACTIVE_TIME, alice).filter(subject_id=str(item.pk)).get().value == 60.0


@pytest.mark.parametrize("seconds", [0, -5, "0"])
def test_active_time_ignores_empty_heartbeats(alice, seconds):
    services.active_time_record(user=alice, seconds=seconds)
    assert not Interaction.objects.exists()


# --- Curation ---------------------------------------------------------------------------------


def test_a_path_without_steps_cannot_be_published(content):
    path = LearningPathFactory(draft=True)
    with pytest.raises(LearningError, match="at least one step"):
        services.publish(obj=path, by=content, published=True)
    path.refresh_from_db()
    assert path.status == Status.DRAFT


def test_a_path_with_a_draft_prerequisite_cannot_be_published(content):
    first = LearningPathFactory(draft=True, title="Foundations draft", steps=[ContentItemFactory()])
    path = LearningPathFactory(draft=True, steps=[ContentItemFactory()], prerequisites=[first])
    with pytest.raises(LearningError, match="prerequisite paths first: Foundations draft"):
        services.publish(obj=path, by=content, published=True)


def test_a_path_with_a_draft_assessment_step_cannot_be_published(content):
    from apps.assessments.models import Assessment

    exam = Assessment.objects.create(title="Draft exam", slug="draft-exam")
    path = LearningPathFactory(draft=True, steps=[ContentItemFactory()])
    PathStep.objects.create(path=path, position=5, kind="assessment", ref_id=exam.pk)
    with pytest.raises(LearningError, match="Publish its content first: Draft exam"):
        services.publish(obj=path, by=content, published=True)


def test_a_path_with_draft_content_cannot_be_published(content):
    draft = ContentItemFactory(draft=True, title="Unfinished guide")
    path = LearningPathFactory(draft=True, steps=[ContentItemFactory(), draft])
    with pytest.raises(LearningError, match="Publish its content first: Unfinished guide"):
        services.publish(obj=path, by=content, published=True)
    services.publish(obj=draft, by=content, published=True)
    assert services.publish(obj=path, by=content, published=True).status == Status.PUBLISHED


def test_a_course_without_lessons_cannot_be_published(content):
    course = ContentItemFactory(course=True, draft=True, lessons=0)
    with pytest.raises(LearningError, match="at least one lesson"):
        services.publish(obj=course, by=content, published=True)
    LessonFactory(course=course)
    assert services.publish(obj=course, by=content, published=True).is_published


def test_publishing_keeps_the_first_publication_date(content):
    item = ContentItemFactory(draft=True)
    services.publish(obj=item, by=content, published=True)
    first = item.published_at
    assert first is not None
    services.publish(obj=item, by=content, published=False)
    item.refresh_from_db()
    assert item.status == Status.DRAFT and item.published_at == first
    services.publish(obj=item, by=content, published=True)
    item.refresh_from_db()
    assert item.is_published and item.published_at == first


def test_path_step_add_appends_and_checks_the_target(content):
    path = LearningPathFactory(draft=True)
    steps = [
        services.path_step_add(path=path, by=content, kind=StepKind.CONTENT, content=ContentItemFactory()),
        services.path_step_add(
            path=path, by=content, kind=StepKind.LIVE_SESSION, live_session=LiveSessionFactory()
        ),
        services.path_step_add(
            path=path, by=content, kind=StepKind.CONTENT, content=ContentItemFactory(), required=False
        ),
    ]
    assert [s.position for s in steps] == [0, 1, 2]
    with pytest.raises(LearningError, match="Choose what the step is"):
        services.path_step_add(path=path, by=content, kind=StepKind.CONTENT)
    assert path.steps.count() == 3


def _positions(path):
    return list(path.steps.order_by("position").values_list("pk", "position"))


def test_moving_a_step_renumbers_positions(content):
    path = LearningPathFactory()
    a, b, c = (PathStepFactory(path=path, position=p) for p in (0, 5, 9))  # gaps from old deletions
    services.path_step_move(step=c, by=content, direction="up")
    assert _positions(path) == [(a.pk, 0), (c.pk, 1), (b.pk, 2)]
    services.path_step_move(step=a, by=content, direction="up")  # already first: stays
    assert _positions(path) == [(a.pk, 0), (c.pk, 1), (b.pk, 2)]
    services.path_step_move(step=a, by=content, direction="down")
    assert _positions(path) == [(c.pk, 0), (a.pk, 1), (b.pk, 2)]
    services.path_step_move(step=b, by=content, direction="down")  # already last: stays
    assert _positions(path) == [(c.pk, 0), (a.pk, 1), (b.pk, 2)]
    with pytest.raises(LearningError, match="up or down"):
        services.path_step_move(step=b, by=content, direction="sideways")


def test_reordering_steps_needs_every_step_exactly_once(content):
    path = LearningPathFactory()
    a, b, c = (PathStepFactory(path=path) for _ in range(3))
    foreign = PathStepFactory()
    for wrong in ([a.pk, b.pk], [a.pk, b.pk, c.pk, c.pk], [a.pk, b.pk, foreign.pk], []):
        with pytest.raises(LearningError, match="every step of the path exactly once"):
            services.path_steps_reorder(path=path, by=content, step_ids=wrong)
    assert _positions(path) == [(a.pk, 0), (b.pk, 1), (c.pk, 2)]
    reordered = services.path_steps_reorder(path=path, by=content, step_ids=[c.pk, a.pk, b.pk])
    assert [s.pk for s in reordered] == [c.pk, a.pk, b.pk]
    assert _positions(path) == [(c.pk, 0), (a.pk, 1), (b.pk, 2)]


def test_a_step_people_completed_cannot_be_removed(content, alice):
    path = LearningPathFactory()
    done, spare = PathStepFactory(path=path), PathStepFactory(path=path)
    services.path_enrol(user=alice, path=path)
    services.step_complete(user=alice, step=done)
    with pytest.raises(LearningError, match="Learners have completed this step"):
        services.path_step_remove(step=done, by=content)
    services.path_step_remove(step=spare, by=content)
    assert list(path.steps.all()) == [done]


@pytest.mark.parametrize("who", ["alice", "carol", "csm"])
def test_only_content_admins_curate(request, who):
    user = request.getfixturevalue(who)
    path = LearningPathFactory()
    step = PathStepFactory(path=path)
    session = LiveSessionFactory(past=True)
    attempts = [
        lambda: services.publish(obj=path, by=user, published=False),
        lambda: services.publish(obj=step.content, by=user, published=False),
        lambda: services.path_step_add(
            path=path, by=user, kind=StepKind.CONTENT, content=ContentItemFactory()
        ),
        lambda: services.path_step_move(step=step, by=user, direction="down"),
        lambda: services.path_steps_reorder(path=path, by=user, step_ids=[step.pk]),
        lambda: services.path_step_remove(step=step, by=user),
        lambda: services.session_save(session=session, by=user),
        lambda: services.session_cancel(session=session, by=user),
        lambda: services.session_mark_attendance(session=session, attended_user_ids=[], by=user),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    path.refresh_from_db()
    session.refresh_from_db()
    assert path.is_published and PathStep.objects.filter(pk=step.pk).exists() and session.cancelled_at is None


# --- E-mail tasks -----------------------------------------------------------------------------


def test_session_reminders_are_sent_once(alice, bob, carol):
    soon = LiveSessionFactory(starts_at=timezone.now() + timedelta(hours=12), title="Admin bootcamp")
    later = LiveSessionFactory(starts_at=timezone.now() + timedelta(days=3))
    cancelled = LiveSessionFactory(starts_at=timezone.now() + timedelta(hours=5), cancelled=True)
    RegistrationFactory(session=soon, user=alice)
    RegistrationFactory(session=soon, user=bob, status=RegistrationStatus.WAITLISTED)
    RegistrationFactory(session=later, user=carol)
    RegistrationFactory(session=cancelled, user=carol)

    assert tasks.send_session_reminders() == 1
    assert tasks.send_session_reminders() == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [alice.email]
    assert mail.outbox[0].subject == "Tomorrow: Admin bootcamp"
    assert Registration.objects.get(user=alice).reminder_sent_at is not None


def _opt_in(*users):
    for user in users:
        services.learning_preference_set(user=user, weekly_digest=True)


# The digest goes through the contact budget, which sends after the commit of its decision:
# these tests run the on-commit callbacks.


def test_weekly_digest_goes_to_people_who_opted_in_only(
    alice, bob, carol, django_capture_on_commit_callbacks
):
    _opt_in(alice, bob)
    services.learning_preference_set(user=carol, weekly_digest=False)
    ContentItemFactory(title="New: calculated fields")
    ContentItemFactory(draft=True, title="Not ready yet")

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_weekly_digests() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, bob.email])
    message = next(m for m in mail.outbox if m.to == [alice.email])
    assert "New: calculated fields" in message.subject
    assert "Not ready yet" not in message.body


def test_weekly_digest_is_not_sent_twice_within_six_days(alice, django_capture_on_commit_callbacks):
    _opt_in(alice)
    ContentItemFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_weekly_digests() == 1
    assert tasks.send_weekly_digests() == 0
    assert len(mail.outbox) == 1

    # Five days later: still too early. A week later, with something new, it goes out again.
    LearningPreference.objects.update(last_digest_at=timezone.now() - timedelta(days=5))
    assert tasks.send_weekly_digests() == 0
    LearningPreference.objects.update(last_digest_at=timezone.now() - timedelta(days=7))
    ContentItemFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_weekly_digests() == 1
    assert len(mail.outbox) == 2


def test_weekly_digest_with_nothing_new_sends_nothing(alice):
    _opt_in(alice)
    ContentItemFactory(published_at=timezone.now() - timedelta(days=30))
    assert tasks.send_weekly_digests() == 0
    assert not mail.outbox


def _digest_unsubscribe_missing() -> bool:
    try:
        reverse("digest_unsubscribe", kwargs={"token": "x"})
    except NoReverseMatch:
        return True
    return False


@pytest.mark.skipif(_digest_unsubscribe_missing(), reason="the digest_unsubscribe URL does not exist yet")
def test_weekly_digest_unsubscribe_link_works(alice, client, django_capture_on_commit_callbacks):
    _opt_in(alice)
    ContentItemFactory()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_weekly_digests()
    link = re.search(r"https?://\S+/digest/unsubscribe/\S+", mail.outbox[0].body).group(0)
    path = urlparse(link).path
    assert client.get(path).status_code == 200
    assert LearningPreference.objects.get(user=alice).weekly_digest  # a GET alone changes nothing
    assert client.post(path).status_code == 200
    assert not LearningPreference.objects.get(user=alice).weekly_digest
    assert client.get(path.replace("/unsubscribe/", "/unsubscribe/x")).status_code == 400


# --- Concurrency (PostgreSQL only: SQLite serialises writers anyway) ------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_the_last_seat_goes_to_one_person_under_concurrency():
    session = LiveSessionFactory(capacity=1)
    people = [UserFactory() for _ in range(8)]
    barrier = threading.Barrier(len(people))
    errors = []

    def register(person):
        try:
            barrier.wait(timeout=10)
            services.session_register(user=person, session=session)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    statuses = list(Registration.objects.filter(session=session).values_list("status", flat=True))
    assert sorted(statuses) == [RegistrationStatus.REGISTERED] + [RegistrationStatus.WAITLISTED] * 7


def test_enrolment_factory_and_step_factory_fit_the_services(alice):
    """The learning factories build rows the services accept (guards the factories themselves)."""
    enrolment = EnrolmentFactory(user=alice, path=LearningPathFactory(steps=[ContentItemFactory()]))
    services.step_complete(user=alice, step=enrolment.path.steps.get())
    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None


def test_content_in_a_published_path_cannot_be_unpublished(content):
    from tests.learning.factories import ContentItemFactory, LearningPathFactory, PathStepFactory

    item = ContentItemFactory(title="Dashboards 101")
    path = LearningPathFactory(title="Analyst basics")
    PathStepFactory(path=path, content=item)
    path.status = "published"
    path.save()
    with pytest.raises(services.LearningError, match="Analyst basics"):
        services.publish(obj=item, by=content, published=False)
    item.refresh_from_db()
    assert item.status == "published"
    services.publish(obj=path, by=content, published=False)
    services.publish(obj=item, by=content, published=False)  # a draft path may hold draft content
    item.refresh_from_db()
    assert item.status == "draft"
