"""Public pages: certification verification and Open Badges 2.0 hosted verification (no sign-in)."""

from django.urls import path

from apps.assessments import public_views

urlpatterns = [
    path("verify/<str:code>/", public_views.award_verify, name="award_verify"),
    path("verify/<str:code>/certificate/", public_views.award_certificate, name="award_certificate"),
    path("badges/issuer.json", public_views.badge_issuer, name="badge_issuer"),
    path("badges/assertions/<str:code>.json", public_views.badge_assertion, name="badge_assertion"),
    path("badges/<slug:slug>.json", public_views.badge_class, name="badge_class"),
    path("badges/<slug:slug>.svg", public_views.badge_image, name="badge_image"),
]
