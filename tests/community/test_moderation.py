"""Moderation: hiding posts, reports (flags) and the content admins' queue."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.services import PermissionDenied as AccountPermissionDenied
from apps.community import qa_selectors as selectors
from apps.community import qa_services as services
from apps.community.models import Answer, Comment, Flag, Idea, Question
from tests.community.test_qa import make_answer, make_question
from tests.factories import UserFactory


def make_idea(author, title="Dark mode", **fields):
    return Idea.objects.create(title=title, description="Please add **dark** mode.", author=author, **fields)


class TestHiding:
    def test_content_admin_hides_and_shows_a_question(self, alice, content):
        question = make_question(alice)
        services.question_hide(question=question, by=content)
        assert Question.objects.get().hidden
        services.question_hide(question=question, by=content, hidden=False)
        assert not Question.objects.get().hidden

    @pytest.mark.parametrize("who", ["alice", "carol", "csm"])
    def test_others_may_not_hide(self, request, alice, who):
        question = make_question(alice)
        with pytest.raises(AccountPermissionDenied):
            services.question_hide(question=question, by=request.getfixturevalue(who))
        assert not Question.objects.get().hidden

    def test_hiding_an_answer_updates_the_count_and_the_acceptance(self, alice, bob, content):
        question = make_question(alice)
        answer = make_answer(question, bob)
        Question.objects.filter(pk=question.pk).update(accepted_answer=answer)
        services.answer_hide(answer=answer, by=content)
        services.answer_hide(answer=answer, by=content)  # twice: counted once
        question.refresh_from_db()
        assert question.answer_count == 0 and question.accepted_answer is None
        services.answer_hide(answer=answer, by=content, hidden=False)
        question.refresh_from_db()
        assert question.answer_count == 1

    def test_asker_or_content_admin_edits(self, alice, bob, content):
        question = make_question(alice)
        services.question_edit(question=question, by=content, title="Better title", body="Clearer")
        assert Question.objects.get().title == "Better title"
        with pytest.raises(AccountPermissionDenied):
            services.question_edit(question=question, by=bob, title="Mine now", body="x")


class TestFlags:
    def test_one_open_flag_per_reporter_and_post(self, alice, bob, carol):
        question = make_question(alice)
        services.flag_create(target="question", target_id=question.pk, reporter=bob, reason="Spam")
        with pytest.raises(services.QAError, match="already reported"):
            services.flag_create(target="question", target_id=question.pk, reporter=bob, reason="Spam again")
        services.flag_create(target="question", target_id=question.pk, reporter=carol, reason="Rude")
        assert Flag.objects.count() == 2

    def test_missing_or_hidden_targets_are_refused(self, alice, bob):
        hidden = make_question(alice, hidden=True)
        answer_on_hidden = make_answer(hidden, bob)
        for target, target_id in [
            ("question", 999),
            ("question", hidden.pk),
            ("answer", answer_on_hidden.pk),
            ("poll", 1),
        ]:
            with pytest.raises(services.QAError):
                services.flag_create(target=target, target_id=target_id, reporter=bob, reason="Spam")
        with pytest.raises(services.QAError):
            services.flag_create(target="question", target_id=hidden.pk, reporter=bob, reason="  ")
        assert not Flag.objects.exists()

    def test_resolve_hide_hides_and_closes_all_open_flags(self, alice, bob, carol, content):
        answer = make_answer(make_question(alice), bob)
        first = services.flag_create(target="answer", target_id=answer.pk, reporter=alice, reason="Spam")
        services.flag_create(target="answer", target_id=answer.pk, reporter=carol, reason="Ad")
        assert services.flag_resolve(flag=first, by=content, action="hide") == 2
        answer.refresh_from_db()
        assert answer.hidden and Answer.objects.get().question.answer_count == 0
        assert set(Flag.objects.values_list("resolution", flat=True)) == {"hidden"}
        assert Flag.objects.filter(resolved_by=content, resolved_at__isnull=False).count() == 2

    def test_resolve_keep_keeps_the_post(self, alice, bob, content):
        idea = make_idea(alice)
        flag = services.flag_create(target="idea", target_id=idea.pk, reporter=bob, reason="Duplicate")
        services.flag_resolve(flag=flag, by=content, action="keep")
        idea.refresh_from_db()
        flag.refresh_from_db()
        assert not idea.hidden and flag.resolution == "kept"
        # a new report after a resolved one is allowed
        services.flag_create(target="idea", target_id=idea.pk, reporter=bob, reason="Still a duplicate")

    def test_resolve_hides_comments(self, alice, bob, content):
        comment = Comment.objects.create(idea=make_idea(alice), author=alice, body="Rude words")
        flag = services.flag_create(target="comment", target_id=comment.pk, reporter=bob, reason="Rude")
        services.flag_resolve(flag=flag, by=content, action="hide")
        comment.refresh_from_db()
        assert comment.hidden

    def test_only_content_admins_resolve(self, alice, bob, csm, content):
        question = make_question(alice)
        flag = services.flag_create(target="question", target_id=question.pk, reporter=bob, reason="Spam")
        with pytest.raises(AccountPermissionDenied):
            services.flag_resolve(flag=flag, by=csm, action="hide")
        with pytest.raises(services.QAError):
            services.flag_resolve(flag=flag, by=content, action="delete")
        assert Flag.objects.get().resolved_at is None and not Question.objects.get().hidden


class TestFlagPage:
    url = reverse("flag_new")

    def test_report_goes_back_with_a_message(self, client_of, alice, bob):
        question = make_question(alice)
        response = client_of(bob).post(
            self.url,
            {
                "target": "question",
                "target_id": question.pk,
                "reason": "Spam",
                "next": question.get_absolute_url(),
            },
            follow=True,
        )
        assert response.redirect_chain[-1][0] == question.get_absolute_url()
        assert "A moderator will look at it" in response.text and Flag.objects.count() == 1
        again = client_of(bob).post(
            self.url, {"target": "question", "target_id": question.pk, "reason": "Spam"}, follow=True
        )
        assert "already reported" in again.text and Flag.objects.count() == 1

    def test_bad_input_and_foreign_next(self, client_of, alice, bob):
        question = make_question(alice)
        response = client_of(bob).post(
            self.url,
            {"target": "question", "target_id": question.pk, "reason": "", "next": "https://evil.example/"},
        )
        assert response["Location"] == reverse("question_list") and not Flag.objects.exists()

    def test_report_form_is_on_questions_and_answers(self, client_of, alice, bob, carol):
        question = make_question(alice)
        make_answer(question, bob)
        text = client_of(carol).get(question.get_absolute_url()).text
        assert text.count(f'action="{self.url}"') == 2


class TestModerationQueue:
    url = reverse("moderation_queue")

    @pytest.mark.parametrize("who", ["alice", "carol", "csm", "bob"])
    def test_forbidden_for_everyone_but_content_admins(self, request, client_of, who):
        assert client_of(request.getfixturevalue(who)).get(self.url).status_code == 403

    def test_anonymous_is_sent_to_sign_in(self, client, db):
        assert client.get(self.url).status_code == 302

    def test_lists_grouped_flags_and_old_unanswered_questions(self, client_of, alice, bob, carol, content):
        question = make_question(alice, title="Cheap watches here")
        services.flag_create(target="question", target_id=question.pk, reporter=bob, reason="Spam")
        services.flag_create(target="question", target_id=question.pk, reporter=carol, reason="Advert")
        old = make_question(bob, title="Nobody knows", created_at=timezone.now() - timedelta(days=3))
        make_question(bob, title="Asked just now")
        response = client_of(content).get(self.url)
        assert "Cheap watches here" in response.text and "2 reports" in response.text
        assert "Advert" in response.text and "Spam" in response.text
        assert "Nobody knows" in response.text and old.get_absolute_url() in response.text
        assert "Asked just now" not in response.text

    def test_hide_button_hides_the_post(self, client_of, alice, bob, content):
        question = make_question(alice)
        services.flag_create(target="question", target_id=question.pk, reporter=bob, reason="Spam")
        response = client_of(content).post(
            reverse("flag_resolve", args=["question", question.pk]), {"action": "hide"}, follow=True
        )
        assert "1 report closed" in response.text and Question.objects.get().hidden
        assert (
            client_of(content)
            .post(reverse("flag_resolve", args=["question", question.pk]), {"action": "hide"})
            .status_code
            == 404
        )

    def test_resolve_is_forbidden_for_others(self, client_of, alice, bob):
        question = make_question(alice)
        services.flag_create(target="question", target_id=question.pk, reporter=bob, reason="Spam")
        response = client_of(alice).post(
            reverse("flag_resolve", args=["question", question.pk]), {"action": "hide"}
        )
        assert response.status_code == 403 and not Question.objects.get().hidden

    def test_queue_query_count_is_constant(
        self, client_of, alice, bob, content, django_assert_max_num_queries
    ):
        def flag_some(n):
            for i in range(n):
                reporter = UserFactory(account=bob.account)
                question = make_question(alice, title=f"Q{i}")
                answer = make_answer(question, bob, body=f"A{i}")
                idea = make_idea(alice, title=f"Idea {i}")
                comment = Comment.objects.create(idea=idea, author=alice, body=f"C{i}")
                for target, obj in [
                    ("question", question),
                    ("answer", answer),
                    ("idea", idea),
                    ("comment", comment),
                ]:
                    Flag.objects.create(target=target, target_id=obj.pk, reporter=reporter, reason="Spam")

        flag_some(1)
        client = client_of(content)
        with django_assert_max_num_queries(14) as one:
            client.get(self.url)
        flag_some(20)
        make_question(bob, created_at=timezone.now() - timedelta(days=5))
        with django_assert_max_num_queries(len(one.captured_queries)):
            client.get(self.url)

    def test_selector_groups_and_previews(self, alice, bob, carol):
        question = make_question(alice, title="Cheap watches", body="Buy **now**")
        for reporter in (bob, carol):
            services.flag_create(target="question", target_id=question.pk, reporter=reporter, reason="Spam")
        [post] = selectors.flag_queue()
        assert post.count == 2 and post.preview == "Cheap watches — Buy now"
        assert post.url == question.get_absolute_url()


class TestHidePages:
    def test_content_admin_hides_question_and_answer(self, client_of, alice, bob, content):
        question = make_question(alice)
        answer = make_answer(question, bob)
        client = client_of(content)
        client.post(reverse("answer_hide", args=[answer.pk]), {"hidden": "1"})
        client.post(reverse("question_hide", args=[question.pk]), {"hidden": "1"})
        question.refresh_from_db()
        answer.refresh_from_db()
        assert question.hidden and answer.hidden and question.answer_count == 0

    @pytest.mark.parametrize("who", ["alice", "carol", "csm"])
    def test_others_get_403(self, request, client_of, alice, bob, who):
        question = make_question(alice)
        answer = make_answer(question, bob)
        client = client_of(request.getfixturevalue(who))
        assert client.post(reverse("question_hide", args=[question.pk])).status_code == 403
        assert client.post(reverse("answer_hide", args=[answer.pk])).status_code == 403
        assert not Question.objects.get().hidden and not Answer.objects.get().hidden
