import pytest
from django.urls import reverse

from apps.interactions.models import IntegrationToken

URL = reverse("integration_list")


def test_cs_manager_creates_a_token_shown_once(client_of, csm):
    client = client_of(csm)
    response = client.post(URL, {"name": "Support desk"})
    assert response.status_code == 200
    token = IntegrationToken.objects.get(name="Support desk")
    assert token.source == "support-desk"
    assert "shown only once" in response.text
    assert response.context["new_token"].startswith(token.prefix)
    assert response.context["new_token"] not in client.get(URL).text


@pytest.mark.parametrize("name", ["", "!!!", "Cairn", "support desk"])
def test_bad_or_taken_names_are_explained(client_of, csm, name):
    client = client_of(csm)
    client.post(URL, {"name": "Support desk"})
    response = client.post(URL, {"name": name})
    assert response.status_code == 400
    assert IntegrationToken.objects.count() == 1


def test_revoke(client_of, csm):
    client = client_of(csm)
    client.post(URL, {"name": "Support desk"})
    token = IntegrationToken.objects.get()
    response = client.post(reverse("integration_revoke", args=[token.pk]), follow=True)
    assert "was revoked" in response.text
    token.refresh_from_db()
    assert not token.is_live


@pytest.mark.parametrize("who", ["alice", "carol", "sam", "content"])
def test_only_cs_managers(request, client_of, who, csm):
    client = client_of(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"name": "Sneaky"}).status_code == 403
    assert not IntegrationToken.objects.exists()
