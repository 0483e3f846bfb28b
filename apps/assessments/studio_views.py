"""The assessments Studio: content admins' pages for the question bank, assessments,
certifications and their awards, and incentives (point rules and badges).

Every view is for content admins only (403 for anyone else signed in). Revoking an award goes
through `services.award_revoke`. The other writes are form saves of one object and its rows, each
in one transaction; the few that keep an invariant (publishing, an assessment's question list) are
the small functions under "Writes" below, which raise `AssessmentError` like a service would.
A refused change becomes a message on the page, never an error page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from apps.accounts.permissions import content_admin_required
from apps.accounts.services import ServiceError
from apps.assessments import services
from apps.assessments.models import (
    Answer,
    Assessment,
    AssessmentQuestion,
    Attempt,
    AttemptStatus,
    Award,
    Badge,
    BadgeAward,
    Certification,
    Option,
    PointEntry,
    PointRule,
    Question,
)
from apps.assessments.services import AssessmentError
from apps.assessments.studio_forms import (
    AssessmentForm,
    BadgeForm,
    BankSearchForm,
    CertificationForm,
    OptionFormSet,
    PointRuleForm,
    QuestionForm,
    QuestionsAddForm,
    RevokeForm,
    plain_number,
)
from apps.core.studio import count_of, posted, save_with_slug
from apps.interactions import kinds as interaction_kinds
from apps.learning import selectors as learning_selectors
from apps.learning.models import Status

PAGE_SIZE = 20
BANK_MATCHES = 20  # questions offered at once on an assessment's page; the search narrows them
TABS = {
    "assessments": "Assessments",
    "questions": "Question bank",
    "certifications": "Certifications",
    "points": "Point rules",
    "badges": "Badges",
}
PUBLISH_FILTERS = [("", "Any status"), (Status.DRAFT.value, "Draft"), (Status.PUBLISHED.value, "Published")]
ACTIVE_FILTERS = [("", "Any"), ("active", "Active"), ("inactive", "Inactive")]
STATUS_FILTERS = {
    "assessments": PUBLISH_FILTERS,
    "certifications": PUBLISH_FILTERS,
    "points": ACTIVE_FILTERS,
    "badges": ACTIVE_FILTERS,
}
AWARD_FILTERS = [("", "All"), ("valid", "Valid"), ("expired", "Expired"), ("revoked", "Revoked")]


def _with_kind_labels(rows):
    rows = list(rows)
    for row in rows:
        row.kind_label = interaction_kinds.label(row.kind) if row.kind else ""
    return rows


# --- Overview -----------------------------------------------------------------------------------


def _assessment_rows(status: str, _search) -> QuerySet[Assessment]:
    submitted = AttemptStatus.SUBMITTED
    rows = Assessment.objects.annotate(
        question_count=count_of(AssessmentQuestion, "assessment"),
        attempt_count=count_of(Attempt, "assessment", status=submitted),
        pass_count=count_of(Attempt, "assessment", status=submitted, passed=True),
    ).order_by("title", "pk")
    return rows.filter(status=status) if status else rows


def _question_rows(_status: str, search: BankSearchForm) -> QuerySet[Question]:
    return _bank(search.filters()).annotate(
        option_count=count_of(Option, "question"), use_count=count_of(AssessmentQuestion, "question")
    )


def _bank(filters: dict) -> QuerySet[Question]:
    rows = Question.objects.prefetch_related("skills").order_by("-created_at", "-pk")
    if filters.get("q"):
        rows = rows.filter(text__icontains=filters["q"])
    if filters.get("skill"):
        rows = rows.filter(skills=filters["skill"])
    if filters.get("kind"):
        rows = rows.filter(kind=filters["kind"])
    return rows


def _certification_rows(status: str, _search) -> QuerySet[Certification]:
    now = timezone.now()
    live = {"revoked_at__isnull": True}
    rows = Certification.objects.annotate(
        requirement_count=count_of(Certification.required_assessments.through, "certification")
        + count_of(Certification.required_paths.through, "certification"),
        valid_count=count_of(
            Award, "certification", distinct="user", issued_at__lte=now, expires_at__gt=now, **live
        ),
        expired_count=count_of(Award, "certification", distinct="user", expires_at__lte=now, **live),
        revoked_count=count_of(Award, "certification", distinct="user", revoked_at__isnull=False),
    ).order_by("title", "pk")
    return rows.filter(status=status) if status else rows


def _point_rows(status: str, _search) -> QuerySet[PointRule]:
    rows = PointRule.objects.annotate(entry_count=count_of(PointEntry, "rule")).order_by("-points", "kind")
    return rows.filter(active=status == "active") if status else rows


def _badge_rows(status: str, _search) -> QuerySet[Badge]:
    rows = Badge.objects.annotate(holder_count=count_of(BadgeAward, "badge")).order_by(
        "metric", "threshold", "pk"
    )
    return rows.filter(active=status == "active") if status else rows


ROWS = {
    "assessments": _assessment_rows,
    "questions": _question_rows,
    "certifications": _certification_rows,
    "points": _point_rows,
    "badges": _badge_rows,
}


@content_admin_required
def studio_assessments_home(request):
    tab = request.GET.get("tab", "")
    tab = tab if tab in TABS else "assessments"
    filters = STATUS_FILTERS.get(tab, [("", "")])
    status = request.GET.get("status", "")
    status = status if status in dict(filters) else ""
    search = BankSearchForm(request.GET if tab == "questions" else None)
    page = Paginator(ROWS[tab](status, search), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    if tab == "assessments":
        for assessment in rows:
            count = assessment.attempt_count
            assessment.pass_rate = round(100 * assessment.pass_count / count) if count else None
    elif tab in ("points", "badges"):
        rows = _with_kind_labels(rows)
    page.object_list = rows
    query = request.GET.copy()
    query.pop("page", None)
    totals = {
        "assessments": Assessment.objects.count(),
        "questions": Question.objects.count(),
        "certifications": Certification.objects.count(),
        "points": PointRule.objects.count(),
        "badges": Badge.objects.count(),
    }
    return TemplateResponse(
        request,
        "assessments/studio/home.html",
        {
            "tab": tab,
            "tabs": [(key, label, totals[key]) for key, label in TABS.items()],
            "status": status,
            "status_choices": STATUS_FILTERS.get(tab, []),
            "search": search,
            "filtered": bool(status) or bool(search.filters()),
            "page": page,
            "query": query.urlencode(),
        },
    )


# --- Questions ----------------------------------------------------------------------------------


@content_admin_required
def question_edit(request, pk=None):
    question = get_object_or_404(Question, pk=pk) if pk else None
    form = QuestionForm(posted(request), instance=question)
    options = OptionFormSet(posted(request), instance=question or Question(), prefix="options")
    if request.method == "POST":
        form_valid = form.is_valid()
        options.kind = form.cleaned_data.get("kind")  # the option rules depend on the type
        if options.is_valid() and form_valid:
            with transaction.atomic():
                saved = form.save()
                options.instance = saved
                options.save_options()
            messages.success(request, "The question was saved." if question else "The question was added.")
            return redirect("studio_question_edit", saved.pk)
    used_in = []
    answered = 0
    if question is not None:
        used_in = [
            item.assessment
            for item in AssessmentQuestion.objects.filter(question=question)
            .select_related("assessment")
            .order_by("assessment__title")
        ]
        answered = Answer.objects.filter(question=question, attempt__status=AttemptStatus.SUBMITTED).count()
    return TemplateResponse(
        request,
        "assessments/studio/question_edit.html",
        {
            "question": question,
            "form": form,
            "options": options,
            "used_in": used_in,
            "answered": answered,
            "right_answer": _numeric_answer(question),
        },
        status=400 if request.method == "POST" else 200,
    )


def _numeric_answer(question: Question | None) -> str:
    if question is None or question.numeric_answer is None:
        return ""
    answer = plain_number(question.numeric_answer)
    return f"{answer} ± {plain_number(question.numeric_tolerance)}" if question.numeric_tolerance else answer


# --- Assessments --------------------------------------------------------------------------------


def _items(assessment: Assessment) -> list[AssessmentQuestion]:
    return list(
        assessment.items.select_related("question")
        .prefetch_related("question__skills")
        .order_by("position", "pk")
    )


def _list_context(assessment: Assessment, **extra) -> dict:
    items = _items(assessment)
    return {
        "assessment": assessment,
        "items": items,
        "total_points": sum(item.question.points for item in items),
        **extra,
    }


def _assessment_page(request, *, assessment, form, add_form=None, bank=None, status=200):
    context = {"assessment": assessment, "form": form}
    if assessment is not None:
        search = BankSearchForm(bank if bank is not None else request.GET)
        candidates = list(
            _bank(search.filters()).exclude(pk__in=assessment.items.values("question"))[:BANK_MATCHES]
        )
        attempts = assessment.attempts.aggregate(
            submitted=Count("pk", filter=Q(status=AttemptStatus.SUBMITTED)),
            passed=Count("pk", filter=Q(status=AttemptStatus.SUBMITTED, passed=True)),
            open=Count("pk", filter=Q(status=AttemptStatus.IN_PROGRESS)),
        )
        context.update(
            _list_context(assessment),
            search=search,
            candidates=candidates,
            more_candidates=len(candidates) == BANK_MATCHES,
            add_form=add_form or QuestionsAddForm(assessment=assessment),
            attempts=attempts,
            certifications=list(assessment.certifications.order_by("title")),
        )
    return TemplateResponse(request, "assessments/studio/assessment_edit.html", context, status=status)


@content_admin_required
def assessment_edit(request, pk=None):
    assessment = get_object_or_404(Assessment, pk=pk) if pk else None
    form = AssessmentForm(posted(request), instance=assessment)
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_with_slug(form, Assessment)
        except IntegrityError:
            form.add_error(
                None, "Another assessment was saved with the same title at that moment; save again."
            )
        else:
            hint = "" if assessment else " Now add its questions."
            messages.success(request, f"“{saved.title}” was saved.{hint}")
            return redirect("studio_assessment_edit", saved.pk)
    return _assessment_page(request, assessment=assessment, form=form, status=400 if form.errors else 200)


@require_POST
@content_admin_required
def assessment_publish(request, pk):
    assessment = get_object_or_404(Assessment, pk=pk)
    published = request.POST.get("published") == "1"
    try:
        _assessment_publish(assessment=assessment, published=published)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        state = "published: learners can take it" if published else "back in draft: learners no longer see it"
        messages.success(request, f"“{assessment.title}” is {state}.")
    return redirect("studio_assessment_edit", assessment.pk)


@require_POST
@content_admin_required
def assessment_questions_add(request, pk):
    assessment = get_object_or_404(Assessment, pk=pk)
    add_form = QuestionsAddForm(request.POST, assessment=assessment)
    bank = {key: request.POST.get(key, "") for key in ("q", "skill", "kind")}
    if add_form.is_valid():
        added = _assessment_questions_add(assessment=assessment, questions=add_form.cleaned_data["questions"])
        messages.success(request, f"{added} question{'s' if added != 1 else ''} added at the end.")
        query = urlencode({key: value for key, value in bank.items() if value})
        url = reverse("studio_assessment_edit", args=[assessment.pk])
        return redirect(f"{url}?{query}#questions" if query else f"{url}#questions")
    return _assessment_page(
        request,
        assessment=assessment,
        form=AssessmentForm(instance=assessment),
        add_form=add_form,
        bank=bank,
        status=400,
    )


def _question_list_response(request, assessment: Assessment, *, error: str = "", success: str = ""):
    """The question list alone for htmx, else back to the assessment page (works without JavaScript)."""
    if request.htmx:
        return TemplateResponse(
            request,
            "assessments/studio/assessment_edit.html#question-list",
            _list_context(assessment, list_error=error),
        )
    if error:
        messages.error(request, error)
    elif success:
        messages.success(request, success)
    return redirect(reverse("studio_assessment_edit", args=[assessment.pk]) + "#questions")


@require_POST
@content_admin_required
def assessment_question_move(request, pk):
    item = get_object_or_404(AssessmentQuestion.objects.select_related("assessment"), pk=pk)
    try:
        _assessment_question_move(item=item, direction=request.POST.get("direction", ""))
    except AssessmentError as exc:
        return _question_list_response(request, item.assessment, error=str(exc))
    return _question_list_response(request, item.assessment)


@require_POST
@content_admin_required
def assessment_question_remove(request, pk):
    item = get_object_or_404(AssessmentQuestion.objects.select_related("assessment"), pk=pk)
    try:
        _assessment_question_remove(item=item)
    except AssessmentError as exc:
        return _question_list_response(request, item.assessment, error=str(exc))
    return _question_list_response(request, item.assessment, success="The question was removed.")


# --- Certifications and awards -----------------------------------------------------------------


@content_admin_required
def certification_edit(request, pk=None):
    certification = get_object_or_404(Certification, pk=pk) if pk else None
    form = CertificationForm(posted(request), instance=certification)
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_with_slug(form, Certification)
        except IntegrityError:
            form.add_error(
                None, "Another certification was saved with the same title at that moment; save again."
            )
        else:
            messages.success(request, f"“{saved.title}” was saved.")
            return redirect("studio_certification_edit", saved.pk)
    holders = {}
    if certification is not None:
        now = timezone.now()
        holders = certification.awards.aggregate(
            valid=Count("user", distinct=True, filter=Q(revoked_at__isnull=True, expires_at__gt=now)),
            expired=Count("user", distinct=True, filter=Q(revoked_at__isnull=True, expires_at__lte=now)),
            revoked=Count("user", distinct=True, filter=Q(revoked_at__isnull=False)),
        )
    return TemplateResponse(
        request,
        "assessments/studio/certification_edit.html",
        {"certification": certification, "form": form, "holders": holders},
        status=400 if form.errors else 200,
    )


@require_POST
@content_admin_required
def certification_publish(request, pk):
    certification = get_object_or_404(Certification, pk=pk)
    published = request.POST.get("published") == "1"
    try:
        _certification_publish(certification=certification, published=published)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        state = "published: learners can earn it" if published else "back in draft: nobody new earns it"
        messages.success(request, f"“{certification.title}” is {state}.")
    return redirect("studio_certification_edit", certification.pk)


@content_admin_required
def certification_awards(request, pk):
    certification = get_object_or_404(Certification, pk=pk)
    status = request.GET.get("status", "")
    status = status if status in dict(AWARD_FILTERS) else ""
    now = timezone.now()
    awards = certification.awards.select_related("user__account").order_by("-issued_at", "-pk")
    if status == "valid":
        awards = awards.valid(now)
    elif status == "expired":
        awards = awards.filter(revoked_at__isnull=True, expires_at__lte=now)
    elif status == "revoked":
        awards = awards.filter(revoked_at__isnull=False)
    page = Paginator(awards, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return TemplateResponse(
        request,
        "assessments/studio/awards.html",
        {
            "certification": certification,
            "page": page,
            "status": status,
            "status_choices": AWARD_FILTERS,
            "query": query.urlencode(),
        },
    )


@content_admin_required
def award_revoke(request, pk):
    award = get_object_or_404(Award.objects.select_related("certification", "user__account"), pk=pk)
    form = RevokeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.award_revoke(award=award, by=request.user, reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            holder = award.user.full_name or award.user.email
            messages.success(request, f"The certification of {holder} was revoked.")
            return redirect("studio_certification_awards", award.certification_id)
    return TemplateResponse(
        request,
        "assessments/studio/award_revoke.html",
        {"award": award, "certification": award.certification, "form": form},
        status=400 if form.errors else 200,
    )


# --- Incentives ----------------------------------------------------------------------------------


@content_admin_required
def rule_edit(request, pk=None):
    rule = get_object_or_404(PointRule.objects.annotate(entry_count=Count("entries")), pk=pk) if pk else None
    form = PointRuleForm(posted(request), instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = form.save()
        except IntegrityError:
            form.add_error("kind", "There is already a rule for this; edit that rule instead.")
        else:
            messages.success(request, f"The rule “{saved.description}” was saved.")
            return redirect(reverse("studio_assessments_home") + "?tab=points")
    return TemplateResponse(
        request,
        "assessments/studio/rule_edit.html",
        {"rule": rule, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@content_admin_required
def rule_delete(request, pk):
    rule = get_object_or_404(PointRule, pk=pk)
    if rule.entries.exists():
        messages.error(
            request, "People have earned points from this rule, so it stays; make it inactive instead."
        )
        return redirect("studio_rule_edit", rule.pk)
    rule.delete()
    messages.success(request, f"The rule “{rule.description}” was deleted.")
    return redirect(reverse("studio_assessments_home") + "?tab=points")


@content_admin_required
def badge_edit(request, pk=None):
    badge = get_object_or_404(Badge.objects.annotate(holder_count=Count("awards")), pk=pk) if pk else None
    form = BadgeForm(posted(request), instance=badge)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = form.save()
        except IntegrityError:
            form.add_error("name", "Another badge has this name; choose another.")
        else:
            messages.success(request, f"The badge “{saved.name}” was saved.")
            return redirect(reverse("studio_assessments_home") + "?tab=badges")
    return TemplateResponse(
        request,
        "assessments/studio/badge_edit.html",
        {"badge": badge, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@content_admin_required
def badge_delete(request, pk):
    badge = get_object_or_404(Badge, pk=pk)
    holders = badge.awards.count()
    if holders:
        messages.error(
            request,
            f"{holders} {'person holds' if holders == 1 else 'people hold'} this badge, so it stays; "
            "make it inactive instead.",
        )
        return redirect("studio_badge_edit", badge.pk)
    badge.delete()
    messages.success(request, f"The badge “{badge.name}” was deleted.")
    return redirect(reverse("studio_assessments_home") + "?tab=badges")


# --- Writes -------------------------------------------------------------------------------------
# Until services.py has them (assessment_publish, assessment_question_add/move/remove,
# certification_publish), these keep the invariants: one transaction each, the assessment row
# locked while its question positions change, so positions stay 0..n-1.


def _assessment_publish(*, assessment: Assessment, published: bool) -> Assessment:
    if published and not assessment.items.exists():
        raise AssessmentError("Add at least one question before publishing the assessment.")
    if not published:
        in_use = learning_selectors.published_paths_with_step(kind="assessment", ref_id=assessment.pk)
        if in_use:
            raise AssessmentError(
                "It is a step of published paths: " + ", ".join(in_use) + ". Remove it from them or "
                "unpublish them first."
            )
    assessment.status = Status.PUBLISHED if published else Status.DRAFT
    if published and assessment.published_at is None:
        assessment.published_at = timezone.now()
    assessment.save(update_fields=["status", "published_at"])
    return assessment


def _renumber(items: list[AssessmentQuestion]) -> None:
    changed = []
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position
            changed.append(item)
    AssessmentQuestion.objects.bulk_update(changed, ["position"])


def _assessment_questions_add(*, assessment: Assessment, questions) -> int:
    with transaction.atomic():
        Assessment.objects.select_for_update().filter(pk=assessment.pk).first()
        present = set(assessment.items.values_list("question_id", flat=True))
        last = assessment.items.aggregate(m=Max("position"))["m"]
        start = 0 if last is None else last + 1
        new = [question for question in questions if question.pk not in present]
        AssessmentQuestion.objects.bulk_create(
            [
                AssessmentQuestion(assessment=assessment, question=question, position=start + n)
                for n, question in enumerate(new)
            ]
        )
    return len(new)


def _assessment_question_move(*, item: AssessmentQuestion, direction: str) -> None:
    if direction not in ("up", "down"):
        raise AssessmentError("Move a question up or down.")
    with transaction.atomic():
        Assessment.objects.select_for_update().filter(pk=item.assessment_id).first()
        items = list(
            AssessmentQuestion.objects.filter(assessment_id=item.assessment_id).order_by("position", "pk")
        )
        index = next(n for n, row in enumerate(items) if row.pk == item.pk)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(items):
            items[index], items[other] = items[other], items[index]
        _renumber(items)


def _used_by_submitted_attempts(item: AssessmentQuestion) -> bool:
    submitted = Attempt.objects.filter(assessment_id=item.assessment_id, status=AttemptStatus.SUBMITTED)
    if Answer.objects.filter(attempt__in=submitted, question_id=item.question_id).exists():
        return True
    # A skipped question has no answer but is still part of the attempt's graded order.
    orders = submitted.values_list("question_order", flat=True)
    return any(item.question_id in order for order in orders.iterator())


def _assessment_question_remove(*, item: AssessmentQuestion) -> None:
    if _used_by_submitted_attempts(item):
        raise AssessmentError(
            "Learners have submitted attempts with this question, so it stays: their results refer to it."
        )
    with transaction.atomic():
        Assessment.objects.select_for_update().filter(pk=item.assessment_id).first()
        item.delete()
        _renumber(
            list(
                AssessmentQuestion.objects.filter(assessment_id=item.assessment_id).order_by("position", "pk")
            )
        )


def _certification_publish(*, certification: Certification, published: bool) -> Certification:
    if published:
        assessments = list(certification.required_assessments.all())
        paths = list(certification.required_paths.all())
        if not assessments and not paths:
            raise AssessmentError(
                "Add at least one assessment to pass or path to complete before publishing the certification."
            )
        drafts = [a.title for a in assessments if not a.is_published] + [
            p.title for p in paths if not p.is_published
        ]
        if drafts:
            raise AssessmentError("Publish its requirements first: " + ", ".join(drafts) + ".")
    certification.status = Status.PUBLISHED if published else Status.DRAFT
    certification.save(update_fields=["status"])
    return certification
