"""Peer Q&A: services, pages and API."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.services import PermissionDenied as AccountPermissionDenied
from apps.community import qa_selectors as selectors
from apps.community import qa_services as services
from apps.community.models import Answer, AnswerVote, ProductArea, Question
from apps.interactions.models import Interaction
from apps.notifications.models import Notification
from tests.factories import UserFactory


def make_question(author, title="How do you schedule exports?", body="We export **daily**.", **fields):
    return Question.objects.create(title=title, body=body, author=author, account=author.account, **fields)


def make_answer(question, author, body="We use the scheduler.", **fields):
    answer = Answer.objects.create(question=question, author=author, body=body, **fields)
    if not answer.hidden:
        Question.objects.filter(pk=question.pk).update(answer_count=question.answer_count + 1)
        question.answer_count += 1
    return answer


def veteran(user):
    user.date_joined = timezone.now() - timedelta(days=60)
    user.save(update_fields=["date_joined"])
    return user


# --- Services ------------------------------------------------------------------------------------


class TestAsking:
    def test_ask_records_the_interaction(self, alice):
        area = ProductArea.objects.create(name="Dashboards", slug="dashboards")
        question = services.question_ask(user=alice, title="  Exports? ", body="How?", areas=[area])
        assert question.title == "Exports?" and question.account == alice.account
        assert list(question.areas.all()) == [area]
        interaction = Interaction.objects.get(kind="community.question_asked")
        assert interaction.user == alice and interaction.subject_id == str(question.pk)

    def test_empty_question_is_refused(self, alice):
        with pytest.raises(services.QAError):
            services.question_ask(user=alice, title=" ", body="x")

    def test_new_account_posts_three_times_a_day(self, alice, bob):
        question = services.question_ask(user=alice, title="One", body="x")
        services.question_ask(user=alice, title="Two", body="x")
        services.answer_post(user=alice, question=question, body="Self answer")
        with pytest.raises(services.QAError, match="New members"):
            services.question_ask(user=alice, title="Four", body="x")
        with pytest.raises(services.QAError):
            services.answer_post(user=alice, question=question, body="again")
        Question.objects.filter(author=alice).update(created_at=timezone.now() - timedelta(hours=25))
        Answer.objects.filter(author=alice).update(created_at=timezone.now() - timedelta(hours=25))
        services.question_ask(user=alice, title="Next day", body="x")

    def test_established_account_posts_twenty_an_hour(self, alice):
        veteran(alice)
        for n in range(20):
            services.question_ask(user=alice, title=f"Q{n}", body="x")
        with pytest.raises(services.QAError, match="20 questions and answers an hour"):
            services.question_ask(user=alice, title="Too many", body="x")
        assert Question.objects.filter(author=alice).count() == 20

    def test_content_admin_is_not_limited(self, content):
        for n in range(4):
            services.question_ask(user=content, title=f"Q{n}", body="x")


class TestAnswering:
    def test_answer_counts_records_and_notifies_the_asker(self, alice, bob):
        question = make_question(alice)
        answer = services.answer_post(user=bob, question=question, body="Use the scheduler.")
        question.refresh_from_db()
        assert question.answer_count == 1
        assert Interaction.objects.filter(kind="community.answer_posted", user=bob).count() == 1
        notification = Notification.objects.get(user=alice)
        assert notification.category == "community" and notification.dedup_key == f"answer-{answer.pk}"
        assert f"#answer-{answer.pk}" in notification.url

    def test_answering_your_own_question_does_not_notify(self, alice):
        question = make_question(alice)
        services.answer_post(user=alice, question=question, body="Found it.")
        assert not Notification.objects.exists()

    def test_hidden_question_cannot_be_answered(self, alice, bob):
        question = make_question(alice, hidden=True)
        with pytest.raises(services.QAError):
            services.answer_post(user=bob, question=question, body="x")


class TestVoting:
    def test_vote_and_unvote_keep_the_count(self, alice, bob, carol):
        answer = make_answer(make_question(alice), bob)
        services.answer_vote(user=alice, answer=answer)
        services.answer_vote(user=carol, answer=answer)
        answer.refresh_from_db()
        assert answer.vote_count == 2
        with pytest.raises(services.QAError, match="already voted"):
            services.answer_vote(user=alice, answer=answer)
        services.answer_unvote(user=alice, answer=answer)
        answer.refresh_from_db()
        assert answer.vote_count == 1 and AnswerVote.objects.count() == 1
        with pytest.raises(services.QAError):
            services.answer_unvote(user=alice, answer=answer)

    def test_no_voting_for_your_own_answer(self, alice, bob):
        answer = make_answer(make_question(alice), bob)
        with pytest.raises(services.QAError, match="own answer"):
            services.answer_vote(user=bob, answer=answer)
        assert answer.vote_count == 0 and not AnswerVote.objects.exists()


class TestAccepting:
    def test_asker_accepts_and_the_author_hears_of_it(self, alice, bob):
        question = make_question(alice)
        answer = make_answer(question, bob)
        services.answer_accept(answer=answer, by=alice)
        question.refresh_from_db()
        assert question.accepted_answer == answer
        interaction = Interaction.objects.get(kind="community.answer_accepted")
        assert interaction.user == bob and interaction.properties["accepted_by"] == alice.pk
        assert Notification.objects.filter(user=bob, dedup_key=f"accepted-{answer.pk}").exists()

    def test_accepting_another_answer_replaces_it(self, alice, bob, dana):
        question = make_question(alice)
        first, second = make_answer(question, bob), make_answer(question, dana)
        services.answer_accept(answer=first, by=alice)
        services.answer_accept(answer=second, by=alice)
        services.answer_accept(answer=second, by=alice)  # again: nothing new
        question.refresh_from_db()
        assert question.accepted_answer == second
        assert Interaction.objects.filter(kind="community.answer_accepted").count() == 2

    def test_content_admin_may_accept(self, alice, bob, content):
        question = make_question(alice)
        answer = make_answer(question, bob)
        services.answer_accept(answer=answer, by=content)
        question.refresh_from_db()
        assert question.accepted_answer == answer

    @pytest.mark.parametrize("who", ["bob", "carol", "csm"])
    def test_someone_else_may_not_accept(self, request, alice, bob, who):
        question = make_question(alice)
        answer = make_answer(question, UserFactory())
        with pytest.raises(AccountPermissionDenied):
            services.answer_accept(answer=answer, by=request.getfixturevalue(who))
        question.refresh_from_db()
        assert question.accepted_answer is None
        assert not Interaction.objects.filter(kind="community.answer_accepted").exists()


class TestViews:
    def test_views_count_once_per_half_hour(self, alice, bob):
        question = make_question(alice)
        assert services.question_view(user=bob, question=question)
        assert not services.question_view(user=bob, question=question)
        Interaction.objects.filter(kind="community.question_viewed").update(
            occurred_at=timezone.now() - timedelta(minutes=31)
        )
        assert services.question_view(user=bob, question=question)
        assert Interaction.objects.filter(kind="community.question_viewed").count() == 2


# --- Selectors -----------------------------------------------------------------------------------


class TestSelectors:
    def test_filters_and_search(self, alice, bob):
        answered = make_question(alice, title="Exports at night")
        make_answer(answered, bob)
        open_one = make_question(bob, title="SSO with Okta", body="Single sign-on")
        make_question(bob, title="Secret", hidden=True)
        assert set(selectors.question_list(user=alice)) == {answered, open_one}
        assert list(selectors.question_list(user=alice, filter="unanswered")) == [open_one]
        assert list(selectors.question_list(user=alice, filter="mine")) == [answered]
        assert list(selectors.question_list(user=alice, q="sign-ON")) == [open_one]

    def test_answers_accepted_first_then_by_votes(self, alice, bob, dana, carol, content):
        question = make_question(alice)
        low = make_answer(question, bob, vote_count=1)
        high = make_answer(question, dana, vote_count=5)
        accepted = make_answer(question, carol, vote_count=0)
        hidden = make_answer(question, bob, hidden=True)
        question.accepted_answer = accepted
        question.save()
        AnswerVote.objects.create(answer=high, user=alice)
        page = selectors.question_detail(user=alice, pk=question.pk)
        assert page.answers == [accepted, high, low] and page.my_votes == {high.pk}
        assert hidden in selectors.question_detail(user=content, pk=question.pk).answers


# --- Pages ---------------------------------------------------------------------------------------


class TestQuestionList:
    url = reverse("question_list")

    def test_lists_tabs_and_search(self, client_of, alice, bob):
        make_question(alice, title="Exports at night")
        make_question(bob, title="SSO with Okta")
        client = client_of(alice)
        assert "SSO with Okta" in client.get(self.url).text
        assert "SSO with Okta" not in client.get(self.url, {"tab": "mine"}).text
        assert "Exports at night" not in client.get(self.url, {"q": "okta"}).text

    def test_empty_states(self, client_of, alice):
        client = client_of(alice)
        assert "No questions yet" in client.get(self.url).text
        assert "You have not asked anything yet" in client.get(self.url, {"tab": "mine"}).text
        assert "No questions match" in client.get(self.url, {"q": "zzz"}).text

    def test_htmx_returns_only_the_results(self, client_of, alice):
        make_question(alice, title="Exports at night")
        response = client_of(alice).get(self.url, {"q": "export"}, HTTP_HX_REQUEST="true")
        assert "<html" not in response.text and 'id="results"' in response.text
        assert "Exports at night" in response.text

    def test_hidden_questions_are_for_content_admins(self, client_of, alice, content):
        make_question(alice, title="Spam spam", hidden=True)
        assert "Spam spam" not in client_of(alice).get(self.url).text
        response = client_of(content).get(self.url)
        assert "Spam spam" in response.text and "Hidden" in response.text

    def test_bad_parameters_do_not_crash(self, client_of, alice):
        response = client_of(alice).get(self.url, {"tab": "nope", "area": "x", "page": "-1", "q": "a" * 500})
        assert response.status_code == 200

    def test_query_count_is_constant(self, client_of, alice, bob, django_assert_max_num_queries):
        area = ProductArea.objects.create(name="Dashboards", slug="dashboards")
        client = client_of(alice)
        make_question(bob).areas.add(area)
        with django_assert_max_num_queries(12) as one:
            client.get(self.url)
        for n in range(20):
            make_question(bob, title=f"Question {n}").areas.add(area)
        with django_assert_max_num_queries(len(one.captured_queries)):
            client.get(self.url)

    def test_anonymous_is_sent_to_sign_in(self, client, db):
        assert client.get(self.url).status_code == 302


class TestAsk:
    url = reverse("question_new")

    def test_ask(self, client_of, alice):
        response = client_of(alice).post(self.url, {"title": "Exports?", "body": "How do you export?"})
        question = Question.objects.get()
        assert response.status_code == 302 and response["Location"] == question.get_absolute_url()

    def test_field_errors(self, client_of, alice):
        response = client_of(alice).post(self.url, {"title": "", "body": ""})
        assert response.status_code == 200 and "This field is required" in response.text
        assert not Question.objects.exists()

    def test_rate_limit_is_explained(self, client_of, alice):
        for n in range(3):
            make_question(alice, title=f"Q{n}")
        response = client_of(alice).post(self.url, {"title": "Four", "body": "x"})
        assert "New members can post 3" in response.text and Question.objects.count() == 3


class TestQuestionDetail:
    def test_shows_answers_with_sanitised_markdown_and_records_a_view(self, client_of, alice, bob):
        question = make_question(alice, body="**Bold** <script>alert(1)</script>")
        make_answer(question, bob, body="[x](javascript:alert(1)) *fine* <img src=x onerror=alert(1)>")
        response = client_of(bob).get(question.get_absolute_url())
        assert "<strong>Bold</strong>" in response.text and "<em>fine</em>" in response.text
        assert "<script>alert" not in response.text and "javascript:" not in response.text
        assert "<img src=x onerror" not in response.text
        assert Interaction.objects.filter(kind="community.question_viewed", user=bob).count() == 1
        client_of(bob).get(question.get_absolute_url())
        assert Interaction.objects.filter(kind="community.question_viewed", user=bob).count() == 1

    def test_htmx_returns_only_the_answers(self, client_of, alice, bob):
        question = make_question(alice)
        make_answer(question, bob, body="Use the scheduler.")
        response = client_of(alice).get(question.get_absolute_url(), HTTP_HX_REQUEST="true")
        assert "<html" not in response.text and 'id="answer-list"' in response.text
        assert "Use the scheduler." in response.text

    def test_accept_button_only_for_asker_and_content_admin(self, client_of, alice, bob, content):
        question = make_question(alice)
        make_answer(question, bob)
        assert "Accept this answer" in client_of(alice).get(question.get_absolute_url()).text
        assert "Accept this answer" in client_of(content).get(question.get_absolute_url()).text
        assert "Accept this answer" not in client_of(bob).get(question.get_absolute_url()).text

    def test_hidden_question_is_404_for_customers(self, client_of, alice, bob, content):
        question = make_question(alice, hidden=True)
        assert client_of(bob).get(question.get_absolute_url()).status_code == 404
        assert client_of(alice).get(question.get_absolute_url(), HTTP_HX_REQUEST="true").status_code == 404
        response = client_of(content).get(question.get_absolute_url())
        assert response.status_code == 200 and "Hidden from customers" in response.text

    def test_hidden_answer_is_invisible_to_learners(self, client_of, alice, bob, content):
        question = make_question(alice)
        make_answer(question, bob, body="Buy cheap watches", hidden=True)
        assert "Buy cheap watches" not in client_of(alice).get(question.get_absolute_url()).text
        assert "Buy cheap watches" in client_of(content).get(question.get_absolute_url()).text

    def test_query_count_is_constant(self, client_of, alice, bob, dana, django_assert_max_num_queries):
        question = make_question(alice)
        make_answer(question, bob)
        client = client_of(alice)
        client.get(question.get_absolute_url())  # the first view records an interaction
        with django_assert_max_num_queries(14) as one:
            client.get(question.get_absolute_url())
        for n in range(20):
            answer = make_answer(question, UserFactory(account=bob.account), body=f"Answer {n}")
            AnswerVote.objects.create(answer=answer, user=dana)
        with django_assert_max_num_queries(len(one.captured_queries)):
            client.get(question.get_absolute_url())


class TestAnswerPages:
    def test_post_an_answer(self, client_of, alice, bob):
        question = make_question(alice)
        response = client_of(bob).post(reverse("answer_new", args=[question.pk]), {"body": "Try this."})
        answer = Answer.objects.get()
        assert response["Location"].endswith(f"#answer-{answer.pk}")

    def test_empty_answer_shows_the_error(self, client_of, alice, bob):
        question = make_question(alice)
        response = client_of(bob).post(reverse("answer_new", args=[question.pk]), {"body": ""})
        assert response.status_code == 400 and "This field is required" in response.text

    def test_answering_a_hidden_question_is_404(self, client_of, alice, bob):
        question = make_question(alice, hidden=True)
        response = client_of(bob).post(reverse("answer_new", args=[question.pk]), {"body": "x"})
        assert response.status_code == 404 and not Answer.objects.exists()

    def test_vote_toggles(self, client_of, alice, bob):
        answer = make_answer(make_question(alice), bob)
        client = client_of(alice)
        url = reverse("answer_vote", args=[answer.pk])
        assert client.post(url).status_code == 302
        answer.refresh_from_db()
        assert answer.vote_count == 1
        client.post(url)
        answer.refresh_from_db()
        assert answer.vote_count == 0

    def test_vote_htmx_returns_the_widget(self, client_of, alice, bob):
        answer = make_answer(make_question(alice), bob)
        response = client_of(alice).post(reverse("answer_vote", args=[answer.pk]), HTTP_HX_REQUEST="true")
        assert "<html" not in response.text and f'id="answer-votes-{answer.pk}"' in response.text
        assert 'aria-pressed="true"' in response.text and "▲ 1" in response.text

    def test_vote_on_hidden_answer_is_404(self, client_of, alice, bob):
        answer = make_answer(make_question(alice), bob, hidden=True)
        assert client_of(alice).post(reverse("answer_vote", args=[answer.pk])).status_code == 404
        assert not AnswerVote.objects.exists()

    def test_accept(self, client_of, alice, bob):
        question = make_question(alice)
        answer = make_answer(question, bob)
        client_of(alice).post(reverse("answer_accept", args=[answer.pk]))
        question.refresh_from_db()
        assert question.accepted_answer == answer

    def test_someone_else_accepting_is_403(self, client_of, alice, bob):
        question = make_question(alice)
        answer = make_answer(question, bob)
        assert client_of(bob).post(reverse("answer_accept", args=[answer.pk])).status_code == 403
        question.refresh_from_db()
        assert question.accepted_answer is None


# --- API -----------------------------------------------------------------------------------------


class TestApi:
    def test_list_and_create(self, client_of, alice, bob):
        make_question(bob, title="SSO with Okta")
        client = client_of(alice)
        response = client.post(
            reverse("api-question-list"),
            {"title": "Exports?", "body": "How?"},
            content_type="application/json",
        )
        assert response.status_code == 201 and response.json()["title"] == "Exports?"
        titles = [q["title"] for q in client.get(reverse("api-question-list")).json()["results"]]
        assert titles == ["Exports?", "SSO with Okta"]
        mine = client.get(reverse("api-question-list"), {"filter": "mine"}).json()["results"]
        assert [q["title"] for q in mine] == ["Exports?"]

    def test_create_with_bad_input_is_400_with_field_errors(self, client_of, alice):
        response = client_of(alice).post(
            reverse("api-question-list"), {"title": ""}, content_type="application/json"
        )
        assert response.status_code == 400 and {"title", "body"} <= set(response.json())

    def test_detail_with_answers(self, client_of, alice, bob):
        question = make_question(alice)
        answer = make_answer(question, bob)
        AnswerVote.objects.create(answer=answer, user=alice)
        data = client_of(alice).get(reverse("api-question-detail", args=[question.pk])).json()
        assert [a["id"] for a in data["answers"]] == [answer.pk] and data["my_votes"] == [answer.pk]

    def test_hidden_question_is_404(self, client_of, alice, bob):
        question = make_question(alice, hidden=True)
        client = client_of(bob)
        assert client.get(reverse("api-question-detail", args=[question.pk])).status_code == 404
        response = client.post(
            reverse("api-question-answer-create", args=[question.pk]),
            {"body": "x"},
            content_type="application/json",
        )
        assert response.status_code == 404

    def test_answer_vote_and_accept(self, client_of, alice, bob):
        question = make_question(alice)
        client = client_of(bob)
        response = client.post(
            reverse("api-question-answer-create", args=[question.pk]),
            {"body": "Do this."},
            content_type="application/json",
        )
        assert response.status_code == 201
        answer_id = response.json()["id"]
        own_vote = client.post(reverse("api-question-answer-vote", args=[answer_id]))
        assert own_vote.status_code == 400 and "own answer" in own_vote.json()["detail"]
        assert client.post(reverse("api-question-answer-accept", args=[answer_id])).status_code == 403
        client = client_of(alice)
        assert client.post(reverse("api-question-answer-vote", args=[answer_id])).json()["vote_count"] == 1
        assert client.delete(reverse("api-question-answer-vote", args=[answer_id])).json()["vote_count"] == 0
        response = client.post(reverse("api-question-answer-accept", args=[answer_id]))
        assert response.status_code == 200 and response.json()["accepted_answer"] == answer_id

    def test_empty_answer_is_400(self, client_of, alice, bob):
        question = make_question(alice)
        response = client_of(bob).post(
            reverse("api-question-answer-create", args=[question.pk]),
            {"body": ""},
            content_type="application/json",
        )
        assert response.status_code == 400 and "body" in response.json()

    def test_anonymous_is_refused(self, client, db):
        assert client.get(reverse("api-question-list")).status_code == 403


class TestDemo:
    def test_seed_is_complete_and_idempotent(self, alice, bob, carol, dana, sam, content):
        import random
        from types import SimpleNamespace

        from apps.community import qa_demo

        people = [alice, bob, carol, dana, sam, *UserFactory.create_batch(4, account=bob.account)]
        lines = []
        ctx = SimpleNamespace(
            rng=random.Random(1), today=timezone.localdate(), write=lines.append, data={"users": people}
        )
        qa_demo.seed(ctx)
        qa_demo.seed(ctx)
        assert Question.objects.count() >= 40 and "already loaded" in lines[-1]
        assert Question.objects.filter(answer_count=0).count() == qa_demo.UNANSWERED
        assert Question.objects.filter(accepted_answer__isnull=False).exists()
        for question in Question.objects.all():
            assert question.answer_count == question.answers.count()
        for answer in Answer.objects.all():
            assert answer.vote_count == answer.votes.count() and answer.author_id != answer.question.author_id
        demo = Interaction.objects.filter(source="demo", external_id__startswith="demo-qa-")
        assert (
            demo.filter(kind="community.answer_accepted").count()
            == Question.objects.exclude(accepted_answer=None).count()
        )
        assert selectors.unanswered_for_staff().exists()
