from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    name = "apps.interactions"
    label = "interactions"
    verbose_name = "Interaction log"

    def ready(self):
        from apps.interactions import signals  # noqa: F401  (connects the login recorder)
