"""Reads of the community app."""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.accounts.models import Account, Segment, User
from apps.community.models import Comment, Idea, IdeaFollow, IdeaStatus, Vote
from apps.core import markdown
from apps.core.spreadsheet import safe_cell


def idea_audience(*, idea_ids: list[int]) -> QuerySet[User]:
    """Everyone who voted for or follows any of these ideas (once each), active people only.
    The roadmap uses it to tell them when a linked item ships."""
    return User.objects.filter(
        Q(votes__idea__in=idea_ids) | Q(idea_follows__idea__in=idea_ids), is_active=True
    ).distinct()


# --- Ideas ------------------------------------------------------------------------------------

SORTS = {"top": "Top", "trending": "Trending", "new": "Newest"}
TRENDING_WINDOW = timedelta(days=14)
# Older votes weigh 1 / (age in days + 2); the age is taken at the start of each bucket, so the
# score is a handful of conditional COUNTs that every database computes alike.
TRENDING_BUCKETS = (14, 30, 60, 90, 180, 365)


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"\w+", text.lower()) if len(w) >= 3 and w not in STOP_WORDS][:12]


STOP_WORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "into",
        "that",
        "this",
        "when",
        "what",
        "which",
        "should",
        "would",
        "could",
        "can",
        "our",
        "your",
        "their",
        "have",
        "has",
        "not",
        "all",
        "any",
        "are",
        "was",
        "were",
        "will",
        "able",
        "more",
        "less",
        "per",
        "via",
        "use",
        "using",
        "add",
        "new",
        "get",
        "let",
    ]
)


def _search_vector():
    from django.contrib.postgres.search import SearchVector

    return SearchVector("title", weight="A", config="english") + SearchVector(
        "description", weight="B", config="english"
    )


def _search(ideas: QuerySet[Idea], q: str) -> QuerySet[Idea]:
    """Full-text search on PostgreSQL; every word in the title or description elsewhere."""
    if _is_postgres():
        from django.contrib.postgres.search import SearchQuery

        query = SearchQuery(q, search_type="websearch", config="english")
        return ideas.annotate(search=_search_vector()).filter(search=query)
    for word in re.findall(r"\w+", q)[:8]:
        ideas = ideas.filter(Q(title__icontains=word) | Q(description__icontains=word))
    return ideas


def _trending_score():
    now = timezone.now()
    score = Count("votes", filter=Q(votes__created_at__gte=now - TRENDING_WINDOW)) * Value(2.0)
    edges = [*TRENDING_BUCKETS, None]
    for start, end in itertools.pairwise(edges):
        age = Q(votes__created_at__lt=now - timedelta(days=start))
        if end is not None:
            age &= Q(votes__created_at__gte=now - timedelta(days=end))
        score = score + Count("votes", filter=age) * Value(1.0 / (start + 2))
    return ExpressionWrapper(score, output_field=FloatField())


def ideas_for(*, user: User) -> QuerySet[Idea]:
    """Ideas this person may see, with `has_voted` and `is_following` for them."""
    return (
        Idea.objects.visible_to(user)
        .select_related("author", "merged_into")
        .prefetch_related("areas")
        .annotate(
            has_voted=Exists(Vote.objects.filter(idea=OuterRef("pk"), user=user)),
            is_following=Exists(IdeaFollow.objects.filter(idea=OuterRef("pk"), user=user)),
        )
    )


def idea_list(
    *, user: User, sort: str = "top", status: str = "", area: str = "", q: str = ""
) -> QuerySet[Idea]:
    """The ideas board: visible, unmerged ideas, filtered by status, product area (slug) and
    words, sorted by top (votes), trending (recent votes weigh more) or new."""
    ideas = ideas_for(user=user).exclude(status=IdeaStatus.MERGED)
    if status:
        ideas = ideas.filter(status=status)
    if area:
        ideas = ideas.filter(areas__slug=area)
    if q:
        ideas = _search(ideas, q)
    if sort == "new":
        return ideas.order_by("-created_at", "-pk")
    if sort == "trending":
        return ideas.annotate(trending=_trending_score()).order_by(
            "-trending", "-vote_count", "-created_at", "-pk"
        )
    return ideas.order_by("-vote_count", "-created_at", "-pk")


# Plain-text excerpts of idea descriptions, by the digest of the text: rendering markdown was most
# of the board's time, and the board shows the same ideas over and over. Keyed by content, an entry
# is never stale; the oldest are dropped beyond EXCERPTS_KEPT.
EXCERPT_LENGTH = 180
EXCERPTS_KEPT = 4096
_excerpts: dict[tuple[bytes, int], str] = {}
_excerpts_lock = threading.Lock()


def idea_excerpt(description: str, limit: int = EXCERPT_LENGTH) -> str:
    """markdown.plain_text(description, limit), remembered in this process."""
    key = (hashlib.blake2b(description.encode(), digest_size=16).digest(), limit)
    text = _excerpts.get(key)
    if text is None:
        text = markdown.plain_text(description, limit)
        with _excerpts_lock:  # threaded servers: one writer at a time
            if len(_excerpts) >= EXCERPTS_KEPT:
                _excerpts.pop(next(iter(_excerpts), None), None)
            _excerpts[key] = text
    return text


def with_excerpts(ideas: Iterable[Idea]) -> list[Idea]:
    """The ideas as a list, each with `excerpt` set (for the board's rows)."""
    rows = list(ideas)
    for idea in rows:
        idea.excerpt = idea_excerpt(idea.description)
    return rows


def idea_detail(*, user: User, pk: int) -> Idea:
    """One idea the person may see (merged ones too, so the page can redirect). Raises DoesNotExist."""
    return ideas_for(user=user).get(pk=pk)


def idea_comments(*, user: User, idea: Idea) -> QuerySet[Comment]:
    comments = idea.comments.select_related("author")
    if not getattr(user, "is_content_admin", False):
        comments = comments.filter(hidden=False)
    return comments


def similar_ideas(*, user: User, title: str, limit: int = 5) -> list[Idea]:
    """Existing ideas that look like this title, so people can vote instead of posting a
    duplicate: best search rank on PostgreSQL, most shared words elsewhere. Never merged or hidden."""
    words = _words(title)
    if not words:
        return []
    ideas = ideas_for(user=user).exclude(status=IdeaStatus.MERGED).filter(hidden=False)
    if _is_postgres():
        from django.contrib.postgres.search import SearchQuery, SearchRank

        query = SearchQuery(words[0], config="english")
        for word in words[1:]:
            query |= SearchQuery(word, config="english")
        return list(
            ideas.annotate(search=_search_vector())
            .filter(search=query)
            .annotate(rank=SearchRank(_search_vector(), query))
            .order_by("-rank", "-vote_count", "-pk")[:limit]
        )
    match = Q()
    for word in words:
        match |= Q(title__icontains=word)
    candidates = list(ideas.filter(match).order_by("-vote_count", "-pk")[:50])

    def overlap(idea: Idea) -> int:
        title_words = set(re.findall(r"\w+", idea.title.lower()))
        return sum(1 for w in words if any(t.startswith(w[:5]) for t in title_words))

    candidates.sort(key=lambda idea: (-overlap(idea), -idea.vote_count, -idea.pk))
    return candidates[:limit]


# --- Demand by revenue (vendor staff only) ----------------------------------------------------

DEMAND_SORTS = {"arr": "-demand_arr", "accounts": "-demand_accounts", "voters": "-demand_voters"}


def _with_demand(ideas: QuerySet[Idea]) -> QuerySet[Idea]:
    """Annotate unique voters, unique accounts behind them, those accounts' ARR (each account once,
    summed over a distinct-accounts subquery, never over votes) and accounts per segment."""
    voter_accounts = Vote.objects.filter(idea=OuterRef(OuterRef("pk")), user__account__isnull=False).values(
        "user__account"
    )
    arr = (
        Account.objects.filter(pk__in=voter_accounts)
        .order_by()
        .annotate(
            total=Func(F("arr"), function="SUM", output_field=DecimalField(max_digits=16, decimal_places=2))
        )
        .values("total")
    )
    segments = {
        f"demand_{segment}": Count(
            "votes__user__account", distinct=True, filter=Q(votes__user__account__segment=segment)
        )
        for segment in Segment.values
    }
    return ideas.annotate(
        demand_voters=Count("votes__user", distinct=True),
        demand_accounts=Count("votes__user__account", distinct=True),
        demand_arr=Coalesce(
            Subquery(arr[:1]), Value(Decimal("0")), output_field=DecimalField(max_digits=16, decimal_places=2)
        ),
        **segments,
    )


@dataclass(frozen=True)
class Demand:
    voters: int
    accounts: int
    arr: Decimal
    segments: dict[str, int]  # segment label -> accounts

    @property
    def mix(self) -> str:
        return " · ".join(f"{label} {n}" for label, n in self.segments.items() if n) or "—"

    @classmethod
    def of(cls, idea: Idea) -> Demand:
        return cls(
            voters=idea.demand_voters,
            accounts=idea.demand_accounts,
            arr=idea.demand_arr or Decimal("0"),
            segments={label: getattr(idea, f"demand_{value}") for value, label in Segment.choices},
        )


def idea_demand(*, idea_ids: list[int]) -> dict[int, Demand]:
    """Who wants these ideas, by revenue: per idea id, a Demand. For vendor staff only."""
    ideas = _with_demand(Idea.objects.filter(pk__in=idea_ids).order_by())
    return {idea.pk: Demand.of(idea) for idea in ideas}


def ideas_by_demand(*, sort: str = "arr", status: str = "") -> QuerySet[Idea]:
    """The demand report: unmerged ideas with demand, sorted by ARR, accounts or voters."""
    ideas = Idea.objects.exclude(status=IdeaStatus.MERGED).prefetch_related("areas")
    if status:
        ideas = ideas.filter(status=status)
    order = DEMAND_SORTS.get(sort, DEMAND_SORTS["arr"])
    return _with_demand(ideas).order_by(order, "-demand_voters", "-pk")


def demand_csv_rows(*, ideas: QuerySet[Idea]) -> Iterator[list]:
    """The demand table as CSV rows (a header first), every idea of the filtered list."""
    yield ["Idea", "Status", "Voters", "Accounts", "ARR", *[label for _, label in Segment.choices]]
    for idea in ideas.iterator(chunk_size=500):
        demand = Demand.of(idea)
        yield [
            safe_cell(idea.title),
            idea.get_status_display(),
            demand.voters,
            demand.accounts,
            f"{demand.arr:.2f}",
            *demand.segments.values(),
        ]
