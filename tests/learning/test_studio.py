"""The Studio: content admins' pages to curate content, lessons, paths and live sessions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.core.studio import unique_slug
from apps.interactions.models import Interaction
from apps.learning import step_types
from apps.learning.models import (
    ContentItem,
    ContentKind,
    Enrolment,
    LearningPath,
    Lesson,
    LiveSession,
    PathStep,
    Registration,
    RegistrationStatus,
    SkillArea,
    Status,
    StepCompletion,
    StepKind,
)
from tests.factories import UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


# --- Small builders (there are no learning factories yet) -----------------------------------------


def make_content(title="Getting started", *, kind=ContentKind.ARTICLE, status=Status.DRAFT, **fields):
    return ContentItem.objects.create(
        title=title,
        slug=unique_slug(ContentItem, title),
        kind=kind,
        summary=f"About {title}.",
        status=status,
        published_at=timezone.now() if status == Status.PUBLISHED else None,
        **fields,
    )


def make_course(title="Admin course", *, lessons=2, status=Status.DRAFT):
    course = make_content(title, kind=ContentKind.COURSE, status=status)
    for n in range(lessons):
        Lesson.objects.create(course=course, title=f"Lesson {n + 1}", position=n)
    return course


def make_path(title="Onboarding path", *, status=Status.DRAFT):
    return LearningPath.objects.create(
        title=title, slug=unique_slug(LearningPath, title), summary=f"About {title}.", status=status
    )


def add_step(path, *, content=None, live_session=None, required=True):
    kind = StepKind.CONTENT if content else StepKind.LIVE_SESSION
    return PathStep.objects.create(
        path=path,
        kind=kind,
        content=content,
        live_session=live_session,
        required=required,
        position=path.steps.count(),
    )


def make_session(title="Office hours", *, starts_in=timedelta(days=7), capacity=10, **fields):
    return LiveSession.objects.create(
        title=title, host="Hana Host", starts_at=timezone.now() + starts_in, capacity=capacity, **fields
    )


def register(session, user, status=RegistrationStatus.REGISTERED):
    return Registration.objects.create(session=session, user=user, status=status)


def positions(path):
    return list(path.steps.order_by("position", "pk").values_list("position", flat=True))


def step_order(path):
    return list(path.steps.order_by("position", "pk").values_list("pk", flat=True))


@pytest.fixture
def article(db):
    return make_content("Published article", status=Status.PUBLISHED)


@pytest.fixture
def course(db):
    return make_course()


@pytest.fixture
def path_with_steps(db, article):
    path = make_path()
    second = make_content("Second article", status=Status.PUBLISHED)
    third = make_content("Third article", status=Status.PUBLISHED)
    for item in (article, second, third):
        add_step(path, content=item)
    return path


@pytest.fixture
def upcoming(db):
    return make_session("Upcoming class")


@pytest.fixture
def past(db):
    return make_session("Past class", starts_in=-timedelta(days=2), duration_minutes=45)


@pytest.fixture
def objects(course, path_with_steps, upcoming, past):
    return {
        "course": course,
        "lesson": course.lessons.first(),
        "path": path_with_steps,
        "step": path_with_steps.steps.first(),
        "upcoming": upcoming,
        "past": past,
    }


PAGES = [
    ("studio_home", None),
    ("studio_content_new", None),
    ("studio_content_edit", "course"),
    ("studio_lesson_new", "course"),
    ("studio_lesson_edit", "lesson"),
    ("studio_path_new", None),
    ("studio_path_edit", "path"),
    ("studio_session_new", None),
    ("studio_session_edit", "upcoming"),
    ("studio_session_edit", "past"),
    ("studio_session_attendance", "past"),
    ("studio_session_attendance", "upcoming"),
]
ACTIONS = [
    ("studio_content_publish", "course", {"published": "1"}),
    ("studio_lesson_move", "lesson", {"direction": "down"}),
    ("studio_lesson_delete", "lesson", {}),
    ("studio_path_publish", "path", {"published": "1"}),
    ("studio_step_add", "path", {"kind": "content"}),
    ("studio_step_move", "step", {"direction": "down"}),
    ("studio_step_remove", "step", {}),
    ("studio_session_cancel", "upcoming", {}),
    ("studio_session_attendance", "past", {"attended": []}),
    ("studio_content_new", None, {"title": "Sneaky", "kind": "article", "summary": "x", "level": "beginner"}),
]


def url_of(name, key, objects):
    return reverse(name, args=[objects[key].pk]) if key else reverse(name)


def snapshot():
    """What the refused requests must leave unchanged."""
    return (
        list(ContentItem.objects.order_by("pk").values_list("pk", "status")),
        list(Lesson.objects.order_by("pk").values_list("pk", "position")),
        list(LearningPath.objects.order_by("pk").values_list("pk", "status")),
        list(PathStep.objects.order_by("pk").values_list("pk", "position")),
        list(LiveSession.objects.order_by("pk").values_list("pk", "cancelled_at")),
        list(Registration.objects.values_list("pk", "attended")),
    )


# --- Who may use the Studio ----------------------------------------------------------------------


class TestAccess:
    @pytest.mark.parametrize(("name", "key"), PAGES)
    def test_content_admin_sees_every_page(self, client_of, content, objects, name, key):
        response = client_of(content).get(url_of(name, key, objects))
        assert response.status_code == 200
        assert "<html" in response.text

    @pytest.mark.parametrize("who", ["alice", "carol", "csm"])
    def test_other_roles_are_refused_every_page(self, request, client_of, objects, who):
        client = client_of(request.getfixturevalue(who))
        for name, key in PAGES:
            assert client.get(url_of(name, key, objects)).status_code == 403, name

    @pytest.mark.parametrize("who", ["alice", "carol", "csm"])
    def test_other_roles_change_nothing(self, request, client_of, objects, who):
        client = client_of(request.getfixturevalue(who))
        before = snapshot()
        for name, key, data in ACTIONS:
            assert client.post(url_of(name, key, objects), data).status_code == 403, name
            assert client.post(url_of(name, key, objects), data, **HTMX).status_code == 403, name
        assert snapshot() == before

    def test_anonymous_is_sent_to_sign_in(self, client, objects):
        before = snapshot()
        for name, key in PAGES:
            response = client.get(url_of(name, key, objects))
            assert response.status_code == 302 and response.url.startswith(reverse("login")), name
        for name, key, data in ACTIONS:
            response = client.post(url_of(name, key, objects), data)
            assert response.status_code == 302 and response.url.startswith(reverse("login")), name
        assert snapshot() == before

    def test_actions_refuse_get(self, client_of, content, objects):
        client = client_of(content)
        for name, key, _ in ACTIONS:
            if name not in ("studio_session_attendance", "studio_content_new"):
                assert client.get(url_of(name, key, objects)).status_code == 405, name

    def test_unknown_objects_are_404(self, client_of, content):
        client = client_of(content)
        assert client.get(reverse("studio_content_edit", args=[999])).status_code == 404
        assert client.post(reverse("studio_step_move", args=[999]), {"direction": "up"}).status_code == 404

    def test_lessons_only_for_courses(self, client_of, content, article):
        assert client_of(content).get(reverse("studio_lesson_new", args=[article.pk])).status_code == 404


# --- Overview ---------------------------------------------------------------------------------------


class TestStudioHome:
    url = reverse("studio_home")

    def test_lists_each_kind_of_row(self, client_of, content, objects, alice):
        Enrolment.objects.create(user=alice, path=objects["path"])
        register(objects["upcoming"], alice)
        register(objects["upcoming"], UserFactory(), status=RegistrationStatus.WAITLISTED)
        client = client_of(content)
        text = client.get(self.url).text
        assert "Admin course" in text and "Draft" in text and "Published" in text
        text = client.get(self.url, {"tab": "paths"}).text
        assert "Onboarding path" in text
        text = client.get(self.url, {"tab": "sessions"}).text
        assert "Upcoming class" in text and "1 / 10" in text and "Past class" not in text
        text = client.get(self.url, {"tab": "sessions", "status": "past"}).text
        assert "Past class" in text and "Upcoming class" not in text

    def test_filters_by_status(self, client_of, content, article, course):
        client = client_of(content)
        text = client.get(self.url, {"status": "published"}).text
        assert "Published article" in text and "Admin course" not in text
        text = client.get(self.url, {"status": "draft"}).text
        assert "Admin course" in text and "Published article" not in text
        assert client.get(self.url, {"status": "nonsense", "tab": "nonsense"}).status_code == 200

    def test_empty_states_call_to_action(self, client_of, content):
        client = client_of(content)
        assert "Create the first item" in client.get(self.url).text
        assert "Create a path" in client.get(self.url, {"tab": "paths"}).text
        assert "Schedule a session" in client.get(self.url, {"tab": "sessions"}).text
        assert "Clear the filter" in client.get(self.url, {"status": "draft"}).text

    def test_paginates_by_twenty(self, client_of, content):
        for n in range(25):
            make_content(f"Item {n:02}")
        client = client_of(content)
        first = client.get(self.url).text
        assert "Page 1 of 2" in first
        second = client.get(self.url, {"page": 2}).text
        assert second.count("studio/content/") - second.count("studio/content/new") == 5

    @pytest.mark.parametrize("tab", ["content", "paths", "sessions"])
    def test_query_count_does_not_grow(self, client_of, content, alice, django_assert_max_num_queries, tab):
        def add_rows():
            for n in range(20):
                course = make_course(f"Course {n}", lessons=2)
                path = make_path(f"Path {n}")
                add_step(path, content=course)
                Enrolment.objects.create(user=alice, path=path)
                session = make_session(f"Session {n}")
                register(session, alice)

        add_rows()
        client = client_of(content)
        # session, user, three tab totals, page count, page rows
        with django_assert_max_num_queries(7) as small:
            assert client.get(self.url, {"tab": tab}).status_code == 200
        add_rows()
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert client.get(self.url, {"tab": tab}).status_code == 200


# --- Content and lessons ----------------------------------------------------------------------


def content_data(**changes):
    data = {
        "title": "Dashboards 101",
        "kind": "article",
        "summary": "Build your first dashboard.",
        "body": "## Why\n\nBecause.",
        "video_url": "",
        "level": "beginner",
        "vertical": "",
        "estimated_minutes": "15",
    }
    data.update(changes)
    return data


class TestContent:
    def test_create_makes_a_draft_with_a_unique_slug(self, client_of, content):
        area = SkillArea.objects.create(name="Reporting")
        skill = area.skills.create(name="Dashboards", slug="dashboards")
        client = client_of(content)
        response = client.post(reverse("studio_content_new"), content_data(skills=[skill.pk]))
        item = ContentItem.objects.get()
        assert response.status_code == 302 and response.url == reverse("studio_content_edit", args=[item.pk])
        assert (item.slug, item.status, item.created_by) == ("dashboards-101", Status.DRAFT, content)
        assert list(item.skills.all()) == [skill]
        client.post(reverse("studio_content_new"), content_data())
        assert sorted(ContentItem.objects.values_list("slug", flat=True)) == [
            "dashboards-101",
            "dashboards-101-2",
        ]

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"video_url": "javascript:alert(1)"}, "Enter a full web address starting with https://"),
            ({"video_url": "data:text/html,hi"}, "Enter a full web address starting with https://"),
            ({"title": ""}, "This field is required"),
            ({"body": "x" * 20_001}, "Ensure this value has at most 20000 characters"),
            ({"kind": "video", "video_url": ""}, "A video needs its video link"),
            ({"estimated_minutes": "0"}, "greater than or equal to 1"),
            ({"kind": "podcast"}, "Select a valid choice"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_written(self, client_of, content, changes, message):
        response = client_of(content).post(reverse("studio_content_new"), content_data(**changes))
        assert response.status_code == 400
        assert message in response.text
        assert not ContentItem.objects.exists()

    def test_edit_keeps_the_slug(self, client_of, content, article):
        response = client_of(content).post(
            reverse("studio_content_edit", args=[article.pk]), content_data(title="A new title")
        )
        assert response.status_code == 302
        article.refresh_from_db()
        assert article.title == "A new title" and article.slug == "published-article"

    def test_a_course_with_lessons_keeps_its_type(self, client_of, content, course):
        response = client_of(content).post(
            reverse("studio_content_edit", args=[course.pk]), content_data(kind="article")
        )
        assert response.status_code == 400 and "This course has lessons" in response.text
        course.refresh_from_db()
        assert course.kind == ContentKind.COURSE

    def test_publish_and_unpublish(self, client_of, content, course):
        client = client_of(content)
        url = reverse("studio_content_publish", args=[course.pk])
        response = client.post(url, {"published": "1"}, follow=True)
        assert "is published" in response.text
        course.refresh_from_db()
        assert course.status == Status.PUBLISHED and course.published_at
        page = client.get(reverse("studio_content_edit", args=[course.pk])).text
        assert "data-confirm=" in page and "Unpublish" in page
        client.post(url, {"published": "0"})
        course.refresh_from_db()
        assert course.status == Status.DRAFT

    def test_a_course_without_lessons_is_not_published(self, client_of, content):
        empty = make_course("Empty course", lessons=0)
        response = client_of(content).post(
            reverse("studio_content_publish", args=[empty.pk]), {"published": "1"}, follow=True
        )
        assert "Add at least one lesson before publishing the course." in response.text
        empty.refresh_from_db()
        assert empty.status == Status.DRAFT


class TestLessons:
    def test_add_edit_move_delete(self, client_of, content, course):
        client = client_of(content)
        response = client.post(
            reverse("studio_lesson_new", args=[course.pk]),
            {"title": "Lesson 3", "body": "Text", "video_url": "", "estimated_minutes": "5"},
        )
        assert response.status_code == 302
        first, second, third = course.lessons.order_by("position")
        assert (third.title, third.position) == ("Lesson 3", 2)

        client.post(reverse("studio_lesson_move", args=[third.pk]), {"direction": "up"})
        assert list(course.lessons.order_by("position").values_list("title", flat=True)) == [
            "Lesson 1",
            "Lesson 3",
            "Lesson 2",
        ]

        page = client.get(reverse("studio_content_edit", args=[course.pk])).text
        assert 'data-confirm="Delete the lesson' in page

        client.post(reverse("studio_lesson_delete", args=[first.pk]))
        assert list(course.lessons.order_by("position").values_list("title", "position")) == [
            ("Lesson 3", 0),
            ("Lesson 2", 1),
        ]

        client.post(
            reverse("studio_lesson_edit", args=[second.pk]),
            {"title": "Lesson two", "body": "", "video_url": "", "estimated_minutes": "7"},
        )
        second.refresh_from_db()
        assert (second.title, second.estimated_minutes) == ("Lesson two", 7)

    def test_bad_lesson_is_explained(self, client_of, content, course):
        response = client_of(content).post(
            reverse("studio_lesson_new", args=[course.pk]),
            {"title": "Bad", "body": "", "video_url": "javascript:alert(1)", "estimated_minutes": "5"},
        )
        assert response.status_code == 400 and "starting with https://" in response.text
        assert course.lessons.count() == 2

    def test_move_with_htmx_returns_only_the_list(self, client_of, content, course):
        first = course.lessons.order_by("position").first()
        response = client_of(content).post(
            reverse("studio_lesson_move", args=[first.pk]), {"direction": "down"}, **HTMX
        )
        assert response.status_code == 200
        assert "<html" not in response.text and 'id="lessons"' in response.text
        assert course.lessons.order_by("position").last() == first

    def test_last_lesson_of_a_published_course_stays(self, client_of, content):
        course = make_course("Short course", lessons=1, status=Status.PUBLISHED)
        response = client_of(content).post(
            reverse("studio_lesson_delete", args=[course.lessons.get().pk]), follow=True
        )
        assert "A published course needs at least one lesson" in response.text
        assert course.lessons.count() == 1


# --- Paths and steps ----------------------------------------------------------------------------


def path_data(**changes):
    data = {
        "title": "Admin essentials",
        "summary": "Run the product.",
        "description": "",
        "level": "beginner",
        "vertical": "",
    }
    data.update(changes)
    return data


class TestPaths:
    def test_create_with_audience(self, client_of, content):
        response = client_of(content).post(
            reverse("studio_path_new"),
            path_data(job_roles=["administrator", "developer"], segments=["smb"]),
        )
        path = LearningPath.objects.get()
        assert response.status_code == 302 and response.url == reverse("studio_path_edit", args=[path.pk])
        assert (path.slug, path.status) == ("admin-essentials", Status.DRAFT)
        assert path.job_roles == ["administrator", "developer"] and path.segments == ["smb"]

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"title": ""}, "This field is required"),
            ({"job_roles": ["astronaut"]}, "Select a valid choice"),
            ({"description": "x" * 20_001}, "at most 20000 characters"),
        ],
    )
    def test_bad_input_is_explained(self, client_of, content, changes, message):
        response = client_of(content).post(reverse("studio_path_new"), path_data(**changes))
        assert response.status_code == 400 and message in response.text
        assert not LearningPath.objects.exists()

    def test_prerequisites_exclude_the_path_itself_and_cycles(self, client_of, content):
        first, second = make_path("First"), make_path("Second")
        second.prerequisites.add(first)
        client = client_of(content)
        url = reverse("studio_path_edit", args=[first.pk])
        page = client.get(url).text
        assert f'name="prerequisites" value="{second.pk}"' in page
        assert f'name="prerequisites" value="{first.pk}"' not in page
        response = client.post(url, path_data(title="First", prerequisites=[first.pk]))
        assert response.status_code == 400 and "Select a valid choice" in response.text
        response = client.post(url, path_data(title="First", prerequisites=[second.pk]))
        assert response.status_code == 400 and "already requires this path" in response.text
        assert not first.prerequisites.exists()

    def test_publishing_without_steps_is_refused(self, client_of, content):
        path = make_path()
        response = client_of(content).post(
            reverse("studio_path_publish", args=[path.pk]), {"published": "1"}, follow=True
        )
        assert "Add at least one step before publishing the path." in response.text
        path.refresh_from_db()
        assert path.status == Status.DRAFT

    def test_publishing_with_draft_content_is_refused(self, client_of, content, path_with_steps):
        add_step(path_with_steps, content=make_content("Unfinished guide"))
        response = client_of(content).post(
            reverse("studio_path_publish", args=[path_with_steps.pk]), {"published": "1"}, follow=True
        )
        assert "Publish its content first: Unfinished guide." in response.text
        path_with_steps.refresh_from_db()
        assert path_with_steps.status == Status.DRAFT

    def test_publish_and_unpublish(self, client_of, content, path_with_steps):
        client = client_of(content)
        url = reverse("studio_path_publish", args=[path_with_steps.pk])
        assert "is published" in client.post(url, {"published": "1"}, follow=True).text
        path_with_steps.refresh_from_db()
        assert path_with_steps.is_published
        page = client.get(reverse("studio_path_edit", args=[path_with_steps.pk])).text
        assert 'data-confirm="Unpublish' in page
        client.post(url, {"published": "0"})
        path_with_steps.refresh_from_db()
        assert not path_with_steps.is_published

    def test_edit_page_query_count_does_not_grow(
        self, client_of, content, path_with_steps, upcoming, django_assert_max_num_queries
    ):
        add_step(path_with_steps, live_session=upcoming)
        client = client_of(content)
        url = reverse("studio_path_edit", args=[path_with_steps.pk])
        # session, user, path, its skills and prerequisites, steps, enrolment count, the choices of
        # skills, prerequisites, content and sessions; a registered step type adds its choices and titles.
        with django_assert_max_num_queries(11 + 2 * len(step_types.registered_kinds())) as small:
            assert client.get(url).status_code == 200
        for n in range(20):
            add_step(path_with_steps, content=make_content(f"Extra {n}"))
            add_step(path_with_steps, live_session=make_session(f"Extra session {n}"))
            make_path(f"Other path {n}")
        with django_assert_max_num_queries(len(small.captured_queries)):
            response = client.get(url)
        assert response.text.count("studio/steps/") >= 43


class TestSteps:
    def test_add_content_and_session_steps(self, client_of, content, upcoming):
        path = make_path()
        item = make_content("Draft guide")
        client = client_of(content)
        url = reverse("studio_step_add", args=[path.pk])
        response = client.post(url, {"kind": "content", "content": item.pk, "required": "on"})
        assert response.status_code == 302 and response.url.endswith("#steps")
        client.post(url, {"kind": "live_session", "live_session": upcoming.pk})
        first, second = path.steps.order_by("position")
        assert (first.kind, first.content, first.required, first.position) == ("content", item, True, 0)
        assert (second.kind, second.live_session, second.required, second.position) == (
            "live_session",
            upcoming,
            False,
            1,
        )

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"kind": "content"}, "Choose the content item for this step."),
            ({"kind": "live_session"}, "Choose the live session for this step."),
            (
                {"kind": "content", "content": "ARTICLE", "live_session": "SESSION"},
                "A content step has no live session",
            ),
            (
                {"kind": "live_session", "content": "ARTICLE", "live_session": "SESSION"},
                "A live session step has no content item",
            ),
            ({"kind": "live_session", "live_session": "CANCELLED"}, "Select a valid choice"),
            ({"kind": "quiz", "content": "ARTICLE"}, "Select a valid choice"),
            ({}, "This field is required"),
        ],
    )
    def test_bad_steps_are_explained(self, client_of, content, article, upcoming, data, message):
        path = make_path()
        cancelled = make_session("Cancelled class", cancelled_at=timezone.now())
        ids = {"ARTICLE": article.pk, "SESSION": upcoming.pk, "CANCELLED": cancelled.pk}
        data = {key: ids.get(value, value) for key, value in data.items()}
        response = client_of(content).post(reverse("studio_step_add", args=[path.pk]), data)
        assert response.status_code == 400
        assert message in response.text
        assert not path.steps.exists()

    def test_move_without_javascript(self, client_of, content, path_with_steps):
        a, b, c = step_order(path_with_steps)
        client = client_of(content)
        response = client.post(reverse("studio_step_move", args=[c]), {"direction": "up"})
        assert response.status_code == 302 and response.url.endswith("#steps")
        assert step_order(path_with_steps) == [a, c, b]
        client.post(reverse("studio_step_move", args=[a]), {"direction": "up"})  # already first
        assert step_order(path_with_steps) == [a, c, b]
        client.post(reverse("studio_step_move", args=[a]), {"direction": "down"})
        assert step_order(path_with_steps) == [c, a, b]
        assert positions(path_with_steps) == [0, 1, 2]

    def test_move_with_htmx_returns_only_the_step_list(self, client_of, content, path_with_steps):
        a, b, c = step_order(path_with_steps)
        response = client_of(content).post(
            reverse("studio_step_move", args=[a]), {"direction": "down"}, **HTMX
        )
        assert response.status_code == 200
        assert "<html" not in response.text
        assert response.text.lstrip().startswith('<section class="card stack" id="steps"')
        assert "Steps (3)" in response.text
        assert step_order(path_with_steps) == [b, a, c]

    def test_bad_direction_is_explained(self, client_of, content, path_with_steps):
        a = step_order(path_with_steps)[0]
        response = client_of(content).post(
            reverse("studio_step_move", args=[a]), {"direction": "sideways"}, **HTMX
        )
        assert response.status_code == 200 and "Move a step up or down." in response.text

    def test_remove_renumbers(self, client_of, content, path_with_steps):
        a, b, c = step_order(path_with_steps)
        client = client_of(content)
        page = client.get(reverse("studio_path_edit", args=[path_with_steps.pk])).text
        assert 'data-confirm="Remove the step' in page
        response = client.post(reverse("studio_step_remove", args=[b]), follow=True)
        assert "The step was removed." in response.text
        assert step_order(path_with_steps) == [a, c]
        assert positions(path_with_steps) == [0, 1]

    def test_remove_with_htmx_returns_only_the_step_list(self, client_of, content, path_with_steps):
        a, b, c = step_order(path_with_steps)
        response = client_of(content).post(reverse("studio_step_remove", args=[a]), **HTMX)
        assert response.status_code == 200
        assert "<html" not in response.text and "Steps (2)" in response.text
        assert step_order(path_with_steps) == [b, c] and positions(path_with_steps) == [0, 1]

    def test_a_completed_step_is_not_removed(self, client_of, content, path_with_steps, alice):
        step = path_with_steps.steps.first()
        enrolment = Enrolment.objects.create(user=alice, path=path_with_steps)
        StepCompletion.objects.create(enrolment=enrolment, step=step)
        response = client_of(content).post(reverse("studio_step_remove", args=[step.pk]), **HTMX)
        assert "Learners have completed this step" in response.text
        assert path_with_steps.steps.count() == 3

    def test_reordering_keeps_positions_contiguous(self, client_of, content, path_with_steps, upcoming):
        client = client_of(content)
        for _ in range(3):
            client.post(
                reverse("studio_step_add", args=[path_with_steps.pk]),
                {"kind": "live_session", "live_session": upcoming.pk},
            )
        order = step_order(path_with_steps)
        client.post(reverse("studio_step_remove", args=[order[1]]))
        client.post(reverse("studio_step_move", args=[order[5]]), {"direction": "up"}, **HTMX)
        client.post(reverse("studio_step_remove", args=[order[0]]), **HTMX)
        client.post(reverse("studio_step_move", args=[order[2]]), {"direction": "down"})
        client.post(
            reverse("studio_step_add", args=[path_with_steps.pk]),
            {"kind": "live_session", "live_session": upcoming.pk},
        )
        assert positions(path_with_steps) == list(range(5))
        assert step_order(path_with_steps)[:4] == [order[3], order[2], order[5], order[4]]


# --- Live sessions --------------------------------------------------------------------------------


def session_data(**changes):
    starts = timezone.localtime(timezone.now() + timedelta(days=3))
    data = {
        "title": "Reporting clinic",
        "kind": "office_hours",
        "description": "Bring your questions.",
        "host": "Hana Host",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "60",
        "capacity": "12",
        "join_url": "https://meet.example.com/clinic",
        "level": "beginner",
        "vertical": "",
        "recording_url": "",
    }
    data.update(changes)
    return data


class TestSessions:
    def test_create(self, client_of, content):
        response = client_of(content).post(reverse("studio_session_new"), session_data())
        session = LiveSession.objects.get()
        assert response.status_code == 302 and response.url == reverse(
            "studio_session_edit", args=[session.pk]
        )
        assert session.capacity == 12 and session.starts_at > timezone.now()

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"starts_at": "2020-01-01T10:00"}, "Choose a time in the future."),
            ({"starts_at": "soon"}, "Enter a valid date/time"),
            # Its end would fall after year 9999: the session page failed with a 500.
            ({"starts_at": "9999-12-31T23:30"}, "Choose a time within the next ten years."),
            ({"capacity": "0"}, "A session needs at least one seat."),
            ({"join_url": "javascript:alert(1)"}, "Enter a full web address starting with https://"),
            ({"recording_url": "vbscript:msgbox"}, "Enter a full web address starting with https://"),
            ({"duration_minutes": "1"}, "greater than or equal to 5"),
            ({"title": ""}, "This field is required"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_written(self, client_of, content, changes, message):
        response = client_of(content).post(reverse("studio_session_new"), session_data(**changes))
        assert response.status_code == 400
        assert message in response.text
        assert not LiveSession.objects.exists()

    def test_a_past_session_gets_its_recording(self, client_of, content, past):
        url = reverse("studio_session_edit", args=[past.pk])
        client = client_of(content)
        starts = timezone.localtime(past.starts_at).strftime("%Y-%m-%dT%H:%M")
        response = client.post(
            url,
            session_data(
                title="Past class", starts_at=starts, recording_url="https://video.example.com/rec/1"
            ),
        )
        assert response.status_code == 302
        past.refresh_from_db()
        assert past.recording_url == "https://video.example.com/rec/1"
        # Moving it to another past time is not an edit that makes sense.
        earlier = timezone.localtime(past.starts_at - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        response = client.post(url, session_data(title="Past class", starts_at=earlier))
        assert response.status_code == 400 and "Choose a time in the future." in response.text

    def test_capacity_stays_above_seats_taken(self, client_of, content, upcoming):
        for _ in range(3):
            register(upcoming, UserFactory())
        starts = timezone.localtime(upcoming.starts_at).strftime("%Y-%m-%dT%H:%M")
        response = client_of(content).post(
            reverse("studio_session_edit", args=[upcoming.pk]), session_data(starts_at=starts, capacity="2")
        )
        assert response.status_code == 400 and "3 people already hold a seat" in response.text

    def test_raising_capacity_promotes_the_waiting_list(self, client_of, content, alice, bob):
        session = make_session(capacity=1)
        register(session, alice)
        waiting = register(session, bob, status=RegistrationStatus.WAITLISTED)
        starts = timezone.localtime(session.starts_at).strftime("%Y-%m-%dT%H:%M")
        response = client_of(content).post(
            reverse("studio_session_edit", args=[session.pk]), session_data(starts_at=starts, capacity="2")
        )
        assert response.status_code == 302
        waiting.refresh_from_db()
        assert waiting.status == RegistrationStatus.REGISTERED

    def test_cancel(self, client_of, content, upcoming):
        client = client_of(content)
        page = client.get(reverse("studio_session_edit", args=[upcoming.pk])).text
        assert 'data-confirm="Cancel' in page
        response = client.post(reverse("studio_session_cancel", args=[upcoming.pk]), follow=True)
        assert "was cancelled" in response.text
        upcoming.refresh_from_db()
        assert upcoming.cancelled_at is not None

    def test_a_past_session_is_not_cancelled(self, client_of, content, past):
        response = client_of(content).post(reverse("studio_session_cancel", args=[past.pk]), follow=True)
        assert "it cannot be cancelled" in response.text
        past.refresh_from_db()
        assert past.cancelled_at is None


class TestAttendance:
    def test_lists_the_registered_with_current_attendance(self, client_of, content, past, alice, bob, carol):
        register(past, alice).__class__.objects.filter(user=alice).update(attended=True)
        register(past, bob)
        register(past, carol, status=RegistrationStatus.WAITLISTED)
        page = client_of(content).get(reverse("studio_session_attendance", args=[past.pk])).text
        assert f'value="{alice.pk}" id="attended-{alice.pk}" checked' in page
        assert f'value="{bob.pk}" id="attended-{bob.pk}">' in page
        assert f'value="{carol.pk}"' not in page and "On the waiting list (1)" in page

    def test_marking_records_the_interaction_and_completes_steps(self, client_of, content, past, alice, bob):
        register(past, alice)
        register(past, bob)
        path = make_path()
        step = add_step(path, live_session=past)
        enrolment = Enrolment.objects.create(user=alice, path=path)
        response = client_of(content).post(
            reverse("studio_session_attendance", args=[past.pk]), {"attended": [alice.pk]}, follow=True
        )
        assert "Attendance saved: 1 of 2 people attended." in response.text
        attendance = dict(past.registrations.values_list("user", "attended"))
        assert attendance == {alice.pk: True, bob.pk: False}
        interactions = Interaction.objects.filter(kind="learning.session_attended")
        assert [(i.user_id, i.value) for i in interactions] == [(alice.pk, 45 * 60.0)]
        assert StepCompletion.objects.filter(enrolment=enrolment, step=step).exists()

    def test_someone_not_registered_cannot_be_marked(self, client_of, content, past, alice, bob):
        register(past, alice)
        response = client_of(content).post(
            reverse("studio_session_attendance", args=[past.pk]), {"attended": [bob.pk]}
        )
        assert response.status_code == 400 and "Select a valid choice" in response.text
        assert not Interaction.objects.filter(kind="learning.session_attended").exists()

    def test_not_before_the_session_starts(self, client_of, content, upcoming, alice):
        registration = register(upcoming, alice)
        client = client_of(content)
        assert (
            "once the session has started"
            in client.get(reverse("studio_session_attendance", args=[upcoming.pk])).text
        )
        response = client.post(
            reverse("studio_session_attendance", args=[upcoming.pk]), {"attended": [alice.pk]}, follow=True
        )
        assert "Attendance can be marked once the session has started." in response.text
        registration.refresh_from_db()
        assert registration.attended is None
