"""The partial index of each account's active people also carries their id, so the account 360
page counts an account's people from the index alone. Replaced without locking the table."""

from django.db import migrations, models

from apps.core.indexes import replace_index

CONDITION = models.Q(("account__isnull", False), ("is_active", True))


class Migration(migrations.Migration):
    atomic = False  # CREATE / DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("accounts", "0004_user_active_by_account"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        replace_index(
            "accounts",
            "user",
            models.Index(
                condition=CONDITION, fields=["account"], include=("date_joined",), name="user_active_by_account"
            ),
            models.Index(
                condition=CONDITION,
                fields=["account"],
                include=("date_joined", "id"),
                name="user_active_by_account",
            ),
        ),
    ]
