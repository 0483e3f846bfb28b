from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "apps.engagement"
    label = "engagement"
    verbose_name = "Engagement models"

    def ready(self):
        from apps.engagement import kinds, signals  # noqa: F401  (kinds and the trigger hook)
