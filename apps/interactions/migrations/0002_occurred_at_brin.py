"""A BRIN index on occurred_at for time-range scans of the log (PostgreSQL only).

The log is appended in roughly time order, so a BRIN index of a few pages does what a B-tree
of hundreds of megabytes would, at almost no cost to ingestion. SQLite has no BRIN; there the
(account, kind, occurred_at) index serves.
"""

from django.db import migrations


def create_brin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS interaction_occurred_brin "
            "ON interactions_interaction USING brin (occurred_at) WITH (pages_per_range = 32)"
        )


def drop_brin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS interaction_occurred_brin")


class Migration(migrations.Migration):
    dependencies = [("interactions", "0001_initial")]
    operations = [migrations.RunPython(create_brin, drop_brin)]
