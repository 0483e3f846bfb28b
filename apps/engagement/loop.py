"""Closing the loop with detractors: a CS manager links a detractor's comment to product ideas;
when a linked idea ships, the person is told personally and, after LOOP_RESURVEY_DAYS, asked
again in the "Closing the loop" NPS campaign; their new score shows whether they were won back.

`loop_follow_up` is the hourly beat's body. Each step is claimed per link under a row lock and a
null timestamp (told_at, resurveyed_at, new_score), so running it twice, or concurrently, does
nothing twice; the notification also carries a dedup key.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.accounts.services import PermissionDenied
from apps.community.services import CommunityError, idea_create
from apps.engagement import kinds
from apps.engagement.models import FeedbackLink, Task
from apps.engagement.services import EngagementError, _require_cs_manager
from apps.engagement.task_selectors import detractor_answer, idea_facts
from apps.interactions.services import record
from apps.notifications.services import notify
from apps.surveys.models import Campaign, CampaignStatus
from apps.surveys.selectors import campaign_list, campaign_responses
from apps.surveys.services import SurveyError, campaign_save, invitation_create_for

logger = logging.getLogger(__name__)

LOOP_CAMPAIGN = "Closing the loop"
NOTIFICATION_CATEGORY = "customer_success"


# --- linking feedback to ideas -----------------------------------------------------------------


def _detractor(task: Task):
    answer = detractor_answer(task=task)
    if answer is None or answer.person is None:
        raise EngagementError("Only a detractor's feedback can be linked to ideas.")
    return answer


def feedback_link_create(*, task: Task, idea_id: int, by: User) -> FeedbackLink:
    """Link the detractor's comment (and score) on this task to an existing idea, once per
    person and idea."""
    _require_cs_manager(by)
    answer = _detractor(task)
    if idea_id not in idea_facts(idea_ids=[idea_id]):
        raise EngagementError("That idea does not exist any more.")
    try:
        with transaction.atomic():
            return FeedbackLink.objects.create(
                task=task,
                account=task.account,
                person=answer.person,
                idea_id=idea_id,
                comment=answer.comment,
                score=answer.score,
                linked_by=by,
            )
    except IntegrityError as exc:
        raise EngagementError(f"{answer.person}'s feedback is already linked to that idea.") from exc


def feedback_idea_create(*, task: Task, by: User, title: str, description: str) -> FeedbackLink:
    """Post a new idea from the detractor's feedback and link it. The CS manager is its author
    (staff may post ideas; the community sees who wrote it). One transaction: no idea without its link."""
    _require_cs_manager(by)
    _detractor(task)
    try:
        with transaction.atomic():
            idea = idea_create(author=by, title=title, description=description)
            return feedback_link_create(task=task, idea_id=idea.pk, by=by)
    except CommunityError as exc:
        raise EngagementError(str(exc)) from exc


def feedback_link_delete(*, link: FeedbackLink, by: User) -> None:
    """Unlink feedback linked by mistake; once the person has been told, the link stays."""
    _require_cs_manager(by)
    deleted, _ = FeedbackLink.objects.filter(pk=link.pk, told_at__isnull=True).delete()
    if not deleted:
        raise EngagementError("They have already been told about this idea; the link stays.")


# --- the follow-up ------------------------------------------------------------------------------


def _cs_manager_of(link: FeedbackLink) -> User | None:
    for person in (link.linked_by, link.account.cs_manager):
        if person is not None and person.is_active and person.role == Role.CS_MANAGER:
            return person
    return None


def _tell(link_id: int, idea, now: datetime) -> bool:
    """Tell the person the idea they asked for shipped, personally, and plan the re-survey."""
    with transaction.atomic():
        link = (
            FeedbackLink.objects.select_for_update(of=("self",))
            .select_related("person", "account__cs_manager", "linked_by")
            .filter(pk=link_id, told_at__isnull=True)
            .first()
        )
        if link is None:
            return False
        manager = _cs_manager_of(link)
        signed = (
            f"{manager.full_name or manager.email}, your customer success manager"
            if manager
            else "Your customer success team"
        )
        comment = link.comment.strip()
        said = f"You told us: “{comment[:300]}”\n\n" if comment else ""
        told = notify(
            user=link.person,
            category=NOTIFICATION_CATEGORY,
            dedup_key=f"loop-told-{link.pk}",
            title=f"You asked, we built it: {idea.title}"[:200],
            body=(
                f"{said}We listened, and “{idea.title}” has now shipped. Thank you for taking the "
                f"time to tell us; it made a difference.\n\n— {signed}"
            ),
            url=reverse("idea_detail", args=[idea.pk]),
        )
        if told is not None:
            record(
                kind=kinds.MESSAGE.name,
                user=link.person,
                account=link.account,
                properties={"loop": link.pk, "idea": idea.pk},
            )
        link.told_at = now
        link.resurvey_on = timezone.localdate(now) + timedelta(days=settings.LOOP_RESURVEY_DAYS)
        link.save(update_fields=["told_at", "resurvey_on"])
    return True


def loop_campaign(*, by: User) -> Campaign:
    """The "Closing the loop" campaign, created on first use: active, one-off, and already past
    its (empty) first wave, so the survey scheduler never sends it to everyone; people are only
    ever invited to it one by one."""
    campaign = campaign_list(user=by).filter(name=LOOP_CAMPAIGN).order_by("pk").first()
    if campaign is not None:
        return campaign
    now = timezone.now()
    return campaign_save(
        campaign=Campaign(
            name=LOOP_CAMPAIGN,
            status=CampaignStatus.ACTIVE,
            starts_at=now,
            last_wave_at=now,
            repeat_every_days=None,
            throttle_days=0,
            one_by_one=True,
        ),
        by=by,
    )


def _any_cs_manager() -> User | None:
    return User.objects.filter(role=Role.CS_MANAGER, is_active=True).order_by("pk").first()


def _resurvey(link: FeedbackLink, now: datetime) -> bool:
    """Invite the person to the loop campaign (e-mailed after the commit) and note when."""
    manager = _cs_manager_of(link) or _any_cs_manager()
    if manager is None:
        return False
    try:
        with transaction.atomic():
            locked = (
                FeedbackLink.objects.select_for_update()
                .filter(pk=link.pk, resurveyed_at__isnull=True)
                .first()
            )
            if locked is None:
                return False
            invitation_create_for(campaign=loop_campaign(by=manager), user=link.person)
            locked.resurveyed_at = now
            locked.save(update_fields=["resurveyed_at"])
    except (SurveyError, PermissionDenied) as exc:
        # Someone who opted out of surveys (or left) is not asked again: the link stays at "Told".
        logger.info("Closing the loop: not re-surveying link %s: %s", link.pk, exc)
        return False
    return True


def _record_answers() -> int:
    """New scores: the latest answer of each re-surveyed person in the loop campaign, given after
    they were re-surveyed."""
    waiting = FeedbackLink.objects.filter(resurveyed_at__isnull=False, new_score__isnull=True)
    if not waiting.exists():
        return 0
    manager = _any_cs_manager()
    if manager is None:
        return 0
    campaign = campaign_list(user=manager).filter(name=LOOP_CAMPAIGN).order_by("pk").first()
    if campaign is None:
        return 0
    earliest = waiting.aggregate(first=Min("resurveyed_at"))["first"]
    latest = {
        response.invitation.user_id: response
        for response in campaign_responses(campaign=campaign).filter(
            invitation__user_id__in=waiting.values("person_id"), submitted_at__gte=earliest
        )
    }
    answered = 0
    for link in waiting:
        response = latest.get(link.person_id)
        if response is None or response.submitted_at < link.resurveyed_at:
            continue
        answered += FeedbackLink.objects.filter(pk=link.pk, new_score__isnull=True).update(
            new_score=response.score
        )
    return answered


def loop_follow_up(now: datetime | None = None) -> dict:
    """The hourly follow-up: tell, re-survey, record answers. Returns how many links moved."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    told = 0
    untold = list(FeedbackLink.objects.filter(told_at__isnull=True).values_list("pk", "idea_id"))
    if untold:
        facts = idea_facts(idea_ids={idea_id for _, idea_id in untold})
        for pk, idea_id in untold:
            idea = facts.get(idea_id)
            if idea is not None and idea.shipped:
                told += _tell(pk, idea, now)
    resurveyed = 0
    due = FeedbackLink.objects.filter(
        told_at__isnull=False, resurvey_on__lte=today, resurveyed_at__isnull=True
    ).select_related("person", "account__cs_manager", "linked_by")
    for link in due:
        resurveyed += _resurvey(link, now)
    return {"told": told, "resurveyed": resurveyed, "answered": _record_answers()}
