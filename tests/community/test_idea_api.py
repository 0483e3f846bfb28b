"""The ideas API."""

from django.urls import reverse

from apps.community.models import Idea, Vote
from tests.community.factories import IdeaFactory, ProductAreaFactory, VoteFactory


def test_list_is_scoped_and_filtered(client_of, alice):
    IdeaFactory(title="Dark mode")
    IdeaFactory(title="Hidden", hidden=True)
    IdeaFactory(title="Shipped", status="shipped")
    client = client_of(alice)
    titles = [i["title"] for i in client.get(reverse("api-idea-list")).json()["results"]]
    assert set(titles) == {"Dark mode", "Shipped"}
    assert [
        i["title"] for i in client.get(reverse("api-idea-list"), {"status": "shipped"}).json()["results"]
    ] == ["Shipped"]
    assert client.get(reverse("api-idea-list"), {"sort": "sideways"}).status_code == 400


def test_detail_hides_hidden(client_of, alice):
    idea = IdeaFactory(hidden=True)
    assert client_of(alice).get(reverse("api-idea-detail", args=[idea.pk])).status_code == 404


def test_create_good_and_bad_input(client_of, alice):
    ProductAreaFactory(name="Reporting", slug="reporting")
    client = client_of(alice)
    response = client.post(
        reverse("api-idea-create"),
        {"title": "Dark mode", "description": "Please", "areas": ["reporting"]},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["areas"] == ["reporting"]
    response = client.post(
        reverse("api-idea-create"), {"title": "", "areas": ["nope"]}, content_type="application/json"
    )
    assert response.status_code == 400 and {"title", "description", "areas"} <= response.json().keys()
    assert Idea.objects.count() == 1


def test_anonymous_is_refused(client, db):
    assert client.get(reverse("api-idea-list")).status_code in (401, 403)


def test_vote_and_unvote(client_of, alice):
    idea = IdeaFactory()
    client = client_of(alice)
    url = reverse("api-idea-vote", args=[idea.pk])
    body = client.post(url).json()
    assert body["vote_count"] == 1 and body["has_voted"] is True
    assert client.delete(url).json()["vote_count"] == 0
    assert not Vote.objects.exists()
    closed = IdeaFactory(status="declined")
    assert client.post(reverse("api-idea-vote", args=[closed.pk])).status_code == 400


def test_demand_is_staff_only(client_of, alice, csm):
    idea = IdeaFactory()
    VoteFactory(idea=idea, user=alice)
    assert client_of(alice).get(reverse("api-idea-demand")).status_code == 403
    rows = client_of(csm).get(reverse("api-idea-demand"), {"ids": str(idea.pk)}).json()
    assert rows[0]["accounts"] == 1 and rows[0]["voters"] == 1
    assert client_of(csm).get(reverse("api-idea-demand"), {"ids": "x"}).status_code == 400
