from django.db import migrations, models


class Migration(migrations.Migration):
    """The idea board's "top" and "new" orders as whole indexes: a page is read in index order
    (LIMIT 20) instead of joining every idea to its author and sorting them all."""

    dependencies = [
        ("community", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="idea",
            name="community_i_created_fdd672_idx",
        ),
        migrations.AddIndex(
            model_name="idea",
            index=models.Index(fields=["-vote_count", "-created_at", "-id"], name="idea_top_order"),
        ),
        migrations.AddIndex(
            model_name="idea",
            index=models.Index(fields=["-created_at", "-id"], name="idea_new_order"),
        ),
    ]
