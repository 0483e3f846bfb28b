"""Tests of apps/assessments/public_views.py: verification page, printable certificate and Open
Badges 2.0 hosted verification. None of them needs a sign-in."""

import hashlib
import json
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from apps.assessments import services
from tests.assessments.factories import AwardFactory, CertificationFactory

OB_CONTEXT = "https://w3id.org/openbadges/v2"


@pytest.fixture
def certification(db):
    return CertificationFactory(
        title="Certified Dashboard Designer",
        slug="dashboard-designer",
        description="Holders **design** dashboards that teams use every day & trust.",
        criteria="Pass the *Dashboards exam* and complete the Reporting path.",
    )


@pytest.fixture
def award(alice, certification):
    return AwardFactory(certification=certification, user=alice)


def absolute(path):
    return settings.SITE_URL + path


# --- Verification page ---------------------------------------------------------------------------


def test_the_verification_page_of_a_valid_award(client, award):
    response = client.get(reverse("award_verify", args=[award.code]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Alice Archer" in page
    assert "Certified Dashboard Designer" in page
    assert "<strong>design</strong>" in page  # the description is rendered markdown
    assert f"{award.issued_at:%B %Y}" in page and f"{award.expires_at:%B %Y}" in page
    assert "Valid" in page and "verify__status--valid" in page
    assert settings.PORTAL_NAME in page
    assert reverse("badge_assertion", args=[award.code]) in page
    assert reverse("award_certificate", args=[award.code]) in page
    assert '<meta name="robots" content="noindex' in page
    assert response["X-Robots-Tag"].startswith("noindex")
    assert "alice@a.example" not in page  # the holder's e-mail address stays private


def test_the_verification_page_of_an_expired_award(client, alice, certification):
    award = AwardFactory(certification=certification, user=alice, expired=True)
    page = client.get(reverse("award_verify", args=[award.code])).content.decode()
    assert "verify__status--expired" in page
    assert f"This certification expired on {award.expires_at.day} {award.expires_at:%B %Y}." in page


def test_an_expired_award_that_was_renewed_says_so(client, alice, certification):
    old = AwardFactory(certification=certification, user=alice, expired=True)
    renewed = AwardFactory(certification=certification, user=alice, cycle=2)
    page = client.get(reverse("award_verify", args=[old.code])).content.decode()
    assert "has since renewed" in page
    assert renewed.code not in page  # the newer credential's code is not given away


def test_the_verification_page_of_a_revoked_award_gives_the_reason(client, award, content):
    services.award_revoke(award=award, by=content, reason="Exam answers were shared <publicly>.")
    page = client.get(reverse("award_verify", args=[award.code])).content.decode()
    assert "verify__status--revoked" in page and "Revoked" in page
    assert "Exam answers were shared &lt;publicly&gt;." in page
    assert "<publicly>" not in page


@pytest.mark.parametrize(
    "code",
    ["doesnotexist12345678901", "x", "a" * 32, "a" * 200, "has spaces", "bad!chars", "%00", "é"],
)
def test_an_unknown_code_gets_a_404_that_reveals_nothing(client, award, code):
    response = client.get(f"/verify/{code}/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "We could not verify this certificate" in page
    assert "Alice" not in page and "Certified Dashboard Designer" not in page
    reference = client.get("/verify/zzzzzzzzzzzzzzzzzzzzzzzz/").content.decode()
    assert page == reference  # the same page whatever the code looks like
    certificate = client.get(f"/verify/{code}/certificate/")
    assert certificate.status_code == 404 and certificate.content.decode() == reference


def test_the_printable_certificate(client, award):
    response = client.get(reverse("award_certificate", args=[award.code]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Certificate of achievement" in page
    assert "Alice Archer" in page and "Certified Dashboard Designer" in page
    assert absolute(reverse("award_verify", args=[award.code])) in page
    assert "design dashboards that teams use every day &amp; trust" in page  # plain summary, escaped once
    assert "certificate__watermark" not in page
    assert "certificate-page" in page  # the body class the print rules hang on


@pytest.mark.parametrize(("trait", "label"), [("expired", "Expired"), ("revoked", "Revoked")])
def test_a_certificate_that_is_no_longer_valid_has_a_watermark(client, alice, certification, trait, label):
    award = AwardFactory(certification=certification, user=alice, **{trait: True})
    page = client.get(reverse("award_certificate", args=[award.code])).content.decode()
    assert f'<p class="certificate__watermark" aria-hidden="true">{label}</p>' in page
    assert f"<strong>{label}</strong>" in page  # said in words too, not only by the watermark


def test_public_pages_need_no_sign_in_and_work_signed_in_too(client, award, bob):
    urls = [
        reverse("award_verify", args=[award.code]),
        reverse("award_certificate", args=[award.code]),
        reverse("badge_issuer"),
        reverse("badge_class", args=[award.certification.slug]),
        reverse("badge_assertion", args=[award.code]),
        reverse("badge_image", args=[award.certification.slug]),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url
    client.force_login(bob)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_public_pages_accept_only_safe_methods(client, award):
    assert client.post(reverse("award_verify", args=[award.code])).status_code == 405
    assert client.post(reverse("badge_assertion", args=[award.code])).status_code == 405


# --- Open Badges 2.0 -----------------------------------------------------------------------------


def ld(response, status=200):
    assert response.status_code == status
    assert response["Content-Type"] == "application/ld+json"
    assert response["Access-Control-Allow-Origin"] == "*"
    return json.loads(response.content)


def test_the_issuer_profile(client, db):
    data = ld(client.get("/badges/issuer.json"))
    assert data == {
        "@context": OB_CONTEXT,
        "type": "Issuer",
        "id": absolute("/badges/issuer.json"),
        "name": settings.PORTAL_NAME,
        "url": settings.SITE_URL,
        "email": "no-reply@cairn.example",
    }


def test_the_badge_class_of_a_published_certification(client, certification):
    data = ld(client.get(f"/badges/{certification.slug}.json"))
    assert data["@context"] == OB_CONTEXT
    assert data["type"] == "BadgeClass"
    assert data["id"] == absolute(f"/badges/{certification.slug}.json")
    assert data["name"] == "Certified Dashboard Designer"
    assert data["description"] == "Holders design dashboards that teams use every day & trust."
    assert data["image"] == absolute(f"/badges/{certification.slug}.svg")
    assert data["criteria"]["narrative"] == certification.criteria
    assert data["criteria"]["id"].startswith(settings.SITE_URL + "/")
    assert certification.slug in data["criteria"]["id"]
    assert data["issuer"] == absolute("/badges/issuer.json")
    # Every id resolves on this site.
    for url in (data["id"], data["image"], data["issuer"]):
        assert client.get(url.removeprefix(settings.SITE_URL)).status_code == 200


def test_unpublished_and_unknown_badge_classes_are_404(client, db):
    draft = CertificationFactory(draft=True)
    for slug in (draft.slug, "no-such-certification"):
        response = client.get(f"/badges/{slug}.json")
        assert response.status_code == 404 and response.json() == {"error": "not found"}
        assert client.get(f"/badges/{slug}.svg").status_code == 404


def test_the_assertion_of_an_award(client, award, alice):
    data = ld(client.get(f"/badges/assertions/{award.code}.json"))
    assert data["@context"] == OB_CONTEXT
    assert data["type"] == "Assertion"
    assert data["id"] == absolute(f"/badges/assertions/{award.code}.json")
    assert data["badge"] == absolute(f"/badges/{award.certification.slug}.json")
    assert data["verification"] == {"type": "HostedBadge"}
    recipient = data["recipient"]
    assert recipient["type"] == "email" and recipient["hashed"] is True
    assert recipient["salt"] == award.recipient_salt
    expected = hashlib.sha256((alice.email + award.recipient_salt).encode()).hexdigest()
    assert recipient["identity"] == f"sha256${expected}"
    assert alice.email not in json.dumps(data)  # the address itself is never published
    issued = timezone.datetime.fromisoformat(data["issuedOn"])
    expires = timezone.datetime.fromisoformat(data["expires"])
    assert issued.tzinfo is not None and expires.tzinfo is not None
    assert abs(issued - award.issued_at) < timedelta(seconds=1)
    assert abs(expires - award.expires_at) < timedelta(seconds=1)


def test_an_expired_award_still_has_its_assertion_with_the_expiry(client, alice, certification):
    award = AwardFactory(certification=certification, user=alice, expired=True)
    data = ld(client.get(f"/badges/assertions/{award.code}.json"))
    assert timezone.datetime.fromisoformat(data["expires"]) < timezone.now()


def test_a_revoked_assertion_is_gone(client, award, content):
    services.award_revoke(award=award, by=content, reason="Issued in error.")
    data = ld(client.get(f"/badges/assertions/{award.code}.json"), status=410)
    assert data == {
        "@context": OB_CONTEXT,
        "id": absolute(f"/badges/assertions/{award.code}.json"),
        "type": "Assertion",
        "revoked": True,
        "revocationReason": "Issued in error.",
    }


@pytest.mark.parametrize("code", ["nope", "a" * 40, "bad!chars"])
def test_an_unknown_assertion_is_404_json(client, award, code):
    response = client.get(f"/badges/assertions/{code}.json")
    assert response.status_code == 404
    assert response.json() == {"error": "not found"}


def test_the_badge_image_is_an_escaped_svg(client, db):
    certification = CertificationFactory(
        title='Data & "API" <integration> expert with a rather long certification title'
    )
    response = client.get(f"/badges/{certification.slug}.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Access-Control-Allow-Origin"] == "*"
    body = response.content.decode()
    assert "<integration>" not in body and "&lt;integration&gt;" in body
    root = ElementTree.fromstring(body)  # noqa: S314  (well-formed XML; our own output)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "Data &" in root.find("{http://www.w3.org/2000/svg}title").text
    lines = root.findall(".//{http://www.w3.org/2000/svg}tspan")
    assert 1 < len(lines) <= 4
