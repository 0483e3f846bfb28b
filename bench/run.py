"""`make bench`: load the data set at a scale factor (once), run every benchmark, print one JSON
report and a readable table, and exit non-zero if a budget is missed.

    python -m bench.run [--sf 1] [--only recompute,ingest,pages] [--quick] [--json PATH]

BENCH_DATABASE_URL names the PostgreSQL database to use (default
postgres://postgres@127.0.0.1:5432/cairn_bench; DATABASE_URL is ignored, so a developer's own
database is never touched). It is created if missing, migrated and filled by bench.generate; a
database that holds anything but the benchmark data set is refused.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from bench.context import BenchContext
from bench.server import ROOT

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cairn_bench"
BENCHMARKS = ("recompute", "ingest", "pages")


def _ensure_database(url: str) -> None:
    """Create the database if it does not exist (connecting to the server's `postgres` database)."""
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _refuse_foreign_database(url: str) -> None:
    """Only an empty database or one holding the benchmark data set may be used."""
    import psycopg

    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]
        marked = conn.execute("SELECT to_regclass('public.bench_dataset') IS NOT NULL").fetchone()[0]
    if tables and not marked:
        raise SystemExit(f"{url} holds other data; make bench only uses an empty database or its own.")


def _loaded() -> tuple | None:
    """(scale factor, loaded at) of the data set in the database, if one finished loading."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_dataset (sf double precision, loaded_at timestamptz)"
        )
        cursor.execute("SELECT sf, loaded_at FROM bench_dataset ORDER BY loaded_at DESC LIMIT 1")
        return cursor.fetchone()


def _prepare(ctx: BenchContext) -> dict:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from apps.accounts.models import Account

    call_command("migrate", verbosity=0, interactive=False)
    loaded = _loaded()
    if loaded is not None and (loaded[0] != ctx.sf or timezone.localdate(loaded[1]) != timezone.localdate()):
        # The data set's 18 months end on the day it was made: a later run would read emptier windows.
        name = ctx.database_url.rsplit("/", 1)[-1]
        raise SystemExit(
            f"{ctx.database_url} holds the SF{loaded[0]:g} data set of {timezone.localdate(loaded[1])}; "
            f"drop that database (dropdb {name}) to load SF{ctx.sf:g} for today."
        )
    if loaded is None and Account.objects.filter(external_id__startswith="BENCH-").exists():
        raise SystemExit(f"An earlier load into {ctx.database_url} did not finish: drop that database.")
    if loaded is None:
        from bench.generate import generate

        started = time.perf_counter()
        generate(ctx.sf, log=lambda line: print(f"  {line}", file=sys.stderr))
        print(f"  data set loaded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        _history()
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_dataset VALUES (%s, now())", [ctx.sf])
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT (SELECT count(*) FROM accounts_account), (SELECT count(*) FROM accounts_user),
                      (SELECT count(*) FROM interactions_interaction),
                      pg_size_pretty(pg_total_relation_size('interactions_interaction')), version()"""
        )
        accounts, users, interactions, size, version = cursor.fetchone()
    return {
        "accounts": accounts,
        "users": users,
        "interactions": interactions,
        "interaction_log_size": size,
        "postgresql": version.split(",")[0],
    }


def _history() -> None:
    """Build the rollups from the whole log and the health history the pages show (every day of
    the last 30, every week back to 13 weeks), as a live portal would have accumulated them."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from apps.analytics import rollups
    from apps.analytics.services import health_recompute

    started = time.perf_counter()
    rollups.fold()
    print(f"  rollups built from the whole log in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    today = timezone.localdate()
    days = sorted(
        {today - timedelta(days=n) for n in range(31)} | {today - timedelta(weeks=n) for n in range(14)}
    )
    started = time.perf_counter()
    for day in days:
        health_recompute(day=day)
    print(f"  {len(days)} days of health history in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _machine() -> dict:
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def _table(report: dict) -> str:
    lines = [
        f"Cairn benchmark at SF{report['sf']:g} — {report['data']['interactions']:,} interactions, "
        f"{report['data']['accounts']:,} accounts, {report['data']['users']:,} people"
    ]
    lines.append(f"{'budget':<44} {'value':>12} {'limit':>10}  result")
    for name, result in report["results"].items():
        for budget, figure in result.get("budgets", {}).items():
            verdict = "ok" if figure["ok"] else "MISSED"
            lines.append(
                f"{name + ': ' + budget:<44} {figure['value']!s:>12} {figure['limit']!s:>10}  {verdict}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sf", type=float, default=1.0, help="scale factor (1 = 5,000 accounts, 5M interactions)"
    )
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated benchmarks to run")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, for a first look")
    parser.add_argument("--json", type=Path, help="also write the JSON report to this file")
    args = parser.parse_args(argv)

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("make bench runs against PostgreSQL: set BENCH_DATABASE_URL to a postgres:// URL.")
    _ensure_database(url)
    _refuse_foreign_database(url)
    ctx = BenchContext(database_url=url, sf=args.sf, quick=args.quick)
    os.environ.update(ctx.env)
    import django

    django.setup()
    started = time.perf_counter()
    report = {
        "sf": args.sf,
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip(),
        "machine": _machine(),
        "data": _prepare(ctx),
        "results": {},
    }
    for name in args.only.split(","):
        if name not in BENCHMARKS:
            raise SystemExit(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
        print(f"running {name} ...", file=sys.stderr)
        module = __import__(f"bench.{name}", fromlist=["measure"])
        report["results"][name] = module.measure(ctx)
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["budgets_ok"] = all(
        figure["ok"] for result in report["results"].values() for figure in result.get("budgets", {}).values()
    )
    text = json.dumps(report, indent=2, default=str)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    print("\n" + _table(report), file=sys.stderr)
    return 0 if report["budgets_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
