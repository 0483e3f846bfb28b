"""Writes of the learning app. Each public function is one transaction and records its
interactions in it; e-mails are sent by Celery after the commit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.dispatch import Signal
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.services import PermissionDenied, ServiceError
from apps.interactions.services import record
from apps.learning import kinds, step_types
from apps.learning.models import (
    ContentItem,
    ContentProgress,
    Enrolment,
    LearningPath,
    LearningPreference,
    Lesson,
    LessonCompletion,
    LiveSession,
    PathStep,
    Registration,
    RegistrationStatus,
    Status,
    StepCompletion,
    StepKind,
)

# Sent inside the transaction that completes a path, with `user`, `path` and `enrolment`;
# higher layers (certifications) listen to it.
path_completed = Signal()

VIEW_DEDUP_WINDOW = timedelta(minutes=30)
MAX_HEARTBEAT_SECONDS = 60


class LearningError(ServiceError):
    pass


# --- Viewing and completing content -------------------------------------------------------


def content_view(*, user: User, content: ContentItem, lesson: Lesson | None = None) -> ContentProgress:
    """Note that a person opened a content item (or one of a course's lessons).

    Views by the same person within 30 minutes count once, so reloading a page is not engagement.
    """
    now = timezone.now()
    with transaction.atomic():
        progress, created = ContentProgress.objects.get_or_create(user=user, content=content)
        recent = not created and progress.last_viewed_at and now - progress.last_viewed_at < VIEW_DEDUP_WINDOW
        fields = ["last_viewed_at"]
        progress.last_viewed_at = now
        if lesson is not None:
            progress.last_lesson = lesson
            fields.append("last_lesson")
        progress.save(update_fields=fields)
        if not recent:
            record(
                kind=kinds.CONTENT_VIEWED.name,
                user=user,
                subject=content,
                properties={"content_kind": content.kind, "lesson": lesson.pk if lesson else None},
            )
    return progress


def content_complete(*, user: User, content: ContentItem) -> ContentProgress:
    """Mark a (non-course) content item as done, and every path step it satisfies."""
    if content.is_course:
        raise LearningError("A course is complete when all of its lessons are.")
    with transaction.atomic():
        progress = _complete_content(user=user, content=content, kind=kinds.CONTENT_COMPLETED.name)
    return progress


def lesson_complete(*, user: User, lesson: Lesson) -> LessonCompletion:
    """Mark a lesson done; the last one completes the course."""
    course = lesson.course
    with transaction.atomic():
        completion, created = LessonCompletion.objects.get_or_create(user=user, lesson=lesson)
        if not created:
            return completion
        record(kind=kinds.LESSON_COMPLETED.name, user=user, subject=lesson, properties={"course": course.pk})
        progress, _ = ContentProgress.objects.get_or_create(user=user, content=course)
        progress.last_lesson = lesson
        progress.save(update_fields=["last_lesson"])
        remaining = course.lessons.exclude(completions__user=user).exists()
        if not remaining:
            _complete_content(user=user, content=course, kind=kinds.COURSE_COMPLETED.name)
    return completion


def _complete_content(*, user: User, content: ContentItem, kind: str) -> ContentProgress:
    progress, _ = ContentProgress.objects.select_for_update().get_or_create(user=user, content=content)
    if progress.completed_at is None:
        progress.completed_at = timezone.now()
        progress.save(update_fields=["completed_at"])
        record(kind=kind, user=user, subject=content, properties={"content_kind": content.kind})
        _satisfy_steps(user=user, steps=PathStep.objects.filter(kind=StepKind.CONTENT, content=content))
    return progress


# --- Paths ------------------------------------------------------------------------------


def path_enrol(*, user: User, path: LearningPath) -> Enrolment:
    """Enrol a person in a published path whose prerequisites they have finished.

    Steps they already did elsewhere (content read before enrolling, say) count at once.
    """
    if not path.is_published:
        raise LearningError("This path is not published.")
    missing = path.prerequisites.exclude(pk__in=_finished_paths(user))
    if missing.exists():
        names = ", ".join(p.title for p in missing)
        raise LearningError(f"Finish these paths first: {names}.")
    with transaction.atomic():
        try:
            with transaction.atomic():
                enrolment = Enrolment.objects.create(user=user, path=path)
        except IntegrityError as exc:
            raise LearningError("You are already enrolled in this path.") from exc
        record(kind=kinds.PATH_ENROLLED.name, user=user, subject=path)
        done_content = ContentProgress.objects.filter(user=user, completed_at__isnull=False).values("content")
        attended = Registration.objects.filter(user=user, attended=True).values("session")
        already = path.steps.filter(content__in=done_content) | path.steps.filter(live_session__in=attended)
        _satisfy_steps(user=user, steps=already, enrolments=[enrolment])
    return enrolment


def _finished_paths(user: User):
    """Ids of the paths this person completed (a subquery). One condition on one enrolment:
    `exclude(enrolments__user=..., enrolments__completed_at__isnull=False)` would span two."""
    return Enrolment.objects.filter(user=user, completed_at__isnull=False).values("path")


def step_complete(*, user: User, step: PathStep) -> StepCompletion:
    """A learner's "mark as done" on a path step. Content steps complete with their content;
    other steps complete on their own event (attendance marked, assessment passed)."""
    enrolment = Enrolment.objects.filter(user=user, path=step.path_id).first()
    if enrolment is None:
        raise LearningError("Enrol in this path before completing its steps.")
    if step.kind != StepKind.CONTENT:
        raise LearningError("This step completes by itself: when your attendance is marked or you pass.")
    if step.content.is_course:
        if step.content.lessons.exclude(completions__user=user).exists():
            raise LearningError("Finish every lesson of the course to complete this step.")
    else:
        content_complete(user=user, content=step.content)
    with transaction.atomic():
        _satisfy_steps(user=user, steps=PathStep.objects.filter(pk=step.pk), enrolments=[enrolment])
    return StepCompletion.objects.get(enrolment=enrolment, step=step)


def steps_satisfied_by_ref(*, user: User, kind: str, ref_id: int) -> None:
    """For step types registered by other apps: their object `ref_id` is done by `user`."""
    with transaction.atomic():
        _satisfy_steps(user=user, steps=PathStep.objects.filter(kind=kind, ref_id=ref_id))


def _satisfy_steps(*, user: User, steps, enrolments: Iterable[Enrolment] | None = None) -> None:
    """Complete `steps` in the person's enrolments, then any path that is now finished."""
    step_list = list(steps.select_related("path")) if hasattr(steps, "select_related") else list(steps)
    if not step_list:
        return
    if enrolments is None:
        enrolments = Enrolment.objects.filter(user=user, path__in={s.path_id for s in step_list})
    by_path = {e.path_id: e for e in enrolments}
    now = timezone.now()
    touched = set()
    for step in step_list:
        enrolment = by_path.get(step.path_id)
        if enrolment is None:
            continue
        _, created = StepCompletion.objects.get_or_create(
            enrolment=enrolment, step=step, defaults={"completed_at": now}
        )
        if created:
            record(
                kind=kinds.STEP_COMPLETED.name,
                user=user,
                subject=step,
                properties={"path": step.path_id, "required": step.required},
            )
            enrolment.last_step = step
            enrolment.save(update_fields=["last_step"])
            touched.add(enrolment.pk)
    for enrolment in by_path.values():
        if enrolment.pk in touched and enrolment.completed_at is None:
            _complete_path_if_done(enrolment=enrolment, user=user)


def _complete_path_if_done(*, enrolment: Enrolment, user: User) -> None:
    open_required = enrolment.path.steps.filter(required=True).exclude(completions__enrolment=enrolment)
    if open_required.exists():
        return
    enrolment.completed_at = timezone.now()
    enrolment.save(update_fields=["completed_at"])
    record(kind=kinds.PATH_COMPLETED.name, user=user, subject=enrolment.path)
    path_completed.send(sender=Enrolment, user=user, path=enrolment.path, enrolment=enrolment)


# --- Live sessions ------------------------------------------------------------------------


def session_register(*, user: User, session: LiveSession) -> Registration:
    """Take a seat, or a place on the waiting list when the session is full.

    The session row is locked while seats are counted, so the last seat goes to one person only.
    """
    with transaction.atomic():
        session = LiveSession.objects.select_for_update().get(pk=session.pk)
        if session.cancelled_at:
            raise LearningError("This session was cancelled.")
        if session.starts_at <= timezone.now():
            raise LearningError("This session has already started; registration is closed.")
        registration = Registration.objects.filter(session=session, user=user).first()
        if registration and registration.status != RegistrationStatus.CANCELLED:
            raise LearningError(
                f"You are already {registration.get_status_display().lower()} for this session."
            )
        taken = Registration.objects.filter(session=session, status=RegistrationStatus.REGISTERED).count()
        status = RegistrationStatus.REGISTERED if taken < session.capacity else RegistrationStatus.WAITLISTED
        if registration is None:
            registration = Registration(session=session, user=user)
        registration.status = status
        registration.created_at = timezone.now()
        registration.save()
        kind = (
            kinds.SESSION_REGISTERED if status == RegistrationStatus.REGISTERED else kinds.SESSION_WAITLISTED
        )
        record(kind=kind.name, user=user, subject=session)
        _email_after_commit("registration", registration.pk)
    return registration


def session_cancel_registration(*, user: User, session: LiveSession) -> Registration:
    """Give up a seat (or a waiting-list place); the first person waiting gets the seat."""
    with transaction.atomic():
        session = LiveSession.objects.select_for_update().get(pk=session.pk)
        registration = Registration.objects.filter(
            session=session,
            user=user,
            status__in=[RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED],
        ).first()
        if registration is None:
            raise LearningError("You are not registered for this session.")
        if session.starts_at <= timezone.now():
            raise LearningError("This session has already started.")
        had_seat = registration.status == RegistrationStatus.REGISTERED
        registration.status = RegistrationStatus.CANCELLED
        registration.save(update_fields=["status"])
        record(kind=kinds.SESSION_CANCELLED.name, user=user, subject=session)
        if had_seat:
            _promote_waitlist(session=session)
    return registration


def _promote_waitlist(*, session: LiveSession) -> None:
    taken = Registration.objects.filter(session=session, status=RegistrationStatus.REGISTERED).count()
    free = session.capacity - taken
    if free <= 0:
        return
    waiting = (
        Registration.objects.filter(session=session, status=RegistrationStatus.WAITLISTED)
        .select_related("user")
        .order_by("created_at", "pk")[:free]
    )
    for registration in waiting:
        registration.status = RegistrationStatus.REGISTERED
        registration.save(update_fields=["status"])
        record(kind=kinds.SESSION_PROMOTED.name, user=registration.user, subject=session)
        _email_after_commit("promoted", registration.pk)


def session_save(*, session: LiveSession, by: User) -> LiveSession:
    """Create or update a session (content admins). Raising the capacity promotes the waiting list."""
    _require_content_admin(by)
    with transaction.atomic():
        session.full_clean()
        session.save()
        if session.starts_at > timezone.now() and not session.cancelled_at:
            _promote_waitlist(session=session)
    return session


def session_cancel(*, session: LiveSession, by: User) -> LiveSession:
    """Cancel an upcoming session; everyone registered or waiting is told by e-mail."""
    _require_content_admin(by)
    if session.cancelled_at is None and session.is_past:
        raise LearningError("This session is over; it cannot be cancelled.")
    with transaction.atomic():
        if session.cancelled_at is None:
            session.cancelled_at = timezone.now()
            session.save(update_fields=["cancelled_at"])
            for registration in session.registrations.exclude(status=RegistrationStatus.CANCELLED):
                _email_after_commit("session_cancelled", registration.pk)
    return session


def session_mark_attendance(*, session: LiveSession, attended_user_ids: Iterable[int], by: User) -> int:
    """Record who attended (of those registered). Attendance completes live-session path steps."""
    _require_content_admin(by)
    if session.cancelled_at:
        raise LearningError("This session was cancelled; there is no attendance to mark.")
    if session.starts_at > timezone.now():
        raise LearningError("Attendance can be marked once the session has started.")
    attended_ids = set(attended_user_ids)
    count = 0
    with transaction.atomic():
        registrations = session.registrations.filter(status=RegistrationStatus.REGISTERED).select_related(
            "user"
        )
        for registration in registrations:
            attended = registration.user_id in attended_ids
            if registration.attended == attended:
                continue
            registration.attended = attended
            registration.save(update_fields=["attended"])
            if attended:
                count += 1
                record(
                    kind=kinds.SESSION_ATTENDED.name,
                    user=registration.user,
                    subject=session,
                    occurred_at=session.starts_at,
                    value=float(session.duration_minutes * 60),
                )
                _satisfy_steps(
                    user=registration.user,
                    steps=PathStep.objects.filter(kind=StepKind.LIVE_SESSION, live_session=session),
                )
    return count


def _email_after_commit(template: str, registration_id: int) -> None:
    from apps.learning.tasks import registration_email

    transaction.on_commit(
        lambda: registration_email.delay(registration_id=registration_id, template=template)
    )


# --- Curation (content admins) --------------------------------------------------------------


def _require_content_admin(user: User) -> None:
    if not user.is_content_admin:
        raise PermissionDenied("Only content admins can curate learning.")


def publish(*, obj: ContentItem | LearningPath, by: User, published: bool) -> ContentItem | LearningPath:
    """Publish or unpublish a content item or path. A path needs at least one step to be published."""
    _require_content_admin(by)
    if published and isinstance(obj, LearningPath):
        if not obj.steps.exists():
            raise LearningError("Add at least one step before publishing the path.")
        drafts = [
            s.content.title for s in obj.steps.filter(kind=StepKind.CONTENT, content__status=Status.DRAFT)
        ]
        for kind in set(
            obj.steps.exclude(kind__in=[StepKind.CONTENT, StepKind.LIVE_SESSION]).values_list(
                "kind", flat=True
            )
        ):
            provider = step_types.get(kind)
            if provider is not None and hasattr(provider, "unpublished"):
                drafts += provider.unpublished(
                    list(obj.steps.filter(kind=kind).values_list("ref_id", flat=True))
                )
        if drafts:
            raise LearningError("Publish its content first: " + ", ".join(drafts) + ".")
        draft_prerequisites = [p.title for p in obj.prerequisites.exclude(status=Status.PUBLISHED)]
        if draft_prerequisites:
            raise LearningError(
                "Publish its prerequisite paths first: " + ", ".join(draft_prerequisites) + "."
            )
    if published and isinstance(obj, ContentItem) and obj.is_course and not obj.lessons.exists():
        raise LearningError("Add at least one lesson before publishing the course.")
    if not published and isinstance(obj, ContentItem):
        # A published path must never lead learners to a step they cannot open.
        in_use = sorted(
            {
                step.path.title
                for step in obj.steps.filter(path__status=Status.PUBLISHED).select_related("path")
            }
        )
        if in_use:
            raise LearningError(
                "It is a step of published paths: " + ", ".join(in_use) + ". Remove it from them or "
                "unpublish them first."
            )
    obj.status = Status.PUBLISHED if published else Status.DRAFT
    if published and obj.published_at is None:
        obj.published_at = timezone.now()
    obj.save(update_fields=["status", "published_at", "updated_at"])
    return obj


def path_step_add(
    *,
    path: LearningPath,
    by: User,
    kind: str,
    content: ContentItem | None = None,
    live_session: LiveSession | None = None,
    ref_id: int | None = None,
    required: bool = True,
) -> PathStep:
    _require_content_admin(by)
    with transaction.atomic():
        LearningPath.objects.select_for_update().get(pk=path.pk)
        last = path.steps.aggregate(m=Max("position"))["m"]
        step = PathStep(
            path=path,
            kind=kind,
            content=content,
            live_session=live_session,
            ref_id=ref_id,
            required=required,
            position=0 if last is None else last + 1,
        )
        try:
            with transaction.atomic():
                step.save()
        except IntegrityError as exc:
            raise LearningError(
                "Choose what the step is: a content item, a live session or an assessment."
            ) from exc
    return step


def path_step_move(*, step: PathStep, by: User, direction: str) -> list[PathStep]:
    """Move a step one place up or down; positions are renumbered 0..n-1."""
    _require_content_admin(by)
    if direction not in ("up", "down"):
        raise LearningError("Move a step up or down.")
    with transaction.atomic():
        LearningPath.objects.select_for_update().get(pk=step.path_id)
        steps = list(PathStep.objects.filter(path=step.path_id).order_by("position", "pk"))
        index = next(i for i, s in enumerate(steps) if s.pk == step.pk)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(steps):
            steps[index], steps[other] = steps[other], steps[index]
        _renumber(steps)
    return steps


def path_steps_reorder(*, path: LearningPath, by: User, step_ids: list[int]) -> list[PathStep]:
    """Put the path's steps in exactly the order given (every step once)."""
    _require_content_admin(by)
    with transaction.atomic():
        LearningPath.objects.select_for_update().get(pk=path.pk)
        steps = {s.pk: s for s in path.steps.all()}
        if sorted(step_ids) != sorted(steps):
            raise LearningError("The new order must list every step of the path exactly once.")
        for position, pk in enumerate(step_ids):
            steps[pk].position = position
        PathStep.objects.bulk_update(steps.values(), ["position"])
    return [steps[pk] for pk in step_ids]


def path_step_remove(*, step: PathStep, by: User) -> None:
    """Remove a step nobody has completed; the remaining steps are numbered 0..n-1 again."""
    _require_content_admin(by)
    if step.completions.exists():
        raise LearningError(
            "Learners have completed this step; unpublish the path or mark the step optional."
        )
    with transaction.atomic():
        LearningPath.objects.select_for_update().get(pk=step.path_id)
        step.delete()
        _renumber(list(PathStep.objects.filter(path=step.path_id).order_by("position", "pk")))


def _renumber(rows: list) -> None:
    for position, row in enumerate(rows):
        row.position = position
    if rows:
        type(rows[0]).objects.bulk_update(rows, ["position"])


def lesson_save(*, lesson: Lesson, course: ContentItem, by: User) -> Lesson:
    """Save a lesson; a new one goes last. The course row is locked so two lessons added at
    the same moment do not share a position."""
    _require_content_admin(by)
    with transaction.atomic():
        if lesson.pk is None:
            ContentItem.objects.select_for_update().get(pk=course.pk)
            last = course.lessons.aggregate(m=Max("position"))["m"]
            lesson.course = course
            lesson.position = 0 if last is None else last + 1
        lesson.save()
    return lesson


def lesson_move(*, lesson: Lesson, by: User, direction: str) -> None:
    _require_content_admin(by)
    if direction not in ("up", "down"):
        raise LearningError("Move a lesson up or down.")
    with transaction.atomic():
        ContentItem.objects.select_for_update().get(pk=lesson.course_id)
        lessons = list(Lesson.objects.filter(course=lesson.course_id).order_by("position", "pk"))
        index = next(i for i, item in enumerate(lessons) if item.pk == lesson.pk)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(lessons):
            lessons[index], lessons[other] = lessons[other], lessons[index]
        _renumber(lessons)


def lesson_delete(*, lesson: Lesson, by: User) -> None:
    """Delete a lesson (and learners' completions of it). A published course keeps at least one."""
    _require_content_admin(by)
    with transaction.atomic():
        course = ContentItem.objects.select_for_update().get(pk=lesson.course_id)
        lessons = list(Lesson.objects.filter(course=course).order_by("position", "pk"))
        if course.is_published and len(lessons) == 1:
            raise LearningError("A published course needs at least one lesson; unpublish the course first.")
        deleted_pk = lesson.pk
        lesson.delete()
        _renumber([item for item in lessons if item.pk != deleted_pk])


# --- Time and preferences -------------------------------------------------------------------


def active_time_record(*, user: User, seconds: int, content: ContentItem | None = None) -> None:
    """One heartbeat of active time from a learning page (sent only while the tab is visible
    and the learner not idle). Capped, so a forged beat cannot claim hours."""
    seconds = max(0, min(int(seconds), MAX_HEARTBEAT_SECONDS))
    if seconds == 0:
        return
    with transaction.atomic():
        record(kind=kinds.ACTIVE_TIME.name, user=user, subject=content, value=float(seconds))


def learning_preference_set(*, user: User, weekly_digest: bool) -> LearningPreference:
    preference, _ = LearningPreference.objects.update_or_create(
        user=user, defaults={"weekly_digest": weekly_digest}
    )
    return preference
