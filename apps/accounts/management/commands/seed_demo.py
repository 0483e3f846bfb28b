"""Load Cairn's demo data set: deterministic (seeded), idempotent, realistic.

Each app that has demo data owns it in `apps/<app>/demo.py` with a `seed(ctx)` function; this
command runs them in INSTALLED_APPS order (ground floor first), so feature apps can build on the
accounts and people that lower apps created. Running it twice changes nothing.
"""

import importlib
import random
from dataclasses import dataclass, field
from datetime import date

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

DEMO_PASSWORD = "cairn-demo"  # noqa: S105  (the documented demo password)


@dataclass
class SeedContext:
    rng: random.Random
    today: date
    write: callable
    data: dict = field(default_factory=dict)


class Command(BaseCommand):
    help = "Load the demo data set (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=20261123, help="Random seed (default: fixed).")

    def handle(self, *args, seed, **options):
        ctx = SeedContext(rng=random.Random(seed), today=timezone.localdate(), write=self.stdout.write)
        for config in apps.get_app_configs():
            if not config.name.startswith("apps."):
                continue
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name == f"{config.name}.demo":
                    continue
                raise
            with transaction.atomic():
                module.seed(ctx)
        self.stdout.write(self.style.SUCCESS("\nDemo data ready. Sign in at http://127.0.0.1:8000 with:"))
        for email, role in [
            ("learner@example.com", "learner"),
            ("teamadmin@example.com", "customer admin"),
            ("sponsor@example.com", "executive sponsor"),
            ("content@example.com", "content admin"),
            ("csm@example.com", "CS manager"),
        ]:
            self.stdout.write(f"  {email:<24} {role:<18} password: {DEMO_PASSWORD}")
        for line in ctx.data.get("notes", []):
            self.stdout.write(line)
