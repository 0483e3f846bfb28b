"""Peer Q&A pages and the moderators' queue."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from apps.accounts.permissions import content_admin_required
from apps.community import qa_selectors as selectors
from apps.community import qa_services as services
from apps.community.models import Answer, AnswerVote, Flag, Question
from apps.community.qa_forms import AnswerForm, FlagForm, QuestionFilterForm, QuestionForm
from apps.core.redirects import next_or


def _page_query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _question(request, pk) -> Question:
    try:
        return selectors.question_get(user=request.user, pk=pk)
    except Question.DoesNotExist as exc:
        raise Http404("No such question.") from exc


def _answer(request, pk) -> Answer:
    try:
        return selectors.answer_get(user=request.user, pk=pk)
    except Answer.DoesNotExist as exc:
        raise Http404("No such answer.") from exc


@login_required
def question_list(request):
    form = QuestionFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    tab = filters.get("tab") or "all"
    questions = selectors.question_list(
        user=request.user, filter=tab, q=filters.get("q", ""), area=filters.get("area", "")
    )
    page = Paginator(questions, 20).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "tab": tab,
        "query": _page_query(request),
        "searching": bool(filters.get("q") or filters.get("area")),
    }
    template = (
        "community/qa/question_list.html#results" if request.htmx else "community/qa/question_list.html"
    )
    return TemplateResponse(request, template, context)


@login_required
def question_new(request):
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            question = services.question_ask(user=request.user, **form.cleaned_data)
        except services.QAError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, "Your question is posted. You will get a notification when someone answers."
            )
            return redirect(question.get_absolute_url())
    return TemplateResponse(request, "community/qa/question_form.html", {"form": form})


@login_required
def question_edit(request, pk):
    question = _question(request, pk)
    if not (request.user.is_content_admin or question.author_id == request.user.pk):
        raise Http404("No such question.")
    form = QuestionForm(request.POST or None, initial={"title": question.title, "body": question.body})
    del form.fields["areas"]
    if request.method == "POST" and form.is_valid():
        try:
            services.question_edit(question=question, by=request.user, **form.cleaned_data)
        except services.QAError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "The question is updated.")
            return redirect(question.get_absolute_url())
    return TemplateResponse(request, "community/qa/question_form.html", {"form": form, "question": question})


def _detail_context(request, pk, answer_form=None) -> dict:
    try:
        page = selectors.question_detail(user=request.user, pk=pk)
    except Question.DoesNotExist as exc:
        raise Http404("No such question.") from exc
    question = page.question
    return {
        "question": question,
        "answers": page.answers,
        "my_votes": page.my_votes,
        "can_accept": request.user.is_content_admin or question.author_id == request.user.pk,
        "answer_form": answer_form or AnswerForm(),
    }


@login_required
def question_detail(request, pk):
    context = _detail_context(request, pk)
    if not context["question"].hidden:
        services.question_view(user=request.user, question=context["question"])
    template = (
        "community/qa/question_detail.html#answer-list"
        if request.htmx
        else "community/qa/question_detail.html"
    )
    return TemplateResponse(request, template, context)


@require_POST
@login_required
def answer_new(request, pk):
    question = _question(request, pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            answer = services.answer_post(
                user=request.user, question=question, body=form.cleaned_data["body"]
            )
        except services.QAError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Thanks for answering!")
            return redirect(f"{question.get_absolute_url()}#answer-{answer.pk}")
    context = _detail_context(request, pk, answer_form=form)
    return TemplateResponse(request, "community/qa/question_detail.html", context, status=400)


@require_POST
@login_required
def answer_vote(request, pk):
    """Toggle the person's vote for an answer."""
    answer = _answer(request, pk)
    voted = AnswerVote.objects.filter(answer=answer, user=request.user).exists()
    try:
        if voted:
            services.answer_unvote(user=request.user, answer=answer)
        else:
            services.answer_vote(user=request.user, answer=answer)
    except services.QAError as exc:
        if not request.htmx:
            messages.error(request, str(exc))
    if request.htmx:
        my_votes = set(
            AnswerVote.objects.filter(answer=answer, user=request.user).values_list("answer_id", flat=True)
        )
        return TemplateResponse(
            request,
            "community/qa/question_detail.html#answer-votes",
            {"answer": answer, "question": answer.question, "my_votes": my_votes},
        )
    return redirect(f"{answer.question.get_absolute_url()}#answer-{answer.pk}")


@require_POST
@login_required
def answer_accept(request, pk):
    answer = _answer(request, pk)
    try:
        services.answer_accept(answer=answer, by=request.user)
    except services.PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except services.QAError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Answer accepted. Thanks for closing the loop!")
    return redirect(f"{answer.question.get_absolute_url()}#answer-{answer.pk}")


@require_POST
@content_admin_required
def question_hide(request, pk):
    question = get_object_or_404(Question, pk=pk)
    hidden = request.POST.get("hidden", "1") == "1"
    services.question_hide(question=question, by=request.user, hidden=hidden)
    messages.success(
        request, "The question is hidden from customers." if hidden else "The question is visible again."
    )
    return redirect(next_or(request, question.get_absolute_url()))


@require_POST
@content_admin_required
def answer_hide(request, pk):
    answer = get_object_or_404(Answer.objects.select_related("question"), pk=pk)
    hidden = request.POST.get("hidden", "1") == "1"
    services.answer_hide(answer=answer, by=request.user, hidden=hidden)
    messages.success(
        request, "The answer is hidden from customers." if hidden else "The answer is visible again."
    )
    return redirect(next_or(request, f"{answer.question.get_absolute_url()}#answer-{answer.pk}"))


@require_POST
@login_required
def flag_new(request):
    """The small "Report" form under ideas, comments, questions and answers."""
    form = FlagForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say briefly why you are reporting this post (up to 300 characters).")
    else:
        try:
            services.flag_create(reporter=request.user, **form.cleaned_data)
        except services.QAError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Thanks for the report. A moderator will look at it.")
    return redirect(next_or(request, "question_list"))


@content_admin_required
def moderation_queue(request):
    return TemplateResponse(
        request,
        "community/qa/moderation_queue.html",
        {"posts": selectors.flag_queue(), "unanswered": selectors.unanswered_for_staff()[:50]},
    )


@require_POST
@content_admin_required
def flag_resolve(request, target, target_id):
    flag = Flag.objects.filter(target=target, target_id=target_id, resolved_at__isnull=True).first()
    if flag is None:
        raise Http404("No open report on this post.")
    try:
        count = services.flag_resolve(flag=flag, by=request.user, action=request.POST.get("action", ""))
    except services.QAError as exc:
        messages.error(request, str(exc))
    else:
        verb = "hidden" if request.POST.get("action") == "hide" else "kept"
        messages.success(request, f"The post is {verb}; {count} report{'s' if count != 1 else ''} closed.")
    return redirect("moderation_queue")
