"""Writes of the surveys app. Each public function is one transaction and records its
interactions in it; e-mails go out through Celery after the commit."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from apps.accounts.models import CUSTOMER_ROLES, AccountStatus, Role, Segment, TouchModel, User
from apps.accounts.services import PermissionDenied, ServiceError
from apps.interactions.models import Interaction
from apps.interactions.services import record
from apps.notifications.services import notify
from apps.surveys import kinds
from apps.surveys.models import Campaign, CampaignStatus, Invitation, Response, SurveyOptOut
from apps.surveys.tokens import day_label

AUDIENCE_ROLES = {Role.LEARNER.value, Role.CUSTOMER_ADMIN.value, "executive_sponsor"}


class SurveyError(ServiceError):
    pass


def _require_cs_manager(by: User) -> None:
    if not (by.is_authenticated and by.is_cs_manager):
        raise PermissionDenied("Only a CS manager can manage NPS campaigns.")


def campaign_results_path(campaign: Campaign) -> str:
    try:
        return reverse("campaign_results", kwargs={"pk": campaign.pk})
    except NoReverseMatch:
        return f"/surveys/campaigns/{campaign.pk}/"


# --- Campaigns ------------------------------------------------------------------------------


def campaign_save(*, campaign: Campaign, by: User, accounts=None) -> Campaign:
    """Create or update a campaign (and, when given, the accounts it is limited to)."""
    _require_cs_manager(by)
    unknown = set(campaign.roles or []) - AUDIENCE_ROLES
    if unknown:
        raise SurveyError(f"Unknown audience role: {', '.join(sorted(unknown))}.")
    if set(campaign.segments or []) - set(Segment.values):
        raise SurveyError("Unknown segment in the audience.")
    if set(campaign.touch_models or []) - set(TouchModel.values):
        raise SurveyError("Unknown touch model in the audience.")
    if (
        campaign.pk is not None
        and Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.CLOSED).exists()
    ):
        raise SurveyError("A closed campaign can no longer be changed; its results stay as they were.")
    if campaign.created_by_id is None and campaign.pk is None:
        campaign.created_by = by
    try:
        campaign.full_clean(exclude=["created_by"])
    except ValidationError as exc:
        raise SurveyError(" ".join(exc.messages)) from exc
    with transaction.atomic():
        campaign.save()
        if accounts is not None:
            campaign.accounts.set(accounts)
    return campaign


def campaign_activate(*, campaign: Campaign, by: User) -> Campaign:
    """Start a draft campaign. Its first wave goes out once `starts_at` has passed (checked now
    and then hourly by `send_due_waves`)."""
    _require_cs_manager(by)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status == CampaignStatus.CLOSED:
            raise SurveyError("A closed campaign cannot be reopened; copy it into a new one.")
        if campaign.status == CampaignStatus.ACTIVE:
            return campaign
        campaign.status = CampaignStatus.ACTIVE
        campaign.save(update_fields=["status"])
        if campaign.starts_at <= timezone.now():
            from apps.surveys import tasks

            transaction.on_commit(tasks.send_due_waves.delay)
    return campaign


def campaign_close(*, campaign: Campaign, by: User) -> Campaign:
    """Close a campaign: no more waves, and its open invitations can no longer be answered."""
    _require_cs_manager(by)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != CampaignStatus.CLOSED:
            campaign.status = CampaignStatus.CLOSED
            campaign.save(update_fields=["status"])
    return campaign


def campaign_audience(*, campaign: Campaign, now: datetime | None = None) -> QuerySet[User]:
    """The people a wave of this campaign would go to now: active customer users of active
    accounts matching every filter set, minus opt-outs and anyone invited (by any campaign)
    within the campaign's throttle."""
    now = now or timezone.now()
    people = User.objects.filter(
        is_active=True, role__in=CUSTOMER_ROLES, account__status=AccountStatus.ACTIVE
    )
    if campaign.segments:
        people = people.filter(account__segment__in=campaign.segments)
    if campaign.touch_models:
        people = people.filter(account__touch_model__in=campaign.touch_models)
    if campaign.roles:
        roles = Q()
        for role in campaign.roles:
            roles |= Q(is_executive_sponsor=True) if role == "executive_sponsor" else Q(role=role)
        people = people.filter(roles)
    if campaign.pk is not None:
        chosen = Campaign.accounts.through.objects.filter(campaign_id=campaign.pk)
        people = people.filter(Q(~Exists(chosen)) | Q(account_id__in=chosen.values("account_id")))
    people = people.filter(~Exists(SurveyOptOut.objects.filter(user=OuterRef("pk"))))
    if campaign.throttle_days:
        recent = Invitation.objects.filter(
            user=OuterRef("pk"), sent_at__gt=now - timedelta(days=campaign.throttle_days)
        )
        people = people.filter(~Exists(recent))
    if campaign.pk is not None:
        # Whatever the throttle, nobody gets a second invitation while one of this campaign is open.
        still_open = Invitation.objects.filter(
            user=OuterRef("pk"), campaign_id=campaign.pk, expires_at__gt=now
        )
        people = people.filter(~Exists(still_open))
    return people.order_by("pk")


def campaign_send_wave(*, campaign: Campaign, now: datetime | None = None) -> int:
    """Invite the campaign's current audience as its next wave; returns how many were invited.

    The campaign row is locked, so two overlapping sends are serialised, and the audience excludes
    everyone already holding an open invitation of the campaign: a retried send invites nobody twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != CampaignStatus.ACTIVE:
            raise SurveyError(f"A {campaign.get_status_display().lower()} campaign sends no invitations.")
        if campaign.one_by_one:
            raise SurveyError("This campaign invites people one at a time; it never sends a wave.")
        audience = list(campaign_audience(campaign=campaign, now=now).values_list("pk", "account_id"))
        campaign.last_wave_at = now
        campaign.save(update_fields=["last_wave_at"])
        if not audience:
            return 0
        wave = (campaign.invitations.aggregate(last=Max("wave"))["last"] or 0) + 1
        expires_at = now + timedelta(days=campaign.response_window_days)
        Invitation.objects.bulk_create(
            [
                Invitation(
                    campaign=campaign,
                    user_id=user_id,
                    account_id=account_id,
                    wave=wave,
                    sent_at=now,
                    expires_at=expires_at,
                )
                for user_id, account_id in audience
            ],
            batch_size=500,
            ignore_conflicts=True,
        )
        created = Invitation.objects.filter(campaign=campaign, wave=wave, sent_at=now).values_list(
            "pk", "user_id", "account_id"
        )
        rows = [
            Interaction(
                kind=kinds.INVITATION_SENT.name,
                user_id=user_id,
                account_id=account_id,
                subject_type="surveys.campaign",
                subject_id=str(campaign.pk),
                occurred_at=now,
                properties={"invitation": pk, "wave": wave},
                source="cairn",
            )
            for pk, user_id, account_id in created
        ]
        Interaction.objects.bulk_create(rows, batch_size=500)
        from apps.surveys import tasks

        campaign_id = campaign.pk
        transaction.on_commit(lambda: tasks.send_invitation_emails.delay(campaign_id))
    return len(rows)


# --- Invitations and responses ------------------------------------------------------------------


def invitation_open(*, invitation: Invitation) -> Invitation:
    """Note the first time a person opens their survey."""
    now = timezone.now()
    with transaction.atomic():
        first = Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)
        if first:
            invitation.opened_at = now
            record(
                kind=kinds.SURVEY_OPENED.name,
                user=invitation.user,
                account=invitation.account,
                subject=invitation.campaign,
                occurred_at=now,
                properties={"invitation": invitation.pk, "wave": invitation.wave},
            )
    return invitation


def _clean_score(score) -> int:
    if isinstance(score, str) and score.strip().isdigit():
        score = int(score.strip())
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise SurveyError("Choose a score from 0 to 10.")
    return score


def response_submit(
    *, invitation: Invitation, score, comment: str = "", reference_willing: bool | None = None
) -> Response:
    """Answer (or change the answer to) an invitation. The latest answer counts; a first-time
    detractor alerts the account's CS manager."""
    score = _clean_score(score)
    comment = (comment or "").strip()[:5000]
    now = timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("campaign", "user", "account", "account__cs_manager")
            .get(pk=invitation.pk)
        )
        campaign = invitation.campaign
        if campaign.status == CampaignStatus.CLOSED:
            raise SurveyError("This survey has closed.")
        if invitation.expires_at <= now:
            raise SurveyError(f"This survey closed on {day_label(invitation.expires_at)}.")
        response = Response.objects.filter(invitation=invitation).first()
        was_detractor = was_reference = False
        if response is None:
            response = Response.objects.create(
                invitation=invitation,
                score=score,
                comment=comment,
                reference_willing=reference_willing,
                submitted_at=now,
                updated_at=now,
            )
        else:
            was_detractor = response.score <= 6
            was_reference = response.reference_willing is True
            response.score, response.comment = score, comment
            response.reference_willing = reference_willing
            response.updated_at = now
            response.save(update_fields=["score", "comment", "reference_willing", "updated_at"])
        facts = {"invitation": invitation.pk, "wave": invitation.wave, "response": response.pk}
        common = {
            "user": invitation.user,
            "account": invitation.account,
            "subject": campaign,
            "occurred_at": now,
        }
        record(kind=kinds.RESPONSE_SUBMITTED.name, value=score, properties=facts, **common)
        if reference_willing is True and not was_reference:
            record(kind=kinds.REFERENCE_WILLING.name, properties=facts, **common)
        account = invitation.account
        if score <= 6 and not was_detractor and account is not None and account.cs_manager is not None:
            person = invitation.user
            notify(
                user=account.cs_manager,
                category="customer_alerts",
                dedup_key=f"detractor-{response.pk}",
                title=f"Detractor at {account.name}: {person} scored {score} in {campaign.name}",
                body=comment,
                url=campaign_results_path(campaign),
            )
    return response


def prompt_dismiss(*, invitation: Invitation) -> Invitation:
    """Hide the in-app prompt of an invitation (the e-mail link keeps working)."""
    now = timezone.now()
    with transaction.atomic():
        first = Invitation.objects.filter(pk=invitation.pk, dismissed_at__isnull=True).update(
            dismissed_at=now
        )
        if first:
            invitation.dismissed_at = now
            record(
                kind=kinds.PROMPT_DISMISSED.name,
                user=invitation.user,
                account=invitation.account,
                subject=invitation.campaign,
                occurred_at=now,
                properties={"invitation": invitation.pk, "wave": invitation.wave},
            )
    return invitation


def survey_opt_out(*, user: User) -> SurveyOptOut:
    """Never survey this person again (until they opt back in)."""
    with transaction.atomic():
        opt_out, _ = SurveyOptOut.objects.get_or_create(user=user)
    return opt_out


def survey_opt_in(*, user: User) -> None:
    with transaction.atomic():
        SurveyOptOut.objects.filter(user=user).delete()


def invitation_create_for(*, campaign: Campaign, user: User) -> Invitation:
    """Invite one person to an active campaign outside its waves (engagement re-surveys a
    detractor this way), e-mailed after the commit. If they already hold an open, unanswered
    invitation of the campaign, that one is returned and nothing is sent again. People who are
    inactive, not customers or opted out of surveys are not invited (SurveyError)."""
    now = timezone.now()
    if not (user.is_active and user.role in CUSTOMER_ROLES):
        raise SurveyError("Only active customer users can be surveyed.")
    if SurveyOptOut.objects.filter(user=user).exists():
        raise SurveyError(f"{user} opted out of surveys.")
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != CampaignStatus.ACTIVE:
            raise SurveyError(f"A {campaign.get_status_display().lower()} campaign sends no invitations.")
        mine = Invitation.objects.filter(campaign=campaign, user=user)
        current = mine.filter(expires_at__gt=now, response__isnull=True).order_by("-wave").first()
        if current is not None:
            return current
        wave = (mine.aggregate(last=Max("wave"))["last"] or 0) + 1
        invitation = Invitation.objects.create(
            campaign=campaign,
            user=user,
            account=user.account,
            wave=wave,
            sent_at=now,
            expires_at=now + timedelta(days=campaign.response_window_days),
        )
        record(
            kind=kinds.INVITATION_SENT.name,
            user=user,
            account=user.account,
            subject=campaign,
            occurred_at=now,
            properties={"invitation": invitation.pk, "wave": wave},
        )
        from apps.surveys import tasks

        campaign_id = campaign.pk
        transaction.on_commit(lambda: tasks.send_invitation_emails.delay(campaign_id))
    return invitation
