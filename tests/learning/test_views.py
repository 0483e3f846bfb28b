"""The learner's pages and the customer admin's team learning page."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from apps.interactions.models import Interaction
from apps.learning import services
from apps.learning.models import (
    ContentItem,
    Enrolment,
    LearningPath,
    LearningPreference,
    Lesson,
    LiveSession,
    PathStep,
    Registration,
    Skill,
    SkillArea,
)
from tests.factories import UserFactory


def make_content(title="Dashboard basics", kind="article", status="published", **fields):
    slug = re.sub(r"\W+", "-", title.lower()).strip("-")
    fields.setdefault("body", f"## {title}\n\nText.")
    return ContentItem.objects.create(
        title=title,
        slug=slug,
        kind=kind,
        summary=f"About {title}.",
        status=status,
        published_at=timezone.now() if status == "published" else None,
        **fields,
    )


def make_path(title="Foundations", items=(), status="published", **fields):
    path = LearningPath.objects.create(
        title=title,
        slug=re.sub(r"\W+", "-", title.lower()),
        summary="A path.",
        status=status,
        published_at=timezone.now(),
        **fields,
    )
    for position, item in enumerate(items):
        PathStep.objects.create(path=path, position=position, content=item)
    return path


def make_session(title="Office hours", starts_in=timedelta(days=3), capacity=2, **fields):
    return LiveSession.objects.create(
        title=title, host="Hana Host", starts_at=timezone.now() + starts_in, capacity=capacity, **fields
    )


class TestLibrary:
    url = reverse("library")

    def test_lists_published_content_only(self, client_of, alice):
        make_content("Dashboard basics")
        make_content("Secret draft", status="draft")
        response = client_of(alice).get(self.url)
        assert "Dashboard basics" in response.text and "Secret draft" not in response.text

    def test_content_admin_sees_drafts(self, client_of, content):
        make_content("Secret draft", status="draft")
        assert "Secret draft" in client_of(content).get(self.url).text

    def test_search_and_filters(self, client_of, alice):
        area = SkillArea.objects.create(name="Data")
        skill = Skill.objects.create(area=area, name="Data import", slug="data-import")
        make_content("Dashboard basics")
        make_content("Loading files").skills.add(skill)
        make_content("A guide", kind="guide", level="advanced")
        client = client_of(alice)
        assert "Loading files" not in client.get(self.url, {"q": "dashboard"}).text
        assert "Loading files" in client.get(self.url, {"q": "import"}).text  # by skill name
        assert "A guide" in client.get(self.url, {"kind": "guide"}).text
        assert "Dashboard basics" not in client.get(self.url, {"level": "advanced"}).text
        assert "Loading files" in client.get(self.url, {"skill": "data-import"}).text

    def test_htmx_returns_only_the_results(self, client_of, alice):
        make_content("Dashboard basics")
        response = client_of(alice).get(self.url, {"q": "dash"}, HTTP_HX_REQUEST="true")
        assert "<html" not in response.text and 'id="results"' in response.text
        assert "Dashboard basics" in response.text

    def test_nothing_found_is_explained(self, client_of, alice):
        response = client_of(alice).get(self.url, {"q": "zzz"})
        assert "Nothing matches" in response.text and "Show everything" in response.text

    def test_bad_filters_do_not_crash(self, client_of, alice):
        make_content("Dashboard basics")
        response = client_of(alice).get(
            self.url, {"kind": "nope", "level": "x", "page": "-3", "q": "a" * 500}
        )
        assert response.status_code == 200

    def test_query_count_is_constant(self, client_of, alice, django_assert_max_num_queries):
        client = client_of(alice)
        for n in range(15):
            make_content(f"Item {n}")
        with django_assert_max_num_queries(9):
            client.get(self.url)

    def test_anonymous_is_sent_to_sign_in(self, client, db):
        assert client.get(self.url).status_code == 302


class TestContent:
    def test_viewing_records_one_view_per_half_hour(self, client_of, alice):
        item = make_content()
        client = client_of(alice)
        client.get(item.get_absolute_url())
        client.get(item.get_absolute_url())
        assert Interaction.objects.filter(kind="learning.content_viewed", user=alice).count() == 1

    def test_markdown_is_sanitised(self, client_of, alice):
        item = make_content(body="<script>alert(1)</script>\n\n[x](javascript:alert(1)) **bold**")
        text = client_of(alice).get(item.get_absolute_url()).text
        assert "<script>alert(1)</script>" not in text and "javascript:alert" not in text
        assert "<strong>bold</strong>" in text

    def test_video_is_embedded_privately(self, client_of, alice):
        item = make_content(kind="video", video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ")
        text = client_of(alice).get(item.get_absolute_url()).text
        assert "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ" in text

    def test_mark_as_done(self, client_of, alice):
        item = make_content()
        response = client_of(alice).post(reverse("content_complete", args=[item.slug]), follow=True)
        assert "is marked as done" in response.text
        assert Interaction.objects.filter(kind="learning.content_completed", user=alice).count() == 1

    def test_draft_is_404_for_learners(self, client_of, alice):
        item = make_content(status="draft")
        client = client_of(alice)
        assert client.get(item.get_absolute_url()).status_code == 404
        assert client.post(reverse("content_complete", args=[item.slug])).status_code == 404

    def test_complete_needs_post(self, client_of, alice):
        assert (
            client_of(alice).get(reverse("content_complete", args=[make_content().slug])).status_code == 405
        )

    def test_course_lessons_lead_to_completion(self, client_of, alice):
        course = make_content("Reporting course", kind="course")
        first = Lesson.objects.create(course=course, title="One", position=0)
        second = Lesson.objects.create(course=course, title="Two", position=1)
        client = client_of(alice)
        assert "Start the course" in client.get(course.get_absolute_url()).text
        response = client.post(reverse("lesson_complete", args=[course.slug, first.pk]))
        assert response.url == second.get_absolute_url()
        assert "Lesson 2 of 2" in client.get(second.get_absolute_url()).text
        response = client.post(reverse("lesson_complete", args=[course.slug, second.pk]), follow=True)
        assert "You completed the course" in response.text
        assert Interaction.objects.filter(kind="learning.course_completed", user=alice).count() == 1

    def test_lesson_of_another_course_is_404(self, client_of, alice):
        course = make_content("Course A", kind="course")
        other = make_content("Course B", kind="course")
        lesson = Lesson.objects.create(course=other, title="Elsewhere")
        assert (
            client_of(alice).get(reverse("lesson_detail", args=[course.slug, lesson.pk])).status_code == 404
        )


class TestPaths:
    def test_list_groups_paths(self, client_of, alice):
        alice.job_role = "analyst"
        alice.save()
        make_path("For analysts", [make_content("A")], job_roles=["analyst"])
        make_path("For developers", [make_content("B")], job_roles=["developer"])
        response = client_of(alice).get(reverse("path_list"))
        assert [p.title for p in response.context["for_me"]] == ["For analysts"]
        assert [p.title for p in response.context["others"]] == ["For developers"]

    def test_enrol_complete_steps_and_finish(self, client_of, alice):
        a, b = make_content("A"), make_content("B")
        path = make_path("Foundations", [a, b])
        client = client_of(alice)
        response = client.post(reverse("path_enrol", args=[path.slug]), follow=True)
        assert "You are enrolled" in response.text and "Resume: A" in response.text
        for step in path.steps.all():
            client.post(reverse("step_complete", args=[path.slug, step.pk]))
        response = client.get(path.get_absolute_url())
        assert "Completed" in response.text
        assert Enrolment.objects.get(user=alice, path=path).completed_at is not None

    def test_step_complete_htmx_returns_the_step_list(self, client_of, alice):
        path = make_path("Foundations", [make_content("A"), make_content("B")])
        client = client_of(alice)
        client.post(reverse("path_enrol", args=[path.slug]))
        step = path.steps.first()
        response = client.post(reverse("step_complete", args=[path.slug, step.pk]), HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert "<html" not in response.text and "1 of 2 required steps done" in response.text

    def test_completing_a_step_without_enrolling_is_refused_clearly(self, client_of, alice):
        path = make_path("Foundations", [make_content("A")])
        step = path.steps.get()
        client = client_of(alice)
        response = client.post(reverse("step_complete", args=[path.slug, step.pk]), follow=True)
        assert "Enrol in this path before completing its steps" in response.text
        response = client.post(reverse("step_complete", args=[path.slug, step.pk]), HTTP_HX_REQUEST="true")
        assert response.status_code == 400

    def test_step_of_another_path_is_404(self, client_of, alice):
        path = make_path("One", [make_content("A")])
        other = make_path("Two", [make_content("B")])
        step = other.steps.get()
        assert client_of(alice).post(reverse("step_complete", args=[path.slug, step.pk])).status_code == 404

    def test_prerequisites_block_enrolment(self, client_of, alice):
        first = make_path("Foundations", [make_content("A")])
        second = make_path("Advanced", [make_content("B")])
        second.prerequisites.add(first)
        client = client_of(alice)
        assert "Finish first" in client.get(second.get_absolute_url()).text
        response = client.post(reverse("path_enrol", args=[second.slug]), follow=True)
        assert "Finish these paths first: Foundations" in response.text
        assert not Enrolment.objects.filter(path=second).exists()

    def test_unpublished_path_is_404(self, client_of, alice):
        path = make_path("Hidden", [make_content("A")], status="draft")
        assert client_of(alice).get(path.get_absolute_url()).status_code == 404

    def test_detail_query_count_is_constant(self, client_of, alice, django_assert_max_num_queries):
        path = make_path("Long", [make_content(f"Item {n}") for n in range(12)])
        client = client_of(alice)
        client.post(reverse("path_enrol", args=[path.slug]))
        with django_assert_max_num_queries(12):
            client.get(path.get_absolute_url())

    def test_detail_queries_are_pinned_whatever_the_path_or_the_learner_history(
        self, client_of, alice, django_assert_num_queries
    ):
        """An enrolled learner's path page with content and live-session steps, some done: the
        same queries for 2 steps or 14, and for a learner who finished many other paths."""

        def build(title, n):
            path = make_path(title, [make_content(f"{title} {i}") for i in range(n)])
            PathStep.objects.create(
                path=path, position=n, kind="live_session", content=None, live_session=make_session(title)
            )
            return path

        short, long = build("Short", 1), build("Long", 13)
        client = client_of(alice)
        for path in (short, long):
            client.post(reverse("path_enrol", args=[path.slug]))
            for step in path.steps.filter(kind="content")[:3]:
                client.post(reverse("step_complete", args=[path.slug, step.pk]))
        # A prerequisite added since they enrolled: the page names it.
        prerequisite = make_path("Basics", [make_content("Basics 1")])
        long.prerequisites.add(prerequisite)
        short.prerequisites.add(prerequisite)
        counts = []
        for path in (short, long):
            client.get(path.get_absolute_url())
            # session, user, path, its skills, steps, enrolment, completed steps, registrations,
            # missing prerequisites.
            with django_assert_num_queries(9) as captured:
                response = client.get(path.get_absolute_url())
            progress = response.context["progress"]
            assert progress.enrolment and progress.prerequisites_missing == [prerequisite]
            assert sum(step.done for step in progress.steps) == min(3, path.steps.count() - 1)
            counts.append(len(captured))
        for n in range(5):
            finished = make_path(f"Done {n}", [make_content(f"Done {n} item")])
            Enrolment.objects.create(user=alice, path=finished, completed_at=timezone.now())
        with django_assert_num_queries(counts[-1]):
            client.get(long.get_absolute_url())


class TestSessions:
    def test_register_waitlist_and_promotion(self, client_of, alice, bob, django_capture_on_commit_callbacks):
        session = make_session(capacity=1)
        with django_capture_on_commit_callbacks(execute=True):
            response = client_of(alice).post(reverse("session_register", args=[session.pk]), follow=True)
        assert "You have a seat" in response.text
        assert mail.outbox[-1].subject.startswith("You are registered")
        assert mail.outbox[-1].attachments[0][0] == "session.ics"
        client = client_of(bob)
        response = client.post(reverse("session_register", args=[session.pk]), follow=True)
        assert "waiting list" in response.text and "number 1" in response.text
        with django_capture_on_commit_callbacks(execute=True):
            client_of(alice).post(reverse("session_cancel_registration", args=[session.pk]))
        assert Registration.objects.get(user=bob).status == "registered"
        assert mail.outbox[-1].to == [bob.email] and "seat opened up" in mail.outbox[-1].subject

    def test_past_session_shows_recording_and_refuses_registration(self, client_of, alice):
        session = make_session(starts_in=-timedelta(days=2), recording_url="https://vimeo.com/123456")
        client = client_of(alice)
        text = client.get(session.get_absolute_url()).text
        assert "https://player.vimeo.com/video/123456" in text
        response = client.post(reverse("session_register", args=[session.pk]), follow=True)
        assert "registration is closed" in response.text

    def test_calendar_file(self, client_of, alice):
        session = make_session(title="Office hours, Q&A; live")
        response = client_of(alice).get(reverse("session_calendar", args=[session.pk]))
        assert response["Content-Type"].startswith("text/calendar")
        body = response.content.decode()
        assert "BEGIN:VCALENDAR" in body and "BEGIN:VEVENT" in body and "DTSTART" in body
        assert "SUMMARY:Office hours\\, Q&A\\; live" in body
        assert body.endswith("END:VCALENDAR\r\n")

    def test_join_link_is_only_for_people_with_a_seat(
        self, client_of, alice, bob, carol, django_capture_on_commit_callbacks
    ):
        session = make_session(capacity=1, join_url="https://meet.example.com/secret-room")
        url = reverse("session_calendar", args=[session.pk])
        assert "secret-room" not in client_of(bob).get(url).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            services.session_register(user=alice, session=session)
        assert "secret-room" in mail.outbox[-1].body
        assert "secret-room" in client_of(alice).get(url).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            services.session_register(user=carol, session=session)  # full: waiting list
        assert mail.outbox[-1].to == [carol.email] and "waiting list" in mail.outbox[-1].subject
        assert "secret-room" not in mail.outbox[-1].body
        assert "secret-room" not in client_of(carol).get(url).content.decode()

    def test_detail_names_the_time_zone_its_times_are_in(self, client_of, alice, settings):
        settings.TIME_ZONE = "Europe/Paris"
        session = make_session(starts_in=timedelta(days=3))
        text = client_of(alice).get(session.get_absolute_url()).text
        local = timezone.localtime(session.starts_at)
        assert f"{local:%H:%M}" in text and "times in Europe/Paris" in text

    def test_list_shows_upcoming_and_past(self, client_of, alice):
        make_session(title="Soon")
        make_session(title="Before", starts_in=-timedelta(days=5))
        client = client_of(alice)
        assert "Soon" in client.get(reverse("session_list")).text
        text = client.get(reverse("session_list"), {"show": "past"}).text
        assert "Before" in text and "Soon" not in text

    def test_unknown_session_is_404(self, client_of, alice):
        assert client_of(alice).get(reverse("session_detail", args=[9999])).status_code == 404


class TestHeartbeat:
    url = reverse("learning_heartbeat")

    def test_records_capped_active_time(self, client_of, alice):
        item = make_content()
        assert client_of(alice).post(self.url, {"seconds": 30, "content": item.pk}).status_code == 204
        row = Interaction.objects.get(kind="learning.active_time")
        assert row.value == 30 and row.subject_id == str(item.pk)

    def test_beats_cannot_claim_more_time_than_has_passed(self, client_of, alice):
        client = client_of(alice)
        assert client.post(self.url, {"seconds": 30}).status_code == 204
        assert client.post(self.url, {"seconds": 30}).status_code == 204  # sent again at once
        assert list(
            Interaction.objects.filter(kind="learning.active_time").values_list("value", flat=True)
        ) == [30]

    @pytest.mark.parametrize("data", [{"seconds": 0}, {"seconds": 3600}, {"seconds": "x"}, {}])
    def test_bad_beats_are_refused(self, client_of, alice, data):
        assert client_of(alice).post(self.url, data).status_code == 400
        assert not Interaction.objects.filter(kind="learning.active_time").exists()

    def test_needs_sign_in(self, client, db):
        assert client.post(self.url, {"seconds": 10}).status_code == 302


class TestDigestPreferences:
    def test_opt_in_and_unsubscribe_without_login(
        self, client_of, client, alice, django_capture_on_commit_callbacks
    ):
        from apps.learning.tasks import digest_unsubscribe_url, send_weekly_digests

        client_of(alice).post(reverse("learning_preferences"), {"weekly_digest": "on"})
        assert LearningPreference.objects.get(user=alice).weekly_digest
        make_content("Fresh tip")
        with django_capture_on_commit_callbacks(execute=True):  # the budget sends after its commit
            assert send_weekly_digests() == 1
        url = re.search(r"https?://\S+/learn/digest/unsubscribe/\S+/", mail.outbox[-1].body).group(0)
        assert url == digest_unsubscribe_url(alice.pk)
        client.logout()
        path = url.split("://", 1)[1].split("/", 1)[1]
        assert "Stop the weekly digest" in client.get("/" + path).text
        assert "You are unsubscribed" in client.post("/" + path).text
        assert not LearningPreference.objects.get(user=alice).weekly_digest

    def test_tampered_unsubscribe_link(self, client, db):
        response = client.get(reverse("digest_unsubscribe", args=["not-a-token"]))
        assert response.status_code == 400 and "This link does not work" in response.text


class TestTeamLearning:
    url = reverse("team_learning")

    def test_customer_admin_sees_own_team(self, client_of, carol, alice, bob):
        path = make_path("Foundations", [make_content("A")])
        services.path_enrol(user=alice, path=path)
        services.path_enrol(user=bob, path=path)
        services.active_time_record(user=alice, seconds=45)
        response = client_of(carol).get(self.url)
        assert alice.full_name in response.text and bob.full_name not in response.text
        member = next(m for m in response.context["members"] if m.pk == alice.pk)
        assert member.paths_enrolled == 1 and member.active_seconds == 45

    def test_progress_per_path_counts_required_steps_only(self, client_of, carol, alice):
        first, second, extra = make_content("A"), make_content("B"), make_content("Extra")
        path = make_path("Foundations", [first, second])
        PathStep.objects.create(path=path, position=2, content=extra, required=False)
        services.path_enrol(user=alice, path=path)
        services.content_complete(user=alice, content=first)
        services.content_complete(user=alice, content=extra)
        response = client_of(carol).get(self.url)
        enrolment = response.context["enrolments"][0]
        assert (enrolment.done_count, enrolment.step_count) == (1, 2)
        assert "1 / 2 steps" in response.text

    @pytest.mark.parametrize("who", ["alice", "sam", "content", "csm"])
    def test_other_roles_are_refused(self, request, client_of, who):
        assert client_of(request.getfixturevalue(who)).get(self.url).status_code == 403

    def test_query_count_independent_of_team_size(self, client_of, carol, django_assert_max_num_queries):
        path = make_path("Foundations", [make_content("A")])
        for _ in range(10):
            services.path_enrol(user=UserFactory(account=carol.account), path=path)
        client = client_of(carol)
        with django_assert_max_num_queries(9):
            client.get(self.url)
