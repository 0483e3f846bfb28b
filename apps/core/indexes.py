"""Replacing an index of a large table without stopping reads or writes on it, in a migration."""

from __future__ import annotations

from django.db import migrations, models


def replace_index(
    app_label: str, model_name: str, old: models.Index, new: models.Index
) -> migrations.SeparateDatabaseAndState:
    """A migration operation that replaces the index `old` with `new` (the same name, other columns).

    A plain RemoveIndex + AddIndex holds an exclusive lock on the table from the drop until the
    migration commits, after the new index is built: on the interaction log, minutes in which no
    page, ingestion or recompute can read it. On PostgreSQL this builds the new index CONCURRENTLY
    under a temporary name, drops the old one CONCURRENTLY and renames the new one, so reads and
    writes go on throughout; the migration must say `atomic = False`. A build interrupted half-way
    leaves only the temporary index, dropped when the migration runs again. Elsewhere (SQLite in
    development) it drops and creates.
    """
    building = f"{new.name[:20]}_building"

    def swap(remove: models.Index, add: models.Index):
        def run(apps, schema_editor):
            model = apps.get_model(app_label, model_name)
            if schema_editor.connection.vendor != "postgresql":
                schema_editor.remove_index(model, remove)
                schema_editor.add_index(model, add)
                return
            temporary = add.clone()
            temporary.name = building
            schema_editor.remove_index(model, temporary, concurrently=True)  # DROP … IF EXISTS
            schema_editor.add_index(model, temporary, concurrently=True)
            schema_editor.remove_index(model, remove, concurrently=True)
            schema_editor.rename_index(model, temporary, add)

        return run

    return migrations.SeparateDatabaseAndState(
        state_operations=[
            migrations.RemoveIndex(model_name=model_name, name=old.name),
            migrations.AddIndex(model_name=model_name, index=new),
        ],
        database_operations=[migrations.RunPython(swap(old, new), swap(new, old))],
    )
