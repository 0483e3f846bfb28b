from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.analytics import rollups
from apps.analytics.services import health_recompute


class Command(BaseCommand):
    help = "Compute the daily health snapshot of every account (today unless --date is given)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="The day to compute, YYYY-MM-DD (default: today).")
        parser.add_argument("--days", type=int, default=1, help="Also compute this many days back from it.")
        parser.add_argument(
            "--rebuild-rollups",
            action="store_true",
            help="First rebuild the rollups of the interaction log from scratch (after changing which "
            "kinds count as activity, training or urgent tickets, or repairing the log by hand).",
        )

    def handle(self, *args, **options):
        try:
            day = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as error:
            raise CommandError(f"--date must be YYYY-MM-DD: {error}") from None
        if options["days"] < 1:
            raise CommandError("--days must be at least 1.")
        if options["rebuild_rollups"]:
            folded = rollups.rebuild()
            self.stdout.write(f"Rollups rebuilt from the log (through interaction {folded}).")
        total = 0
        for back in range(options["days"] - 1, -1, -1):
            current = day - timedelta(days=back)
            written = health_recompute(day=current)
            total += written
            self.stdout.write(f"{current}: {written} account snapshots")
        self.stdout.write(self.style.SUCCESS(f"Done: {total} snapshots."))
