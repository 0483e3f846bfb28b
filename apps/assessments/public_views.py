"""Public pages of certifications, open to anyone with the link (no sign-in):

- the verification page of an award and its printable certificate, at the award's unguessable code;
- Open Badges 2.0 hosted verification: the issuer profile, a BadgeClass per published
  certification, an Assertion per award (410 Gone once revoked) and a generated SVG badge image.
  https://www.imsglobal.org/sites/default/files/Badges/OBv2p0Final/index.html

An unknown code gets the same 404 whatever it looks like, so the page tells nothing about which
codes exist. JSON and images carry `Access-Control-Allow-Origin: *`: badge validators and wallets
fetch them from other origins.
"""

from __future__ import annotations

import hashlib
import html
import re
import textwrap
from email.utils import parseaddr

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_cache_control
from django.utils.html import escape
from django.views.decorators.http import require_safe

from apps.assessments import selectors
from apps.assessments.models import Award, Certification
from apps.core.markdown import plain_text

OPEN_BADGES_CONTEXT = "https://w3id.org/openbadges/v2"
CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")  # what an award code can look like
STATUS_LABELS = {"valid": "Valid", "expired": "Expired", "revoked": "Revoked"}
ROBOTS = "noindex, nofollow, noarchive"


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def _award(code: str) -> Award | None:
    if not CODE.fullmatch(code):
        return None
    return selectors.award_by_code(code=code)


def _open_to_all(response: HttpResponse, *, max_age: int | None = 300) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    if max_age is None:
        patch_cache_control(response, no_cache=True, public=True)
    else:
        patch_cache_control(response, public=True, max_age=max_age)
    return response


def _ld_json(data: dict, *, status: int = 200, max_age: int | None = 300) -> JsonResponse:
    response = JsonResponse(data, status=status, content_type="application/ld+json")
    return _open_to_all(response, max_age=max_age)


def _not_found_json() -> JsonResponse:
    response = JsonResponse({"error": "not found"}, status=404)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _page(request, template: str, context: dict, *, status: int = 200) -> TemplateResponse:
    response = TemplateResponse(
        request, template, {"portal_name": settings.PORTAL_NAME, **context}, status=status
    )
    response["X-Robots-Tag"] = ROBOTS
    patch_cache_control(response, no_cache=True, private=True)
    return response


def _not_found_page(request) -> TemplateResponse:
    return _page(request, "assessments/public/not_found.html", {}, status=404)


def _award_context(award: Award) -> dict:
    user, certification = award.user, award.certification
    status = award.status
    renewed = None
    if status != "valid":
        renewed = (
            Award.objects.valid()
            .filter(certification=certification, user=user, cycle__gt=award.cycle)
            .order_by("-cycle")
            .first()
        )
    return {
        "award": award,
        "certification": certification,
        "holder": user.full_name or "Name not given",
        "summary": html.unescape(plain_text(certification.description, limit=240)),
        "status": status,
        "status_label": STATUS_LABELS[status],
        "renewed": renewed,
        "issuer": settings.PORTAL_NAME,
        "issuer_url": settings.SITE_URL,
        "verify_url": _absolute(reverse("award_verify", args=[award.code])),
        "certificate_url": reverse("award_certificate", args=[award.code]),
        "assertion_url": reverse("badge_assertion", args=[award.code]),
        "badge_image_url": reverse("badge_image", args=[certification.slug]),
    }


# --- Pages ---------------------------------------------------------------------------------------


@require_safe
def award_verify(request, code):
    award = _award(code)
    if award is None:
        return _not_found_page(request)
    return _page(request, "assessments/public/verify.html", _award_context(award))


@require_safe
def award_certificate(request, code):
    award = _award(code)
    if award is None:
        return _not_found_page(request)
    return _page(request, "assessments/public/certificate.html", _award_context(award))


# --- Open Badges 2.0 -----------------------------------------------------------------------------


def _issuer_id() -> str:
    return _absolute(reverse("badge_issuer"))


def _badge_class_id(certification: Certification) -> str:
    return _absolute(reverse("badge_class", args=[certification.slug]))


def _criteria_url(certification: Certification) -> str:
    try:
        return _absolute(reverse("certification_detail", args=[certification.slug]))
    except NoReverseMatch:
        return _absolute(f"/certifications/{certification.slug}/")


def _iso(moment) -> str:
    return moment.replace(microsecond=0).isoformat()


@require_safe
def badge_issuer(request):
    return _ld_json(
        {
            "@context": OPEN_BADGES_CONTEXT,
            "type": "Issuer",
            "id": _issuer_id(),
            "name": settings.PORTAL_NAME,
            "url": settings.SITE_URL,
            "email": parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
        }
    )


@require_safe
def badge_class(request, slug):
    certification = Certification.objects.published().filter(slug=slug).first()
    if certification is None:
        return _not_found_json()
    return _ld_json(
        {
            "@context": OPEN_BADGES_CONTEXT,
            "type": "BadgeClass",
            "id": _badge_class_id(certification),
            "name": certification.title,
            "description": html.unescape(plain_text(certification.description, limit=2000)),
            "image": _absolute(reverse("badge_image", args=[certification.slug])),
            "criteria": {"id": _criteria_url(certification), "narrative": certification.criteria},
            "issuer": _issuer_id(),
        }
    )


@require_safe
def badge_assertion(request, code):
    award = _award(code)
    if award is None:
        return _not_found_json()
    assertion_id = _absolute(reverse("badge_assertion", args=[award.code]))
    if award.revoked_at:
        # OBv2 hosted verification: a revoked assertion answers 410 Gone with the reason.
        return _ld_json(
            {
                "@context": OPEN_BADGES_CONTEXT,
                "id": assertion_id,
                "type": "Assertion",
                "revoked": True,
                "revocationReason": award.revoke_reason,
            },
            status=410,
            max_age=None,
        )
    identity = hashlib.sha256((award.user.email + award.recipient_salt).encode()).hexdigest()
    return _ld_json(
        {
            "@context": OPEN_BADGES_CONTEXT,
            "type": "Assertion",
            "id": assertion_id,
            "recipient": {
                "type": "email",
                "hashed": True,
                "salt": award.recipient_salt,
                "identity": f"sha256${identity}",
            },
            "badge": _badge_class_id(award.certification),
            "verification": {"type": "HostedBadge"},
            "issuedOn": _iso(award.issued_at),
            "expires": _iso(award.expires_at),
        },
        max_age=None,  # a revocation must show at once
    )


@require_safe
def badge_image(request, slug):
    certification = Certification.objects.published().filter(slug=slug).first()
    if certification is None:
        response = HttpResponse("Not found", status=404, content_type="text/plain; charset=utf-8")
        response["Access-Control-Allow-Origin"] = "*"
        return response
    response = HttpResponse(badge_svg(certification.title), content_type="image/svg+xml")
    return _open_to_all(response, max_age=3600)


def badge_svg(title: str, issuer: str | None = None) -> str:
    """A hexagonal medal with the title wrapped on up to four lines and the issuer on a ribbon."""
    issuer = issuer or settings.PORTAL_NAME
    lines = textwrap.wrap(title, width=13, break_long_words=True) or [""]
    if len(lines) > 4:
        lines = [*lines[:3], textwrap.shorten(" ".join(lines[3:]), width=13, placeholder="…")]
    # As large as fits inside the inner ring (about 140 px wide; a bold glyph is ~0.6 em).
    size = min({1: 24, 2: 22, 3: 20, 4: 17}[len(lines)], 140 / (0.62 * max(len(line) for line in lines)))
    leading = size * 1.2
    first = 136 - leading * (len(lines) - 1) / 2 + size * 0.35
    text = "".join(
        f'<tspan x="120" y="{first + n * leading:.1f}">{escape(line)}</tspan>' for n, line in enumerate(lines)
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="264" viewBox="0 0 240 264" '
        f'role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)} ({escape(issuer)})</title>"
        '<polygon points="120,6 222,65 222,183 120,242 18,183 18,65" fill="#0a4750"/>'
        '<polygon points="120,20 210,72 210,176 120,228 30,176 30,72" fill="#0f5f6b" '
        'stroke="#e3f0f1" stroke-width="3"/>'
        '<polygon points="120,36 196,80 196,168 120,212 44,168 44,80" fill="none" '
        'stroke="#7fb5bc" stroke-width="1.5" stroke-dasharray="4 4"/>'
        '<path d="M120 50 l6 12 13 2 -9.5 9 2.3 13 -11.8-6.2 -11.8 6.2 2.3-13 -9.5-9 13-2z" fill="#f2c14e"/>'
        '<text font-family="system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif" '
        f'font-size="{size:.1f}" font-weight="700" fill="#ffffff" text-anchor="middle">{text}</text>'
        '<path d="M40 210 h160 l-12 16 12 16 h-160 l12-16z" fill="#f2c14e"/>'
        '<text x="120" y="231" font-family="system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif" '
        f'font-size="12" font-weight="700" fill="#0a4750" text-anchor="middle" letter-spacing="1">'
        f"{escape(issuer.upper()[:22])}</text>"
        "</svg>"
    )
