"""Bad input, proven: hostile markdown is rendered inert everywhere it is shown; odd unicode, wrong
content types, oversized bodies and malformed CSV files get a clear refusal (never a 500), and a
refused request writes nothing.

Every test sends real requests through the whole stack (middleware, views, forms or serializers,
services, the database) and then looks at the database as well as at the response.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.crm_import import MAX_FILE_BYTES
from apps.accounts.models import Account, ImportJob, ImportStatus, User
from apps.accounts.services import invitation_create
from apps.community.models import Answer, Comment, Idea, Question
from apps.core.markdown import render
from apps.engagement.models import Action
from apps.engagement.services import Trigger, occurrence_create
from apps.interactions.models import Interaction
from apps.interactions.services import integration_token_create
from apps.notifications.models import Notification
from apps.roadmap.models import ProductUpdate, RoadmapItem
from apps.surveys.models import Response
from apps.surveys.tokens import invitation_token
from tests.assessments.factories import (
    AssessmentFactory,
    AttemptFactory,
    AwardFactory,
    CertificationFactory,
    QuestionFactory,
)
from tests.community.factories import IdeaFactory
from tests.engagement.factories import MomentFactory
from tests.learning.factories import ContentItemFactory, LearningPathFactory, LiveSessionFactory
from tests.surveys.factories import InvitationFactory

# --- Markdown -------------------------------------------------------------------------------------

# Text the pages must show as text, so a test can tell the content was rendered at all.
MARKER = "cairn-hostile-markdown"

HOSTILE_MARKDOWN = {
    "script": "<script>alert('x')</script>",
    "script in svg": "<svg><script>alert('x')</script></svg>",
    "nested script": "<<script>script>alert('x')<</script>/script>",
    "img onerror": "<img src=x onerror=alert('x')>",
    "svg onload": "<svg onload=alert('x')>",
    "onclick link": '<a href="#" onclick="alert(\'x\')">click</a>',
    "details ontoggle": "<details open ontoggle=alert('x')>",
    "javascript link": "[click](javascript:alert('x'))",
    "javascript link, mixed case": "[click](JaVaScRiPt:alert('x'))",
    "javascript link, entity": "[click](&#106;avascript:alert('x'))",
    "javascript link, &colon;": "[click](javascript&colon;alert('x'))",
    "javascript link, reference": "[click][evil]\n\n[evil]: javascript:alert('x')",
    "javascript image": "![pic](javascript:alert('x'))",
    "vbscript link": "[click](vbscript:msgbox('x'))",
    "data link": "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgneCcpPC9zY3JpcHQ+)",
    "data svg image": "![pic](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "raw javascript href": "<a href='javascript:alert(1)'>click</a>",
    "iframe": "<iframe src='https://evil.example/'></iframe>",
    "style": "<style>body { display: none }</style>",
    "style attribute": "<p style='position:fixed;inset:0'>cover</p>",
    "object": "<object data='javascript:alert(1)'></object>",
    "form": "<form action='javascript:alert(1)'><button>Go</button></form>",
    "base": "<base href='javascript:alert(1)//'>",
    "meta refresh": "<meta http-equiv='refresh' content='0;url=javascript:alert(1)'>",
    "math": "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
    "entities": "&lt;script&gt;alert('x')&lt;/script&gt; &#60;img src=x onerror=alert(1)&#62;",
    "title attribute break-out": "[click](https://ok.example \"t\" onmouseover=alert('x'))",
    "table cell": "| a |\n|---|\n| <script>alert('x')</script> |",
    "code": "```\n<script>alert('x')</script>\n```",
}
HOSTILE_DOCUMENT = MARKER + "\n\n" + "\n\n".join(HOSTILE_MARKDOWN.values())

# Elements no user-written text may produce, and attributes that take a URL.
FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "style", "svg", "math"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "cite"}
ACTIVE_SCHEMES = {"javascript", "vbscript", "data"}
STATIC_PREFIX = "/" + settings.STATIC_URL.lstrip("/")
C0_CONTROLS_AND_SPACE = "".join(map(chr, range(0x21)))


class _ActiveContent(HTMLParser):
    """Whatever in an HTML document could run script or restyle the page: scripts other than
    Cairn's own static files, embedding elements, event handlers, inline styles and
    javascript:/vbscript:/data: URLs. Attribute values arrive with their entities decoded."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not (attributes.get("src") or "").startswith(STATIC_PREFIX):
                self.found.append(f"<script {attributes}>")
        if tag in FORBIDDEN_TAGS:
            self.found.append(f"<{tag}>")
        if tag == "meta" and "http-equiv" in attributes:
            self.found.append("<meta http-equiv>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "srcdoc"):
                self.found.append(f"<{tag} {name}=…>")
            elif name in URL_ATTRIBUTES and _scheme(value or "") in ACTIVE_SCHEMES:
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline script {data[:40]!r}")


def _scheme(url: str) -> str:
    """The scheme a browser would see: leading and trailing controls and spaces go, as do tabs
    and newlines anywhere (the URL standard strips them), and case does not matter."""
    cleaned = re.sub(r"[\t\n\r]", "", url.strip(C0_CONTROLS_AND_SPACE))
    match = re.match(r"([a-zA-Z][a-zA-Z0-9+.\-]*):", cleaned)
    return match.group(1).lower() if match else ""


def active_content(html: str) -> list[str]:
    parser = _ActiveContent()
    parser.feed(html)
    parser.close()
    return parser.found


@pytest.mark.parametrize("source", HOSTILE_MARKDOWN.values(), ids=HOSTILE_MARKDOWN.keys())
def test_rendered_markdown_has_no_active_content(source):
    html = render(source)
    assert active_content(html) == []
    # The template filter that every page uses gives the same, marked safe only after cleaning.
    assert Template("{% load cairn %}{{ text|markdown }}").render(Context({"text": source})) == html


def test_markdown_keeps_what_people_legitimately_write():
    """The sanitiser is an allow-list, not a wall: the checks above can fail for a real reason."""
    html = render("## Steps\n\n1. **Open** [the docs](https://docs.example/setup)\n2. Run `make`\n")
    assert '<a href="https://docs.example/setup" rel="noopener noreferrer nofollow">the docs</a>' in html
    assert "<strong>Open</strong>" in html and "<code>make</code>" in html and "<h3>Steps</h3>" in html
    assert active_content('<a href=" jav&#x09;ascript:alert(1)">x</a>') != [], "the checker itself works"


def _assert_page_is_inert(client: Client, url: str) -> None:
    page = client.get(url)
    assert page.status_code == 200, url
    html = page.content.decode()
    assert MARKER in html, f"{url} does not show the text under test"
    assert active_content(html) == [], url
    assert "&lt;script&gt;" in html, f"{url} should show the markup as text"


@pytest.mark.django_db
class TestHostileMarkdownOnPages:
    """What customers write goes through the real forms and API; what the vendor's staff write is
    stored directly. Then every page that shows it is read as a browser would."""

    def test_ideas_and_comments(self, client_of, alice, bob, content):
        client = client_of(alice)
        response = client.post(
            reverse("idea_new"),
            {"title": "<script>alert('t')</script> idea", "description": HOSTILE_DOCUMENT},
        )
        assert response.status_code == 302
        idea = Idea.objects.get(author=alice)
        assert idea.description == HOSTILE_DOCUMENT, "stored as written; made safe when shown"
        client_of(bob).post(reverse("idea_comment", args=[idea.pk]), {"body": HOSTILE_DOCUMENT})
        assert Comment.objects.get(idea=idea).body == HOSTILE_DOCUMENT
        for reader in (alice, content):
            _assert_page_is_inert(client_of(reader), idea.get_absolute_url())
        _assert_page_is_inert(client_of(alice), reverse("idea_list"))

    def test_questions_and_answers(self, client_of, alice, bob, content):
        asked = client_of(alice).post(
            reverse("api-question-list"),
            {"title": "<img src=x onerror=alert(1)>?", "body": HOSTILE_DOCUMENT},
            content_type="application/json",
        )
        assert asked.status_code == 201
        question = Question.objects.get(pk=asked.json()["id"])
        answered = client_of(bob).post(
            reverse("api-question-answer-create", args=[question.pk]),
            {"body": HOSTILE_DOCUMENT},
            content_type="application/json",
        )
        assert answered.status_code == 201
        assert Answer.objects.get(question=question).body == HOSTILE_DOCUMENT
        for reader in (alice, bob, content):
            _assert_page_is_inert(client_of(reader), question.get_absolute_url())

    def test_learning_content_paths_and_sessions(self, client_of, alice):
        course = ContentItemFactory(course=True, lessons=1, body=HOSTILE_DOCUMENT)
        lesson = course.lessons.get()
        lesson.body = HOSTILE_DOCUMENT
        lesson.save(update_fields=["body"])
        path = LearningPathFactory(description=HOSTILE_DOCUMENT, steps=[course])
        session = LiveSessionFactory(description=HOSTILE_DOCUMENT)
        client = client_of(alice)
        for url in (course.get_absolute_url(), lesson.get_absolute_url(), path.get_absolute_url()):
            _assert_page_is_inert(client, url)
        _assert_page_is_inert(client, session.get_absolute_url())

    def test_assessments_and_certificates(self, client_of, alice, content):
        question = QuestionFactory(text=HOSTILE_DOCUMENT, explanation=HOSTILE_DOCUMENT)
        assessment = AssessmentFactory(description=HOSTILE_DOCUMENT, questions=[question])
        open_attempt = AttemptFactory(user=alice, assessment=assessment, open=True)
        learner = client_of(alice)
        _assert_page_is_inert(learner, assessment.get_absolute_url())
        _assert_page_is_inert(learner, reverse("attempt_take", args=[open_attempt.pk]))
        _assert_page_is_inert(client_of(content), reverse("studio_question_edit", args=[question.pk]))
        certification = CertificationFactory(description=HOSTILE_DOCUMENT)
        award = AwardFactory(certification=certification, user=alice)
        _assert_page_is_inert(Client(), award.get_absolute_url())  # the public verification page

    def test_roadmap_updates_and_items(self, client_of, alice):
        update = ProductUpdate.objects.create(
            title="<script>alert(1)</script>", body=HOSTILE_DOCUMENT, published_at=timezone.now()
        )
        RoadmapItem.objects.create(title="Item <b>x</b>", description=HOSTILE_DOCUMENT)
        client = client_of(alice)
        _assert_page_is_inert(client, reverse("update_detail", args=[update.pk]))
        _assert_page_is_inert(client, reverse("roadmap"))

    def test_moment_messages_in_notifications(
        self, client_of, carol, account_a, django_capture_on_commit_callbacks
    ):
        moment = MomentFactory(
            action=Action.MESSAGE, message_subject="<script>alert(1)</script>", message_body=HOSTILE_DOCUMENT
        )
        with django_capture_on_commit_callbacks(execute=True):
            occurrence_create(moment=moment, account=account_a, key="hostile", trigger=Trigger(text="Test"))
        assert Notification.objects.get(user=carol).body == HOSTILE_DOCUMENT  # sent to customer admins
        _assert_page_is_inert(client_of(carol), reverse("notification_list"))


# --- Unicode edge cases ---------------------------------------------------------------------------

ODD_BUT_VALID_TEXT = {
    "right-to-left override": "Invoice \u202egpj.exe",
    "zero-width characters": "Zero\u200bwidth\u200d joiner\u2060 and\ufeff BOM",
    "astral characters": "Rocket 🚀, family 👩\u200d👩\u200d👧, maths \U0001d518\U0001d52b\U0001d526",
    "combining marks": "Ze\u0301ro z\u0337\u0322a\u0334l\u0338g\u0336o",
    "right-to-left script": "فكرة جديدة للتقارير",
    "CJK": "ダッシュボードを共有したい",
}


@pytest.mark.django_db
class TestUnicode:
    @pytest.mark.parametrize("text", ODD_BUT_VALID_TEXT.values(), ids=ODD_BUT_VALID_TEXT.keys())
    def test_odd_but_valid_text_is_stored_exactly_and_shown_escaped(self, client_of, alice, text):
        client = client_of(alice)
        api = client.post(
            reverse("api-idea-create"),
            {"title": f"{text} <i>", "description": f"{text}\n\n{MARKER}"},
            content_type="application/json",
        )
        assert api.status_code == 201, api.content
        idea = Idea.objects.get(pk=api.json()["id"])
        assert (idea.title, idea.description) == (f"{text} <i>", f"{text}\n\n{MARKER}")
        assert api.json()["title"] == idea.title
        page = client.get(idea.get_absolute_url())
        assert f"{text} &lt;i&gt;" in page.text and text in page.text

    def test_nul_in_a_form_is_a_clear_error_and_writes_nothing(self, client_of, alice):
        response = client_of(alice).post(
            reverse("idea_new"), {"title": "Nul\x00title", "description": "Fine"}
        )
        assert response.status_code in (200, 400)
        assert "Null characters are not allowed." in response.text
        assert not Idea.objects.exists()

    def test_nul_in_a_comment_writes_nothing(self, client_of, alice, bob):
        idea = IdeaFactory(author=bob)
        response = client_of(alice).post(
            reverse("idea_comment", args=[idea.pk]), {"body": "a\x00b"}, follow=True
        )
        assert response.status_code == 200
        assert "Write a comment first" in response.text
        assert not Comment.objects.exists()
        assert Idea.objects.get(pk=idea.pk).comment_count == 0

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("Nul\u0000byte", "Null characters are not allowed."),
            ("Half a pair \ud83d", "Surrogate characters are not allowed"),
            ("x" * 161, "Ensure this field has no more than 160 characters."),
        ],
        ids=["NUL", "unpaired surrogate", "too long"],
    )
    def test_bad_text_in_api_payloads_is_a_400_with_field_errors(self, client_of, alice, value, message):
        client = client_of(alice)
        # json.dumps writes an unpaired surrogate as the escape \ud83d, as a JavaScript client would.
        for url, payload in (
            (reverse("api-idea-create"), {"title": value, "description": "Fine"}),
            (reverse("api-question-list"), {"title": value, "body": "Fine"}),
        ):
            response = client.post(url, json.dumps(payload), content_type="application/json")
            assert response.status_code == 400, (url, response.content)
            assert message in response.json()["title"][0]
        assert not Idea.objects.exists() and not Question.objects.exists()

    def test_unpaired_surrogate_and_nul_in_a_survey_answer_write_nothing(self, alice):
        invitation = InvitationFactory(user=alice)
        api = Client()
        for comment in ("\ud800 alone", "a\x00b"):
            response = api.post(
                reverse("api-response-submit"),
                json.dumps({"token": invitation_token(invitation), "score": 9, "comment": comment}),
                content_type="application/json",
            )
            assert response.status_code == 400 and "comment" in response.json()
        page = Client().post(
            reverse("survey_respond", args=[invitation_token(invitation)]),
            {"score": "9", "comment": "a\x00b"},
        )
        assert page.status_code == 400 and "Null characters are not allowed." in page.text
        assert not Response.objects.exists()

    def test_nul_in_the_name_on_an_invitation_creates_no_one(self, carol):
        invitation, token = invitation_create(invited_by=carol, email="new@a.example")
        response = Client().post(
            reverse("invitation_accept", args=[token]),
            {
                "full_name": "New\x00comer",
                "password1": "a-Long-passphrase-9",
                "password2": "a-Long-passphrase-9",
            },
        )
        assert response.status_code == 400 and "Null characters are not allowed." in response.text
        assert not User.objects.filter(email="new@a.example").exists()
        invitation.refresh_from_db()
        assert invitation.status == "pending"

    @pytest.mark.parametrize(
        "url",
        [
            "/community/ideas/",
            "/community/questions/",
            "/learn/",
            "/learn/paths/",
            "/customers/",
            "/engagement/tasks/",
            "/api/v1/community/ideas/",
            "/api/v1/questions/",
            "/api/v1/accounts/",
            "/api/v1/users/",
            "/api/v1/learning/content/",
        ],
    )
    def test_nul_broken_utf8_and_long_text_in_query_strings_are_never_a_500(self, client_of, csm, url):
        client = client_of(csm)
        queries = ("q=%00", "q=a%00b", "area=%00", "filter=%00", "sort=%00", "status=%00", "q=%ED%A0%80")
        for query in (*queries, "q=" + "x" * 5000):
            response = client.get(f"{url}?{query}")
            assert response.status_code in (200, 400), (query, response.status_code)

    @pytest.mark.parametrize(
        "url",
        [
            "/invitations/%00/",
            "/verify/%00/",
            "/surveys/r/%00/",
            "/surveys/unsubscribe/%00/",
            "/notifications/unsubscribe/%00/",
            "/learn/digest/unsubscribe/%00/",
            "/analytics/settings/%00/",
            "/badges/assertions/%00.json",
            "/customers/import/template/%00.csv",
        ],
    )
    def test_nul_in_a_path_is_refused_as_a_bad_link(self, client_of, csm, url):
        assert client_of(csm).get(url).status_code in (400, 404, 410)

    @pytest.mark.parametrize("target", ["-1", "a\x00b", "javascript:alert(1)", "//evil.example/", "/x\u202e"])
    def test_a_next_link_that_is_not_a_local_path_is_ignored(self, client_of, alice, bob, target):
        """Redirects after a form follow `next` only to a printable path of this site: redirect()
        takes any other word for a URL name (a 500), and another host is an open redirect."""
        idea = IdeaFactory(author=bob)
        client = client_of(alice)
        flagged = client.post(
            reverse("flag_new"), {"target": "idea", "target_id": idea.pk, "reason": "Spam", "next": target}
        )
        voted = client.post(reverse("idea_vote", args=[idea.pk]), {"next": target})
        assert flagged.status_code == voted.status_code == 302
        assert flagged["Location"] == reverse("question_list")
        assert voted["Location"] == idea.get_absolute_url()

    def test_a_local_next_link_is_followed(self, client_of, alice, bob):
        idea = IdeaFactory(author=bob)
        voted = client_of(alice).post(
            reverse("idea_vote", args=[idea.pk]), {"next": "/community/ideas/?sort=new"}
        )
        assert voted["Location"] == "/community/ideas/?sort=new"

    def test_a_huge_number_in_a_form_is_a_field_error(self, client_of, content):
        """A refused value must not reach the session the page shows again: a huge duration
        overflows its end time."""
        session = LiveSessionFactory()
        response = client_of(content).post(
            reverse("studio_session_edit", args=[session.pk]),
            {
                "title": session.title,
                "kind": session.kind,
                "host": session.host,
                "starts_at": timezone.localtime(session.starts_at).strftime("%Y-%m-%dT%H:%M"),
                "duration_minutes": "9" * 30,
                "capacity": "10",
                "level": session.level,
            },
        )
        assert response.status_code == 400
        assert "Ensure this value is less than or equal to 600." in response.text
        session.refresh_from_db()
        assert session.duration_minutes == 60


# --- Content types --------------------------------------------------------------------------------


@pytest.fixture
def json_endpoints(alice, db):
    """(client, url, a valid JSON payload, a query counting what the payload would create)."""
    invitation = InvitationFactory(user=alice)
    _, raw_token = integration_token_create(name="Support desk", source="support")
    signed_in = Client()
    signed_in.force_login(alice)
    integration = Client(HTTP_AUTHORIZATION=f"Bearer {raw_token}")
    return [
        (signed_in, reverse("api-idea-create"), {"title": "Idea", "description": "Text"}, Idea.objects),
        (signed_in, reverse("api-question-list"), {"title": "Question?", "body": "Text"}, Question.objects),
        (
            Client(),
            reverse("api-response-submit"),
            {"token": invitation_token(invitation), "score": 9, "comment": ""},
            Response.objects,
        ),
        (
            integration,
            reverse("api-events-batch"),
            {
                "events": [
                    {
                        "event_id": "e1",
                        "kind": "product.feature_used",
                        "occurred_at": "2026-01-01T00:00:00Z",
                        "account_external_id": alice.account.external_id,
                    }
                ]
            },
            Interaction.objects,
        ),
    ]


@pytest.mark.django_db
class TestContentTypes:
    def test_each_endpoint_accepts_its_valid_json(self, json_endpoints):
        """The positive control: what the other tests send wrongly is accepted when sent right."""
        for client, url, payload, created in json_endpoints:
            before = created.count()
            response = client.post(url, payload, content_type="application/json")
            assert response.status_code in (200, 201), (url, response.content)
            assert created.count() == before + 1, url

    @pytest.mark.parametrize(
        ("content_type", "body"),
        [
            ("text/plain", "title=Idea"),
            ("application/xml", "<idea><title>Idea</title></idea>"),
            ("application/x-www-form-urlencoded", "title=Idea&description=Text&token=x&score=9"),
            (
                "multipart/form-data; boundary=BoUnDaRy",
                '--BoUnDaRy\r\nContent-Disposition: form-data; name="title"\r\n\r\nIdea\r\n--BoUnDaRy--\r\n',
            ),
        ],
        ids=["text", "xml", "form-encoded", "multipart"],
    )
    def test_anything_but_json_is_a_415_with_a_message(self, json_endpoints, content_type, body):
        for client, url, _, created in json_endpoints:
            before = created.count()
            response = client.post(url, body, content_type=content_type)
            assert response.status_code == 415, (url, content_type, response.status_code)
            assert response.json()["detail"].startswith("Unsupported media type"), url
            assert created.count() == before, url

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ('{"title": "Idea", ', "JSON parse error"),
            ("[" * 100_000 + "]" * 100_000, "JSON parse error"),
            ('{"title": NaN}', "JSON parse error"),
            (b'{"title": "Caf\xe9"}', "JSON parse error"),
            ("null", ""),
            ('"Idea"', ""),
            ("[1, 2]", ""),
        ],
        ids=["truncated", "nested too deeply", "NaN", "latin-1", "null", "a string", "a list"],
    )
    def test_malformed_or_misshapen_json_is_a_400(self, json_endpoints, body, message):
        for client, url, _, created in json_endpoints:
            before = created.count()
            response = client.post(url, body, content_type="application/json")
            assert response.status_code == 400, (url, response.status_code, response.content[:200])
            assert message in json.dumps(response.json()), url
            assert created.count() == before, url


# --- Oversized bodies -----------------------------------------------------------------------------


@pytest.mark.django_db
class TestOversizedBodies:
    def test_a_json_body_over_the_limit_is_a_400_and_writes_nothing(self, json_endpoints):
        padding = "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        for client, url, payload, created in json_endpoints:
            before = created.count()
            response = client.post(url, {**payload, "padding": padding}, content_type="application/json")
            assert response.status_code == 400, (url, response.status_code)
            assert "too large or malformed" in response.json()["detail"], url
            assert created.count() == before, url

    def test_a_form_over_the_limit_is_a_400_and_writes_nothing(self, client_of, alice):
        description = "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        response = client_of(alice).post(reverse("idea_new"), {"title": "Big", "description": description})
        assert response.status_code == 400
        assert b"too large or malformed" in response.content
        assert not Idea.objects.exists()

    def test_a_form_with_too_many_fields_is_a_400(self, client_of, alice):
        fields = {f"f{n}": "1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
        body = "&".join(f"{key}={value}" for key, value in fields.items()) + "&title=Many&description=Fields"
        response = client_of(alice).post(
            reverse("idea_new"), body, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 400
        assert not Idea.objects.exists()

    def test_text_longer_than_a_field_allows_is_a_field_error(self, client_of, alice):
        client = client_of(alice)
        api = client.post(
            reverse("api-idea-create"),
            {"title": "Long", "description": "x" * 10_001},
            content_type="application/json",
        )
        assert api.status_code == 400
        assert api.json()["description"] == ["Ensure this field has no more than 10000 characters."]
        page = client.post(reverse("idea_new"), {"title": "Long", "description": "x" * 10_001})
        assert "Ensure this value has at most 10000 characters (it has 10001)." in page.text
        assert not Idea.objects.exists()


# --- CSV uploads (the CRM import) -----------------------------------------------------------------

ACCOUNTS_HEADER = "Account ID,Account Name,Segment,ARR,Seats\n"
GOOD_ROW = 'CRM-100,Northwind Bank,Enterprise,"$250,000.00",400\n'


def _upload(client: Client, content: bytes | str, name: str = "accounts.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        reverse("crm_import"),
        {"kind": "accounts", "file": SimpleUploadedFile(name, data, content_type="text/csv")},
    )


@pytest.mark.django_db
class TestCsvUploads:
    @pytest.fixture
    def manager(self, client_of, csm, account_a, django_capture_on_commit_callbacks):
        """The CS manager's client; the import task runs when the upload commits, as on Celery."""
        client = client_of(csm)

        def upload(content, name="accounts.csv"):
            with django_capture_on_commit_callbacks(execute=True):
                return _upload(client, content, name)

        return upload

    def test_a_good_file_with_a_byte_order_mark_is_imported(self, manager):
        """The positive control for the refusals below."""
        response = manager(("\ufeff" + ACCOUNTS_HEADER + GOOD_ROW).encode())
        assert response.status_code == 302
        assert ImportJob.objects.get().status == ImportStatus.DONE
        assert Account.objects.filter(external_id="CRM-100", licensed_seats=400).exists()

    @pytest.mark.parametrize(
        ("content", "name", "message"),
        [
            (b"", "accounts.csv", "The submitted file is empty."),
            (b"\xef\xbb\xbf", "accounts.csv", "The file is empty."),
            ((ACCOUNTS_HEADER + "CRM-100,Café,SMB,1,1\n").encode("latin-1"), "accounts.csv", "not UTF-8"),
            ((ACCOUNTS_HEADER + GOOD_ROW).encode("utf-16"), "accounts.csv", "not UTF-8"),
            ((ACCOUNTS_HEADER + "CRM-100,Nul\x00l,SMB,1,1\n").encode(), "accounts.csv", "binary data"),
            (b"Company Id,Customer,Tier,Revenue\nCRM-100,X,SMB,1\n", "accounts.csv", "The file has no"),
            ((ACCOUNTS_HEADER + 'CRM-100,"Unclosed,SMB,1,1\n').encode(), "accounts.csv", "not valid CSV"),
            (
                (ACCOUNTS_HEADER + "CRM-100," + "x" * 200_000 + ",SMB,1,1\n").encode(),
                "accounts.csv",
                "not valid CSV",
            ),
            (b"PK\x03\x04\x14\x00\x06\x00", "accounts.xlsx", "is not a CSV file"),
            (ACCOUNTS_HEADER.encode() + b"x" * MAX_FILE_BYTES, "accounts.csv", "the limit is 5 MB"),
        ],
        ids=[
            "empty",
            "byte-order mark only",
            "latin-1",
            "UTF-16",
            "NUL byte",
            "wrong headers",
            "unclosed quote",
            "huge field",
            "a workbook",
            "over 5 MB",
        ],
    )
    def test_an_unusable_file_is_refused_with_a_reason_and_nothing_is_queued(
        self, manager, account_a, content, name, message
    ):
        response = manager(content, name)
        assert response.status_code == 400
        assert message in response.text
        assert not ImportJob.objects.exists()
        assert list(Account.objects.values_list("name", flat=True)) == ["Account A"]

    def test_bad_rows_are_reported_by_row_and_nothing_is_written(self, manager, client_of, csm, account_a):
        content = (
            ACCOUNTS_HEADER
            + GOOD_ROW
            + (
                "CRM-101,Ragged,SMB,1,1,extra,cells\n"  # more cells than columns
                "CRM-102,Short,SMB\n"  # too few: ARR missing
                f"CRM-103,Huge seats,SMB,1,{'9' * 5000}\n"  # more digits than Python converts
                "CRM-104,Bad amount,SMB,<img src=x onerror=alert(1)>,1\n"  # echoed in the report
                f"CRM-A,{'N' * 201},SMB,1,1\n"  # the existing account, renamed to a too-long name
            )
        )
        response = manager(content)
        assert response.status_code == 302
        job = ImportJob.objects.get()
        assert job.status == ImportStatus.FAILED
        errors = {(error["row"], error["column"]): error["message"] for error in job.errors}
        assert "more cells than the header" in errors[(3, "")]
        assert errors[(4, "ARR")] == "This value is required."
        assert errors[(5, "Seats")].endswith("is too large.")
        assert "is not an amount" in errors[(6, "ARR")]
        assert errors[(7, "Account Name")] == "is longer than 200 characters."
        assert set(Account.objects.values_list("name", flat=True)) == {"Account A"}
        shown = client_of(csm).get(reverse("crm_import_job", args=[job.pk]))
        assert "Nothing was imported" in shown.text
        assert "“&lt;img src=x onerror=alert(1)&gt;” is not an amount" in shown.text
        assert active_content(shown.text) == []
