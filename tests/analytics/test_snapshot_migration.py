"""Migration 0005 rewrites stored snapshots to keep only their per-account parts (component scores
and the rules' satisfying interactions), and back again."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("analytics", "0004_snapshot_account_index_from_constraint")]
AFTER = [("analytics", "0005_snapshot_scores_and_hits_only")]

RULES = [
    {
        "key": "content",
        "label": "Viewed content",
        "kinds": ["learning.content_viewed"],
        "window_days": 30,
        "weight": 2.0,
        "fix": "",
    },
    {
        "key": "ideas",
        "label": "Voted",
        "kinds": ["community.vote_cast"],
        "window_days": 180,
        "weight": 1.0,
        "fix": "",
    },
]
WEIGHTS = {"adoption": 1.0, "engagement": 3.0, "proficiency": 1.0, "sentiment": 0.0, "support": 1.0}
OLD_COMPONENTS = {
    "adoption": {"score": 50.0, "weight": 1.0, "contribution": 12.5},
    "engagement": {"score": 60.0, "weight": 3.0, "contribution": 45.0},
    "proficiency": {"score": None, "weight": 1.0, "contribution": None},
    "sentiment": {"score": 80.0, "weight": 0.0, "contribution": None},
    "support": {"score": None, "weight": 1.0, "contribution": None},
}
OLD_RULES = [
    {
        "key": "content",
        "label": "Viewed content",
        "weight": 2.0,
        "window_days": 30,
        "passed": True,
        "interaction_id": 41,
    },
    {
        "key": "ideas",
        "label": "Voted",
        "weight": 1.0,
        "window_days": 180,
        "passed": False,
        "interaction_id": None,
    },
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_snapshots_are_rewritten_to_scores_and_hits_and_back():
    old = _migrate(BEFORE)
    account = old.get_model("accounts", "Account").objects.create(name="Acme", arr=1000)
    HealthConfig = old.get_model("analytics", "HealthConfig")
    config = HealthConfig.objects.create(version=1, rules=RULES, weights=WEIGHTS)
    Snapshot = old.get_model("analytics", "HealthSnapshot")
    common = {"account_id": account.pk, "config_id": config.pk, "segment": "", "arr": 1000, "figures": {}}
    full = Snapshot.objects.create(date="2026-01-01", components=OLD_COMPONENTS, rules=OLD_RULES, **common)
    empty = Snapshot.objects.create(date="2026-01-02", components={}, rules=[], **common)
    try:
        new = _migrate(AFTER)
        Snapshot = new.get_model("analytics", "HealthSnapshot")
        slim = Snapshot.objects.get(pk=full.pk)
        assert slim.components == {
            "adoption": 50.0,
            "engagement": 60.0,
            "proficiency": None,
            "sentiment": 80.0,
            "support": None,
        }
        assert slim.rules == {"content": 41, "ideas": None}
        assert (Snapshot.objects.get(pk=empty.pk).components, Snapshot.objects.get(pk=empty.pk).rules) == (
            {},
            {},
        )

        # The way back rebuilds the earlier shape from the configuration version.
        Snapshot = _migrate(BEFORE).get_model("analytics", "HealthSnapshot")
        back = Snapshot.objects.get(pk=full.pk)
        assert back.rules == OLD_RULES
        assert back.components == OLD_COMPONENTS
        assert (Snapshot.objects.get(pk=empty.pk).components, Snapshot.objects.get(pk=empty.pk).rules) == (
            {},
            [],
        )
    finally:
        _migrate(AFTER)  # the rest of the suite runs on the latest schema
