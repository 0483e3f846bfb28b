"""The log's (account, kind, occurred_at) index also carries the person, so the account 360 page
reads an account's people from the index alone. Replaced without locking the log."""

from django.conf import settings
from django.db import migrations, models

from apps.core.indexes import replace_index


class Migration(migrations.Migration):
    atomic = False  # CREATE / DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("accounts", "0005_covering_people"),
        ("interactions", "0003_nps_answers_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        replace_index(
            "interactions",
            "interaction",
            models.Index(fields=["account", "kind", "occurred_at"], name="interaction_account_kind_time"),
            models.Index(
                fields=["account", "kind", "occurred_at"], include=("user",), name="interaction_account_kind_time"
            ),
        ),
    ]
