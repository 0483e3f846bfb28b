from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "apps.community"
    label = "community"
    verbose_name = "Community: ideas and Q&A"

    def ready(self):
        from apps.community import kinds  # noqa: F401  (registers the interaction kinds)
