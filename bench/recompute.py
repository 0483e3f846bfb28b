"""The health recompute benchmark: Cairn's full daily recompute beside one hand-written SQL statement
computing the same community-health rules, the refresh of one account after one new interaction,
and the peak memory of the recompute.

Each timed run happens in a fresh child process (`python -m bench.recompute child ...`), so its
peak resident memory is the recompute's own and no warm Python state is shared between runs.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time

from bench.server import ROOT

RECOMPUTE_LIMIT_S = 10.0
RATIO_LIMIT = 1.5
MEMORY_LIMIT_MB = 500

# The community-health rules of METRICS.md as one statement: for each account, the newest
# interaction satisfying each rule in its window ending at t. It is what a person would write by
# hand to get the rules and nothing else; Cairn's recompute does this and the whole scorecard.
HAND_SQL = """
SELECT account_id,
       max(id) FILTER (WHERE kind = ANY(%(content)s) AND occurred_at >= %(t30)s),
       max(id) FILTER (WHERE kind = ANY(%(updates)s) AND occurred_at >= %(t60)s),
       max(id) FILTER (WHERE kind = ANY(%(ideas)s) AND occurred_at >= %(t180)s)
  FROM interactions_interaction
 WHERE account_id IS NOT NULL
   AND kind = ANY(%(all_kinds)s)
   AND occurred_at >= %(t180)s
   AND occurred_at < %(t)s
 GROUP BY account_id
"""


def _rules_params(t) -> dict:
    """The default rules, and their windows [t - N days, t) in the portal's time zone."""
    from datetime import timedelta

    from apps.analytics.models import default_rules

    rules = {rule["key"]: rule["kinds"] for rule in default_rules()}
    return {
        "t": t,
        "t30": t - timedelta(days=30),
        "t60": t - timedelta(days=60),
        "t180": t - timedelta(days=180),
        "content": rules["content"],
        "updates": rules["updates"],
        "ideas": rules["ideas"],
        "all_kinds": sorted({kind for kinds in rules.values() for kind in kinds}),
    }


def hand_sql(day) -> dict[int, tuple]:
    from django.db import connection

    from apps.analytics.services import day_end

    with connection.cursor() as cursor:
        cursor.execute(HAND_SQL, _rules_params(day_end(day)))
        return {row[0]: row[1:] for row in cursor.fetchall()}


def _child(what: str) -> None:
    """Run one timed piece of work in this process and print its figures as JSON."""
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from apps.analytics.models import HealthSnapshot
    from apps.analytics.services import health_recompute
    from apps.core.processes import freeze_startup_objects

    # As a Celery worker process does once it has started (config/celery.py), before any task.
    freeze_startup_objects()

    day = timezone.localdate()
    connection.ensure_connection()
    if what == "recompute":  # the day's first recompute: every snapshot is new
        HealthSnapshot.objects.filter(date=day).delete()
        # The deleted rows' dead entries would otherwise pile up in the table's indexes run after
        # run (the bench database may run without autovacuum), and every insert would step over
        # them; a live portal's first recompute of a day finds a table autovacuum has kept.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM analytics_healthsnapshot")
    started = time.perf_counter()
    if what in ("recompute", "rerun"):  # a rerun later that day rewrites every snapshot
        written = health_recompute(day=day)
        extra = {"snapshots": written}
    elif what == "hand_sql":
        rows = hand_sql(day)
        extra = {"accounts": len(rows)}
    elif what == "refresh_one":
        extra = _refresh_one(day)
    elif what == "fold_new":
        extra = _fold_new()
    else:
        raise SystemExit(f"unknown child task {what}")
    seconds = (
        time.perf_counter() - started if what not in ("refresh_one", "fold_new") else extra.pop("seconds")
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": round(peak, 1), **extra}))


def _refresh_one(day) -> dict:
    """Time the refresh of one account's snapshot after one new interaction, as the
    interaction signal does (analytics.tasks.refresh_account_health)."""
    from apps.accounts.models import User
    from apps.analytics.models import HealthSnapshot
    from apps.analytics.tasks import refresh_account_health
    from apps.interactions.services import record

    person = User.objects.filter(email__startswith="bench-", account__isnull=False).order_by("pk").first()
    record(kind="roadmap.update_read", user=person)
    started = time.perf_counter()
    refresh_account_health(account_id=person.account_id)
    seconds = time.perf_counter() - started
    snapshot = HealthSnapshot.objects.get(account_id=person.account_id, date=day)
    return {"seconds": seconds, "account": person.account_id, "score": snapshot.score}


NEW_INTERACTIONS = 10_000


def _fold_new() -> dict:
    """Time bringing the rollups up to date after 10,000 new interactions (a busy hour at SF1),
    the work every recompute does first. They stay in the log: deleting them would leave the
    rollups counting them."""
    import random
    from datetime import timedelta

    from django.utils import timezone

    from apps.accounts.models import User
    from apps.analytics import rollups
    from apps.interactions.models import Interaction
    from bench.copyload import copy_rows

    rollups.fold()
    rng = random.Random()
    people = list(
        User.objects.filter(email__startswith="bench-", account__isnull=False)
        .order_by("?")
        .values_list("pk", "account_id")[:2000]
    )
    now = timezone.now()
    kinds = ["product.feature_used", "product.session", "learning.content_viewed", "account.login"]
    rows = []
    for _ in range(NEW_INTERACTIONS):
        user, account = rng.choice(people)
        kind = rng.choice(kinds)
        at = now - timedelta(seconds=rng.randint(0, 3600))
        subject = f"feature-{rng.randint(1, 40):02d}" if kind == "product.feature_used" else ""
        rows.append((account, user, kind, "", subject, at, None, {}, "cairn", None, at))
    copy_rows(
        Interaction,
        [
            "account_id",
            "user_id",
            "kind",
            "subject_type",
            "subject_id",
            "occurred_at",
            "value",
            "properties",
            "source",
            "external_id",
            "recorded_at",
        ],
        rows,
    )
    started = time.perf_counter()
    rollups.fold()
    return {"seconds": time.perf_counter() - started, "interactions": NEW_INTERACTIONS}


def _run_child(ctx, what: str) -> dict:
    output = subprocess.run(
        [sys.executable, "-m", "bench.recompute", "child", what],
        cwd=ROOT,
        env=ctx.env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def check_agreement() -> dict:
    """Cairn's stored rules must name the same satisfying interactions as the hand-written SQL."""
    from django.utils import timezone

    from apps.analytics.models import HealthSnapshot

    day = timezone.localdate()
    expected = hand_sql(day)
    mismatches, compared = 0, 0
    for account_id, rules in HealthSnapshot.objects.filter(date=day, config__segment="").values_list(
        "account_id", "rules"
    ):  # rules: each rule's key -> the interaction that satisfied it
        got = (rules.get("content"), rules.get("updates"), rules.get("ideas"))
        compared += 1
        if got != tuple(expected.get(account_id, (None, None, None))):
            mismatches += 1
    return {"accounts_compared": compared, "mismatches": mismatches}


def measure(ctx) -> dict:
    from django.db import connection

    runs = 1 if ctx.quick else 5
    # As autovacuum would have done by now on a live portal (the bench database may run without it).
    with connection.cursor() as cursor:
        for table in (
            "analytics_healthsnapshot",
            "analytics_kindday",
            "analytics_personday",
            "analytics_featureday",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
    # A first recompute warms the caches and writes today's snapshots; the timed ones rewrite them.
    _run_child(ctx, "recompute")
    recompute, hand = [], []
    for _ in range(runs):  # interleaved, so a busy moment of the machine hits both alike
        recompute.append(_run_child(ctx, "recompute"))
        hand.append(_run_child(ctx, "hand_sql"))
    rerun = _run_child(ctx, "rerun")
    agreement = check_agreement()  # before the runs below add interactions the snapshots lack
    refresh = _run_child(ctx, "refresh_one")
    fold_new = _run_child(ctx, "fold_new")
    recompute_s = statistics.median(r["seconds"] for r in recompute)
    hand_s = statistics.median(r["seconds"] for r in hand)
    peak = max(r["peak_rss_mb"] for r in recompute)
    ratio = recompute_s / hand_s
    return {
        "accounts_scored": recompute[0]["snapshots"],
        "recompute_s": round(recompute_s, 3),
        "recompute_runs_s": [round(r["seconds"], 3) for r in recompute],
        "hand_sql_s": round(hand_s, 3),
        "hand_sql_runs_s": [round(r["seconds"], 3) for r in hand],
        "ratio": round(ratio, 2),
        "rerun_same_day_s": round(rerun["seconds"], 3),
        "refresh_one_account_s": round(refresh["seconds"], 3),
        "fold_10000_new_interactions_s": round(fold_new["seconds"], 3),
        "recompute_peak_rss_mb": peak,
        "rules_agree_with_hand_sql": agreement,
        "budgets": {
            "recompute_under_10s": {
                "value": round(recompute_s, 3),
                "limit": RECOMPUTE_LIMIT_S,
                "ok": recompute_s < RECOMPUTE_LIMIT_S,
            },
            "recompute_vs_hand_sql": {
                "value": round(ratio, 2),
                "limit": RATIO_LIMIT,
                "ok": ratio <= RATIO_LIMIT,
            },
            "recompute_memory_mb": {"value": peak, "limit": MEMORY_LIMIT_MB, "ok": peak < MEMORY_LIMIT_MB},
            "rules_agree": {"value": agreement["mismatches"], "limit": 0, "ok": agreement["mismatches"] == 0},
        },
    }


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "child":
        _child(sys.argv[2])
    else:
        import django

        from bench.context import BenchContext

        url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cairn_bench")
        context = BenchContext(database_url=url, sf=1.0, quick="--quick" in sys.argv)
        os.environ.update(context.env)
        django.setup()
        print(json.dumps(measure(context), indent=2))
