"""Health score settings for CS managers: the current rules of every segment with their version
history, the editor that saves the next version, and a button to recompute today's scores."""

from __future__ import annotations

from decimal import Decimal

from celery.result import EagerResult
from django.contrib import messages
from django.core.cache import cache
from django.db.models import Count, Max
from django.http import Http404
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from apps.accounts.models import Segment
from apps.accounts.permissions import cs_manager_required
from apps.analytics import services, tasks
from apps.analytics.config_forms import HealthConfigForm, RuleFormSet, number, rule_initial
from apps.analytics.models import COMPONENT_LABELS, COMPONENTS, HealthConfig, HealthSnapshot
from apps.core.numbers import round_half_away
from apps.interactions import kinds as registry

ALL = "all"  # the URL name of the default rules (segment "")
SEGMENTS = [("", "All segments"), *Segment.choices]
SEGMENT_LABELS = dict(SEGMENTS)
HISTORY_SHOWN = 10
# "Recompute today now" queues at most one recompute per this many seconds (a double click, or
# two CS managers at once, must not queue the same work twice).
RECOMPUTE_GUARD_SECONDS = 300


def _segment_from_slug(slug: str) -> str:
    if slug == ALL:
        return ""
    if slug in Segment.values:
        return slug
    raise Http404("No such segment.")


def _summary(config: HealthConfig) -> dict:
    """What a version says, in the words the settings page shows."""
    total = sum(float(config.weights.get(name, 0)) for name in COMPONENTS)
    return {
        "rules": [
            {**rule, "kind_labels": [registry.label(kind) for kind in rule["kinds"]]} for rule in config.rules
        ],
        "required": config.required_rules,
        "components": [
            {
                "label": COMPONENT_LABELS[name],
                "weight": number(config.weights.get(name, 0)),
                "share": 100 * float(config.weights.get(name, 0)) / total if total else None,
            }
            for name in COMPONENTS
        ],
        "drop_percent": number(round_half_away(Decimal(str(config.drop_threshold)) * 100, 1)),
        "core_kind_labels": [registry.label(kind) for kind in config.core_kinds],
    }


@require_http_methods(["GET", "POST"])
@cs_manager_required
def health_settings(request):
    """Per segment, the rules in force and every version saved; POST recomputes today's scores."""
    if request.method == "POST":
        return _recompute(request)
    default = services.health_config_current(segment="")  # writes version 1 on a fresh install
    # Every version (a few per segment: people write them), then the number of snapshots of only
    # the versions shown, in one grouped query: joining every snapshot ever written to count
    # them all would grow with accounts x days.
    versions = list(HealthConfig.objects.select_related("created_by").order_by("segment", "-version"))
    histories = {value: [c for c in versions if c.segment == value] for value, _ in SEGMENTS}
    shown = [config for history in histories.values() for config in history[:HISTORY_SHOWN]]
    counts = dict(
        HealthSnapshot.objects.filter(config_id__in=[config.pk for config in shown])
        .order_by()
        .values("config_id")
        .annotate(n=Count("id"))
        .values_list("config_id", "n")
    )
    for config in shown:
        config.snapshot_count = counts.get(config.pk, 0)
    sections = []
    for value, label in SEGMENTS:
        history = histories[value]
        config = history[0] if history else default
        sections.append(
            {
                "value": value,
                "slug": value or ALL,
                "label": label,
                "own": bool(history),
                "config": config,
                "summary": _summary(config) if history else None,
                "history": history[:HISTORY_SHOWN],
                "older": max(0, len(history) - HISTORY_SHOWN),
            }
        )
    latest = HealthSnapshot.objects.aggregate(day=Max("date"))["day"]
    return TemplateResponse(
        request,
        "analytics/health_settings.html",
        {"sections": sections, "default": default, "latest": latest},
    )


def _recompute(request):
    # cache.add is atomic: of two presses within the guard, only the first queues a recompute.
    key = f"health-recompute-{timezone.localdate()}"
    if not cache.add(key, True, timeout=RECOMPUTE_GUARD_SECONDS):
        messages.info(request, "A recompute started less than 5 minutes ago; scores will be ready shortly.")
        return redirect("health_settings")
    try:
        result = tasks.recompute_health.delay()
    except Exception:
        cache.delete(key)  # nothing was queued (the broker is down): let the next press try again
        raise
    if isinstance(result, EagerResult):  # no broker (development, tests): it has already run
        written = result.get()
        messages.success(
            request, f"Recomputed today's and yesterday's scores: {written} snapshot{pluralize(written)}."
        )
    else:
        messages.success(
            request, "Recomputing today's scores in the background: they change within a few minutes."
        )
    return redirect("health_settings")


@require_http_methods(["GET", "POST"])
@cs_manager_required
def health_settings_edit(request, segment):
    """Edit a segment's rules ("all" for the default), pre-filled from the version in force; saving
    writes the next version and never changes an old one."""
    value = _segment_from_slug(segment)
    current = services.health_config_current(segment=value)  # the segment's own, else the default
    data = request.POST if request.method == "POST" else None
    form = HealthConfigForm(data, initial=HealthConfigForm.initial_from(current))
    formset = RuleFormSet(data, initial=rule_initial(current), prefix="rules")
    status = 200
    if data is not None:
        valid = form.is_valid()
        valid = formset.is_valid() and valid  # both, so every error shows at once
        if valid:
            try:
                config = services.health_config_save(
                    by=request.user, segment=value, rules=formset.rules(), **form.save_kwargs()
                )
            except services.AnalyticsError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    f"Saved version {config.version} of the {SEGMENT_LABELS[value]} rules. Scores change "
                    "on the next recompute (within the hour, or “Recompute today now”); stored scores keep "
                    "their version.",
                )
                return redirect("health_settings")  # the top of the page, where the message shows
        status = 400
    return TemplateResponse(
        request,
        "analytics/health_settings_edit.html",
        {
            "form": form,
            "formset": formset,
            "segment": segment,
            "segment_label": SEGMENT_LABELS[value],
            "current": current,
            "own": current.segment == value,
            # Errors next to fields far down a long form: the summary at the top points to them.
            "field_errors": any(name != "__all__" for name in form.errors) or any(formset.errors),
        },
        status=status,
    )
