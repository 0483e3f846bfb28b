from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "apps.learning"
    label = "learning"
    verbose_name = "Learning"

    def ready(self):
        from apps.learning import (
            kinds,  # noqa: F401  (registers the interaction kinds)
            tasks,  # noqa: F401  (registers the "learning.digest" e-mail sender)
        )
