"""Snapshots keep only what differs per account: each component's score and each rule's
satisfying interaction. The weights, rule labels and windows they used to repeat are their
configuration version's, which is never changed once saved.

components: {"adoption": {"score": 50.0, "weight": 1.0, "contribution": 12.5}, ...}
         -> {"adoption": 50.0, ...}
rules:      [{"key": "content", "passed": true, "interaction_id": 7, "label": ..., ...}, ...]
         -> {"content": 7, ...}  (null: not met)
"""

from django.db import migrations, models

# PostgreSQL rewrites every snapshot in one statement; elsewhere (SQLite) row by row.
FORWARD_SQL = """
UPDATE analytics_healthsnapshot
   SET components = coalesce(
           (SELECT jsonb_object_agg(part.key,
                                    CASE WHEN jsonb_typeof(part.value) = 'object'
                                         THEN coalesce(part.value -> 'score', 'null'::jsonb)
                                         ELSE part.value END)
              FROM jsonb_each(components) AS part),
           '{}'::jsonb),
       rules = CASE WHEN jsonb_typeof(rules) = 'array' THEN coalesce(
           (SELECT jsonb_object_agg(rule ->> 'key',
                                    CASE WHEN (rule ->> 'passed')::boolean
                                         THEN coalesce(rule -> 'interaction_id', 'null'::jsonb)
                                         ELSE 'null'::jsonb END)
              FROM jsonb_array_elements(rules) AS rule),
           '{}'::jsonb) ELSE rules END
 WHERE jsonb_typeof(rules) = 'array'
    OR EXISTS (SELECT 1 FROM jsonb_each(components) AS part WHERE jsonb_typeof(part.value) = 'object')
"""

BATCH = 2000


def slim_components(components: dict) -> dict:
    return {
        name: part.get("score") if isinstance(part, dict) else part for name, part in (components or {}).items()
    }


def slim_rules(rules) -> dict:
    if isinstance(rules, dict):
        return rules
    return {rule["key"]: rule.get("interaction_id") if rule.get("passed") else None for rule in rules or []}


COMPONENTS = ("adoption", "engagement", "proficiency", "sentiment", "support")


def full_components(scores: dict, weights: dict) -> dict:
    """The earlier shape, the way the recompute used to write it (weights summed in the same
    order)."""
    ordered = [name for name in COMPONENTS if name in scores] + [n for n in scores if n not in COMPONENTS]
    used = {
        name: float(weights.get(name, 0))
        for name in ordered
        if scores[name] is not None and float(weights.get(name, 0))
    }
    total = sum(used.values())
    return {
        name: {
            "score": score,
            "weight": float(weights.get(name, 0)),
            "contribution": used[name] * score / total if name in used else None,
        }
        for name, score in ((name, scores[name]) for name in ordered)
    }


def full_rules(hits: dict, config_rules: list) -> list:
    return [
        {
            "key": rule["key"],
            "label": rule["label"],
            "weight": rule["weight"],
            "window_days": rule["window_days"],
            "passed": hits.get(rule["key"]) is not None,
            "interaction_id": hits.get(rule["key"]),
        }
        for rule in config_rules
    ]


def _rewrite(apps, change) -> None:
    HealthSnapshot = apps.get_model("analytics", "HealthSnapshot")
    batch = []
    snapshots = HealthSnapshot.objects.select_related("config").order_by("pk")
    for snapshot in snapshots.iterator(chunk_size=BATCH):
        change(snapshot)
        batch.append(snapshot)
        if len(batch) == BATCH:
            HealthSnapshot.objects.bulk_update(batch, ["components", "rules"])
            batch = []
    HealthSnapshot.objects.bulk_update(batch, ["components", "rules"])


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD_SQL)
        return

    def change(snapshot):
        snapshot.components = slim_components(snapshot.components)
        snapshot.rules = slim_rules(snapshot.rules)

    _rewrite(apps, change)


def backward(apps, schema_editor):
    def change(snapshot):
        if isinstance(snapshot.rules, dict):  # {} (no rules recorded) was []
            snapshot.rules = full_rules(snapshot.rules, snapshot.config.rules) if snapshot.rules else []
        if any(not isinstance(part, dict) for part in (snapshot.components or {}).values()):
            snapshot.components = full_components(snapshot.components, snapshot.config.weights)

    _rewrite(apps, change)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0004_snapshot_account_index_from_constraint"),
    ]

    operations = [
        migrations.AlterField(
            model_name="healthsnapshot",
            name="rules",
            field=models.JSONField(default=dict),
        ),
        migrations.RunPython(forward, backward, elidable=True),
    ]
