"""Small pieces every curation ("studio") page uses: form binding, slugged saves, counts."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.text import slugify


def posted(request):
    """The POST data for a form on a page that GETs and POSTs to the same URL."""
    return request.POST if request.method == "POST" else None


def unique_slug(model, title: str, *, exclude_pk: int | None = None) -> str:
    """A slug of `title` no other row of `model` uses (adding -2, -3, ... when needed)."""
    base = slugify(title)[:180] or "item"
    slug, n = base, 2
    qs = model.objects.exclude(pk=exclude_pk) if exclude_pk else model.objects.all()
    while qs.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def save_with_slug(form, model, **extra):
    """Save a new or edited ModelForm instance with its many-to-many rows, in one transaction.
    New objects get a unique slug from their title; existing ones keep theirs (links stay valid)."""
    obj = form.save(commit=False)
    for name, value in extra.items():
        setattr(obj, name, value)
    if obj.pk is None:
        obj.slug = unique_slug(model, obj.title)
    with transaction.atomic():
        obj.save()
        form.save_m2m()
    return obj


def count_of(model, field: str, *, distinct: str = "", **filters) -> Coalesce:
    """A correlated COUNT (of `distinct` values when given), so several counts on one row do not
    multiply each other's joins."""
    rows = (
        model.objects.filter(**{field: OuterRef("pk")}, **filters)
        .order_by()
        .values(field)
        .annotate(n=Count(distinct, distinct=True) if distinct else Count("pk"))
    )
    return Coalesce(Subquery(rows.values("n"), output_field=IntegerField()), 0)
