"""The ingestion benchmark: events per second through Cairn's HTTP ingestion API under gunicorn,
beside raw PostgreSQL COPY of the same rows into the same table, plus the no-loss and retry checks.

Several client processes POST pre-serialised batches of 500 events (product.feature_used and
product.session for people by e-mail, support.ticket_opened for accounts by CRM id) with an
integration token, as a real integration does. Then the same rows are COPYed (under another
source) into interactions_interaction with all its indexes. Every row added is deleted afterwards.

    python -m bench.ingest [--events N] [--clients N] [--workers N] [--threads N] [--quick]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

from bench.server import bench_env, gunicorn

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cairn_bench"
RATIO_LIMIT = 0.25
BATCH_SIZE = 500
EVENTS_SF1 = 100_000
EVENTS_QUICK = 20_000
RETRY_SAMPLE = 20
# 2 cores, shared with PostgreSQL: a batch is CPU work in turn in its worker and in its database
# backend, so two requests in flight keep both cores busy; a third covers the moments a worker
# waits on the network or a commit. More only add switching (4 measured slower than 2 or 3).
WORKERS = 3
THREADS = 1
CLIENTS = 4
FEATURES = [f"feature-{i:02d}" for i in range(1, 41)]
SEVERITIES = ["low", "normal", "normal", "high", "urgent"]
COLUMNS = (
    "source",
    "external_id",
    "kind",
    "account_id",
    "user_id",
    "occurred_at",
    "value",
    "subject_type",
    "subject_id",
    "properties",
    "recorded_at",
)

# Filled in the parent before the client processes fork, so they share it without pickling.
_BODIES: list[bytes] = []


def _people_and_accounts(rng: random.Random, n_people: int, n_accounts: int):
    """Existing active people with an account, and accounts with a CRM id, from the data set."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT u.email, u.id, u.account_id FROM accounts_user u
                WHERE u.is_active AND u.account_id IS NOT NULL
                ORDER BY md5(u.id::text || %s) LIMIT %s""",
            [str(rng.random()), n_people],
        )
        people = cursor.fetchall()
        cursor.execute(
            """SELECT external_id, id FROM accounts_account
                WHERE external_id IS NOT NULL AND external_id <> ''
                ORDER BY md5(id::text || %s) LIMIT %s""",
            [str(rng.random()), n_accounts],
        )
        accounts = cursor.fetchall()
    if not people or not accounts:
        raise SystemExit("The ingestion benchmark needs people and accounts: load the data set first.")
    return people, accounts


def build_events(n: int, rng: random.Random, people, accounts, now: datetime):
    """`n` events as the API receives them, and for each the row the API stores (minus source
    and recorded_at) in COLUMNS order from external_id on."""
    events, rows = [], []
    for i in range(n):
        occurred = (now - timedelta(seconds=rng.randrange(1, 30 * 86400))).replace(microsecond=0)
        stamp = occurred.strftime("%Y-%m-%dT%H:%M:%SZ")
        event_id = f"evt-{i:07d}"
        roll = rng.random()
        if roll < 0.6:
            email, user_id, account_id = rng.choice(people)
            feature = rng.choice(FEATURES)
            events.append(
                {
                    "event_id": event_id,
                    "kind": "product.feature_used",
                    "occurred_at": stamp,
                    "user_email": email,
                    "subject_type": "feature",
                    "subject_id": feature,
                }
            )
            rows.append(
                [
                    event_id,
                    "product.feature_used",
                    account_id,
                    user_id,
                    occurred,
                    None,
                    "feature",
                    feature,
                    {},
                ]
            )
        elif roll < 0.9:
            email, user_id, account_id = rng.choice(people)
            minutes = float(rng.randrange(1, 180))
            events.append(
                {
                    "event_id": event_id,
                    "kind": "product.session",
                    "occurred_at": stamp,
                    "user_email": email,
                    "value": minutes,
                }
            )
            rows.append([event_id, "product.session", account_id, user_id, occurred, minutes, "", "", {}])
        else:
            external_id, account_id = rng.choice(accounts)
            ticket = f"T-{i}"
            properties = {"severity": rng.choice(SEVERITIES), "channel": "email"}
            events.append(
                {
                    "event_id": event_id,
                    "kind": "support.ticket_opened",
                    "occurred_at": stamp,
                    "account_external_id": external_id,
                    "subject_type": "ticket",
                    "subject_id": ticket,
                    "properties": properties,
                }
            )
            rows.append(
                [
                    event_id,
                    "support.ticket_opened",
                    account_id,
                    None,
                    occurred,
                    None,
                    "ticket",
                    ticket,
                    properties,
                ]
            )
    return events, rows


def _client(index: int, n_clients: int, host: str, port: int, path: str, token: str, batches, out) -> None:
    """POST this client's share of the batches (or the given batch indexes) one after another."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    mine = batches if batches is not None else range(index, len(_BODIES), n_clients)
    conn = http.client.HTTPConnection(host, port, timeout=120)
    accepted = duplicates = rejected = errors = requests = 0
    statuses = {}
    started = time.monotonic()
    for i in mine:
        body = _BODIES[i]
        for attempt in range(3):
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                data = response.read()
                break
            except (ConnectionError, http.client.HTTPException, OSError):
                conn.close()
                if attempt == 2:
                    raise
        requests += 1
        statuses[response.status] = statuses.get(response.status, 0) + 1
        if response.status != 200:
            errors += 1
            continue
        report = json.loads(data)
        accepted += report["accepted"]
        duplicates += report["duplicates"]
        rejected += len(report["rejected"])
    finished = time.monotonic()
    conn.close()
    out.put(
        {
            "started": started,
            "finished": finished,
            "requests": requests,
            "accepted": accepted,
            "duplicates": duplicates,
            "rejected": rejected,
            "errors": errors,
            "statuses": statuses,
        }
    )


def send(url: str, path: str, token: str, clients: int, batches_per_client=None) -> dict:
    """Send the batches with `clients` concurrent processes; wall time from the first request of
    any client to the last response of any."""
    from django.db import connection

    connection.close()  # the client processes fork: they must not share the parent's connection
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    parts = urlparse(url)
    procs = []
    for i in range(clients):
        mine = batches_per_client[i] if batches_per_client is not None else None
        procs.append(
            ctx.Process(target=_client, args=(i, clients, parts.hostname, parts.port, path, token, mine, out))
        )
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    total = {
        k: sum(r[k] for r in results) for k in ("requests", "accepted", "duplicates", "rejected", "errors")
    }
    statuses: dict[int, int] = {}
    for r in results:
        for code, n in r["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
    total["statuses"] = statuses
    total["seconds"] = max(r["finished"] for r in results) - min(r["started"] for r in results)
    return total


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _count(source: str) -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT external_id) FROM interactions_interaction WHERE source = %s",
            [source],
        )
        return cursor.fetchone()


def _delete(*sources: str) -> None:
    """Delete the rows the benchmark added, then VACUUM the log: the bench database runs without
    autovacuum, and each run leaves ~300,000 dead rows in the recent time range that the health
    rules and the pages read; left there, they would slow every later measurement."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM interactions_interaction WHERE source = ANY(%s) AND external_id IS NOT NULL",
            [list(sources)],
        )
        if connection.get_autocommit():
            cursor.execute("VACUUM interactions_interaction")


def copy_same_rows(source: str, rows, now: datetime) -> float:
    """COPY the rows into interactions_interaction in one transaction; seconds taken."""
    from django.db import connection, transaction

    columns = ", ".join(COLUMNS)
    prepared = [(source, *row[:-1], json.dumps(row[-1]), now) for row in rows]
    connection.ensure_connection()
    started = time.perf_counter()
    sql = f"COPY interactions_interaction ({columns}) FROM STDIN"
    with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in prepared:
            copy.write_row(row)
    return time.perf_counter() - started


def measure(
    ctx, *, events: int | None = None, clients: int = CLIENTS, workers: int = WORKERS, threads: int = THREADS
) -> dict:
    from django.urls import reverse

    from apps.interactions import services
    from apps.interactions.models import IntegrationToken

    global _BODIES
    n = events or (EVENTS_QUICK if ctx.quick else max(EVENTS_QUICK, round(EVENTS_SF1 * min(ctx.sf, 1.0))))
    n -= n % BATCH_SIZE
    rng = random.Random(9)
    now = datetime.now(UTC)
    stamp = now.strftime("%Y%m%d%H%M%S")
    source = f"bench-ingest-{stamp}"
    copy_sources = [f"bench-copy-{stamp}-{n}" for n in (1, 2)]
    people, accounts = _people_and_accounts(rng, 5_000, 1_000)
    payload, rows = build_events(n, rng, people, accounts, now)
    _BODIES = [
        json.dumps({"events": payload[i : i + BATCH_SIZE]}, separators=(",", ":")).encode()
        for i in range(0, n, BATCH_SIZE)
    ]
    del payload
    path = reverse("api-events-batch")
    token, raw = services.integration_token_create(name=f"Bench ingest {stamp}", source=source)
    # Ingestion enqueues no task, so no broker is needed; the rate limit must not cap a bulk load.
    env = {**ctx.env, "INGESTION_THROTTLE_RATE": "1000000/min"}
    env.pop("CELERY_BROKER_URL", None)
    copies = []
    try:
        # COPY before and after the HTTP run; the faster one is the baseline (other load on the
        # machine only ever slows a run down, so this keeps the ratio conservative).
        copies.append(copy_same_rows(copy_sources[0], rows, now))
        with gunicorn(env, workers=workers, threads=threads) as server:
            # Warm every worker (imports, URL resolver, connection) with batches that store nothing.
            warm = json.dumps({"events": [{"event_id": "warm-up"}]}).encode()
            _BODIES.append(warm)
            send(server.url, path, raw, clients, [[len(_BODIES) - 1] * 3 for _ in range(clients)])
            _BODIES.pop()
            cpu_before = _cpu_seconds(server.worker_pids())
            run = send(server.url, path, raw, clients)
            worker_cpu = _cpu_seconds(server.worker_pids()) - cpu_before
            stored, distinct = _count(source)
            sample = rng.sample(range(len(_BODIES)), min(RETRY_SAMPLE, len(_BODIES)))
            retry = send(server.url, path, raw, clients, [sample[i::clients] for i in range(clients)])
            after_retry, _ = _count(source)
            peak_rss = server.peak_rss_mb()
        copies.append(copy_same_rows(copy_sources[1], rows, now))
        copied = [_count(copy_source)[0] for copy_source in copy_sources]
    finally:
        _delete(source, *copy_sources)
        IntegrationToken.objects.filter(pk=token.pk).delete()
        _BODIES = []
    http_rate = n / run["seconds"]
    copy_rates = [rows_copied / seconds for rows_copied, seconds in zip(copied, copies, strict=True)]
    copy_rate = max(copy_rates)
    ratio = http_rate / copy_rate
    lost = n - distinct
    duplicated = stored - distinct
    retries_ok = (
        retry["errors"] == 0
        and retry["accepted"] == 0
        and retry["duplicates"] == len(sample) * BATCH_SIZE
        and after_retry == stored
    )
    no_loss = lost == 0 and duplicated == 0 and run["accepted"] == n and run["errors"] == 0 and retries_ok
    return {
        "events": n,
        "batch_size": BATCH_SIZE,
        "clients": clients,
        "workers": workers,
        "threads": threads,
        "http_seconds": round(run["seconds"], 2),
        "http_events_per_s": round(http_rate),
        "http_statuses": run["statuses"],
        "copy_rows_per_s": round(copy_rate),
        "copy_runs_rows_per_s": [round(rate) for rate in copy_rates],
        "ratio": round(ratio, 3),
        "accepted_reported": run["accepted"],
        "rows_stored": stored,
        "lost": lost,
        "duplicated": duplicated,
        "retried_batches": len(sample),
        "retry_duplicates_reported": retry["duplicates"],
        "retries_ok": retries_ok,
        "worker_peak_rss_mb": peak_rss,
        # CPU the web workers spent per event (parsing, validation, the ORM, gunicorn), not PostgreSQL's.
        "worker_cpu_us_per_event": round(worker_cpu / n * 1e6, 1),
        "budgets": {
            "ingestion_vs_copy": {"value": round(ratio, 3), "limit": RATIO_LIMIT, "ok": ratio >= RATIO_LIMIT},
            "no_loss": {"value": lost + duplicated, "limit": 0, "ok": no_loss},
        },
    }


def main(argv: list[str] | None = None) -> int:
    from bench.context import BenchContext

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sf", type=float, default=1.0)
    parser.add_argument("--events", type=int)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ctx = BenchContext(database_url=url, sf=args.sf, quick=args.quick, env=bench_env(url))
    os.environ.update(ctx.env)
    import django

    django.setup()
    result = measure(
        ctx, events=args.events, clients=args.clients, workers=args.workers, threads=args.threads
    )
    print(json.dumps(result, indent=2))
    return 0 if all(b["ok"] for b in result["budgets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
